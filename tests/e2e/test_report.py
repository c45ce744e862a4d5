"""The HTML audit report, parsed strictly (it is well-formed XML as well as HTML): one row per tenant, one cell per
vendor with its status as text and a link to its evidence, and per cell what was checked and found, for a compliant,
a drift, a missing-role, an unverified and an expired-key cell, a vendor not assigned and a tenant whose audit failed;
per tenant what changed since the previous audit's snapshot. What a browser shows at a phone's width and how readable
its faint text is are checked on the page's style sheet (no browser runs here)."""

from __future__ import annotations

import copy
import json
import os
import re
import time
from datetime import datetime, timezone

import pytest
import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.engine import history
from ansible_collections.msp.connectwise.plugins.module_utils.engine.integration import merged_permissions
from tests.conftest import REPO
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
    # The first audit: every tenant's first snapshot. Then an administrator changes bravo's TopLeft role and its
    # TimeSanity key pair is lost: the second audit names the change and says its Table Setup list is not compared.
    first = run_book(out, "audit.yml", inventory=inventory, extra=tokens, tag="audit1")
    assert first.rc == 2 and "fatal: [echo]" in first.stdout, first.stdout[-3000:]
    before = (out / "out" / "reports" / "audit.html").read_text()
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
            "before": before,
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
    assert [(th.get("scope"), text(th)) for th in head] == [("col", "Tenant"), ("col", "TimeSanity"), ("col", "TopLeft"),
                                                            ("col", "Changes")]
    rows = matrix.find("tbody").findall("tr")
    assert [(r[0].tag, r[0].get("scope"), text(r[0])) for r in rows] == [
        ("th", "row", name) for name in ("alpha", "bravo", "charlie", "delta", "echo")]
    cells = {text(r[0]): [(text(td), td.get("class"), td.find("a").get("href") if td.find("a") is not None else None)
                          for td in r[1:]] for r in rows}
    # The last column: the tenant's changes since its previous snapshot (bravo's TopLeft role changed between the audits).
    assert cells == {
        "alpha": [("✓ Compliant", "status compliant", "#alpha-timesanity"), ("✓ Compliant", "status compliant", "#alpha-topleft"),
                  ("0", "num zero", "#changes-alpha")],
        "bravo": [("? Compliant (unverified): Table Setup, key", "status compliant_unverified", "#bravo-timesanity"),
                  ("✗ Drift: 1 cell", "status drift", "#bravo-topleft"), ("1", "num", "#changes-bravo")],
        "charlie": [("✗ Missing role", "status missing_role", "#charlie-timesanity"),
                    ("✗ Missing role", "status missing_role", "#charlie-topleft"), ("0", "num zero", "#changes-charlie")],
        "delta": [("not assigned", "none", None),
                  ("✗ Drift: 1 cell key expired %s" % fleet["expires"][:10], "status drift", "#delta-topleft"),
                  ("0", "num zero", "#changes-delta")],
        "echo": [("! Error not audited", "status error", "#echo-error")] * 2 + [("not compared", "none", "#changes-echo")],
    }


def test_a_summary_per_vendor_and_over_the_fleet(root, fleet):
    summary = by_id(root)["summary"]
    [table] = summary.iter("table")
    assert [(th.get("scope"), text(th)) for th in table.find("thead/tr")] == [("col", name) for name in (
        "Vendor", "Compliant", "Compliant (unverified)", "Drift", "Missing role", "Missing member", "Tenants")]
    rows = {text(r[0]): [text(td) for td in r[1:]] for r in table.find("tbody")}
    assert rows == {"TimeSanity": ["1", "1", "0", "1", "0", "3"], "TopLeft": ["1", "0", "2", "1", "0", "4"]}
    [total] = table.find("tfoot")
    assert [text(c) for c in total] == ["All vendors", "2", "1", "2", "2", "0", "7"]
    assert fleet["report"]["summary"] == {"compliant": 2, "compliant_unverified": 1, "drift": 2, "missing_role": 2, "error": 1}
    assert fleet["report"]["vendor_summary"] == {"timesanity": {"compliant": 1, "missing_role": 1, "compliant_unverified": 1},
                                                 "topleft": {"compliant": 1, "drift": 2, "missing_role": 1}}
    overall = [p for p in summary.iter("p") if p.get("class") == "overall"][0]
    assert text(overall) == ("All tenants and vendors: Compliant 2, Compliant (unverified) 1, Drift 2, Missing role 2, Error 1. "
                             "An error counts once per tenant whose audit failed. 1 change since the previous snapshots.")


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
    # The module's steps, with the page's arrow.
    assert cell["manual_steps"] == ["System > Security Roles > TopLeft > Companies > Contacts: set Inquire Level None -> All"]
    assert [text(li) for li in checklist.find("ol")] == [
        "System > Security Roles > TopLeft > Companies > Contacts: set Inquire Level None → All"]


