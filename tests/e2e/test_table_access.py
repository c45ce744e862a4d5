"""cw_table_access: unverified without the member's keys, verified as the member, drift planned, purge."""

from __future__ import annotations

from .helpers import task, writes

TABLES = ["General / Auto Sync", "Project / Project Boards", "Service / Service Boards"]


def setup_member(playbook, tmp_path):
    dest = str(tmp_path / "creds" / "timesanity.json")
    playbook([
        task("cw_security_role", _name="role", **{"name": "TimeSanity"}),
        task("cw_role_permission", _name="levels", role="TimeSanity", settings_writable=False, allow_pending=True,
             permissions=[{"module": "System", "function": "Table Setup", "inquire": "All"}]),
        task("cw_api_member", _name="member", identifier="timesanity", role="TimeSanity"),
        task("cw_api_key", _name="key", member="timesanity", dest=dest),
    ], expect_rc=0)
    return dest


def access(dest=None, **options):
    options.setdefault("role", "TimeSanity")
    options.setdefault("tables", TABLES)
    if dest:
        options["member_public_key"] = "{{ (lookup('ansible.builtin.file', '%s') | from_json).public_key }}" % dest
        options["member_private_key"] = "{{ (lookup('ansible.builtin.file', '%s') | from_json).private_key }}" % dest
    return task("cw_table_access", _name="tables", **options)


def test_without_keys_the_result_is_unverified_never_ok(sim, playbook, tmp_path):
    setup_member(playbook, tmp_path)
    sim.clear_requests()
    run = playbook([access(allow_pending=True)], expect_rc=0)
    result = run.result("tables")
    assert result["status"] == "unverified"
    assert [p["table"] for p in result["pending"]] == ["General / Auto Sync", "Project / Project Board", "Service / Service Board"]
    run = playbook([access()], expect_rc=2)
    assert "3 manual steps remain" in run.result("tables")["msg"]
    assert writes(sim) == []


def test_verified_as_the_member_after_the_administrator_applies_the_steps(sim, playbook, tmp_path):
    dest = setup_member(playbook, tmp_path)
    sim.clear_requests()
    run = playbook([access(dest)], check=True, expect_rc=0)
    result = run.result("tables")
    assert result["status"] == "drift" and len(result["manual_steps"]) == 3
    assert result["manual_steps"][0] == ("System > Security Roles > TimeSanity > System > Table Setup > Customize: "
                                         "move 'General / Auto Sync' to 'Allow access to these'")
    assert writes(sim) == []
    assert any(r.get("member") == "timesanity" and "customizeitems" in r["path"].lower() for r in sim.requests())

    allowed = ["General / Auto Sync", "Project / Project Board", "Service / Service Board", "Service / Priority"]
    sim.ui_set_customize("TimeSanity", "SystemTableSetup", allowed)
    run = playbook([access(dest)], expect_rc=0)
    result = run.result("tables")
    assert result["status"] == "verified" and result["pending"] == [] and result["changed"] is False

    run = playbook([access(dest, purge=True)], check=True, expect_rc=0)
    result = run.result("tables")
    assert result["pending"] == [{"kind": "table", "role": "TimeSanity", "table": "Service / Priority", "action": "disallow",
                                  "verified": True}]


def test_unknown_table_names_the_closest(sim, playbook):
    run = playbook([access(tables=["Service / Servce Board"], allow_pending=True)], expect_rc=2)
    message = run.result("tables")["msg"]
    assert "tables[0]" in message and "Service / Service Board" in message
    run = playbook([access(tables=["Service Board"], allow_pending=True)], expect_rc=2)
    assert "Category / Table" in run.result("tables")["msg"]
