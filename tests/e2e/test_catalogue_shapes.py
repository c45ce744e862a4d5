"""The shapes of the catalogue beyond a plain table, on the simulator: NinjaOne's Table Setup entries to disallow (a
checklist step, verified as the member), a profile whose page names levels without a value (Dropsuite: refused until
the operator sets them, audited for the rest), a partial profile (Huntress: refused without cw_allow_partial, audited
for its rows and marked partial in every report), and a shared table (Perimeters)."""

from __future__ import annotations

import json

from .conftest import CLIENT_ID, run_book
from .helpers import administer, evidence, items, parse_report, text, writes
from .test_integration import integration, profile

DISALLOWED = ["Contact / Communication Type", "General / StsClient"]  # the simulator's names of NinjaOne's entries
STEP = "System > Security Roles > NinjaOne > System > Table Setup > Customize: move '%s' to 'Disallow access to these'"


def ninjaone(sim, playbook, tmp_path, **options):
    """NinjaOne on a tenant that accepts level writes, with a key issued through the API (held in dest) so that its
    Table Setup list is read as its member."""
    item = {"key": {"dest": str(tmp_path / "ninjaone.json"), "source": "token"}}
    return playbook([integration(tmp_path, "ninjaone", settings_writable=True, item=item,
                                 checklist_dir=str(tmp_path / "checklists"), tenant_name="acme", **options)],
                    check=options.pop("check", False), expect_rc=0).result("integration")


def test_ninjaone_disallowed_tables_are_verified_as_the_member_and_are_a_checklist_step(sim, playbook, tmp_path):
    sim.control("PATCH", "/__sim__/tenants/%s" % sim.company, {"settings_writable": True})
    onboarded = ninjaone(sim, playbook, tmp_path)
    [ninja] = onboarded["integrations"]
    # A new role opens no table: the member sees neither entry, which is what NinjaOne asks.
    assert ninja["pending"] == [] and ninja["compliance"]["table_status"] == "verified"
    assert ninja["compliance"]["tables_disallowed"] == 2 and ninja["compliance"]["table_as_member"] is True

    # Someone allows both (and a table NinjaOne does not mention): the audit, as the member, finds the two.
    sim.ui_set_customize("NinjaOne", "SystemTableSetup", DISALLOWED + ["Service / Service Board"])
    sim.clear_requests()
    audit = playbook([integration(tmp_path, "ninjaone", settings_writable=True,
                                  item={"key": {"dest": str(tmp_path / "ninjaone.json"), "source": "token"}},
                                  checklist_dir=str(tmp_path / "checklists"), tenant_name="acme")],
                     check=True, expect_rc=0).result("integration")
    assert writes(sim) == []
    assert any(r.get("member") == "ninjaone" and "customizeitems" in r["path"].lower() for r in sim.requests())
    [ninja] = audit["integrations"]
    assert ninja["compliance"]["status"] == "drift" and ninja["compliance"]["table_cells"] == 2
    assert ninja["pending"] == [{"kind": "table", "role": "NinjaOne", "table": table, "action": "disallow", "verified": True}
                                for table in DISALLOWED]
    assert ninja["manual_steps"] == [STEP % table for table in DISALLOWED]
    assert audit["changed"] is True
    checklist = (tmp_path / "checklists" / "acme-ninjaone.md").read_text()
    assert ("- [ ] Move these entries to **Disallow access to these**:\n  - Contact / Communication Type\n"
            "  - General / StsClient\n- [ ] Click **Save**.") in checklist
    assert "Allow access to these" not in checklist

    # The administrator works through the checklist; the member no longer sees them, and the other table stays.
    administer(sim, sim.company, [tmp_path / "checklists" / "acme-ninjaone.md"], tmp_path / "ui-keys")
    audit = playbook([integration(tmp_path, "ninjaone", settings_writable=True,
                                  item={"key": {"dest": str(tmp_path / "ninjaone.json"), "source": "token"}})],
                     check=True, expect_rc=0).result("integration")
    [ninja] = audit["integrations"]
    assert ninja["compliance"]["status"] == "compliant" and ninja["pending"] == []
    assert audit["diff"]["after"]["ninjaone"]["tables"] == {"allowed": ["Service / Service Board"],
                                                            "disallowed": DISALLOWED}


