"""The playbooks as an MSP runs them: audit.yml over an inventory of tenants (JSON + HTML report), onboard.yml with
several vendors per tenant, offboard.yml, and doctor.yml (missing rights, the write probe recorded for later runs)."""

from __future__ import annotations

import json

import pytest
import yaml

from .conftest import CLIENT_ID, tenant_env
from .helpers import administer, evidence, items, parse_report, task, text, writes
from .test_faults import CONVERGE

# The five vendors whose pages give every level.
FULL_MATRIX_VENDORS = ["cw_kanban", "lifecycle_manager", "mobius", "timesanity", "topleft"]
# Keys issued through the API: these tests are about the role, its levels and tables (test_permanent_keys.py has the
# permanent key every vendor asks for).
TOKENS = {"cw_key_source": "token"}


def tenants_inventory(sim, names, vendors):
    hosts = {}
    for name in names:
        hosts[name] = {"cw_site": sim.url, "cw_company_id": name, "cw_public_key": name + "public",
                       "cw_private_key": name + "private", "cw_client_id": CLIENT_ID, "cw_vendors": vendors}
    return {"cw_tenants": {"hosts": hosts}}


def test_fleet_audit_report_three_tenants_five_vendors(sim, book, tmp_path):
    names = ["alpha", "bravo", "charlie"]
    for name in names:
        sim.create_tenant(company=name, public_key=name + "public", private_key=name + "private", settings_writable=True)
    inventory = tenants_inventory(sim, names, FULL_MATRIX_VENDORS)
    # alpha and bravo are onboarded (the administrator applies the Table Setup steps); charlie is untouched.
    onboard = book("onboard.yml", inventory=inventory, extra=dict(TOKENS, cw_hosts="alpha:bravo", cw_purge=True))
    assert onboard.rc == 2 and "manual step(s) remain" in onboard.stdout, onboard.stdout[-3000:]
    for name in ("alpha", "bravo"):
        administer(sim, name, sorted((tmp_path / "out" / "checklists").glob(name + "-*.md")), tmp_path / "ui-keys" / name)
    onboard = book("onboard.yml", inventory=inventory, extra=dict(TOKENS, cw_hosts="alpha:bravo", cw_purge=True))
    assert onboard.rc == 0, onboard.stdout[-3000:]
    # drift on bravo: TopLeft's role loses a right
    sim.ui_set_levels("TopLeft", [{"module": "Companies", "function": "Contacts", "inquire": "None"}], company="bravo")

    sim.clear_requests()
    audit = book("audit.yml", inventory=inventory, extra=dict(TOKENS, cw_purge=True))
    assert audit.rc == 0, audit.stdout[-3000:]
    assert writes(sim) == []
    report = json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())
    statuses = {t: {v: cell["status"] for v, cell in vendors.items()} for t, vendors in report["tenants"].items()}
    assert statuses["alpha"] == dict.fromkeys(FULL_MATRIX_VENDORS, "compliant")
    assert statuses["bravo"]["topleft"] == "drift" and report["tenants"]["bravo"]["topleft"]["cells"] == 1
    assert {v: s for v, s in statuses["bravo"].items() if v != "topleft"} == dict.fromkeys(set(FULL_MATRIX_VENDORS) - {"topleft"}, "compliant")
    assert statuses["charlie"] == dict.fromkeys(FULL_MATRIX_VENDORS, "missing_role")
    assert report["summary"] == {"compliant": 9, "drift": 1, "missing_role": 5}
    html = parse_report((tmp_path / "out" / "reports" / "audit.html").read_text())
    [matrix] = [t for t in html.iter("table") if t.get("class") == "matrix"]
    assert len(matrix.find("thead").findall("tr")) == 1 and [text(r[0]) for r in matrix.find("tbody")] == names
    [bravo] = [r for r in matrix.find("tbody") if text(r[0]) == "bravo"]
    [drift] = [td for td in bravo if td.get("class") == "status drift"]
    # Tokens issued for a day: the cell also says the key expires soon.
    expiring = report["tenants"]["bravo"]["topleft"]["key_expiration"][:10]
    assert (text(drift), drift.find("a").get("href")) == ("✗ Drift: 1 cell key expiring " + expiring, "#bravo-topleft")
    assert items(evidence(html, "bravo-topleft")["Permissions"]) == ["Companies / Contacts: inquire None → All"]
    # The vendor's steps outside ConnectWise, per tenant and vendor, compliant or not.
    assert [s["kind"] for s in report["tenants"]["alpha"]["topleft"]["outside"]] == [
        "ip_allowlist", "board_restriction", "portal", "troubleshooting"]
    assert [a.get("href") for a in html.iter("a")].count("https://customers.topleft.team/welcome/") == 3


