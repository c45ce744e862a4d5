"""A cell the vendor's page names no level for is left alone: a grant there is an excess grant (listed, the verdict
compliant), never drift, unless purge asks for least privilege. And a difference is a change: check mode reports
changed whenever the tenant differs, whoever (the API or a person) would make the change."""

from __future__ import annotations

from .helpers import task, writes
from .test_integration import integration, profile

# Mobius's Table Setup list, in the simulator's canonical spelling (the profile writes "Invoicing / Tax code").
MOBIUS_TABLES = ["General Ledger / Accounting Package", "Invoicing / Billing Status", "Invoicing / Tax Code", "Products / UOM"]
# Mobius's page: "Companies > Company Maintenance: Inquire - All", nothing about Add.
EXTRA_ADD = {"module": "Companies", "function": "Company Maintenance", "add": "All"}


def onboard_mobius(sim, playbook, tmp_path):
    """Mobius onboarded on a tenant that accepts level writes, the administrator having applied its Table Setup list
    and handed over the key made on the member's API Keys tab (kept in the item's dest for the runs after)."""
    sim.control("PATCH", "/__sim__/tenants/%s" % sim.company, {"settings_writable": True})
    playbook([integration(tmp_path, "mobius", settings_writable=True)], expect_rc=0)
    sim.ui_set_customize("Mobius", "SystemTableSetup", MOBIUS_TABLES)
    pair = sim.ui_create_key("Mobius", "Mobius")
    key = {"dest": str(tmp_path / "mobius.json"), "member_public_key": pair["publicKey"],
           "member_private_key": pair["privateKey"]}
    run = playbook([integration(tmp_path, "mobius", settings_writable=True, item={"key": key})], expect_rc=0)
    assert run.result("integration")["pending"] == []


def audit(playbook, tmp_path, **item):
    """The check-mode run, told the tenant refuses level writes: every difference is a step for a person."""
    run = playbook([integration(tmp_path, "mobius", settings_writable=False, item=item)], check=True, expect_rc=0)
    return run.result("integration")


def test_the_mobius_profile_leaves_the_cells_its_page_does_not_name():
    rows = {(r["module"], r["function"]): r for r in profile("mobius")["permissions"]}
    assert rows[("Companies", "Company Maintenance")] == {"module": "Companies", "function": "Company Maintenance",
                                                          "inquire": "All"}
    assert "add" not in rows[("Finance", "Invoicing")]


def test_an_add_mobius_does_not_ask_for_is_compliant_and_reported_as_excess(sim, playbook, tmp_path):
    onboard_mobius(sim, playbook, tmp_path)
    converged = audit(playbook, tmp_path)
    assert converged["integrations"][0]["compliance"]["status"] == "compliant" and converged["changed"] is False
    sim.ui_set_levels("Mobius", [EXTRA_ADD])  # the administrator gives Mobius Add on Company Maintenance
    sim.clear_requests()
    result = audit(playbook, tmp_path)
    [mobius] = result["integrations"]
    assert mobius["compliance"]["status"] == "compliant", mobius["compliance"]
    assert mobius["compliance"]["excess_grants"] == ["Companies / Company Maintenance: add All"]
    assert mobius["compliance"]["cells"] == 0
    assert [d for d in mobius["differences"] if d["kind"] == "permission"] == []
    assert mobius["manual_steps"] == [] and result["changed"] is False
    assert writes(sim) == []

    # A cell the page names is still compared: lowered, it is drift, and a change though only a person can make it.
    sim.ui_set_levels("Mobius", [{"module": "Companies", "function": "Contacts", "inquire": "None"}])
    result = audit(playbook, tmp_path)
    [mobius] = result["integrations"]
    assert mobius["compliance"]["status"] == "drift" and mobius["compliance"]["cells"] == 1
    assert mobius["manual_steps"] == ["System > Security Roles > Mobius > Companies > Contacts: set Inquire Level None -> All"]
    assert result["changed"] is True and writes(sim) == []


