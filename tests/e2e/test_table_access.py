"""cw_table_access: unverified without the member's keys, verified as the member, drift planned, purge."""

from __future__ import annotations

import pytest
import requests

from .conftest import CLIENT_ID
from .helpers import task, writes

TABLES = ["General / Auto Sync", "Project / Project Boards", "Service / Service Boards"]


def setup_member(playbook, tmp_path):
    dest = str(tmp_path / "creds" / "timesanity.json")
    playbook([
        task("cw_security_role", _name="role", **{"name": "TimeSanity"}),
        task("cw_role_permission", _name="levels", role="TimeSanity", settings_writable=False, allow_pending=True,
             permissions=[{"module": "System", "function": "Table Setup", "inquire": "All"}]),
        task("cw_api_member", _name="member", identifier="timesanity", role="TimeSanity"),
        task("cw_api_key", _name="key", member="timesanity", source="token", dest=dest),
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
    # Not known to differ, so check mode does not call it a change either.
    assert playbook([access()], check=True, expect_rc=0).result("tables")["changed"] is False
    assert [p["table"] for p in result["pending"]] == ["General / Auto Sync", "Project / Project Board", "Service / Service Board"]
    run = playbook([access()], expect_rc=2)
    assert "3 manual step(s) remain" in run.result("tables")["msg"]
    assert writes(sim) == []


# No public source says how customizeItems names a Table Setup item: the same checks hold for each form a tenant may use.
@pytest.mark.parametrize("form", ["id", "label", "name"])
def test_verified_as_the_member_after_the_administrator_applies_the_steps(sim, playbook, tmp_path, form):
    sim.set_customize_item_form(form)
    dest = setup_member(playbook, tmp_path)
    sim.clear_requests()
    run = playbook([access(dest)], check=True, expect_rc=0)
    result = run.result("tables")
    # A verified difference is a change in check mode, though only a person can make it.
    assert result["status"] == "drift" and len(result["manual_steps"]) == 3 and result["changed"] is True
    assert result["manual_steps"][0] == ("System > Security Roles > TimeSanity > System > Table Setup > Customize: "
                                         "move 'General / Auto Sync' to 'Allow access to these'")
    assert writes(sim) == []
    assert any(r.get("member") == "timesanity" and "customizeitems" in r["path"].lower() for r in sim.requests())

    allowed = ["General / Auto Sync", "Project / Project Board", "Service / Service Board", "Service / Priority"]
    sim.ui_set_customize("TimeSanity", "SystemTableSetup", allowed)
    run = playbook([access(dest)], expect_rc=0)
    result = run.result("tables")
    assert result["status"] == "verified" and result["pending"] == [] and result["changed"] is False
    assert result["item_form"] == form
    assert playbook([access(dest)], check=True, expect_rc=0).result("tables")["changed"] is False

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


def test_items_that_name_no_setup_screen_leave_the_tables_unverified_not_drift(sim, playbook, tmp_path):
    """A tenant naming tables in a form not known here: a missing table is no proof of drift, and says why."""
    dest = setup_member(playbook, tmp_path)
    sim.set_answer("/system/mySecurity/customizeItems", [
        {"id": 1, "customizeIdentifier": "SystemTableSetup", "itemIdentifier": "tbl-0042"},
        {"id": 2, "customizeIdentifier": "SystemTableSetup", "itemIdentifier": "Service Boards"}])
    run = playbook([access(dest, allow_pending=True)], check=True, expect_rc=0)
    result = run.result("tables")
    assert result["status"] == "unverified" and result["item_form"] == "name"
    assert [(p["table"], p["verified"]) for p in result["pending"]] == [
        ("General / Auto Sync", False), ("Project / Project Board", False)]
    assert "match no setup screen" in run.output and "tbl-0042" in run.output


def test_a_bare_name_shared_by_several_tables_counts_for_the_one_the_profile_needs(sim, playbook, tmp_path):
    dest = setup_member(playbook, tmp_path)
    screens = sim_screens(sim) + [{"id": 9001, "category": "Project", "name": "Service Boards"}]
    sim.set_answer("/system/setupScreens", screens)
    sim.set_answer("/system/mySecurity/customizeItems", [
        {"id": i, "customizeIdentifier": "SystemTableSetup", "itemIdentifier": name}
        for i, name in enumerate(["Auto Sync", "Project Boards", "Service Boards"], 1)])
    run = playbook([access(dest)], check=True, expect_rc=0)
    result = run.result("tables")
    assert result["status"] == "verified" and result["pending"] == []
    assert "may be any of Project / Service Boards, Service / Service Board" in run.output
    run = playbook([access(dest, purge=True, tables=["General / Auto Sync", "Project / Project Boards"])],
                   check=True, expect_rc=0)
    assert [(p["table"], p["action"]) for p in run.result("tables")["pending"]] == [("Service Boards", "disallow")]


def sim_screens(sim):
    """The tenant's setup screens as its API answers them (read with the admin key)."""
    response = requests.get("%s/v4_6_release/apis/3.0/system/setupScreens" % sim.url, params={"pageSize": 1000},
                            auth=("%s+%s" % (sim.company, sim.public_key), sim.private_key),
                            headers={"clientId": CLIENT_ID}, timeout=30)
    response.raise_for_status()
    return [{k: v for k, v in screen.items() if k != "_info"} for screen in response.json()]
