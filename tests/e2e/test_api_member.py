"""cw_api_member: check-mode create, create with tenant defaults, idempotent re-run, PATCH of differing fields only,
references by name with clear errors, deactivate."""

from __future__ import annotations

from .helpers import task, writes


def member(**options):
    options.setdefault("identifier", "TopLeft")
    return task("cw_api_member", _name="member", **options)


def role(name="TopLeft"):
    return task("cw_security_role", _name="role", _register="role", **{"name": name})


def test_member_lifecycle(sim, playbook):
    playbook([role()], expect_rc=0)
    sim.clear_requests()
    wanted = member(name="TopLeft API", email="topleft@example.com", role="TopLeft")

    run = playbook([wanted], check=True, expect_rc=0)
    result = run.result("member")
    assert result["changed"] is True and result["member"] == {
        "id": None, "identifier": "TopLeft", "planned": True, "inactive": False, "role": None, "level": None}
    assert result["diff"]["after"]["level"] == "Corporate"
    assert writes(sim) == []

    run = playbook([wanted], expect_rc=0)
    result = run.result("member")
    assert result["changed"] is True and result["member"]["role"] == "TopLeft" and result["member"]["level"] == "Corporate"
    assert [(w["method"], w["status"]) for w in writes(sim)] == [("POST", 201)]
    created = [m for m in sim.state()["tenants"][0]["members"] if m["identifier"] == "TopLeft"][0] \
        if isinstance(sim.state().get("tenants"), list) else None
    if created is not None:
        assert created.get("defaultLocation") and created.get("timeZone")

    sim.clear_requests()
    run = playbook([wanted], expect_rc=0)
    assert run.result("member")["changed"] is False and writes(sim) == []

    sim.clear_requests()
    run = playbook([member(name="TopLeft Integration", excluded_boards=["Alerts"], role="TopLeft")], expect_rc=0)
    result = run.result("member")
    assert result["diff"]["before"]["name"] == "TopLeft API" and result["diff"]["after"]["name"] == "TopLeft Integration"
    assert result["diff"]["after"]["excluded_boards"] == ["Alerts"]
    patches = writes(sim)
    assert [w["method"] for w in patches] == ["PATCH"]

    sim.clear_requests()
    run = playbook([member(state="absent")], expect_rc=0)
    assert run.result("member")["changed"] is True and run.result("member")["member"]["inactive"] is True
    assert [w["method"] for w in writes(sim)] == ["PATCH"]
    sim.clear_requests()
    run = playbook([member(state="absent")], expect_rc=0)
    assert run.result("member")["changed"] is False and writes(sim) == []

    # present again reactivates
    run = playbook([member(role="TopLeft")], expect_rc=0)
    assert run.result("member")["changed"] is True and run.result("member")["member"]["inactive"] is False


def test_references_are_checked_before_any_write(sim, playbook):
    playbook([role()], expect_rc=0)
    sim.clear_requests()
    run = playbook([member(role="TopLeft", location="Atlantis")], expect_rc=2)
    message = run.result("member")["msg"]
    assert "location: 'Atlantis' does not exist" in message and "Main Office" in message
    run = playbook([member(role="Nope")], expect_rc=2)
    assert "role: 'Nope' does not exist" in run.result("member")["msg"]
    run = playbook([member(role="TopLeft", time_zone="Mars")], expect_rc=2)
    assert "time_zone: 'Mars'" in run.result("member")["msg"]
    run = playbook([member(identifier="Top Left", role="TopLeft")], expect_rc=2)
    assert "identifier: 'Top Left'" in run.result("member")["msg"]
    run = playbook([member(identifier="A" * 16, role="TopLeft")], expect_rc=2)
    assert "1 to 15" in run.result("member")["msg"]
    run = playbook([member()], expect_rc=2)
    assert "role: required to create" in run.result("member")["msg"]
    assert writes(sim) == []


def test_level_defaults_to_the_tenants_own_level_one(sim, playbook):
    sim.create_tenant(company="headoffice", public_key="hqpublic", private_key="hqprivate", level1_name="Head Office")
    env = {"CW_COMPANY_ID": "headoffice", "CW_PUBLIC_KEY": "hqpublic", "CW_PRIVATE_KEY": "hqprivate"}
    run = playbook([role(), member(role="TopLeft", location="Main Office", department="Services")], env=env, expect_rc=0)
    assert run.result("member")["member"]["level"] == "Head Office"


def test_a_level_the_tenant_defaults_to_needs_no_level_list_but_another_is_looked_up(sim, playbook):
    playbook([role()], expect_rc=0)
    sim.clear_requests()
    playbook([member(role="TopLeft")], expect_rc=0)
    # The tenant's defaults (apiMembers/default) already carry level 1 with its id.
    assert not [r for r in sim.requests() if r["path"].endswith("/corporateStructureLevels")]
    sim.clear_requests()
    run = playbook([member(identifier="Other", role="TopLeft", level="Business Unit")], expect_rc=0)
    assert run.result("member")["member"]["level"] == "Business Unit"
    assert len([r for r in sim.requests() if r["path"].endswith("/corporateStructureLevels")]) == 1
    created = [w for w in writes(sim) if w["method"] == "POST"]
    assert len(created) == 1
