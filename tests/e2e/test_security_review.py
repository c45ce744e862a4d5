"""playbooks/review.yml: every security role and API member of a tenant reviewed, GET only; snapshots kept and the
changes between two runs reported."""

from __future__ import annotations

import json
import os
import stat

from ansible_collections.msp.connectwise.plugins.module_utils.engine import history

from .capture_tenant import api
from .conftest import tenant_env
from .helpers import administer, parse_report, text, writes

# As this tenant names them (the profile asks for "Project / Project Boards" and "Service / Service Boards").
TIMESANITY_TABLES = ["General / Auto Sync", "Project / Project Board", "Service / Service Board"]


def build(sim):
    """The tenant of the review: an API member on the admin role, one on a role that edits security roles, an inactive
    one on a role that adds members, and one no vendor profile knows (on a role of its own)."""
    keys = (sim.public_key, sim.private_key)

    def call(method, path, body=None):
        return api(sim, keys, sim.company, method, path, body)

    roles = {r["name"]: r["id"] for r in call("GET", "/system/securityroles")}
    for name in ("RoleEditor", "Onboarder", "Reporting"):
        roles[name] = call("POST", "/system/securityroles", {"name": name})["id"]
    sim.ui_set_levels("RoleEditor", [{"module": "System", "function": "Security Roles", "edit": "All", "inquire": "All"}])
    sim.ui_set_levels("Onboarder", [{"module": "System", "function": "Member Maintenance", "add": "All", "inquire": "All"}])
    sim.ui_set_levels("Reporting", [{"module": "Service Desk", "function": "Service Tickets", "inquire": "All"}])
    members = {}
    for identifier, role in (("Sync", "Admin"), ("Provisioner", "RoleEditor"), ("OldTool", "Onboarder"), ("Mystery", "Reporting")):
        members[identifier] = call("POST", "/system/apiMembers", {"identifier": identifier, "name": identifier,
                                                                  "securityRole": {"id": roles[role]}})["id"]
    call("PATCH", "/system/apiMembers/%d" % members["OldTool"], [{"op": "replace", "path": "inactiveFlag", "value": True}])


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
    assert [text(li) for li in changes[0].iter("li")] == ["role Reporting: Service Desk / Service Tickets edit None -> All"]
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
    env, vendors = tenant_env(sim), {"cw_vendors": ["topleft"]}
    first = book("audit.yml", env=env, extra=vendors, tag="audit1")
    assert first.rc == 0, first.output
    folder = tmp_path / "out" / "history" / "localhost"
    [snapshot] = folder.iterdir()
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