def test_unverified_tables_say_why_and_which(root, fleet):
    cell = fleet["report"]["tenants"]["bravo"]["timesanity"]
    rows = evidence(root, "bravo-timesanity")
    assert rows["Table Setup"].get("class") == "warn"
    assert lead(rows["Table Setup"]) == ("Unverified: no key pair is held for the member, and only the member can read its "
                                         "role's list. 3 tables required, not confirmed:")
    # Said as not confirmed, never as steps to do.
    unconfirmed = cell["compliance"]["tables_not_verified"]
    assert items(rows["Table Setup"]) == ["allow " + t["table"] for t in unconfirmed]
    assert [t["table"] for t in unconfirmed][0] == "General / Auto Sync" and len(unconfirmed) == 3
    assert (cell["tables"], cell["manual_steps"], cell["compliance"]["unverified"]) == ([], [], ["tables", "key"])
    assert text(rows["API key"]) == (
        "Not verified: no key pair is held. To verify it (and the role's Table Setup list), hand the member's key pair to "
        "the audit (cw_vendor_overrides.timesanity.key.member_public_key and member_private_key, or key_import.yml).")
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
    # The module's message, with the page's arrow.
    assert error["message"].startswith("GET /system/securityroles -> HTTP 401: ")
    assert [text(p) for p in article.findall("p")] == [
        "Checked %s." % shown(error["checked_at"]), error["message"].replace(" -> ", " → ")]


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


def snapshot_time(path):
    """A snapshot's UTC time, from its file name (<YYYYmmddTHHMMSSZ>.json)."""
    n = os.path.basename(path)
    return "%s-%s-%sT%s:%s:%sZ" % (n[0:4], n[4:6], n[6:8], n[9:11], n[11:13], n[13:15])


def contrast(foreground, background):
    """WCAG's contrast ratio of two #rrggbb colours."""
    def luminance(colour):
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def style(root):
    """The page's style sheet, its white space collapsed."""
    [sheet] = root.iter("style")
    return re.sub(r"\s+", " ", sheet.text)


RENDER = [{"name": "Render the audit page of a report", "hosts": "localhost", "connection": "local", "gather_facts": False,
           "vars": {"cw_report": "{{ lookup('ansible.builtin.file', report) | from_json }}"},
           "tasks": [{"name": "Write the HTML report", "ansible.builtin.template": {
               "src": str(REPO / "playbooks" / "templates" / "audit.html.j2"), "dest": "{{ page }}", "mode": "0644"}}]}]


def render(workdir, report):
    """The page audit.yml writes of ``report`` (audit.json's shape): the fleet's, changed by a test."""
    (workdir / "report.json").write_text(json.dumps(report))
    (workdir / "render.yml").write_text(yaml.safe_dump(RENDER))
    run = run_book(workdir, workdir / "render.yml", extra={"report": str(workdir / "report.json"), "page": str(workdir / "audit.html")})
    assert run.rc == 0, run.output[-3000:]
    page = (workdir / "audit.html").read_text()
    root = parse_report(page)
    assert moved_by_browsers(root) == []
    return page, root