def test_fleet_audit_fails_only_the_broken_tenants_and_reports_them(sim, book, tmp_path):
    for name in ("alpha", "bravo"):
        sim.create_tenant(company=name, public_key=name + "public", private_key=name + "private")
    inventory = tenants_inventory(sim, ["alpha", "bravo", "charlie", "delta"], ["topleft"])
    hosts = inventory["cw_tenants"]["hosts"]
    hosts["bravo"]["cw_private_key"] = "a-wrong-private-key"
    hosts["charlie"]["cw_vendors"] = ["topleft", "no_such_vendor"]
    # A second inventory entry for alpha's tenant, audited as its own host.
    hosts["delta"].update(cw_company_id="alpha", cw_public_key="alphapublic", cw_private_key="alphaprivate")
    sim.clear_requests()
    audit = book("audit.yml", inventory=inventory)
    assert audit.rc == 2, audit.stdout[-3000:]
    assert writes(sim) == []
    counts = audit.recap()
    # One audit task for the play: no task runs per host but on a tenant whose audit failed (it fails) or that differs
    # (alpha and delta miss TopLeft's role: changed, as check mode shows a difference). The play's first host also
    # carries the run-once audit task, changed since the fleet differs.
    assert {host: (c["failed"], c["changed"]) for host, c in counts.items()} == {
        "alpha": (0, 2), "bravo": (1, 0), "charlie": (1, 0), "delta": (0, 1)}, audit.stdout
    verdicts = audit.stdout.split("Report this tenant]")[1].split("PLAY RECAP")[0]
    assert "fatal: [bravo]" in verdicts and "fatal: [charlie]" in verdicts and "401" in verdicts
    assert "changed: [alpha]" in verdicts and "changed: [delta]" in verdicts and "topleft: missing_role" in verdicts
    assert "cw_vendors: no_such_vendor is not a known vendor" in verdicts
    report = json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())
    assert report["tenants"]["alpha"]["topleft"]["status"] == "missing_role"
    assert report["tenants"]["delta"]["topleft"]["status"] == "missing_role"
    assert report["tenants"]["bravo"]["_error"]["status"] == "error" and "401" in report["tenants"]["bravo"]["_error"]["message"]
    assert report["tenants"]["charlie"]["_error"]["message"].startswith("cw_vendors: no_such_vendor is not a known vendor")
    assert report["summary"] == {"missing_role": 2, "error": 2}
    assert sorted(p.name for p in (tmp_path / "out" / "checklists").glob("*.md")) == ["alpha-topleft.md", "delta-topleft.md"]
    assert "a-wrong-private-key" not in audit.output


def audit_requests(sim, book, env):
    sim.clear_requests()
    audit = book("audit.yml", env=env, extra=dict(TOKENS, cw_vendors=["topleft"]))
    assert audit.rc == 0, audit.stdout[-3000:]
    return ["%s %s" % (r["method"], r.get("resource") or r["path"]) for r in sim.requests()]