def test_with_purge_the_same_grant_is_drift_and_onboarding_removes_it(sim, playbook, tmp_path):
    onboard_mobius(sim, playbook, tmp_path)
    sim.ui_set_levels("Mobius", [EXTRA_ADD])
    result = audit(playbook, tmp_path, purge=True)
    [mobius] = result["integrations"]
    assert mobius["compliance"]["status"] == "drift" and mobius["compliance"]["cells"] == 1
    assert mobius["compliance"]["excess_grants"] == []
    assert [(d["function"], d["cells"]) for d in mobius["differences"] if d["kind"] == "permission"] == [
        ("Company Maintenance", {"add": {"from": "All", "to": "None"}})]
    assert result["changed"] is True

    sim.clear_requests()
    item = {"purge": True}
    playbook([integration(tmp_path, "mobius", settings_writable=True, item=item)], expect_rc=0)
    assert [w["method"] for w in writes(sim)] == ["PATCH"]
    [mobius] = audit(playbook, tmp_path)["integrations"]
    assert mobius["compliance"]["status"] == "compliant" and mobius["compliance"]["excess_grants"] == []


def test_cw_role_permission_leaves_an_omitted_cell_alone_unless_purge(sim, playbook):
    """On a tenant that refuses level writes: the difference purge finds is a manual step, and check mode says changed."""
    playbook([task("cw_security_role", _name="role", name="Mobius")], expect_rc=0)
    sim.ui_set_levels("Mobius", [{"module": "Companies", "function": "Company Maintenance", "add": "All", "inquire": "All"}])
    wanted = [{"module": "Companies", "function": "Company Maintenance", "inquire": "All"}]
    sim.clear_requests()
    run = playbook([task("cw_role_permission", _name="levels", role="Mobius", permissions=wanted, settings_writable=False)],
                   check=True, expect_rc=0)
    result = run.result("levels")
    assert result["changed"] is False and result["differences"] == [] and result["manual_steps"] == []
    assert result["excess"] == ["Companies / Company Maintenance: add All"]

    run = playbook([task("cw_role_permission", _name="levels", role="Mobius", permissions=wanted, settings_writable=False,
                         purge=True)], check=True, expect_rc=0)
    result = run.result("levels")
    assert result["changed"] is True and result["excess"] == []
    assert result["manual_steps"] == ["System > Security Roles > Mobius > Companies > Company Maintenance: "
                                      "set Add Level All -> None"]
    assert writes(sim) == []


def test_a_check_recap_counts_drift_not_excess(sim, book, tenant_env):
    def run_onboard(check, extra=None):
        """playbooks/onboard_mobius.yml on the simulator's default tenant (CW_* environment, no inventory)."""
        return book("onboard_mobius.yml", env=tenant_env, check=check, extra=extra)

    sim.control("PATCH", "/__sim__/tenants/%s" % sim.company, {"settings_writable": True})
    onboard = run_onboard(check=False)
    # Everything but the Table Setup list and the key, which only a person can make: the run stops on its checklist.
    assert onboard.rc == 2 and "manual step(s) remain" in onboard.stdout, onboard.stdout[-3000:]
    sim.ui_set_customize("Mobius", "SystemTableSetup", MOBIUS_TABLES)
    pair = sim.ui_create_key("Mobius", "Mobius")
    key = {"member_public_key": pair["publicKey"], "member_private_key": pair["privateKey"]}
    onboard = run_onboard(check=False, extra={"cw_vendor_overrides": {"mobius": {"key": key}}})
    assert onboard.rc == 0 and onboard.recap()["localhost"]["changed"] == 1, onboard.stdout[-3000:]  # the pair kept

    sim.clear_requests()
    converged = run_onboard(check=True)
    assert converged.rc == 0 and converged.recap()["localhost"]["changed"] == 0, converged.stdout[-3000:]

    sim.ui_set_levels("Mobius", [EXTRA_ADD])  # an excess grant only: still no change
    excess = run_onboard(check=True)
    assert excess.rc == 0 and excess.recap()["localhost"]["changed"] == 0, excess.stdout[-3000:]

    # Drift a person must fix (a check run does not know this tenant accepts level writes): counted.
    sim.ui_set_levels("Mobius", [{"module": "Companies", "function": "Contacts", "inquire": "None"}])
    drift = run_onboard(check=True)
    assert drift.rc == 0 and drift.recap()["localhost"]["changed"] == 1, drift.stdout[-3000:]
    assert "Companies > Contacts: set Inquire Level None -> All" in drift.stdout
    assert writes(sim) == []
