"""The HTML audit report, parsed strictly (it is well-formed XML as well as HTML): one row per tenant, one cell per
vendor with its status as text and a link to its evidence, and per cell what was checked and found, for a compliant,
a drift, a missing-role, an unverified and an expired-key cell, a vendor not assigned and a tenant whose audit failed."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.engine.integration import merged_permissions
from tests.published import unpublished

from .conftest import CLIENT_ID, run_book
from .helpers import administer, by_id, evidence, items, lead, moved_by_browsers, parse_report, text, writes
from .test_integration import profile

VENDORS = ["timesanity", "topleft"]
# A role to create starts with every cell None: it differs in each cell TopLeft's required rows grant above None.
PROFILE_CELLS = sum(1 for row in merged_permissions(profile("topleft"), False, False)
                    for cell in ("add", "edit", "delete", "inquire") if row.get(cell) not in (None, "None"))
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def shown(stamp):
    """A UTC time as the report writes it."""
    return stamp.replace("T", " ").replace("Z", " UTC")


@pytest.fixture(scope="module")
def fleet(sim_server, tmp_path_factory):
    """alpha compliant; bravo: TopLeft drifted, TimeSanity's key pair lost (tables unverified); charlie untouched
    (missing role); delta: TopLeft only, its token expired; echo: wrong keys (error). Returns both reports, when
    delta's token expired and every member key held (none of which may show in the report)."""
    sim = sim_server
    sim.reset()
    out = tmp_path_factory.mktemp("report")
    tokens = {"cw_key_source": "token", "cw_purge": True}
    hosts = {}
    for name in ("alpha", "bravo", "charlie", "delta", "echo"):
        if name != "echo":
            sim.create_tenant(company=name, public_key=name + "public", private_key=name + "private", settings_writable=True)
        hosts[name] = {"cw_site": sim.url, "cw_company_id": name, "cw_public_key": name + "public",
                       "cw_private_key": name + "private", "cw_client_id": CLIENT_ID, "cw_vendors": VENDORS}
    hosts["delta"]["cw_vendors"] = ["topleft"]
    hosts["echo"].update(cw_company_id="alpha", cw_public_key="alphapublic", cw_private_key="not-alpha's-key")
    inventory = {"cw_tenants": {"hosts": hosts}}
    for name in ("alpha", "bravo"):
        sim.set_token_lifetime(90 * 86400, company=name)  # beyond the 14 days' warning
    sim.set_token_lifetime(15, company="delta")  # expired by the audit
    onboard = run_book(out, "onboard.yml", inventory=inventory, extra=dict(tokens, cw_hosts="alpha:bravo:delta"))
    assert onboard.rc == 2 and "manual step(s) remain" in onboard.stdout, onboard.stdout[-3000:]
    for name in ("alpha", "bravo"):
        administer(sim, name, sorted((out / "out" / "checklists").glob(name + "-*.md")), out / "ui-keys" / name)
    onboard = run_book(out, "onboard.yml", inventory=inventory, extra=dict(tokens, cw_hosts="alpha:bravo"))
    assert onboard.rc == 0, onboard.stdout[-3000:]
    sim.ui_set_levels("TopLeft", [{"module": "Companies", "function": "Contacts", "inquire": "None"}], company="bravo")
    (out / "out" / "credentials" / "bravo-timesanity.json").unlink()
    expires = json.loads((out / "out" / "credentials" / "delta-topleft.json").read_text())["expiration"]
    while datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") <= expires:
        time.sleep(0.5)

    onboarding = sim.requests()
    sim.clear_requests()
    audit = run_book(out, "audit.yml", inventory=inventory, extra=tokens)
    assert audit.rc == 2 and "fatal: [echo]" in audit.stdout, audit.stdout[-3000:]
    assert writes(sim) == [] and unpublished(onboarding + sim.requests()) == []
    reports = out / "out" / "reports"
    held = [json.loads(p.read_text()) for p in (out / "out" / "credentials").glob("*.json")]
    assert len(held) == 4
    return {"report": json.loads((reports / "audit.json").read_text()), "html": (reports / "audit.html").read_text(),
            "expires": expires, "member_keys": [k for pair in held for k in (pair["public_key"], pair["private_key"])]}


