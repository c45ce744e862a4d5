"""cw_role_permission on a default tenant (405: manual steps, verified after the administrator's clicks) and on a
tenant that accepts PATCH on settings (converged through the API, one settings read, writes = differing rows)."""

from __future__ import annotations

from .helpers import apply_pending, settings_reads, task, writes

# Vendor spellings on purpose: each must land on the tenant's own row.
PERMISSIONS = [
    {"module": "Companies", "function": "Company Maintenance", "inquire": "all"},
    {"module": "Service Desk", "function": "Service Tickets \u2013 Dependencies", "add": "All", "inquire": "All"},
    {"module": "Time and Expense", "function": "Time Entries", "add": "ALL", "inquire": "All"},
    {"module": "Procurement", "function": "Product Entry", "inquire": "All"},
]
EXPECTED_STEPS = [
    "System > Security Roles > TopLeft > Companies > Company Maintenance: set Inquire Level None -> All",
    "System > Security Roles > TopLeft > Procurement > Product Catalog: set Inquire Level None -> All",
    "System > Security Roles > TopLeft > Service Desk > Service Ticket - Dependencies: set Add Level None -> All, "
    "Inquire Level None -> All",
    "System > Security Roles > TopLeft > Time & Expense > Time Entry: set Add Level None -> All, Inquire Level None -> All",
]


def levels(**options):
    options.setdefault("role", "TopLeft")
    options.setdefault("permissions", PERMISSIONS)
    return task("cw_role_permission", _name="levels", **options)


def role():
    return task("cw_security_role", _name="role", _register="role", **{"name": "TopLeft"})


def test_check_mode_plans_a_role_still_to_be_created(sim, playbook):
    run = playbook([role(), levels()], check=True, expect_rc=0)
    result = run.result("levels")
    assert result["role"] == {"id": None, "name": "TopLeft", "planned": True}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["Service Desk / Service Ticket - Dependencies"] == {"add": "All", "inquire": "All"}
    assert len(result["differences"]) == 4
    assert writes(sim) == []


def test_default_tenant_gets_exact_manual_steps_then_verifies(sim, playbook):
    playbook([role()], expect_rc=0)
    sim.clear_requests()

    # A difference is a change, whoever makes it: check mode says changed though only a person can apply the steps.
    run = playbook([levels()], check=True, expect_rc=0)
    result = run.result("levels")
    assert result["manual_steps"] == EXPECTED_STEPS
    assert result["changed"] is True and writes(sim) == []

    # A real run learns the tenant refuses (one PATCH answered 405, nothing changed) and fails with the count.
    sim.clear_requests()
    run = playbook([levels()], expect_rc=2)
    result = run.result("levels")
    assert "4 manual step(s) remain" in result["msg"]
    assert result["manual_steps"] == EXPECTED_STEPS and result["settings_writable"] is False
    assert [(w["method"], w["status"]) for w in writes(sim)] == [("PATCH", 405)]
    assert len(settings_reads(sim)) == 1

    # Told the tenant refuses, the module sends no write at all; allow_pending collects the steps without failing, and
    # outside check mode changed says what was written: nothing.
    sim.clear_requests()
    run = playbook([levels(settings_writable=False, allow_pending=True)], expect_rc=0)
    assert run.result("levels")["pending"] and run.result("levels")["changed"] is False and writes(sim) == []

    apply_pending(sim, "TopLeft", run.result("levels")["pending"])
    sim.clear_requests()
    run = playbook([levels()], expect_rc=0)
    result = run.result("levels")
    assert result["changed"] is False and result["pending"] == [] and result["manual_steps"] == []
    run = playbook([levels()], check=True, expect_rc=0)
    assert run.result("levels")["changed"] is False
    assert writes(sim) == []


def test_writable_tenant_converges_through_the_api(sim, playbook):
    sim.control("PATCH", "/__sim__/tenants/%s" % sim.company, {"settings_writable": True})
    playbook([role()], expect_rc=0)
    sim.clear_requests()

    run = playbook([levels()], expect_rc=0)
    result = run.result("levels")
    assert result["changed"] is True and result["pending"] == [] and result["settings_writable"] is True
    assert len(settings_reads(sim)) == 1
    assert [w["method"] for w in writes(sim)] == ["PATCH"] * 4

    sim.clear_requests()
    run = playbook([levels()], expect_rc=0)
    assert run.result("levels")["changed"] is False and writes(sim) == []

    # An update: one level lowered, shown in the diff under "Module / Function".
    changed = [dict(p) for p in PERMISSIONS]
    changed[0]["inquire"] = "My"
    sim.clear_requests()
    run = playbook([levels(permissions=changed)], expect_rc=0)
    diff = run.result("levels")["diff"]
    assert diff["before"]["Companies / Company Maintenance"] == {"inquire": "All"}
    assert diff["after"]["Companies / Company Maintenance"] == {"inquire": "My"}
    assert len(writes(sim)) == 1
    assert "Companies / Company Maintenance" in run.stdout

    # Least privilege: a grant nobody asked for is set back to None by purge.
    sim.ui_set_levels("TopLeft", [{"module": "Finance", "function": "Agreements", "inquire": "All", "edit": "My"}])
    sim.clear_requests()
    run = playbook([levels(permissions=changed, purge=True)], expect_rc=0)
    result = run.result("levels")
    assert result["diff"]["before"]["Finance / Agreements"] == {"add": "None", "edit": "My", "delete": "None", "inquire": "All"}
    assert result["diff"]["after"]["Finance / Agreements"] == dict.fromkeys(("add", "edit", "delete", "inquire"), "None")
    assert len(writes(sim)) == 1


def test_unknown_names_and_bad_levels_fail_before_any_write(sim, playbook):
    playbook([role()], expect_rc=0)
    sim.control("PATCH", "/__sim__/tenants/%s" % sim.company, {"settings_writable": True})
    sim.clear_requests()
    bad = [{"module": "Service Desk", "function": "Service Tikets", "inquire": "All"},
           {"module": "Companies", "function": "Company Maintenance", "inquire": "All"}]
    run = playbook([levels(permissions=bad)], expect_rc=2)
    message = run.result("levels")["msg"]
    assert "permissions[0]" in message and "'Service Desk / Service Tickets'" in message
    assert writes(sim) == []

    run = playbook([levels(permissions=[{"module": "Companeis", "function": "Contacts", "add": "All"}])], expect_rc=2)
    assert "unknown module 'Companeis'" in run.result("levels")["msg"] and "'Companies'" in run.result("levels")["msg"]

    run = playbook([levels(permissions=[{"module": "Companies", "function": "Contacts", "add": "Full"}])], expect_rc=2)
    assert "permissions[0].add: 'Full' is not a permission level" in run.result("levels")["msg"]

    run = playbook([levels(permissions=[], purge=True)], expect_rc=2)
    assert "empty with purge" in run.result("levels")["msg"]
    assert writes(sim) == []


def test_missing_role_outside_check_mode_says_how_to_create_it(sim, playbook):
    run = playbook([levels(role="Nope")], expect_rc=2)
    assert "create it first with msp.connectwise.cw_security_role" in run.result("levels")["msg"]
    assert writes(sim) == []
