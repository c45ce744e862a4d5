# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""meta/runtime.yml, galaxy.yml, requirements-dev.txt and version.py tell one consistent story."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]
FULL_VERSION = re.compile(r"^\d+\.\d+\.\d+$")


def load_yaml(relative):
    with open(REPO / relative, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def module_names():
    return sorted(p.stem for p in (REPO / "plugins" / "modules").glob("*.py") if p.name != "__init__.py")


def pinned_cores():
    """Every ansible-core version pinned (==) in requirements-dev.txt, whatever its environment marker."""
    versions = []
    for line in (REPO / "requirements-dev.txt").read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        requirement = Requirement(line)
        if requirement.name.lower() != "ansible-core":
            continue
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1 and specifiers[0].operator == "==", "pin ansible-core exactly: %s" % line
        versions.append(Version(specifiers[0].version))
    return versions


def requires_ansible():
    return str(load_yaml("meta/runtime.yml")["requires_ansible"])


def connection_modules():
    """Modules that take the shared connection options (their documentation extends the connection fragment)."""
    found = []
    for name in module_names():
        tree = ast.parse((REPO / "plugins" / "modules" / (name + ".py")).read_text(encoding="utf-8"))
        text = [n.value.value for n in tree.body if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "DOCUMENTATION"][0]
        if "msp.connectwise.connection" in (yaml.safe_load(text).get("extends_documentation_fragment") or []):
            found.append(name)
    return found


def test_action_group_lists_exactly_the_modules_with_connection_options():
    group = load_yaml("meta/runtime.yml")["action_groups"]["connectwise"]
    assert len(group) == len(set(group)), "duplicates in action_groups.connectwise: %s" % group
    assert sorted(group) == connection_modules()
    # Left out: cw_tenant only documents an action that contacts no tenant.
    assert sorted(set(module_names()) - set(group)) == ["cw_tenant"]


def test_requires_ansible_is_the_oldest_pinned_core():
    cores = pinned_cores()
    assert cores, "requirements-dev.txt pins no ansible-core"
    lower = [s for s in SpecifierSet(requires_ansible()) if s.operator == ">="]
    assert len(lower) == 1, "requires_ansible needs one >= bound: %r" % requires_ansible()
    assert FULL_VERSION.match(lower[0].version), "requires_ansible must name a full X.Y.Z version: %r" % requires_ansible()
    assert Version(lower[0].version) == min(cores)


def test_every_pinned_core_satisfies_requires_ansible():
    specifier = SpecifierSet(requires_ansible())
    for core in pinned_cores():
        assert core in specifier, "ansible-core %s is tested but excluded by requires_ansible %r" % (core, requires_ansible())


def test_collection_version_matches_galaxy():
    tree = ast.parse((REPO / "plugins" / "module_utils" / "api" / "version.py").read_text(encoding="utf-8"))
    values = [node.value.value for node in tree.body
              if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "COLLECTION_VERSION" for t in node.targets)]
    assert values == [str(load_yaml("galaxy.yml")["version"])]
