"""playbooks/review.yml: every security role and API member of a tenant reviewed, GET only; snapshots kept and the
changes between two runs reported; the HTML report of a fleet parsed strictly, as a browser builds it. Every test checks
against our own simulator (consistency), but the one of the browser rule, which states what Chromium was seen to do."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.engine import history

from tests.published import unpublished

from .capture_tenant import api
from .conftest import CLIENT_ID, run_book, tenant_env
from .helpers import administer, by_id, dated_earlier, items, lead, moved_by_browsers, parse_report, text, writes

# As this tenant names them (the profile asks for "Project / Project Boards" and "Service / Service Boards").
TIMESANITY_TABLES = ["General / Auto Sync", "Project / Project Board", "Service / Service Board"]


def build(sim, company=None, keys=None):
    """The tenant of the review: an API member on the admin role, one on a role that edits security roles, an inactive
    one on a role that adds members, and one no vendor profile knows (on a role of its own)."""
    keys = keys or (sim.public_key, sim.private_key)
    company = company or sim.company

    def call(method, path, body=None):
        return api(sim, keys, company, method, path, body)

    roles = {r["name"]: r["id"] for r in call("GET", "/system/securityroles")}
    for name in ("RoleEditor", "Onboarder", "Reporting"):
        roles[name] = call("POST", "/system/securityroles", {"name": name})["id"]
    sim.ui_set_levels("RoleEditor", [{"module": "System", "function": "Security Roles", "edit": "All", "inquire": "All"}],
                      company=company)
    sim.ui_set_levels("Onboarder", [{"module": "System", "function": "Member Maintenance", "add": "All", "inquire": "All"}],
                      company=company)
    sim.ui_set_levels("Reporting", [{"module": "Service Desk", "function": "Service Tickets", "inquire": "All"}],
                      company=company)
    members = {}
    for identifier, role in (("Sync", "Admin"), ("Provisioner", "RoleEditor"), ("OldTool", "Onboarder"), ("Mystery", "Reporting")):
        members[identifier] = call("POST", "/system/apiMembers", {"identifier": identifier, "name": identifier,
                                                                  "securityRole": {"id": roles[role]}})["id"]
    call("PATCH", "/system/apiMembers/%d" % members["OldTool"], [{"op": "replace", "path": "inactiveFlag", "value": True}])
    return call, members


@pytest.fixture(scope="module")
def fleet(sim_server, tmp_path_factory):
    """Four tenants reviewed twice, as an MSP's inventory: alpha with every kind of privileged API member (build());
    bravo onboarded for TimeSanity (a token key, due within the 14 days' warning), audited with the member's key, then
    changed by an administrator (a grant beyond the profile, one below it, a table taken away); charlie with keys the
    tenant refuses; delta untouched. Between the reviews alpha changes too. Returns both reports and the HTML."""
    sim = sim_server
    sim.reset()
    work = tmp_path_factory.mktemp("review")
    hosts = {}
    for name in ("alpha", "bravo", "delta"):
        sim.create_tenant(company=name, public_key=name + "public", private_key=name + "private")
    for name in ("alpha", "bravo", "charlie", "delta"):
        hosts[name] = {"cw_site": sim.url, "cw_company_id": name, "cw_public_key": name + "public",
                       "cw_private_key": name + "private", "cw_client_id": CLIENT_ID}
    hosts["charlie"].update(cw_company_id="delta", cw_public_key="deltapublic", cw_private_key="not-delta's-key")
    hosts["bravo"]["cw_vendors"] = ["timesanity"]
    inventory = {"cw_tenants": {"hosts": hosts}}
    tokens = {"cw_key_source": "token"}
    call, members = build(sim, "alpha", ("alphapublic", "alphaprivate"))
    onboard = run_book(work, "onboard.yml", inventory=inventory, extra=dict(tokens, cw_hosts="bravo"), tag="onboard1")
    assert onboard.rc == 2 and "manual step(s) remain" in onboard.stdout, onboard.stdout[-3000:]
    administer(sim, "bravo", sorted((work / "out" / "checklists").glob("bravo-*.md")), work / "ui-keys")
    onboard = run_book(work, "onboard.yml", inventory=inventory, extra=dict(tokens, cw_hosts="bravo"), tag="onboard2")
    assert onboard.rc == 0, onboard.stdout[-3000:]
    seen = sim.requests()
    sim.clear_requests()
    first = run_book(work, "review.yml", inventory=inventory, tag="review1")
    assert first.rc == 2 and "fatal: [charlie]" in first.stdout, first.stdout[-3000:]
    assert writes(sim) == []
    reports = work / "out" / "reports"
    before = json.loads((reports / "review.json").read_text())
    # Between the reviews: bravo's audit reads TimeSanity's Table Setup list as its member; then an administrator
    # raises a grant beyond the profile, lowers one below it and takes a table away; on alpha a level is raised, a
    # member moved to a new role and another deactivated.
    audit = run_book(work, "audit.yml", inventory=inventory, extra=dict(tokens, cw_hosts="bravo"), tag="audit")
    assert audit.rc == 0, audit.stdout[-3000:]
    assert writes(sim) == []
    seen += sim.requests()
    sim.clear_requests()
    sim.ui_set_levels("TimeSanity", [{"module": "Companies", "function": "Contacts", "inquire": "None"},
                                     {"module": "Finance", "function": "Invoicing", "inquire": "All", "edit": "All"}],
                      company="bravo")
    sim.ui_set_customize("TimeSanity", "SystemTableSetup", TIMESANITY_TABLES[1:], company="bravo")
    sim.ui_set_levels("Reporting", [{"module": "Service Desk", "function": "Service Tickets", "edit": "All"}], company="alpha")
    call("PATCH", "/system/apiMembers/%d" % members["Provisioner"], [{"op": "replace", "path": "inactiveFlag", "value": True}])
    role = call("POST", "/system/securityroles", {"name": "Temporary Access"})
    call("PATCH", "/system/apiMembers/%d" % members["Mystery"], [{"op": "replace", "path": "securityRole", "value": {"id": role["id"]}}])
    seen += sim.requests()
    sim.clear_requests()
    second = run_book(work, "review.yml", inventory=inventory, tag="review2")
    assert second.rc == 2 and "fatal: [charlie]" in second.stdout, second.stdout[-3000:]
    assert {r["method"] for r in sim.requests()} == {"GET"}
    assert unpublished(seen + sim.requests()) == []
    held = json.loads((work / "out" / "credentials" / "bravo-timesanity.json").read_text())
    return {"before": before, "report": json.loads((reports / "review.json").read_text()),
            "html": (reports / "review.html").read_text(),
            "secrets": ["alphaprivate", "bravoprivate", "deltaprivate", "not-delta's-key", held["public_key"], held["private_key"]]}


@pytest.fixture(scope="module")
def root(fleet):
    return parse_report(fleet["html"])


def shown(stamp):
    """A UTC time as the report writes it."""
    return stamp.replace("T", " ").replace("Z", " UTC")


def test_the_browser_rule_sees_what_a_browser_moves():
    """The strict parse reads the tree a browser builds only if nothing in the page is moved by a browser's HTML parser;
    the rule is checked here on what Chromium (outside software, looked at by hand: --dump-dom) moves."""
    moved = parse_report('<body><p>lead <ul><li>x</li></ul></p><table><tr><td>c</td></tr></table>'
                         '<a href="#a">out <a href="#b">in</a></a><p>ok <span>fine</span> <code>c</code></p></body>')
    assert moved_by_browsers(moved) == ["<ul> inside <p> 'lead x'", "<tr> straight inside <table>", "<a> inside <a> 'out in'"]


def test_the_fleet_report_is_self_contained_and_as_a_browser_builds_it(fleet, root):
    """Against our own simulator (consistency); every link inside has a target, nothing is fetched from elsewhere, no
    element is one a browser would move (the tests below read the tree people see), and no key of any tenant or member
    appears."""
    ids = by_id(root)
    internal = [a.get("href")[1:] for a in root.iter("a")]
    assert internal and [h for h in internal if h not in ids] == []
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
        assert [e for e in root.iter(tag) if e.get(attribute)] == [], tag
    assert "url(" not in fleet["html"] and "@import" not in fleet["html"]
    assert moved_by_browsers(root) == []
    assert [secret for secret in fleet["secrets"] if secret in fleet["html"]] == []
    header = root.find("body/header")
    report = fleet["report"]
    assert report["started"] <= report["generated"]
    assert text(header) == ("ConnectWise security review Review started %s, report written %s, with GET requests only: "
                            "nothing was written to any tenant. 4 tenants, 1 not reviewed (charlie)." % (
                                shown(report["started"]), shown(report["generated"])))
    assert [t.get("datetime") for t in header.iter("time")] == [report["started"], report["generated"]]
    # Printed, the navigation goes, every folded list opens and a finding with a long list may break across pages.
    printed = re.sub(r"\s+", " ", next(root.iter("style")).text).split("@media print", 1)[1]
    assert "nav { display: none; }" in printed and "summary.show { display: none; }" in printed
    assert "details::details-content { content-visibility: visible;" in printed and "tr:has(details) { break-inside: auto; }" in printed
    assert "d.open = true" in next(root.iter("script")).text


def test_the_summary_counts_each_tenant_by_severity_most_severe_first(fleet, root):
    report = fleet["report"]
    table = by_id(root)["counts"]
    assert [text(th) for th in table.find("thead/tr")] == ["Tenant", "Critical", "High", "Medium", "Low", "Changes"]
    rows = {text(r[0]): [(text(td), td.get("class")) for td in r[1:]] for r in table.find("tbody")}
    assert [r[0].find("a").get("href") for r in table.find("tbody")] == ["#changes-" + n for n in ("alpha", "bravo", "charlie", "delta")]
    assert rows == {
        "alpha": [("1", "num critical"), ("2", "num high"), ("3", "num medium"), ("2", "num low"), ("4", "num")],
        "bravo": [("0", "num zero"), ("0", "num zero"), ("2", "num medium"), ("1", "num low"), ("3", "num")],
        "charlie": [("! Not reviewed: the tenant's review failed.", "error")],
        "delta": [("0", "num zero")] * 5}
    assert [r[1].get("colspan") for r in table.find("tbody") if text(r[0]) == "charlie"] == ["5"]
    for name in ("alpha", "bravo", "delta"):
        assert [int(v) for v, _cls in rows[name][:4]] == [report["tenants"][name]["counts"][s] for s in ("critical", "high", "medium", "low")]
    # review.json sorts its keys (critical, high, low, medium); the page keeps the order of severity.
    assert list(report["counts"]) == ["critical", "high", "low", "medium"]
    [total] = table.find("tfoot")
    assert [text(c) for c in total] == ["All tenants", "1", "2", "5", "3", "7"]
    overall = [p for p in by_id(root)["summary"].iter("p") if p.get("class") == "overall"][0]
    assert text(overall) == ("All tenants reviewed: 1 critical, 2 high, 5 medium, 3 low findings; 7 changes since the "
                             "previous snapshots. A tenant not reviewed has no count: see why under its changes.")


def test_each_finding_is_a_row_with_its_severity_as_text_and_its_evidence_as_lists(fleet, root):
    findings = fleet["report"]["findings"]
    [table] = [t for t in root.iter("table") if t.get("class") == "findings"]
    heads = [text(th) for th in table.find("thead/tr")]
    assert heads == ["Severity", "Tenant", "Member", "Role", "Finding", "Evidence"]
    rows = table.find("tbody").findall("tr")
    assert [(r.get("class"), text(r[0])) for r in rows] == [
        (f["severity"], "%s %s" % (f["severity"].capitalize(), f["kind"].replace("_", " "))) for f in findings]
    assert [f["severity"] for f in findings] == ["critical", "high", "high"] + ["medium"] * 5 + ["low"] * 3
    for row, f in zip(rows, findings):
        # A narrow screen shows each cell under its column's name: every data cell names its column.
        assert [td.get("data-label") for td in row[1:]] == heads[1:]
        assert [text(td) for td in row[1:4]] == [f["tenant"], f["member"] or "", f["role"] or ""]
        assert text(row[4]) == "%s Advice: %s" % (f["finding"], f["advice"])

    def evidence(kind, member):
        [row] = [r for r, f in zip(rows, findings) if (f["kind"], f["member"]) == (kind, member)]
        [listed] = row[5].findall("dl")
        return {text(dt): dd for dt, dd in zip(listed.findall("dt"), listed.findall("dd"))}

    admin = evidence("admin_role", "Sync")
    assert {name: text(dd) for name, dd in admin.items()} == {"Role": "Admin", "adminFlag": "true", "Member": "Sync (active)"}
    # The admin role's every grant: folded, and each a list item (no YAML, no quoting).
    grants = evidence("unknown_integration", "Sync")["Grants of the role"]
    [found] = [f for f in findings if (f["kind"], f["member"]) == ("unknown_integration", "Sync")]
    count = len(found["evidence"]["grants"])
    assert count > 10 and lead(grants) == "%d grants" % count
    [folded] = grants.findall("details")
    assert folded.get("open") is None and (folded.find("summary").get("class"), text(folded.find("summary"))) == (
        "show", "Show the %d grants" % count)
    assert items(folded) == found["evidence"]["grants"]
    assert text(evidence("unknown_integration", "Mystery")["Grants of the role"]) == "none"
    # Each escalating row with why it escalates.
    assert items(evidence("inactive_privileged", "Provisioner")["Rows"]) == [
        "System / Security Roles: edit All (edits security roles: can give any role, its own included, any level)"]
    assert {name: items(dd) for name, dd in evidence("shared_role", None).items()} == {"API members": ["Sync"], "People": ["simadmin"]}
    expiring = evidence("key_expiring", "timesanity")
    [key] = [f for f in findings if f["kind"] == "key_expiring"]
    assert text(expiring["Key file"]) == key["evidence"]["dest"] and expiring["Key file"].find("code") is not None
    assert expiring["Expires"].find("time").get("datetime") == key["evidence"]["expiration"]
    assert text(expiring["Expires"]) == shown(key["evidence"]["expiration"])


def test_the_changes_of_each_tenant_and_the_table_setup_lists_not_compared(fleet, root):
    report = fleet["report"]
    sections = by_id(root)

    def snapshot_of(name, key):
        stamp = os.path.basename(report["tenants"][name][key])[:-len(".json")]
        return "%s-%s-%sT%s:%s:%sZ" % (stamp[0:4], stamp[4:6], stamp[6:8], stamp[9:11], stamp[11:13], stamp[13:15])

    alpha = sections["changes-alpha"]
    assert text(alpha.find("h3")) == "alpha"
    assert [text(p) for p in alpha.findall("p")] == [
        "Checked %s." % shown(report["tenants"]["alpha"]["checked_at"]),
        "4 changes since the snapshot of %s (%s):" % (
            shown(snapshot_of("alpha", "previous")), os.path.basename(report["tenants"]["alpha"]["previous"]))]
    assert [t.get("datetime") for t in alpha.iter("time")][1] == snapshot_of("alpha", "previous")
    # Written from each change's fields, with the arrow of the audit page (the module's line writes "->").
    assert items(alpha) == [
        "role Reporting: Service Desk / Service Tickets edit None → All", "role Temporary Access added",
        "API member Mystery moved from role Reporting to Temporary Access", "API member Provisioner deactivated (role RoleEditor)"]
    assert [c["line"].replace(" -> ", " → ") for c in report["changes"] if c["tenant"] == "alpha"] == items(alpha)
    assert "->" not in fleet["html"] and "-&gt;" not in fleet["html"]

    bravo = sections["changes-bravo"]
    [changed] = [u for u in bravo.findall("ul") if u.get("class") == "changes"]
    [noted] = [u for u in bravo.findall("ul") if u.get("class") == "notes"]
    assert [text(li) for li in changed] == ["role TimeSanity: Companies / Contacts inquire All → None",
                                            "role TimeSanity: Finance / Invoicing edit None → All",
                                            "role TimeSanity: Finance / Invoicing inquire None → All"]
    [unverified] = [c for c in report["changes"] if c["kind"] == "table_setup_unverified"]
    assert (unverified["tenant"], unverified["role"], unverified["member"]) == ("bravo", "TimeSanity", "timesanity")
    assert [text(li) for li in noted] == ["role TimeSanity: Table Setup not verified by this run (last verified as member "
                                          "timesanity, %s); a change since then would not show" % shown(unverified["at"])]
    assert [t.get("datetime") for t in noted.iter("time")] == [unverified["at"]]
    assert text(bravo.findall("p")[1]).startswith("3 changes since the snapshot of ")
    assert text(bravo.findall("p")[2]) == "Table Setup lists not compared (only a member holding the role can read its list):"

    charlie = sections["changes-charlie"]
    assert text(charlie.find("h3")) == "charlie: ! Not reviewed"
    # The module's message, with the page's arrow ("GET ... → HTTP 401").
    assert [text(p) for p in charlie.findall("p")][1:] == [report["tenants"]["charlie"]["msg"].replace(" -> ", " → ")]
    assert "401" in report["tenants"]["charlie"]["msg"]
    delta = sections["changes-delta"]
    assert text(delta.findall("p")[1]) == "No change since the snapshot of %s (%s)." % (
        shown(snapshot_of("delta", "previous")), os.path.basename(report["tenants"]["delta"]["previous"]))
    assert delta.findall("ul") == []
    # The first review's page: nothing to compare with yet.
    assert fleet["before"]["changes"] == [] and fleet["before"]["tenants"]["alpha"]["previous"] is None


def named(report, kind, member):
    found = [f for f in report["findings"] if f["kind"] == kind and f["member"] == member]
    assert len(found) == 1, (kind, member, report["findings"])
    return {k: v for k, v in found[0].items() if k != "advice"}


def test_review_names_each_privileged_member_sends_no_write_and_reports_a_changed_level(sim, book, tmp_path):
    build(sim)
    sim.clear_requests()
    run = book("review.yml", env=tenant_env(sim))
    assert run.rc == 0, run.output
    assert writes(sim) == []
    reads = sim.requests()
    assert {r["method"] for r in reads} == {"GET"}
    out = tmp_path / "out"
    report = json.loads((out / "reports" / "review.json").read_text())
    assert named(report, "admin_role", "Sync") == {
        "tenant": "localhost", "severity": "critical", "kind": "admin_role", "member": "Sync", "role": "Admin", "vendor": None,
        "finding": "API member Sync is on the admin role Admin (adminFlag)",
        "evidence": {"role": "Admin", "adminFlag": True, "member": {"identifier": "Sync", "inactiveFlag": False}}}
    assert named(report, "escalation", "Provisioner") == {
        "tenant": "localhost", "severity": "high", "kind": "escalation", "member": "Provisioner", "role": "RoleEditor",
        "vendor": None, "finding": "API member Provisioner is on role RoleEditor, which can escalate (System / Security Roles)",
        "evidence": {"rows": ["System / Security Roles: edit All"],
                     "why": ["edits security roles: can give any role, its own included, any level"],
                     "member": {"identifier": "Provisioner", "inactiveFlag": False}}}
    oldtool = named(report, "inactive_privileged", "OldTool")
    assert (oldtool["severity"], oldtool["role"], oldtool["finding"], oldtool["evidence"]["rows"]) == (
        "medium", "Onboarder",
        "inactive API member OldTool still holds role Onboarder, which can escalate (System / Member Maintenance)",
        ["System / Member Maintenance: add All"])
    assert named(report, "unknown_integration", "Mystery") == {
        "tenant": "localhost", "severity": "high", "kind": "unknown_integration", "member": "Mystery", "role": "Reporting",
        "vendor": None, "finding": "active API member Mystery matches no vendor profile (role Reporting)",
        "evidence": {"role": "Reporting", "grants": ["Service Desk / Service Tickets: inquire All"],
                     "member": {"identifier": "Mystery", "inactiveFlag": False}}}
    assert report["changes"] == []
    # One read per role's settings (pageSize 1000), and the roles, API members and members lists.
    state = next(t for t in sim.state()["tenants"] if t["company"] == sim.company)
    settings = [r for r in reads if r["path"].lower().rstrip("/").endswith("/settings")]
    assert len(settings) == len(state["roles"]) == 6 and all(r["query"]["pageSize"] == "1000" for r in settings)
    assert len(reads) == len(state["roles"]) + 4  # the codebase, the roles, the API members, the members
    assert report["tenants"]["localhost"]["api"]["requests"] == len(reads)
    [first] = (out / "history" / "localhost").iterdir()
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    assert report["tenants"]["localhost"]["snapshot"] == str(first)
    first = dated_earlier(first)
    shot = json.loads(first.read_text())
    assert shot["api_members"]["OldTool"] == {"id": shot["api_members"]["OldTool"]["id"], "role": "Onboarder", "inactive": True}
    assert "private" not in first.read_text().lower()

    # An administrator changes a level between two runs: the second names it with its module, function and both values.
    sim.ui_set_levels("Reporting", [{"module": "Service Desk", "function": "Service Tickets", "edit": "All"}])
    sim.clear_requests()
    again = book("review.yml", env=tenant_env(sim), tag="again")
    assert again.rc == 0, again.output
    assert writes(sim) == []
    second = json.loads((out / "reports" / "review.json").read_text())
    assert second["changes"] == [{"tenant": "localhost", "kind": "level", "role": "Reporting", "module": "Service Desk",
                                  "function": "Service Tickets", "cell": "edit", "before": "None", "after": "All",
                                  "line": "role Reporting: Service Desk / Service Tickets edit None -> All"}]
    assert second["tenants"]["localhost"]["previous"] == str(first)
    assert len(list((out / "history" / "localhost").iterdir())) == 2
    html = parse_report((out / "reports" / "review.html").read_text())
    changes = [e for e in html.iter("section") if e.get("id") == "changes-localhost"]
    assert [text(li) for li in changes[0].iter("li")] == ["role Reporting: Service Desk / Service Tickets edit None → All"]
    assert "Sync" in text(html) and sim.private_key not in (out / "reports" / "review.html").read_text()


def test_the_gate_fails_the_run_after_the_report_and_stats_carry_the_counts(sim, book, tmp_path):
    build(sim)
    run = book("review.yml", env=tenant_env(sim), extra={"cw_review_fail_on": "critical"})
    assert run.rc == 2, run.output
    assert "finding(s) at critical or above: localhost: API member Sync is on the admin role Admin (adminFlag)" in run.output
    assert (tmp_path / "out" / "reports" / "review.json").exists()
    stats = run.result("Review every tenant of the play")["stats"]
    assert stats["cw_review_counts"]["critical"] == 1
    assert stats["cw_review_findings"]["localhost"] == stats["cw_review_counts"]


def test_each_audit_keeps_a_snapshot_too_and_the_review_compares_with_it(sim, book, tmp_path):
    # By default, every role's levels in the audit's snapshots too (one request per role it does not audit).
    env, vendors = tenant_env(sim), {"cw_vendors": ["topleft"]}
    first = book("audit.yml", env=env, extra=vendors, tag="audit1")
    assert first.rc == 0, first.output
    folder = tmp_path / "out" / "history" / "localhost"
    [snapshot] = folder.iterdir()
    snapshot = dated_earlier(snapshot)
    assert json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())["changes"] == []

    sim.ui_set_levels("Technician", [{"module": "System", "function": "Security Roles", "edit": "All"}])
    sim.clear_requests()
    second = book("audit.yml", env=env, extra=vendors, tag="audit2")
    assert second.rc == 0, second.output
    assert writes(sim) == []
    assert json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())["changes"] == [
        {"tenant": "localhost", "kind": "level", "role": "Technician", "module": "System", "function": "Security Roles",
         "cell": "edit", "before": "None", "after": "All", "line": "role Technician: System / Security Roles edit None -> All"}]
    assert len(list(folder.iterdir())) == 2 and snapshot.exists()

    # The review's snapshot holds the same as the audit's: nothing changed since.
    review = book("review.yml", env=env, tag="review")
    assert review.rc == 0, review.output
    report = json.loads((tmp_path / "out" / "reports" / "review.json").read_text())
    assert report["changes"] == [] and report["tenants"]["localhost"]["previous"] is not None


def test_an_audit_snapshot_of_the_audited_roles_only_and_the_review_finds_the_change_of_another(sim, book, tmp_path):
    # The role named (an audit that finds no role of a suggested name reads every role to propose the closest one).
    env, vendors = tenant_env(sim), {"cw_vendors": ["topleft"], "cw_history_roles": "audited", "cw_role_name": "TopLeft"}
    assert book("review.yml", env=env, tag="review1").rc == 0
    sim.ui_set_levels("Technician", [{"module": "System", "function": "Security Roles", "edit": "All"}])
    sim.clear_requests()
    audit = book("audit.yml", env=env, extra=vendors, tag="audit")
    assert audit.rc == 0, audit.output
    newest = sorted((tmp_path / "out" / "history" / "localhost").iterdir())[-1]
    technician = json.loads(newest.read_text())["roles"]["Technician"]
    # No read of the Technician role's settings, and no change claimed for a role the audit did not read.
    assert "/system/securityroles/%d/settings" % technician["id"] not in [r["resource"] for r in sim.requests()]
    assert json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())["changes"] == []
    assert (technician["levels"], technician["levels_read"]) == (None, False)
    assert technician["last_levels"]["System"]["Security Roles"]["edit"] == "None"
    review = book("review.yml", env=env, tag="review2")
    assert review.rc == 0, review.output
    assert [c["line"] for c in json.loads((tmp_path / "out" / "reports" / "review.json").read_text())["changes"]] == [
        "role Technician: System / Security Roles edit None -> All"]


def test_the_audit_records_the_table_setup_list_it_verified_as_the_member_and_compares_only_verified_lists(sim, book, tmp_path):
    """Against our own simulator (consistency): an audit that holds TimeSanity's member key records the role's Table
    Setup list as that member read it, every other role as not verified; a review in between (which verifies nothing)
    says the verification is missing instead of reporting the items removed; the next audit reports the table an
    administrator took away, compared with the list verified last. No snapshot holds a key; no run writes."""
    env, tokens = tenant_env(sim), {"cw_key_source": "token"}
    onboard = book("onboard_timesanity.yml", env=env, extra=tokens, tag="onboard1")
    assert onboard.rc == 2 and "manual step(s) remain" in onboard.stdout, onboard.stdout[-3000:]
    administer(sim, sim.company, sorted((tmp_path / "out" / "checklists").glob("*.md")), tmp_path / "ui-keys")
    onboard = book("onboard_timesanity.yml", env=env, extra=tokens, tag="onboard2")
    assert onboard.rc == 0, onboard.stdout[-3000:]
    held = json.loads((tmp_path / "out" / "credentials" / "localhost-timesanity.json").read_text())
    secrets = [held["public_key"], held["private_key"], sim.public_key, sim.private_key]
    folder = tmp_path / "out" / "history" / "localhost"
    audit_vars = dict(tokens, cw_vendors=["timesanity"])

    sim.clear_requests()
    audit = book("audit.yml", env=env, extra=audit_vars, tag="audit1")
    assert audit.rc == 0, audit.stdout[-3000:]
    assert writes(sim) == []
    [first] = sorted(folder.iterdir())
    shot = json.loads(first.read_text())
    tables = shot["roles"]["TimeSanity"]["table_setup"]
    assert tables == {"verified": True, "how": "verified as member timesanity", "member": "timesanity",
                      "at": tables["at"], "items": TIMESANITY_TABLES}
    assert shot["taken_at"] <= tables["at"] <= json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())["generated"]
    # The stock roles allow tables too (Technician, Finance): not read as any of their members, they say so.
    assert {name: role["table_setup"] for name, role in shot["roles"].items() if name != "TimeSanity"} == dict.fromkeys(
        ["Admin", "Technician", "Finance"], {"verified": False, "how": history.NOT_VERIFIED, "last_verified": None})

    # An administrator takes a table away; the review cannot see it and says so.
    sim.ui_set_customize("TimeSanity", "SystemTableSetup", TIMESANITY_TABLES[1:])
    sim.clear_requests()
    review = book("review.yml", env=env, tag="review")
    assert review.rc == 0, review.output
    assert writes(sim) == []
    assert json.loads((tmp_path / "out" / "reports" / "review.json").read_text())["changes"] == [
        {"tenant": "localhost", "kind": "table_setup_unverified", "role": "TimeSanity", "member": "timesanity",
         "at": tables["at"], "line": "role TimeSanity: Table Setup not verified by this run (last verified as member "
                                     "timesanity at %s); a change since then would not show" % tables["at"]}]
    reviewed = json.loads(sorted(folder.iterdir())[-1].read_text())["roles"]["TimeSanity"]["table_setup"]
    assert reviewed == {"verified": False, "how": history.NOT_VERIFIED,
                        "last_verified": {"member": "timesanity", "at": tables["at"], "items": TIMESANITY_TABLES}}

    sim.clear_requests()
    audit = book("audit.yml", env=env, extra=audit_vars, tag="audit2")
    assert audit.rc == 0, audit.stdout[-3000:]
    assert writes(sim) == []
    snapshots = sorted(folder.iterdir())
    assert len(snapshots) == 3
    now = json.loads(snapshots[-1].read_text())["roles"]["TimeSanity"]["table_setup"]
    assert (now["verified"], now["items"]) == (True, TIMESANITY_TABLES[1:])
    assert json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())["changes"] == [
        {"tenant": "localhost", "kind": "table_removed", "role": "TimeSanity", "table": "General / Auto Sync",
         "member": "timesanity", "at": now["at"], "since": tables["at"],
         "line": "role TimeSanity: Table Setup item General / Auto Sync removed (verified as member timesanity, against "
                 "the list verified %s)" % tables["at"]}]
    for path in snapshots:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
        written = path.read_text()
        assert [secret for secret in secrets if secret in written] == []


def test_a_misspelt_gate_fails_before_any_request(sim, book):
    sim.clear_requests()
    run = book("review.yml", env=tenant_env(sim), extra={"cw_review_fail_on": "hihg"})
    assert run.rc == 2 and "cw_review_fail_on: hihg is not one of none, critical, high, medium, low" in run.output
    assert sim.requests() == []