@pytest.fixture(scope="module")
def root(fleet):
    return parse_report(fleet["html"])


def test_the_report_is_self_contained_and_every_link_inside_has_a_target(root, fleet):
    ids = by_id(root)
    links = [a.get("href") for a in root.iter("a")]
    internal = [h[1:] for h in links if h.startswith("#")]
    assert internal and [h for h in internal if h not in ids] == []
    assert {h for h in links if not h.startswith("#")} == {"https://customers.topleft.team/welcome/"}  # the vendor's page
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
        assert [e for e in root.iter(tag) if e.get(attribute)] == [], tag
    assert "url(" not in fleet["html"] and "@import" not in fleet["html"]
    assert moved_by_browsers(root) == []
    # Never a key: neither the tenants' own nor the members' pairs.
    for secret in ["alphapublic", "alphaprivate", "bravoprivate", "not-alpha's-key"] + fleet["member_keys"]:
        assert secret not in fleet["html"]


def test_the_header_gives_when_the_audit_began(root, fleet):
    report = fleet["report"]
    assert re.fullmatch(STAMP, report["started"]) and report["started"] <= report["generated"]
    header = root.find("body/header")
    assert "Audit started %s, report written %s" % (shown(report["started"]), shown(report["generated"])) in text(header)
    assert [t.get("datetime") for t in header.iter("time")] == [report["started"], report["generated"]]
    assert "5 tenants, 2 vendors" in text(header)


def test_one_row_per_tenant_and_one_cell_per_vendor_with_its_status_as_text(root, fleet):
    matrix = [t for t in root.iter("table") if t.get("class") == "matrix"][0]
    head = matrix.find("thead/tr")
    assert [(th.get("scope"), text(th)) for th in head] == [("col", "Tenant"), ("col", "TimeSanity"), ("col", "TopLeft")]
    rows = matrix.find("tbody").findall("tr")
    assert [(r[0].tag, r[0].get("scope"), text(r[0])) for r in rows] == [
        ("th", "row", name) for name in ("alpha", "bravo", "charlie", "delta", "echo")]
    cells = {text(r[0]): [(text(td), td.get("class"), td.find("a").get("href") if td.find("a") is not None else None)
                          for td in r[1:]] for r in rows}
    assert cells == {
        "alpha": [("✓ Compliant", "status compliant", "#alpha-timesanity"), ("✓ Compliant", "status compliant", "#alpha-topleft")],
        "bravo": [("? Unverified tables", "status unverified_tables", "#bravo-timesanity"),
                  ("✗ Drift: 1 cell", "status drift", "#bravo-topleft")],
        "charlie": [("✗ Missing role", "status missing_role", "#charlie-timesanity"),
                    ("✗ Missing role", "status missing_role", "#charlie-topleft")],
        "delta": [("not assigned", "none", None),
                  ("✗ Drift: 1 cell key expired %s" % fleet["expires"][:10], "status drift", "#delta-topleft")],
        "echo": [("! Error not audited", "status error", "#echo-error")] * 2,
    }


def test_a_summary_per_vendor_and_over_the_fleet(root, fleet):
    summary = by_id(root)["summary"]
    [table] = summary.iter("table")
    assert [(th.get("scope"), text(th)) for th in table.find("thead/tr")] == [("col", name) for name in (
        "Vendor", "Compliant", "Drift", "Missing role", "Missing member", "Unverified tables", "Tenants")]
    rows = {text(r[0]): [text(td) for td in r[1:]] for r in table.find("tbody")}
    assert rows == {"TimeSanity": ["1", "0", "1", "0", "1", "3"], "TopLeft": ["1", "2", "1", "0", "0", "4"]}
    [total] = table.find("tfoot")
    assert [text(c) for c in total] == ["All vendors", "2", "2", "2", "0", "1", "7"]
    assert fleet["report"]["summary"] == {"compliant": 2, "drift": 2, "missing_role": 2, "unverified_tables": 1, "error": 1}
    assert fleet["report"]["vendor_summary"] == {"timesanity": {"compliant": 1, "missing_role": 1, "unverified_tables": 1},
                                                 "topleft": {"compliant": 1, "drift": 2, "missing_role": 1}}
    overall = [p for p in summary.iter("p") if p.get("class") == "overall"][0]
    assert text(overall) == ("All tenants and vendors: Compliant 2, Drift 2, Missing role 2, Unverified tables 1, Error 1. "
                             "An error counts once per tenant whose audit failed.")