def test_what_doctor_records_saves_two_reads_per_run_and_a_stale_record_still_works(sim, book, tmp_path):
    env = tenant_env(sim)
    sim.set_settings_writable(True)
    assert book("onboard_topleft.yml", env=env, extra=TOKENS).rc == 0
    unrecorded = audit_requests(sim, book, env)
    assert book("doctor.yml", env=env).rc == 0
    recorded = audit_requests(sim, book, env)
    # The codebase discovery and the corporate structure read are gone; nothing else changes. An audit of one vendor
    # on one compliant tenant: its role, who else holds it (the ownership check), its settings, its member, and the
    # key's own view of Table Setup. The snapshot holds every role's levels (cw_history_roles: all, the default): one
    # read for each of the tenant's three other roles (Admin, Technician, Finance).
    assert sorted(set(unrecorded) - set(recorded)) == sorted(
        r for r in unrecorded if "/login/companyinfo/" in r or r.endswith("/system/myCompany/corporateStructure"))
    role_ids = {role["id"] for tenant in sim.state()["tenants"] if tenant["company"] == sim.company for role in tenant["roles"]}
    assert sorted(r for r in recorded if r.endswith("/settings")) == sorted("GET /system/securityroles/%d/settings" % i for i in role_ids)
    assert len(role_ids) == 4 and len(unrecorded) == 10 and len(recorded) == 8, (unrecorded, recorded)
    report = json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())
    assert report["tenants"]["localhost"]["topleft"]["status"] == "compliant"

    # The tenant was upgraded since (a codebase the server no longer serves): one 404, a rediscovery, the same audit.
    record = tmp_path / "out" / "tenants" / "localhost.yml"
    facts = yaml.safe_load(record.read_text())
    record.write_text(yaml.safe_dump(dict(facts, cw_codebase="v2019_3/")))
    stale = audit_requests(sim, book, env)
    assert len(stale) == len(recorded) + 2 and any("/login/companyinfo/" in r for r in stale), stale
    # A record of another tenant under the same host name (localhost with other CW_* variables) is not used.
    record.write_text(yaml.safe_dump(dict(facts, cw_company_id="othertenant", cw_level1_name="Head Office")))
    assert len(audit_requests(sim, book, env)) == len(unrecorded)


@pytest.mark.parametrize("form", ["id", "label", "name"])
def test_doctor_onboarding_and_audit_whatever_form_names_the_tables(sim, book, tmp_path, form):
    """A tenant that answers corporateStructure as the published list and names Table Setup items by id, by
    "Category / Name" or by the name alone: doctor says which, and onboarding converges and the audit passes."""
    sim.create_tenant(company="forms", public_key="formspublic", private_key="formsprivate", customize_item_form=form)
    env = tenant_env(sim, "forms", "formspublic", "formsprivate")
    doctor = book("doctor.yml", env=env)
    assert doctor.rc == 0 and "Table Setup items in customizeItems are named by: %s" % form in doctor.stdout, doctor.stdout
    assert yaml.safe_load((tmp_path / "out" / "tenants" / "localhost.yml").read_text())["cw_table_item_form"] == form
    first = book("onboard_timesanity.yml", env=env, extra=TOKENS)
    assert first.rc == 2 and "manual step(s) remain" in first.stdout, first.stdout[-3000:]
    administer(sim, "forms", sorted((tmp_path / "out" / "checklists").glob("*.md")), tmp_path / "ui-keys")
    again = book("onboard_timesanity.yml", env=env, extra=TOKENS)
    assert again.rc == 0, again.stdout[-3000:]
    sim.clear_requests()
    audit = book("audit.yml", env=env, extra=dict(TOKENS, cw_vendors=["timesanity"]))
    assert audit.rc == 0 and writes(sim) == [], audit.stdout[-3000:]
    report = json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())
    assert report["tenants"]["localhost"]["timesanity"]["status"] == "compliant", report


def test_onboarding_with_a_vault_password_keeps_every_key_file_encrypted(sim, book, tmp_path):
    env = tenant_env(sim)
    sim.set_settings_writable(True)
    vaulted = dict(TOKENS, cw_key_vault_password="fleet vault password")
    onboard = book("onboard_topleft.yml", env=env, extra=vaulted)
    assert onboard.rc == 0, onboard.stdout[-3000:]
    credentials = tmp_path / "out" / "credentials" / "localhost-topleft.json"
    assert credentials.read_text().startswith("$ANSIBLE_VAULT;1.1;AES256")
    assert "fleet vault password" not in onboard.output
    # The audit opens it to prove the key works as the member; without the password it says which option is missing.
    sim.clear_requests()
    audit = book("audit.yml", env=env, extra=dict(vaulted, cw_vendors=["topleft"]))
    assert audit.rc == 0, audit.stdout[-3000:]
    report = json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())
    assert report["tenants"]["localhost"]["topleft"]["compliance"]["key"] == "expiring"  # a token: it works 24 h
    assert writes(sim) == []
    bare = book("audit.yml", env=env, extra=dict(TOKENS, cw_vendors=["topleft"]))
    assert bare.rc == 2 and "vault_password: %s is vault-encrypted" % credentials in bare.stdout