def test_each_tenant_shows_what_changed_since_the_previous_audit(root, fleet):
    report = fleet["report"]
    sections = by_id(root)
    kept = report["snapshots"]
    assert sorted(kept) == ["alpha", "bravo", "charlie", "delta"]  # echo's audit failed: no snapshot
    for name, shots in kept.items():
        assert os.path.dirname(shots["previous"]) == os.path.dirname(shots["snapshot"]) and shots["previous"] < shots["snapshot"]
    # Each tenant's changes open its section, before its cells.
    assert [(s.get("id"), s.find("section").get("id")) for s in root.iter("section") if s.get("class") == "tenant"] == [
        ("tenant-" + name, "changes-" + name) for name in ("alpha", "bravo", "charlie", "delta", "echo")]

    bravo = sections["changes-bravo"]
    previous = kept["bravo"]["previous"]
    assert text(bravo.find("h3")) == "Changes since the previous snapshot"
    assert [text(p) for p in bravo.findall("p")] == [
        "1 change since the snapshot of %s (%s):" % (shown(snapshot_time(previous)), os.path.basename(previous)),
        "Table Setup lists not compared (only a member holding the role can read its list):"]
    assert [t.get("datetime") for t in bravo.findall("p")[0].iter("time")] == [snapshot_time(previous)]
    # Written from the change's fields: the role, the row, the cell, from and to.
    [level] = [c for c in report["changes"] if c["kind"] == "level"]
    assert {k: level[k] for k in ("tenant", "role", "module", "function", "cell", "before", "after")} == {
        "tenant": "bravo", "role": "TopLeft", "module": "Companies", "function": "Contacts", "cell": "inquire",
        "before": "All", "after": "None"}
    [changed] = [u for u in bravo.findall("ul") if u.get("class") == "changes"]
    assert [text(li) for li in changed] == ["role TopLeft: Companies / Contacts inquire All → None"]
    # TimeSanity's key pair was lost between the audits: its Table Setup list could not be compared, apart from changes.
    [unverified] = [c for c in report["changes"] if c["kind"] == "table_setup_unverified"]
    assert (unverified["tenant"], unverified["role"], unverified["member"]) == ("bravo", "TimeSanity", "timesanity")
    [noted] = [u for u in bravo.findall("ul") if u.get("class") == "notes"]
    assert [text(li) for li in noted] == ["role TimeSanity: Table Setup not verified by this run (last verified as member "
                                          "timesanity, %s); a change since then would not show" % shown(unverified["at"])]
    assert len(report["changes"]) == 2

    for name in ("alpha", "charlie", "delta"):
        previous = kept[name]["previous"]
        assert [text(p) for p in sections["changes-" + name].findall("p")] == [
            "No change since the snapshot of %s (%s)." % (shown(snapshot_time(previous)), os.path.basename(previous))]
        assert sections["changes-" + name].findall("ul") == []
    assert [text(p) for p in sections["changes-echo"].findall("p")] == [
        "Not compared: the tenant's audit failed, so no snapshot was taken."]

    # The first audit's page: every tenant's first snapshot, the one the second audit compared with.
    first = by_id(parse_report(fleet["before"]))
    for name in ("alpha", "bravo", "charlie", "delta"):
        assert [text(p) for p in first["changes-" + name].findall("p")] == [
            "First snapshot (%s): nothing to compare with yet." % os.path.basename(kept[name]["previous"])]
    assert text([p for p in first["summary"].iter("p") if p.get("class") == "overall"][0]).endswith(
        " 0 changes since the previous snapshots.")


def test_every_kind_of_change_is_written_from_its_fields(fleet, tmp_path):
    """Each kind history.changes() gives, as the audit page writes it (the review page imports the same macro)."""
    t1, t2 = "2026-11-02T03:00:04Z", "2026-12-01T03:00:04Z"

    def role(levels, admin=False, tables=None):
        entry = history.table_setup(tables and {"member": "sync", "at": tables[0], "items": tables[1]})
        return {"id": 1, "adminFlag": admin, "levels": {"Companies": {"Contacts": levels}}, "table_setup": entry}

    level = {"add": "None", "edit": "None", "delete": "None", "inquire": "All"}
    before = {"roles": {"Desk": role(level, tables=(t1, ["Contact / A", "Contact / B"])), "Gone": role(level),
                        "Lost": role(level, tables=(t1, ["Contact / A"])), "Fresh": role(level)},
              "api_members": {"sync": {"role": "Desk", "inactive": False}, "old": {"role": "Gone", "inactive": False},
                              "tool": {"role": "Desk", "inactive": False}, "back": {"role": "Desk", "inactive": True}}}
    after = {"roles": {"Desk": role(dict(level, inquire="None"), admin=True, tables=(t2, ["Contact / B", "Contact / C"])),
                       "New": role(level), "Lost": role(level), "Fresh": role(level, tables=(t2, ["Contact / A"]))},
             "api_members": {"sync": {"role": "New", "inactive": False}, "tool": {"role": "Desk", "inactive": True},
                             "fresh": {"role": "New", "inactive": False}, "back": {"role": "Desk", "inactive": False}}}
    found = history.changes(before, after)
    assert len({c["kind"] for c in found}) == 13
    report = copy.deepcopy(fleet["report"])
    report["changes"] = [dict(c, tenant="alpha", line=history.change_line(c)) for c in found]
    page, root = render(tmp_path, report)
    section = by_id(root)["changes-alpha"]
    [changed] = [u for u in section.findall("ul") if u.get("class") == "changes"]
    assert [text(li) for li in changed] == [
        "role Desk: adminFlag false → true",
        "role Desk: Companies / Contacts inquire All → None",
        "role Desk: Table Setup item Contact / A removed (verified as member sync, against the list verified %s)" % shown(t1),
        "role Desk: Table Setup item Contact / C added (verified as member sync, against the list verified %s)" % shown(t1),
        "role Gone removed",
        "role New added",
        "API member back reactivated (role Desk)",
        "API member fresh created (role New)",
        "API member old removed (role Gone)",
        "API member sync moved from role Desk to New",
        "API member tool deactivated (role Desk)"]
    assert [c.text for c in changed.iter("code")] == ["Contact / A", "Contact / C"]
    [noted] = [u for u in section.findall("ul") if u.get("class") == "notes"]
    assert [text(li) for li in noted] == [
        "role Fresh: Table Setup verified as member sync, 1 item: Contact / A; not verified before, so no change is known",
        "role Lost: Table Setup not verified by this run (last verified as member sync, %s); a change since then would "
        "not show" % shown(t1)]
    assert text(by_id(root)["summary"].find("p")).endswith(" 11 changes since the previous snapshots.")
    assert "->" not in page and "-&gt;" not in page


