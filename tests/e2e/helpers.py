"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

import datetime
import subprocess
import sys
import xml.etree.ElementTree as ET

from ansible_collections.msp.connectwise.plugins.module_utils.engine import history
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


# The HTML reports (playbooks/templates/audit.html.j2, review.html.j2) are well-formed XML as well as HTML.
def parse_report(html):
    """A strict parser: an unclosed or misnested element, an unknown entity or an unquoted attribute fails here."""
    return ET.fromstring(html)


# Elements a browser never lets sit inside a <p> (it closes the paragraph before them).
BLOCKS = {"div", "ul", "ol", "table", "details", "section", "article", "h1", "h2", "h3", "h4", "p", "dl", "pre"}


def moved_by_browsers(root):
    """What a browser's HTML parser would place elsewhere than this strict parse does, so that the page people see has
    another structure than the one the tests read: a block element inside a <p> (the paragraph is closed before it), a
    <tr> straight inside a <table> (a <tbody> is put around it), a link inside a link (the outer one is closed)."""
    found = []
    for paragraph in root.iter("p"):
        found += ["<%s> inside <p> %r" % (e.tag, text(paragraph)[:40]) for e in paragraph.iter() if e.tag in BLOCKS and e is not paragraph]
    for table in root.iter("table"):
        found += ["<tr> straight inside <table>" for e in table if e.tag == "tr"]
    for link in root.iter("a"):
        found += ["<a> inside <a> %r" % text(link)[:40] for e in link.iter("a") if e is not link]
    return found


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


def dated_earlier(snapshot, seconds=5):
    """A tenant's snapshot renamed to ``seconds`` earlier: two runs of a test are then a second apart or more, as runs
    are, whatever the machine's clock does under load (a run within the same second replaces the snapshot)."""
    taken = datetime.datetime.strptime(snapshot.name[:-len(".json")], history.STAMP) - datetime.timedelta(seconds=seconds)
    return snapshot.rename(snapshot.with_name(taken.strftime(history.STAMP) + ".json"))
