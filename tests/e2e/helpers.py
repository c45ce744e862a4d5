"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

from tests.conftest import REPO

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def writes(sim):
    return [r for r in sim.requests() if r["method"] in WRITE_METHODS]


def task(module, _name=None, _register="out", **options):
    """One task of msp.connectwise.<module>, named so that its result can be looked up."""
    return {"name": _name or module, "msp.connectwise." + module: options, "register": _register}


def settings_reads(sim):
    return [r for r in sim.requests() if r["method"] == "GET" and r["path"].lower().rstrip("/").endswith("/settings")]


def apply_pending(sim, role, pending):
    """Play the administrator: click every pending permission row into the role through the simulator's UI."""
    rows = []
    for item in pending:
        row = {"module": item["module"], "function": item["function"]}
        row.update({cell: change["to"] for cell, change in item["cells"].items()})
        rows.append(row)
    sim.ui_set_levels(role, rows)


def administer(sim, company, checklists, keys_dir):
    """The administrator works through ``company``'s checklists in the ConnectWise UI (python -m simulator.admin); a key
    pair made in the UI goes to keys_dir (never the repository)."""
    assert checklists, "no checklist for %s" % company
    subprocess.run([sys.executable, "-m", "simulator.admin", "--url", sim.url, "--company", company, "--keys-dir",
                    str(keys_dir), "apply"] + [str(c) for c in checklists], cwd=REPO, check=True, capture_output=True)


# The HTML audit report (playbooks/templates/audit.html.j2) is well-formed XML as well as HTML.
def parse_report(html):
    """A strict parser: an unclosed or misnested element, an unknown entity or an unquoted attribute fails here."""
    return ET.fromstring(html)


def text(element):
    return " ".join("".join(element.itertext()).split())


def lead(element):
    """The text of a cell without its lists (each list is compared item by item)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag not in ("ul", "ol", "details"):
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def items(element):
    [found] = [e for e in element if e.tag in ("ul", "ol")]
    return [text(li) for li in found]


def by_id(root):
    found = {}
    for element in root.iter():
        if element.get("id"):
            assert element.get("id") not in found, "id %r twice" % element.get("id")
            found[element.get("id")] = element
    return found


def evidence(root, cell_id):
    """The evidence table of a cell: row heading -> its data cell."""
    article = by_id(root)[cell_id]
    [table] = article.iter("table")
    rows = table.find("tbody").findall("tr")
    for row in rows:
        assert row[0].tag == "th" and row[0].get("scope") == "row", ET.tostring(row)
    return {text(row[0]): row[1] for row in rows}
