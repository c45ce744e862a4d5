"""Tenants an administrator set up by hand, as each vendor's page says, long before this collection: audit.yml finds
each integration as it was built (the API member holding the vendor's role, whatever its identifier and name), judges
only what the vendor requires, says what it cannot verify without the member's key, and proposes the role that matches
a vendor's table when the role has another name. tests/fixtures/handmade/tenants.yml holds the five tenants' data."""

from __future__ import annotations

import json

import pytest
import yaml

from simulator import catalogue
from tests.conftest import REPO

from .capture_tenant import api
from .conftest import CLIENT_ID
from .helpers import writes
from .test_secrets import vaulted_key_file

HANDMADE = yaml.safe_load((REPO / "tests" / "fixtures" / "handmade" / "tenants.yml").read_text())
VENDORS = tuple(HANDMADE)
# The Table Setup entries a vendor's page asks for: what a held key verifies.
WITH_TABLES = [vendor for vendor, built in HANDMADE.items() if built["tables"]]


def build_by_hand(sim, company, roles=None, vendors=VENDORS):
    """``company`` set up by hand for ``vendors``: the role (named as in ``roles``, else as the page gives it), its
    levels and Table Setup entries clicked in, the API member of the administrator's choosing on it at level 1, and a
    key the vendor holds. Returns vendor -> (identifier, public key, private key)."""
    created = sim.create_tenant(company=company, public_key=company + "public", private_key=company + "private")
    keys = (created["public_key"], created["private_key"])
    defaults = api(sim, keys, company, "GET", "/system/apiMembers/default")
    held = {}
    for vendor in vendors:
        built = HANDMADE[vendor]
        name = (roles or {}).get(vendor, built["role"])
        role = api(sim, keys, company, "POST", "/system/securityroles", {"name": name})
        sim.ui_set_levels(name, built["levels"], company=company)
        if built["tables"]:
            sim.ui_move_customize(name, catalogue.TABLE_SETUP, allow=built["tables"], company=company)
        member = built["member"]
        body = {k: v for k, v in defaults.items() if k not in ("id", "_info", "identifier")}
        body.update(identifier=member["identifier"], name=member["name"], securityRole={"id": role["id"]},
                    structureLevel={"id": 1}, inactiveFlag=False)
        body.update({field: member[option] for option, field in (("email", "emailAddress"), ("notes", "notes")) if option in member})
        api(sim, keys, company, "POST", "/system/apiMembers", body)
        pair = sim.ui_create_key(member["identifier"], built["role"], company=company)
        held[vendor] = (member["identifier"], pair["publicKey"], pair["privateKey"])
    return held


def inventory(sim, company, vendors=VENDORS, **variables):
    host = {"cw_site": sim.url, "cw_company_id": company, "cw_public_key": company + "public",
            "cw_private_key": company + "private", "cw_client_id": CLIENT_ID, "cw_vendors": list(vendors)}
    host.update(variables)
    return {"cw_tenants": {"hosts": {company: host}}}


def handed_over(held, vendors=VENDORS):
    """cw_vendor_overrides handing each member's key pair to the audit."""
    return {vendor: {"key": {"member_public_key": held[vendor][1], "member_private_key": held[vendor][2]}} for vendor in vendors}


def audit(sim, book, tmp_path, company, expect_rc=0, **variables):
    """audit.yml on the tenant; asserts that it sent no write. Returns its audit.json cells of the tenant."""
    sim.clear_requests()
    run = book("audit.yml", inventory=inventory(sim, company, **variables))
    assert run.rc == expect_rc, run.stdout[-3000:]
    assert writes(sim) == []
    return json.loads((tmp_path / "out" / "reports" / "audit.json").read_text())["tenants"][company], run


