"""Roles and logins the collection must never take over: an admin role, a role people hold (unless adopted), a stock
role, a person's identifier. Each is refused before any write, and an audit reports it the same way."""

from __future__ import annotations

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import takeover_problem

from .helpers import task, writes


@pytest.fixture(name="book")
def tenant_book(sim, book, tenant_env):
    """book(name, check=False, **extra) -> Book of playbooks/<name> on the simulator's default tenant (the shared
    `book` fixture, given the tenant's CW_* variables and ``extra`` as extra variables)."""
    sim.set_settings_writable(True)

    def run(name, check=False, **extra):
        return book(name, env=tenant_env, check=check, extra=extra)

    return run


def tenant(sim):
    return next(t for t in sim.state()["tenants"] if t["company"] == sim.company)


def role(sim, name):
    return next(r for r in tenant(sim)["roles"] if r["name"] == name)


def refused(sim, run, *phrases):
    """The run failed with every phrase in its output, and sent nothing but reads."""
    assert run.rc == 2, run.output[-3000:]
    for phrase in phrases:
        assert phrase in run.output, (phrase, run.output[-3000:])
    assert writes(sim) == []


@pytest.mark.parametrize("extra", [{"cw_purge": True}, {"cw_adopt_role": True}], ids=["purge", "adopt_role"])
def test_the_admin_role_is_never_taken_over(sim, book, extra):
    admin, members = role(sim, "Admin"), tenant(sim)["members"]
    run = book("onboard_topleft.yml", cw_role_name="Admin", **extra)
    refused(sim, run, "role 'Admin' is an admin role (adminFlag; simadmin holds it)", "not even with adopt_role")
    assert role(sim, "Admin") == admin and tenant(sim)["members"] == members


def test_a_role_people_hold_is_refused_and_adopted_only_when_asked(sim, book):
    technician = role(sim, "Technician")
    run = book("onboard_topleft.yml", cw_role_name="Technician", cw_purge=True)
    refused(sim, run, "role 'Technician' is not the integration's own (jtech holds it, and it is one of ConnectWise's "
                      "stock roles)", "set adopt_role: true (cw_adopt_role)")
    assert role(sim, "Technician") == technician

    run = book("onboard_topleft.yml", cw_role_name="Technician", cw_adopt_role=True, cw_fail_on_pending=False)
    assert run.rc == 0, run.stdout[-3000:]
    assert "role Technician adopted (adopt_role) although jtech holds it" in run.output, run.stderr
    holders = {m["identifier"]: m["securityRole"] for m in tenant(sim)["members"]}
    assert holders["TopLeft"] == holders["jtech"] == technician["id"]
    assert role(sim, "Technician")["settings"] != technician["settings"]


def test_a_persons_identifier_is_never_made_an_api_member(sim, book):
    before = tenant(sim)
    run = book("onboard_topleft.yml", cw_member_identifier="jtech")
    refused(sim, run, "member.identifier: 'jtech' is the identifier of active member Jo Technician (licence class F), "
                      "not an API member")
    after = tenant(sim)
    assert after["roles"] == before["roles"] and after["members"] == before["members"]


def test_an_audit_reports_the_takeover_instead_of_planning_it(sim, book):
    # The main entry point in check mode (cw_integration) and audit.yml (cw_fleet_audit): the tenant fails with the message.
    run = book("onboard_topleft.yml", check=True, cw_role_name="Admin")
    refused(sim, run, "role 'Admin' is an admin role (adminFlag; simadmin holds it)")
    run = book("audit.yml", cw_vendors=["topleft"], cw_role_name="Technician")
    refused(sim, run, "fatal: [localhost]", "role 'Technician' is not the integration's own (jtech holds it")


def test_role_permission_never_changes_an_admin_role(sim, playbook):
    sim.set_settings_writable(True)
    admin = role(sim, "Admin")
    contacts = {"module": "Companies", "function": "Contacts"}
    run = playbook([task("cw_role_permission", role="Admin", permissions=[dict(contacts, inquire="All")], purge=True)])
    assert run.status("cw_role_permission") == "failed"
    assert "role: 'Admin' is an admin role (adminFlag); this collection never changes an admin role's levels nor purges it" \
        in run.result("cw_role_permission")["msg"]
    run = playbook([task("cw_role_permission", role="Admin", permissions=[dict(contacts, inquire="None")])])
    assert "never changes an admin role's levels. Give" in run.result("cw_role_permission")["msg"]
    assert writes(sim) == [] and role(sim, "Admin") == admin
    # Nothing to change: the admin role may still be checked.
    run = playbook([task("cw_role_permission", role="Admin", permissions=[dict(contacts, inquire="All")])], expect_rc=0)
    assert run.result("cw_role_permission")["changed"] is False


def test_a_stock_role_nobody_holds_needs_adopt_role():
    finance = {"id": 3, "name": "finance", "adminFlag": False}
    problem, warning = takeover_problem(finance, [], adopt=False)
    assert "role 'finance' is not the integration's own (it is one of ConnectWise's stock roles)" in problem and warning is None
    problem, warning = takeover_problem(finance, [], adopt=True)
    assert problem is None and warning.startswith("role finance adopted (adopt_role) although it is one of")
    assert takeover_problem({"id": 9, "name": "TopLeft", "adminFlag": False}, [], adopt=False) == (None, None)