def test_a_compliant_cell_shows_what_was_checked(root, fleet):
    cell = fleet["report"]["tenants"]["alpha"]["topleft"]
    rows = evidence(root, "alpha-topleft")
    assert list(rows) == ["Checked", "Security role", "Permissions", "Other grants", "Table Setup", "Member", "API key",
                          "Outside ConnectWise"]
    assert rows["Checked"].find("time").get("datetime") == cell["checked_at"] >= fleet["report"]["started"]
    assert text(rows["Security role"]) == "Found: TopLeft."
    compared = cell["compliance"]["permission_rows"]
    assert compared > 1 and text(rows["Permissions"]) == "%d rows compared, 0 cells differ." % compared
    assert text(rows["Other grants"]) == "None."
    assert cell["compliance"]["table_status"] == "none" and cell["compliance"]["tables_required"] == 0
    assert text(rows["Table Setup"]) == "Not checked: the vendor needs no Table Setup access."
    assert text(rows["Member"]) == "Present: TopLeft, level %s, role TopLeft." % cell["member"]["level"]
    assert cell["compliance"]["member_state"] == "present" and cell["member"]["level"]
    assert text(rows["API key"]) == "Held: it works; expires %s." % shown(cell["key_expiration"])
    outside = rows["Outside ConnectWise"]
    assert text(outside).startswith("%d steps of the vendor's, not checked." % len(cell["outside"]))
    assert [a.get("href") for a in outside.iter("a")] == ["https://customers.topleft.team/welcome/"]
    assert [e for e in by_id(root)["alpha-topleft"].iter("details") if e.get("class") == "checklist"] == []
    # TimeSanity needs three tables, read as its member.
    tables = fleet["report"]["tenants"]["alpha"]["timesanity"]["compliance"]
    assert (tables["tables_required"], tables["table_as_member"], tables["table_item_form"]) == (3, True, "id")
    assert text(evidence(root, "alpha-timesanity")["Table Setup"]) == (
        "Verified as the member: the 3 tables the vendor needs are allowed (this tenant names its items by id).")
    assert text(evidence(root, "alpha-timesanity")["Outside ConnectWise"]) == "None."


def test_a_drift_cell_shows_the_cells_that_differ_from_and_to(root, fleet):
    cell = fleet["report"]["tenants"]["bravo"]["topleft"]
    rows = evidence(root, "bravo-topleft")
    assert rows["Permissions"].get("class") == "drift"
    compared = cell["compliance"]["permission_rows"]
    assert lead(rows["Permissions"]) == "%d rows compared, 1 cell differs." % compared
    assert items(rows["Permissions"]) == ["Companies / Contacts: inquire None → All"]
    assert text(rows["Member"]).startswith("Present: TopLeft")
    assert text(rows["API key"]).startswith("Held: it works")
    article = by_id(root)["bravo-topleft"]
    assert text(article.find("h3")) == "bravo / TopLeft: ✗ Drift: 1 cell"
    [checklist] = [e for e in article.iter("details") if e.get("class") == "checklist"]
    assert checklist.get("open") == "open" and text(checklist.find("summary")) == "Checklist for the ConnectWise UI: 1 step"
    assert [text(li) for li in checklist.find("ol")] == cell["manual_steps"]


