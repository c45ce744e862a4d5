# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The layers hold: only the API layer and the declared resources know ConnectWise's paths; the engine, the modules
and every other plugin ask them by function."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGINS = REPO / "plugins"
ALLOWED = (PLUGINS / "module_utils" / "api", PLUGINS / "module_utils" / "resources")
# A ConnectWise API path: one of the API's top-level areas after a slash that follows no word (not "date/time").
API_PATH = re.compile(r"(?<![\w.])/(?:system|company|service|finance|procurement|project|sales|schedule|time|expense|"
                      r"marketing|configurations|login)(?:/|\b)", re.IGNORECASE)
# A module's user documentation may name the endpoints it calls.
DOCS = {"DOCUMENTATION", "EXAMPLES", "RETURN"}


def strings(tree):
    """Every string constant of the code, without the values of the documentation assignments."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in DOCS for t in node.targets):
            skipped.add(id(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node


def test_no_api_path_outside_the_api_and_resource_layers():
    files = [p for p in sorted(PLUGINS.rglob("*.py")) if not any(folder in p.parents for folder in ALLOWED)]
    assert any(p.name == "cw_system_info.py" for p in files) and any(p.name == "integration.py" for p in files)
    found = ["%s:%d: %r" % (p.relative_to(REPO), node.lineno, node.value)
             for p in files for node in strings(ast.parse(p.read_text(encoding="utf-8"))) if API_PATH.search(node.value)]
    assert found == [], "API paths belong in plugins/module_utils/api or resources:\n" + "\n".join(found)


def test_the_rule_sees_a_path():
    tree = ast.parse('DOCUMENTATION = "calls C(/system/info)"\nx = client.get("/system/info")\ny = "date/time/zone"\n')
    assert [n.value for n in strings(tree) if API_PATH.search(n.value)] == ["/system/info"]