def test_a_tenant_set_up_by_hand_is_compliant_unverified_without_keys_and_compliant_with_them(sim, book, tmp_path):
    held = build_by_hand(sim, "acme")
    cells, run = audit(sim, book, tmp_path, "acme")
    assert {v: c["status"] for v, c in cells.items()} == dict.fromkeys(VENDORS, "compliant_unverified"), run.stdout[-3000:]
    for vendor, cell in cells.items():
        # The member holding the vendor's role, found under the administrator's own identifier; its name, e-mail and
        # notes are the administrator's, and no vendor asks for others.
        assert cell["compliance"]["found_member"]["identifier"] == held[vendor][0]
        assert cell["member"]["identifier"] == held[vendor][0]
        assert cell["compliance"]["member_fields"] == [] and cell["cells"] == 0
        # Not verified, said as such: never a step to do nor a difference.
        assert cell["compliance"]["unverified"] == (["tables", "key"] if vendor in WITH_TABLES else ["key"])
        assert (cell["manual_steps"], cell["tables"], cell["differences"]) == ([], [], [])
        assert "the API key of member %s was not verified: no key pair is held for it" % held[vendor][0] in cell["warnings"]
    assert list((tmp_path / "out" / "checklists").glob("*")) == []  # no checklist, whether or not the folder exists
    # Nothing differs that anyone could change: the tenant is not shown as changed.
    assert run.recap()["acme"]["changed"] == 0, run.stdout[-3000:]

    cells, run = audit(sim, book, tmp_path, "acme", cw_vendor_overrides=handed_over(held))
    assert {v: c["status"] for v, c in cells.items()} == dict.fromkeys(VENDORS, "compliant"), run.stdout[-3000:]
    for vendor in WITH_TABLES:
        assert cells[vendor]["compliance"]["table_status"] == "verified"
    assert all(c["compliance"]["unverified"] == [] and c["key"] == "held" for c in cells.values())
    for vendor in VENDORS:
        assert held[vendor][2] not in run.output


def tenant_data(sim, company):
    return next(t for t in sim.state()["tenants"] if t["company"] == company)


def other_role(sim, company, name="Reporting"):
    keys = (company + "public", company + "private")
    return api(sim, keys, company, "POST", "/system/securityroles", {"name": name})


def move_member(sim, company, identifier, path, value):
    keys = (company + "public", company + "private")
    [member] = [m for m in api(sim, keys, company, "GET", "/system/apiMembers") if m["identifier"] == identifier]
    api(sim, keys, company, "PATCH", "/system/apiMembers/%d" % member["id"], [{"op": "replace", "path": path, "value": value}])


# One changed cell per vendor: a level, a member field the vendor specifies, a Table Setup entry taken away (seen with
# the member's key), the member moved to another role.
CHANGES = {
    "cw_kanban": ("level", {"kind": "permission", "module": "Companies", "function": "Company Maintenance",
                            "cells": {"inquire": {"from": "None", "to": "All"}}}),
    "topleft": ("member-level", {"kind": "member", "field": "level", "from": "Location", "to": "Corporate"}),
    "timesanity": ("table", {"kind": "table", "table": "General / Auto Sync", "action": "allow"}),
    "mobius": ("member-role", {"kind": "member", "field": "role", "from": "Reporting", "to": "Mobius"}),
    "lifecycle_manager": ("level", {"kind": "permission", "module": "Finance", "function": "Agreements",
                                    "cells": {"inquire": {"from": "None", "to": "All"}}}),
}


@pytest.mark.parametrize("vendor", VENDORS)
def test_one_changed_cell_turns_exactly_that_vendor_to_drift_naming_that_cell(sim, book, tmp_path, vendor):
    held = build_by_hand(sim, "acme")
    kind, expected = CHANGES[vendor]
    built = HANDMADE[vendor]
    overrides = handed_over(held)
    if kind == "level":
        sim.ui_set_levels(built["role"], [{"module": expected["module"], "function": expected["function"], "inquire": "None"}],
                          company="acme")
    elif kind == "member-level":
        move_member(sim, "acme", held[vendor][0], "structureLevel", {"id": 2})
    elif kind == "table":
        sim.ui_move_customize(built["role"], catalogue.TABLE_SETUP, disallow=[expected["table"]], company="acme")
    else:
        # Off the vendor's role, the member is found by the identifier recorded for it.
        move_member(sim, "acme", held[vendor][0], "securityRole", {"id": other_role(sim, "acme")["id"]})
        overrides[vendor]["member"] = {"identifier": held[vendor][0]}
    cells, run = audit(sim, book, tmp_path, "acme", cw_vendor_overrides=overrides)
    statuses = {v: c["status"] for v, c in cells.items()}
    assert statuses == dict(dict.fromkeys(VENDORS, "compliant"), **{vendor: "drift"}), run.stdout[-3000:]
    [difference] = cells[vendor]["differences"]
    assert {k: difference.get(k) for k in expected} == expected
    assert cells[vendor]["cells"] == 1