def test_no_line_of_the_page_writes_an_ascii_arrow(fleet):
    """Changes, differing cells, the checklist's steps and an error all write "→" (the module's own text writes "->")."""
    assert "->" not in fleet["html"] and "-&gt;" not in fleet["html"]
    assert fleet["html"].count("→") >= 3
    assert [c["line"] for c in fleet["report"]["changes"] if c["kind"] == "level"] == [
        "role TopLeft: Companies / Contacts inquire All -> None"]


def test_a_partial_profile_is_marked_wherever_the_cell_status_shows(fleet, tmp_path):
    report = copy.deepcopy(fleet["report"])
    report["tenants"]["alpha"]["topleft"]["compliance"].update(
        profile_status="partial", profile_missing="the page is cut after Companies > Contacts: every later row is unknown")
    page, root = render(tmp_path, report)
    article = by_id(root)["alpha-topleft"]
    assert text(article.find("h3")) == "alpha / TopLeft: ✓ Compliant partial profile"
    badges = [(s.get("class"), text(s)) for s in article.find("h3")]
    assert badges == [("badge compliant", "✓ Compliant"), ("badge warn", "partial profile")]
    assert text(evidence(root, "alpha-topleft")["Vendor profile"]) == (
        "Partial: the page is cut after Companies > Contacts: every later row is unknown. Only its rows were checked; the "
        "integration may need more.")
    [matrix] = [t for t in root.iter("table") if t.get("class") == "matrix"]
    [alpha] = [r for r in matrix.find("tbody") if text(r[0]) == "alpha"]
    assert text(alpha[2]) == "✓ Compliant partial profile"
    assert text(by_id(root)["alpha-timesanity"].find("h3")) == "alpha / TimeSanity: ✓ Compliant"
    assert "partial" not in fleet["html"]


def test_faint_text_is_readable(root):
    """Zero counts, "not assigned" and other muted text: at least WCAG AA's 4.5:1 on what they sit on."""
    css = style(root)
    screen = css.split("@media print", 1)[0]
    variables = dict(re.findall(r"--([\w-]+): (#[0-9a-f]{6})", screen))

    def colour(selector):
        [found] = re.findall(r"(?:^|[ }])%s \{[^}]*?(?<![-\w])color: ([^;]+);" % re.escape(selector), screen)
        found = found.strip()
        return variables[found[6:-1]] if found.startswith("var(--") else found

    # Zero counts and "not assigned" sit in a table (white); the summary's sentence on the page; the notes in a card.
    for selector, background in ((".zero", "#ffffff"), (".none", "#ffffff"), (".overall", "#f6f7f9"), ("ul.notes", "#ffffff"),
                                 ("caption", "#f6f7f9")):
        assert contrast(colour(selector), background) >= 4.5, (selector, colour(selector), background)


def test_a_narrow_screen_keeps_every_table_inside_the_page(root):
    """At a phone's width (420 px, as Chromium was seen to lay it out) each cell's evidence is one column, the name of a
    row above what was found; long words and paths break; the wide summary tables scroll within the page."""
    css = style(root)
    narrow = css.split("@media (max-width: 760px) {", 1)[1].split("@media print", 1)[0]
    assert ".evidence, .evidence tbody, .evidence tr, .evidence th, .evidence td { display: block; width: auto; }" in narrow
    assert "nav { position: static; }" in narrow
    assert "td, li { overflow-wrap: break-word; }" in css and "code { overflow-wrap: anywhere; }" in css
    assert ".scroll { overflow-x: auto; max-width: 100%; }" in css
    assert [t.get("class") for d in root.iter("div") if d.get("class") == "scroll" for t in d.iter("table")] == [
        "summary", "matrix"]
    [viewport] = [m for m in root.iter("meta") if m.get("name") == "viewport"]
    assert viewport.get("content") == "width=device-width, initial-scale=1"
