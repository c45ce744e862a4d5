"""cw_security_role: check-mode create, create, idempotent re-run, no rename, refused and allowed deletes."""

from __future__ import annotations

from .helpers import task, writes


def role_task(name="TopLeft", state="present"):
    return task("cw_security_role", _name="role", **{"name": name, "state": state})


def test_role_lifecycle(sim, playbook):
    run = playbook([role_task()], check=True, expect_rc=0)
    result = run.result("role")
    assert result["changed"] is True and result["role"] == {"id": None, "name": "TopLeft", "planned": True, "adminFlag": False}
    assert result["diff"]["before"] == {"state": "absent"} and result["diff"]["after"] == {"name": "TopLeft", "state": "present"}
    assert writes(sim) == []

    run = playbook([role_task()], expect_rc=0)
    created = run.result("role")
    [record] = [r for t in sim.state()["tenants"] if t["company"] == sim.company for r in t["roles"] if r["name"] == "TopLeft"]
    assert created["changed"] is True and created["role"] == {"id": record["id"], "name": "TopLeft", "adminFlag": False}
    assert [(w["method"], w["status"]) for w in writes(sim)] == [("POST", 201)]

    sim.clear_requests()
    run = playbook([role_task()], expect_rc=0)
    assert run.result("role")["changed"] is False
    assert writes(sim) == []

    # A role cannot be renamed through the API: another letter case is the same role, kept as it is.
    run = playbook([role_task(name="topleft")], expect_rc=0)
    assert run.result("role")["changed"] is False
    assert "cannot rename" in " ".join(run.result("role").get("warnings", []))
    assert writes(sim) == []


def test_delete_refused_while_assigned_names_the_members(sim, playbook):
    playbook([role_task(), task("cw_api_member", _name="member", identifier="TopLeft", role="TopLeft")], expect_rc=0)
    sim.clear_requests()
    run = playbook([role_task(state="absent")], expect_rc=2)
    result = run.result("role")
    assert "still assigned to member(s) TopLeft" in result["msg"]
    assert writes(sim) == []

    # Move the member to another role; then the delete goes through, check mode first.
    playbook([task("cw_api_member", _name="member", identifier="TopLeft", role="Technician")], expect_rc=0)
    sim.clear_requests()
    run = playbook([role_task(state="absent")], check=True, expect_rc=0)
    assert run.result("role")["changed"] is True and writes(sim) == []
    run = playbook([role_task(state="absent")], expect_rc=0)
    assert run.result("role")["changed"] is True
    assert [w["method"] for w in writes(sim)] == ["DELETE"]
    sim.clear_requests()
    run = playbook([role_task(state="absent")], expect_rc=0)
    assert run.result("role")["changed"] is False and writes(sim) == []


def test_name_over_30_characters_fails_before_any_request(sim, playbook):
    run = playbook([role_task(name="A" * 31)], expect_rc=2)
    assert "at most 30" in run.result("role")["msg"] and "name:" in run.result("role")["msg"]
    assert [r for r in sim.requests() if "securityroles" in r["path"].lower()] == []


def test_role_info_lists_roles_and_reads_one_matrix(sim, playbook):
    sim.ui_set_levels("Technician", [{"module": "Finance", "function": "Agreements", "inquire": "All"}])
    run = playbook([task("cw_security_role_info", _name="info", **{"name": "Technician"})], expect_rc=0)
    result = run.result("info")
    assert "Admin" in [r["name"] for r in result["roles"]]
    assert result["matrix"]["Finance / Agreements"]["inquire"] == "All"
    assert all(set(levels.values()) != {"None"} for levels in result["matrix"].values())
    assert result["api"]["requests"] <= 3 and writes(sim) == []
    run = playbook([task("cw_security_role_info", _name="info", **{"name": "Nope"})], expect_rc=0)
    assert run.result("info")["matrix"] is None