def test_unverified_tables_say_why_and_which(root, fleet):
    cell = fleet["report"]["tenants"]["bravo"]["timesanity"]
    rows = evidence(root, "bravo-timesanity")
    assert rows["Table Setup"].get("class") == "warn"
    assert lead(rows["Table Setup"]) == ("Unverified: no key pair is held for the member, and only the member can read its "
                                         "role's list. 3 tables required, not confirmed:")
    assert items(rows["Table Setup"]) == ["allow " + t["table"] for t in cell["tables"]]
    assert [t["table"] for t in cell["tables"]][0] == "General / Auto Sync" and len(cell["tables"]) == 3
    assert text(rows["API key"]) == "Not verified: no key pair is held."
    assert "the API key of member timesanity was not verified: no key pair is held for it" in [
        text(li) for li in rows["Warnings"].iter("li")]


def test_a_missing_role_cell(root, fleet):
    cell = fleet["report"]["tenants"]["charlie"]["topleft"]
    rows = evidence(root, "charlie-topleft")
    assert rows["Security role"].get("class") == rows["Member"].get("class") == "bad"
    assert text(rows["Security role"]) == "Missing: role TopLeft does not exist on this tenant and is to be created."
    assert text(rows["Member"]) == "Missing: API member TopLeft does not exist."
    differing = [d for d in cell["differences"] if d["kind"] == "permission"]
    assert cell["compliance"]["permission_cells"] == sum(len(d["cells"]) for d in differing) == PROFILE_CELLS
    assert lead(rows["Permissions"]) == "%d rows compared, %d cells differ." % (
        cell["compliance"]["permission_rows"], cell["compliance"]["permission_cells"])
    # A role to create differs in every row: the list is folded (and printed).
    [folded] = rows["Permissions"].findall("details")
    assert text(folded.find("summary")) == "Show the %d rows that differ" % len(differing) and folded.get("open") is None
    assert len(items(folded)) == len(differing) > 10
    assert text(rows["API key"]) == "Not verified: no key pair is held."


def test_an_expired_key_is_drift_with_its_expiry(root, fleet):
    rows = evidence(root, "delta-topleft")
    cell = fleet["report"]["tenants"]["delta"]["topleft"]
    assert (cell["status"], cell["key"], cell["key_expiration"]) == ("drift", "expired", fleet["expires"])
    assert rows["API key"].get("class") == "bad"
    assert text(rows["API key"]) == "Expired: the integration cannot connect; expired %s." % shown(fleet["expires"])
    assert rows["API key"].find("time").get("datetime") == fleet["expires"]
    assert text(rows["Table Setup"]) == "Not checked: the vendor needs no Table Setup access."


def test_a_failed_tenant_shows_its_error(root, fleet):
    article = by_id(root)["echo-error"]
    assert text(article.find("h3")) == "echo: ! Error"
    error = fleet["report"]["tenants"]["echo"]["_error"]
    assert [text(p) for p in article.findall("p")] == [
        "Checked %s." % shown(error["checked_at"]), error["message"]]
    assert "401" in error["message"]


def test_print_hides_the_navigation_opens_every_list_and_starts_each_tenant_on_a_page(root):
    [style] = root.iter("style")
    css = re.sub(r"\s+", " ", style.text)
    printed = css.split("@media print", 1)[1]
    assert "nav { display: none; }" in printed
    assert ".tenant { break-before: page;" in printed
    assert "details::details-content { content-visibility: visible;" in printed and "summary.show { display: none; }" in printed
    assert "body { background: #fff; color: #000;" in printed
    # Only the "Show ..." toggles are left out of print; the checklist keeps its heading.
    assert {s.get("class") for s in root.iter("summary") if text(s).startswith("Show ")} == {"show"}
    assert {s.get("class") for s in root.iter("summary") if text(s).startswith("Checklist ")} == {None}
    [script] = root.iter("script")
    assert "beforeprint" in script.text and "d.open = true" in script.text
    assert [s.get("id") for s in root.iter("section") if s.get("class") == "tenant"] == [
        "tenant-" + name for name in ("alpha", "bravo", "charlie", "delta", "echo")]