def test_without_the_members_key_the_disallow_steps_are_listed_unverified(sim, playbook, tmp_path):
    sim.clear_requests()
    run = playbook([integration(tmp_path, "ninjaone", checklist_dir=str(tmp_path / "checklists"), tenant_name="acme")],
                   check=True, expect_rc=0)
    [ninja] = run.result("integration")["integrations"]
    assert [(p["table"], p["action"], p["verified"]) for p in ninja["pending"] if p["kind"] == "table"] == [
        ("Contact / Communication Type", "disallow", False), ("General / StsClient", "disallow", False)]
    assert ninja["compliance"]["table_status"] == "unverified"
    assert "**Disallow access to these**" in (tmp_path / "checklists" / "acme-ninjaone.md").read_text()
    assert writes(sim) == []


# -- levels named without a value ------------------------------------------------------------------------------------

def asked_levels(vendor, level="All"):
    """cw_levels giving every ask cell of a profile ``level``."""
    found = {}
    for row in profile(vendor)["permissions"]:
        cells = {cell: level for cell in ("add", "edit", "delete", "inquire") if row.get(cell) == "ask"}
        if cells:
            found["%s / %s" % (row["module"], row["function"])] = cells
    return found


def test_dropsuite_is_not_onboarded_until_its_levels_are_set_and_is_audited_for_the_rest(sim, book, tenant_env):
    sim.clear_requests()
    refused = book("onboard_dropsuite.yml", env=tenant_env)
    assert refused.rc == 2, refused.output[-3000:]
    message = refused.result("Converge the integrations (check mode audits)")["msg"]
    assert message.startswith("integrations[0] (dropsuite): the dropsuite profile names 40 level(s) without a value "
                              "(the vendor's page gives none), so it is not converged until you set each, and nothing "
                              "was written: Companies / Company Maintenance: add, inquire; Companies / Configurations: "
                              "add, edit, inquire; ")
    assert "Finance / Agreements: add, edit, delete, inquire" in message and "cw_vendor_overrides" in message
    assert sim.requests() == []

    # The audit judges what it can: nothing but the cells it cannot is asked of this role, and each is listed.
    audit = book("onboard_dropsuite.yml", env=tenant_env, check=True)
    assert audit.rc == 0, audit.output[-3000:]
    [dropsuite] = audit.result("Converge the integrations (check mode audits)")["integrations"]
    assert len(dropsuite["compliance"]["not_judged"]) == 40
    assert dropsuite["compliance"]["not_judged"][:2] == ["Companies / Company Maintenance: add",
                                                         "Companies / Company Maintenance: inquire"]
    assert [d for d in dropsuite["differences"] if d["kind"] == "permission"] == []
    assert writes(sim) == []

    # Once the operator sets them, Dropsuite is onboarded with those levels.
    sim.control("PATCH", "/__sim__/tenants/%s" % sim.company, {"settings_writable": True})
    onboard = book("onboard_dropsuite.yml", env=tenant_env,
                   extra={"cw_levels": asked_levels("dropsuite"), "cw_settings_writable": True})
    assert onboard.rc == 2 and "manual step(s) remain" in onboard.stdout, onboard.output[-3000:]  # the UI key only
    [dropsuite] = onboard.result("Converge the integrations (check mode audits)")["integrations"]
    assert [p["kind"] for p in dropsuite["pending"]] == ["api_key"]
    assert dropsuite["compliance"]["not_judged"] == []
    assert len([w for w in writes(sim) if w["method"] == "PATCH" and "/settings/" in w["path"]]) == 13


def test_levels_for_a_cell_the_page_gives_are_refused_before_any_request(sim, book, tenant_env):
    sim.clear_requests()
    run = book("onboard_phin_security.yml", env=tenant_env,
               extra={"cw_vendor_overrides": {"phin_security": {"levels": {"Finance / Agreements": {"add": "All"}}}}})
    assert run.rc == 2, run.output[-3000:]
    assert run.result("Converge the integrations (check mode audits)")["msg"] == (
        "integrations[0] (phin_security): levels['Finance / Agreements'].add: not a cell whose level the vendor's page "
        "leaves unset; set edit, inquire")
    assert sim.requests() == []


# -- partial profiles --------------------------------------------------------------------------------------------------