def test_offboard_deactivates_and_lists_keys(sim, book, tmp_path):
    sim.set_settings_writable(True)
    env = tenant_env(sim)
    assert book("onboard_topleft.yml", env=env, extra=TOKENS).rc == 0
    held = tmp_path / "out" / "credentials" / "localhost-topleft.json"
    assert held.exists()
    # The role the member is moved to can escalate: the move is made, with a warning that says so.
    sim.ui_set_levels("Technician", [{"module": "System", "function": "Member Maintenance", "edit": "All"}])
    escalates = ("reassign_role: role Technician can escalate (System / Member Maintenance: edit All): the deactivated "
                 "member TopLeft holds it now, and reactivated, the vendor's key would hold those rights; name a role with "
                 "no rights")
    sim.clear_requests()
    plan = book("offboard_topleft.yml", env=env, extra={"cw_reassign_role": "Technician"}, check=True)
    assert plan.rc == 0 and writes(sim) == [], plan.stdout[-3000:]
    [planned] = plan.result(CONVERGE)["integrations"]
    assert planned["removed_key_file"] == str(held) and held.exists()
    assert escalates in planned["warnings"]

    off = book("offboard_topleft.yml", env=env, extra={"cw_reassign_role": "Technician"})
    assert "System > Members > API Members > TopLeft > API Keys: delete every key" in off.stdout
    assert off.rc == 0, off.stdout[-3000:]
    methods = [(w["method"], w["path"].rsplit("/", 2)[-2]) for w in writes(sim)]
    assert ("DELETE", "securityroles") in methods
    state = sim.state()["tenants"][0]
    member = [m for m in state["members"] if m["identifier"] == "TopLeft"][0]
    assert member["inactiveFlag"] is True
    assert not [r for r in state["roles"] if r["name"] == "TopLeft"]
    [vendor] = off.result(CONVERGE)["integrations"]
    # The member's key file the collection wrote is gone (its keys died with the member), and the result says where.
    assert vendor["removed_key_file"] == str(held) and not held.exists()
    assert escalates in vendor["warnings"] and escalates in " ".join(off.output.split())

    # The member step's own warnings reach the result and the output: a member that is not there is said to be.
    sim.clear_requests()
    again = book("offboard_topleft.yml", env=env, extra={"cw_member_identifier": "TopLeftOld"})
    assert again.rc == 0 and writes(sim) == [], again.stdout[-3000:]
    missing = ("API member TopLeftOld does not exist on this tenant: nothing was deactivated. If the integration's member "
               "has another identifier, give it (cw_member_identifier, or member.identifier of the integration) and "
               "offboard again")
    [vendor] = again.result(CONVERGE)["integrations"]
    assert missing in vendor["warnings"] and missing in " ".join(again.output.split())
    assert vendor["removed_key_file"] is None


def test_offboarding_warns_of_a_reassign_role_beyond_the_profile_and_keeps_another_key_file(sim, book, playbook, tmp_path):
    sim.set_settings_writable(True)
    env = tenant_env(sim)
    playbook([task("cw_security_role", name="Parked")], expect_rc=0)  # a role with no rights
    assert book("onboard_topleft.yml", env=env, extra=TOKENS).rc == 0
    held = tmp_path / "out" / "credentials" / "localhost-topleft.json"
    # Another tenant's pair in the file the offboarding would remove: kept, with a warning.
    record = json.loads(held.read_text())
    held.write_text(json.dumps(dict(record, company_id="othertenant")))
    off = book("offboard_topleft.yml", env=env, extra={"cw_reassign_role": "Parked"})
    assert off.rc == 0, off.stdout[-3000:]
    [vendor] = off.result(CONVERGE)["integrations"]
    assert vendor["removed_key_file"] is None and json.loads(held.read_text())["company_id"] == "othertenant"
    assert vendor["warnings"] == ["%s kept: it does not hold the pair of member TopLeft of company %s (it names TopLeft of "
                                  "othertenant)" % (held, sim.company)]

    # Onboarded again, and offboarded onto a role that grants more than the vendor needs (none of it escalation).
    held.unlink()
    assert book("onboard_topleft.yml", env=env, extra=TOKENS).rc == 0
    off = book("offboard_topleft.yml", env=env, extra={"cw_reassign_role": "Technician"})
    assert off.rc == 0, off.stdout[-3000:]
    [vendor] = off.result(CONVERGE)["integrations"]
    assert vendor["warnings"] == [
        "reassign_role: role Technician grants 5 function(s) beyond what TopLeft's profile needs (Companies / "
        "Configurations: add All, edit All, inquire All; Companies / Notes: add All, edit All, delete My, inquire All; "
        "Companies / Team Members: inquire All; ...): the deactivated member TopLeft holds them now; a role with no rights "
        "is the one to name"]
    assert vendor["removed_key_file"] == str(held) and not held.exists()