def test_a_role_under_another_name_is_proposed_with_its_score_and_recorded_without_a_write(sim, book, tmp_path):
    held = build_by_hand(sim, "acme", roles={"topleft": "TopLeft Integration"}, vendors=["topleft", "cw_kanban"])
    cells, run = audit(sim, book, tmp_path, "acme", vendors=["topleft"])
    cell = cells["topleft"]
    required = sum(1 for row in HANDMADE["topleft"]["levels"] for cell_name in ("add", "edit", "delete", "inquire")
                   if cell_name in row)
    proposal = cell["compliance"]["proposal"]
    assert cell["status"] == "missing_role", run.stdout[-3000:]
    assert (proposal["role"], proposal["score"]) == ("TopLeft Integration", "%d/%d" % (required, required))
    # Any runner-up (CW Kanban's role shares many of TopLeft's cells) has a lower score.
    assert all(int(o["score"].split("/")[0]) < required for o in proposal["others"])
    assert proposal["record"]["variable"] == {"cw_vendor_overrides": {"topleft": {"role_name": "TopLeft Integration"}}}
    assert any("role TopLeft Integration matches %s" % proposal["score"] in w for w in cell["warnings"])

    # Recorded as a variable: the role and the member holding it are TopLeft's.
    cells, run = audit(sim, book, tmp_path, "acme", vendors=["topleft"],
                       cw_vendor_overrides={"topleft": {"role_name": "TopLeft Integration"}})
    assert cells["topleft"]["status"] == "compliant_unverified", run.stdout[-3000:]
    assert cells["topleft"]["role"] == "TopLeft Integration"
    assert cells["topleft"]["member"]["identifier"] == held["topleft"][0]

    # Recorded by doctor.yml in the tenant's record: no write to the tenant, and later audits take it.
    sim.clear_requests()
    doctor = book("doctor.yml", inventory=inventory(sim, "acme", vendors=["topleft"]),
                  extra={"cw_record_mapping": {"topleft": {"role_name": "TopLeft Integration"}}})
    assert doctor.rc == 0, doctor.stdout[-3000:]
    assert writes(sim) == []
    record = yaml.safe_load((tmp_path / "out" / "tenants" / "acme.yml").read_text())
    assert record["cw_vendor_mappings"] == {"topleft": {"role_name": "TopLeft Integration"}}
    cells, run = audit(sim, book, tmp_path, "acme", vendors=["topleft"], cw_vendor_overrides=handed_over(held, ["topleft"]))
    assert cells["topleft"]["status"] == "compliant", run.stdout[-3000:]

    # Onboarding with the mapping converges that role and that member: no second role, no second member.
    before = tenant_data(sim, "acme")
    run = book("onboard.yml", inventory=inventory(sim, "acme", vendors=["topleft"], cw_fail_on_pending=False))
    assert run.rc == 0, run.stdout[-3000:]
    after = tenant_data(sim, "acme")
    assert sorted(r["name"] for r in after["roles"]) == sorted(r["name"] for r in before["roles"])
    assert sorted(m["identifier"] for m in after["members"]) == sorted(m["identifier"] for m in before["members"])
    # The administrator's own name, e-mail and notes are kept: no vendor asks for others.
    [kept] = [m for m in after["members"] if m["identifier"] == held["topleft"][0]]
    assert kept == next(m for m in before["members"] if m["identifier"] == held["topleft"][0])


