"""Every module's DOCUMENTATION, EXAMPLES and RETURN (and the doc fragment) is valid YAML, documents the options the
module accepts, and extends the shared connection fragment (a fast check before ansible-doc and sanity)."""

from __future__ import annotations

import ast
import importlib.util

import pytest
import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.module import CONNECTION_ARGSPEC
from tests.conftest import REPO

MODULES = sorted((REPO / "plugins" / "modules").glob("cw_*.py"))


def blocks(path):
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
            found[node.targets[0].id] = yaml.safe_load(node.value.value)
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.stem)
def test_module_docs_parse(path):
    docs = blocks(path)
    assert set(docs) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    assert docs["DOCUMENTATION"]["module"] == path.stem
    fragments = docs["DOCUMENTATION"].get("extends_documentation_fragment") or []
    if path.stem in ("cw_integration", "cw_fleet_audit"):
        # The connection and integration options are documented once, in fragments; a tenant of cw_fleet_audit may
        # set any of them for itself.
        assert {"msp.connectwise.connection", "msp.connectwise.integration"} <= set(fragments)
        if path.stem == "cw_fleet_audit":
            tenants = " ".join(docs["DOCUMENTATION"]["options"]["tenants"]["description"])
            assert all("O(%s)" % name in tenants for name in CONNECTION_ARGSPEC)
    elif path.stem == "cw_tenant":
        # The documentation of an action on the controller: no connection, no options.
        assert not fragments and not docs["DOCUMENTATION"]["options"]
    else:
        assert "msp.connectwise.connection" in fragments
    assert docs["EXAMPLES"] and docs["RETURN"]


def test_connection_fragment_parses_and_names_every_env_variable():
    spec = importlib.util.spec_from_file_location("fragment", REPO / "plugins" / "doc_fragments" / "connection.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    options = yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION)["options"]
    for name, option in CONNECTION_ARGSPEC.items():
        assert "E(CW_%s)" % name.upper() in " ".join(options[name]["description"])
        assert options[name]["type"] == option["type"] and options[name].get("default") == option.get("default"), name