def test_a_refused_settings_write_is_recorded_and_never_sent_again(sim, book, tmp_path):
    """A tenant that refuses API writes to role levels answers the first run's first settings PATCH with 405: the run
    records that where doctor.yml keeps the tenant's facts, and the next run sends no PATCH (no write at all: nothing
    else differs). The output folder is cw-output in the current directory, whatever $PWD says."""
    env = dict(tenant_env(sim), CW_OUTPUT_DIR=None, PWD="/nonexistent/elsewhere")
    first = book("onboard_topleft.yml", env=env, extra=TOKENS)
    assert first.rc == 2 and "manual step(s) remain" in first.stdout, first.stdout[-3000:]
    assert [w["status"] for w in writes(sim) if w["method"] == "PATCH"] == [405]
    record = tmp_path / "cw-output" / "tenants" / "localhost.yml"
    assert yaml.safe_load(record.read_text()) == {"cw_company_id": sim.company, "cw_settings_writable": False}
    assert (tmp_path / "cw-output" / "checklists" / "localhost-topleft.md").exists()

    sim.clear_requests()
    second = book("onboard_topleft.yml", env=env, extra=TOKENS)
    assert second.rc == 2 and writes(sim) == [], second.stdout[-3000:]
    # The same steps, known without asking.
    assert second.result(CONVERGE)["manual_steps"] == first.result(CONVERGE)["manual_steps"]
    assert second.result(CONVERGE)["settings_writable"] is False
    # doctor.yml records the rest and keeps what the run learnt.
    assert book("doctor.yml", env=env).rc == 0
    assert yaml.safe_load(record.read_text()) == {"cw_company_id": sim.company, "cw_codebase": "v2025_1/",
                                                  "cw_level1_name": "Corporate", "cw_table_item_form": "id",
                                                  "cw_settings_writable": False}


def test_doctor_names_missing_rights_and_records_the_probe(sim, book, tmp_path):
    env = tenant_env(sim)
    ok = book("doctor.yml", env=env, extra={"cw_probe_settings_write": True})
    assert ok.rc == 0, ok.stdout[-3000:]
    assert "Missing rights: none" in ok.stdout and "refuses (405)" in ok.stdout
    recorded = yaml.safe_load((tmp_path / "out" / "tenants" / "localhost.yml").read_text())
    assert recorded == {"cw_company_id": sim.company, "cw_codebase": "v2025_1/", "cw_level1_name": "Corporate",
                        "cw_table_item_form": "id", "cw_settings_writable": False}
    assert [w["status"] for w in writes(sim)] == [405]
    # Without the probe it records the facts again and keeps what the earlier probe learnt; unchanged, so no change.
    again = book("doctor.yml", env=env)
    assert again.rc == 0 and again.recap()["localhost"]["changed"] == 0, again.stdout[-3000:]
    assert yaml.safe_load((tmp_path / "out" / "tenants" / "localhost.yml").read_text()) == recorded

    # A member whose role lacks rights: doctor names each one.
    pair = sim.ui_create_key("simadmin", "doctor test")
    sim.ui_set_levels("Admin", [{"module": "System", "function": "Security Roles", "add": "None", "delete": "None"}])
    weak = dict(env, CW_PUBLIC_KEY=pair["publicKey"], CW_PRIVATE_KEY=pair["privateKey"])
    bad = book("doctor.yml", env=weak)
    assert bad.rc == 2
    assert "System / Security Roles: Add Level All, has None (to create vendor roles)" in bad.stdout
    assert "System / Security Roles: Delete Level All, has None" in bad.stdout
    assert pair["privateKey"] not in bad.output