def test_several_members_on_the_vendors_role_the_first_by_identifier_is_judged_and_the_others_named(sim, book, tmp_path):
    held = build_by_hand(sim, "acme", vendors=["cw_kanban"])
    keys = ("acmepublic", "acmeprivate")
    [role] = [r for r in api(sim, keys, "acme", "GET", "/system/securityroles") if r["name"] == "CW Kanban"]
    defaults = api(sim, keys, "acme", "GET", "/system/apiMembers/default")
    body = {k: v for k, v in defaults.items() if k not in ("id", "_info", "identifier")}
    body.update(identifier="akanban", name="Old Kanban", securityRole={"id": role["id"]}, structureLevel={"id": 2})
    api(sim, keys, "acme", "POST", "/system/apiMembers", body)
    cells, run = audit(sim, book, tmp_path, "acme", vendors=["cw_kanban"])
    cell = cells["cw_kanban"]
    # "akanban" sorts first: judged (its level is not the vendor's Corporate), and the other holder is named.
    assert cell["compliance"]["found_member"]["identifier"] == "akanban"
    assert cell["compliance"]["found_member"]["others"] == [held["cw_kanban"][0]]
    assert cell["status"] == "drift" and cell["compliance"]["member_fields"] == ["level"], run.stdout[-3000:]
    assert any("role CW Kanban is also held by API member(s) kanban.api: akanban is judged" in w for w in cell["warnings"])


def test_onboarding_stops_before_any_write_where_the_integration_was_built_by_hand_under_another_role_name(sim, book, tmp_path):
    held = build_by_hand(sim, "acme", roles={"topleft": "TopLeft Integration"}, vendors=["topleft"])
    before = tenant_data(sim, "acme")
    sim.clear_requests()
    run = book("onboard.yml", inventory=inventory(sim, "acme", vendors=["topleft"]))
    assert run.rc != 0
    assert writes(sim) == []
    assert ("no role TopLeft, but role TopLeft Integration, held by API member %s, matches" % held["topleft"][0]
            in run.output), run.stdout[-3000:]
    assert "cw_vendor_overrides.topleft.role_name: TopLeft Integration" in run.output
    assert tenant_data(sim, "acme")["roles"] == before["roles"]

    # Named, the role is created beside the one built by hand: the administrator's choice, said in so many words.
    run = book("onboard.yml", inventory=inventory(sim, "acme", vendors=["topleft"], cw_fail_on_pending=False,
                                                  cw_vendor_overrides={"topleft": {"role_name": "TopLeft"}}))
    assert run.rc == 0, run.stdout[-3000:]
    assert {"TopLeft", "TopLeft Integration"} <= {r["name"] for r in tenant_data(sim, "acme")["roles"]}


def test_key_import_keeps_the_pair_for_the_member_on_the_vendors_role_and_the_audit_then_verifies(sim, book, tmp_path):
    held = build_by_hand(sim, "acme", vendors=["topleft"])
    identifier, public, private = held["topleft"]
    key_file, _password = vaulted_key_file(tmp_path, {"publicKey": public, "privateKey": private})
    sim.clear_requests()
    run = book("key_import.yml", inventory=inventory(sim, "acme", vendors=["topleft"]), tag="import",
               extra={"cw_vendor": "topleft", "cw_key_file": str(key_file)},
               env={"ANSIBLE_VAULT_PASSWORD_FILE": str(tmp_path / "vault-password")})
    assert run.rc == 0, run.stdout[-3000:]
    assert writes(sim) == []
    assert "The pair of API member %s works" % identifier in run.output
    assert private not in run.output
    # The audit finds the same member and verifies its Table Setup list and key with the pair kept.
    cells, run = audit(sim, book, tmp_path, "acme", vendors=["topleft"])
    assert cells["topleft"]["status"] == "compliant", run.stdout[-3000:]
    assert cells["topleft"]["key"] == "held" and cells["topleft"]["compliance"]["unverified"] == []