def test_a_partial_profile_is_onboarded_only_with_cw_allow_partial(sim, book, tenant_env):
    sim.clear_requests()
    refused = book("onboard_huntress.yml", env=tenant_env)
    assert refused.rc == 2, refused.output[-3000:]
    assert refused.result("Converge the integrations (check mode audits)")["msg"] == (
        "integrations[0] (huntress): the huntress profile is partial (the page is cut after Procurement > Products: the "
        "Service Desk and System rows (Table Setup among them) and the least-privilege update of 22 Dec 2022 are "
        "unknown): onboarding would grant only the rows it has, and nothing was written. To onboard it all the same, "
        "set cw_allow_partial: true (or allow_partial: true under cw_vendor_overrides.huntress, or on the integration)")
    assert sim.requests() == []

    # Per vendor, as for any other integration option.
    allowed = book("onboard_huntress.yml", env=tenant_env,
                   extra={"cw_vendor_overrides": {"huntress": {"allow_partial": True}}})
    assert allowed.rc == 2 and "manual step(s) remain" in allowed.stdout, allowed.output[-3000:]
    [huntress] = allowed.result("Converge the integrations (check mode audits)")["integrations"]
    assert huntress["compliance"]["profile_status"] == "partial"
    assert [w["path"].lower().rsplit("/", 1)[-1] for w in writes(sim) if w["method"] == "POST"][:2] == [
        "securityroles", "apimembers"]


def test_a_partial_profile_is_audited_for_its_rows_and_every_report_says_partial(sim, sim_server, tmp_path):
    """audit.yml over one tenant with a partial, a named-without-value and a disallowing vendor: the JSON and HTML
    reports, the checklist and the module's result say which."""
    sim.create_tenant(company="acme", public_key="acmepublic", private_key="acmeprivate")
    host = {"cw_site": sim.url, "cw_company_id": "acme", "cw_public_key": "acmepublic", "cw_private_key": "acmeprivate",
            "cw_client_id": CLIENT_ID, "cw_vendors": ["huntress", "dropsuite", "ninjaone", "perimeters"]}
    sim.clear_requests()
    audit = run_book(tmp_path, "audit.yml", inventory={"cw_tenants": {"hosts": {"acme": host}}})
    assert audit.rc == 0, audit.output[-3000:]
    assert writes(sim) == []
    report = json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())
    cells = report["tenants"]["acme"]
    assert cells["huntress"]["compliance"]["profile_status"] == "partial"
    assert cells["huntress"]["compliance"]["profile_missing"].startswith("the page is cut after Procurement > Products")
    assert cells["huntress"]["compliance"]["permission_rows"] == 2
    assert "huntress profile is partial" in " ".join(cells["huntress"]["warnings"])
    assert len(cells["dropsuite"]["compliance"]["not_judged"]) == 40
    assert {vendor: cell["compliance"]["profile_status"] for vendor, cell in cells.items()} == {
        "huntress": "partial", "dropsuite": "complete", "ninjaone": "complete", "perimeters": "complete"}
    assert [t["table"] for t in cells["ninjaone"]["tables"] if t["action"] == "disallow"] == [
        "Contact / Communication Type", "General / StsClient"]
    # Perimeters: WatchGuard CloudDR's table under its own role.
    assert cells["perimeters"]["role"] == "Perimeters" and cells["perimeters"]["compliance"]["permission_rows"] == 10

    root = parse_report((tmp_path / "out" / "reports" / "audit.html").read_text())
    huntress = evidence(root, "acme-huntress")
    assert text(huntress["Vendor profile"]).startswith("Partial: the page is cut after Procurement > Products")
    assert "Only its rows were checked" in text(huntress["Vendor profile"])
    dropsuite = evidence(root, "acme-dropsuite")
    assert text(dropsuite["Vendor profile"]).startswith("40 cells not judged")
    assert items(dropsuite["Vendor profile"])[0] == "Companies / Company Maintenance: add"
    assert "Vendor profile" not in evidence(root, "acme-ninjaone")
    assert [text(n) for n in root.iter("span") if n.get("class") == "note" and text(n) == "partial profile"] == [
        "partial profile"]

    checklist = (tmp_path / "out" / "checklists" / "acme-huntress.md").read_text()
    assert "The vendor profile is **partial** (the page is cut after Procurement > Products" in checklist
    assert "`-e cw_allow_partial=true`" in checklist
