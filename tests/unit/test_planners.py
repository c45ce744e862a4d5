"""The pure planners, called directly with hand-built inputs (no simulator, no Ansible): the permission matrix and its
plan (purge, spared cells, folded names), the merged profile rows (optional, temporary), an integration's compliance
cell, differences and settled verdict (excess never drift, unverified tables never drift, every key status), the
member's wanted values and JSON Patch operations, and the Table Setup plan."""

from __future__ import annotations

import datetime
from dataclasses import replace

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.engine import integration
from ansible_collections.msp.connectwise.plugins.module_utils.resources import members, permissions, tables
from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import KeyOutcome, key_status
from ansible_collections.msp.connectwise.plugins.module_utils.resources.outcome import Outcome
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import RoleOutcome
from tests.unit.fake_client import Lists


def setting(row_id, module, function, sort=1, add="None", edit="None", delete="None", inquire="None"):
    """One row of GET securityRoles/{id}/settings."""
    return {"id": row_id, "moduleName": module, "moduleFunctionName": function, "sortOrder": sort, "addLevel": add,
            "editLevel": edit, "deleteLevel": delete, "inquireLevel": inquire}


MAINTENANCE = setting(1, "Companies", "Company Maintenance", sort=1, add="All", inquire="All")
CONTACTS = setting(2, "Companies", "Contacts", sort=2, inquire="My")
INVOICING = setting(4, "Finance", "Invoicing", inquire="All")
TICKETS = setting(3, "Service Desk", "Service Tickets", sort=1, add="All", edit="All", inquire="All")
DEPENDENCIES = setting(5, "Service Desk", "Service Ticket - Dependencies", sort=2)
ROWS = [TICKETS, DEPENDENCIES, INVOICING, CONTACTS, MAINTENANCE]


def wanted(*entries):
    return permissions.desired_matrix(list(entries))


# -- permissions.desired_matrix -----------------------------------------------------------------------------------------

def test_desired_matrix_normalises_levels_and_leaves_unnamed_cells_alone():
    assert wanted({"module": "Companies", "function": "Contacts", "inquire": "all", "edit": " my ", "add": None}) == [
        ("permissions[0]", "Companies", "Contacts", {"edit": "My", "inquire": "All"})]
    assert permissions.desired_matrix(None) == []


def test_desired_matrix_reports_every_problem_at_once():
    with pytest.raises(ValueError) as raised:
        wanted("Companies", {"module": " ", "function": "Contacts", "inquire": "Most", "colour": "red"})
    assert str(raised.value) == (
        "permissions[0]: expected a mapping with module, function and levels; "
        "permissions[1]: unknown key(s) colour; use module, function, add, edit, delete, inquire; "
        "permissions[1].module: required (the name as ConnectWise shows it, e.g. Companies); "
        "permissions[1].inquire: 'Most' is not a permission level; use None, My or All")


# -- permissions.plan_changes -------------------------------------------------------------------------------------------

def test_plan_without_purge_changes_only_differing_cells_and_leaves_other_grants():
    changes, managed = permissions.plan_changes(ROWS, wanted(
        {"module": "Companies", "function": "Contacts", "inquire": "All"},
        {"module": "Companies", "function": "Company Maintenance", "inquire": "All"}), purge=False)
    assert changes == [(CONTACTS, {"inquire": ("My", "All")})]
    assert managed == {"Companies / Company Maintenance": ({"inquire": "All"}, {"inquire": "All"}),
                       "Companies / Contacts": ({"inquire": "My"}, {"inquire": "All"})}


def test_plan_resolves_a_vendors_spelling_to_the_tenants_row():
    changes, managed = permissions.plan_changes(ROWS, wanted(
        {"module": "service desk", "function": "Service Tickets \u2013 Dependencies", "inquire": "All"}), purge=False)
    assert changes == [(DEPENDENCIES, {"inquire": ("None", "All")})]
    assert list(managed) == ["Service Desk / Service Ticket - Dependencies"]


def test_plan_refuses_one_cell_asked_at_two_levels_under_two_spellings():
    with pytest.raises(ValueError) as raised:
        permissions.plan_changes(ROWS, wanted({"module": "Companies", "function": "Contacts", "inquire": "All"},
                                              {"module": "companies", "function": "Contact", "inquire": "My"}), purge=False)
    assert str(raised.value) == ("permissions[1]: Companies / Contacts inquire is asked as both All and My; "
                                 "give each cell one level")


def test_plan_names_an_unknown_function_with_the_closest_the_tenant_has():
    with pytest.raises(ValueError) as raised:
        permissions.plan_changes(ROWS, wanted({"module": "Companies", "function": "Contactz", "inquire": "All"}), purge=False)
    assert str(raised.value) == ("permissions[0]: unknown module function 'Companies / Contactz'; closest on this tenant: "
                                 "'Companies / Contacts'")


def test_purge_sets_every_grant_nobody_named_to_none_and_keeps_the_cells_asked_for():
    changes, managed = permissions.plan_changes(ROWS, wanted(
        {"module": "Companies", "function": "Contacts", "inquire": "All"},
        {"module": "Companies", "function": "Company Maintenance", "inquire": "All"}), purge=True)
    assert changes == [
        (MAINTENANCE, {"add": ("All", "None")}),   # its inquire was asked for: kept
        (CONTACTS, {"inquire": ("My", "All")}),
        (INVOICING, {"inquire": ("All", "None")}),
        (TICKETS, {"add": ("All", "None"), "edit": ("All", "None"), "inquire": ("All", "None")}),
    ]
    # DEPENDENCIES grants nothing: it is no excess grant, so purge does not manage it.
    assert list(managed) == ["Companies / Company Maintenance", "Companies / Contacts", "Finance / Invoicing",
                             "Service Desk / Service Tickets"]
    assert managed["Service Desk / Service Tickets"] == (
        {"add": "All", "edit": "All", "delete": "None", "inquire": "All"},
        {"add": "None", "edit": "None", "delete": "None", "inquire": "None"})


def test_purge_spares_the_cells_accepted_rows_name():
    # An audit accepts the temporary and optional rows: Service Tickets' add and inquire, at any level, are spared.
    accepted = [{"module": "Service Desk", "function": "Service Ticket", "add": "All", "inquire": "My"},
                {"module": "Companies", "function": "No Such Function", "inquire": "All"}]
    spared = permissions.accepted_cells(ROWS, accepted)
    assert spared == {3: {"add", "inquire"}}
    changes, _managed = permissions.plan_changes(ROWS, wanted({"module": "Companies", "function": "Contacts", "inquire": "All"}),
                                                 purge=True, spared=spared)
    assert changes == [
        (MAINTENANCE, {"add": ("All", "None"), "inquire": ("All", "None")}),
        (CONTACTS, {"inquire": ("My", "All")}),
        (INVOICING, {"inquire": ("All", "None")}),
        (TICKETS, {"edit": ("All", "None")}),
    ]


def test_spared_cells_never_protect_a_cell_from_the_level_asked_for():
    spared = {2: {"inquire"}}
    changes, _managed = permissions.plan_changes([CONTACTS], wanted({"module": "Companies", "function": "Contacts",
                                                                     "inquire": "None"}), purge=True, spared=spared)
    assert changes == [(CONTACTS, {"inquire": ("My", "None")})]


def test_excess_grants_are_the_grants_in_cells_nobody_named():
    spared = permissions.accepted_cells(ROWS, [{"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
                                               {"module": "Service Desk", "function": "Service Tickets", "add": "All",
                                                "edit": "All", "inquire": "All"}])
    found = permissions.excess_grants(ROWS, spared)
    assert found == [(MAINTENANCE, {"add": "All"}), (CONTACTS, {"inquire": "My"}), (INVOICING, {"inquire": "All"})]
    assert [permissions.excess_line(row, cells) for row, cells in found] == [
        "Companies / Company Maintenance: add All", "Companies / Contacts: inquire My", "Finance / Invoicing: inquire All"]


def test_a_pending_permission_item_shows_the_whole_target_row():
    assert permissions.pending_item("TopLeft", CONTACTS, {"inquire": ("My", "All")}) == {
        "kind": "permission", "role": "TopLeft", "module": "Companies", "function": "Contacts",
        "cells": {"inquire": {"from": "My", "to": "All"}},
        "target": {"add": "None", "edit": "None", "delete": "None", "inquire": "All"}}
    assert permissions.manual_step("TopLeft", CONTACTS, {"inquire": ("My", "All")}) == (
        "System > Security Roles > TopLeft > Companies > Contacts: set Inquire Level My -> All")
    assert permissions.patch_body({"add": ("All", "None"), "inquire": ("My", "All")}) == [
        {"op": "replace", "path": "addLevel", "value": "None"}, {"op": "replace", "path": "inquireLevel", "value": "All"}]


# -- integration: profile rows ------------------------------------------------------------------------------------------

PROFILE = {
    "vendor": "topleft", "title": "TopLeft", "role": {"name": "TopLeft"}, "member": {"identifier": "TopLeft"},
    "key": {"description": "TopLeft sync"},
    "permissions": [{"module": "Companies", "function": "Contacts", "inquire": "All"}],
    "optional_permissions": [{"module": "Companies", "function": "Contacts", "edit": "All"},
                             {"module": "Finance", "function": "Invoicing", "inquire": "All"}],
    "temporary_permissions": [{"module": "System", "function": "Table Setup", "inquire": "All", "add": None}],
    "tables": ["Service / Service Board"], "optional_tables": ["Finance / Tax Code"],
    "outside": ["Enable the ConnectWise connector in TopLeft"],
}
CONTACTS_ROW = {"module": "Companies", "function": "Contacts", "inquire": "All"}
OPTIONAL_ROWS = [{"module": "Companies", "function": "Contacts", "inquire": "All", "edit": "All"},
                 {"module": "Finance", "function": "Invoicing", "inquire": "All"}]
TABLE_SETUP_ROW = {"module": "System", "function": "Table Setup", "inquire": "All"}


@pytest.mark.parametrize("optional, temporary, rows", [
    (False, False, [CONTACTS_ROW]),
    (True, False, OPTIONAL_ROWS),
    (False, True, [CONTACTS_ROW, TABLE_SETUP_ROW]),
    (True, True, OPTIONAL_ROWS + [TABLE_SETUP_ROW]),
], ids=["required", "optional", "temporary", "both"])
def test_merged_permissions_adds_optional_and_temporary_rows_to_the_required(optional, temporary, rows):
    assert integration.merged_permissions(PROFILE, optional, temporary) == rows
    assert PROFILE["permissions"] == [CONTACTS_ROW]  # the profile itself is never changed


def test_merge_rows_joins_rows_of_one_function_the_later_level_winning_and_drops_unset_cells():
    assert integration.merge_rows([{"module": "Companies", "function": "Contacts", "inquire": "My", "edit": None},
                                   {"module": "Finance", "function": "Invoicing", "inquire": "All"},
                                   {"module": "Companies", "function": "Contacts", "inquire": "All", "add": "My"},
                                   {"module": "companies", "function": "contacts", "delete": "All"}]) == [
        {"module": "Companies", "function": "Contacts", "inquire": "All", "add": "My"},
        {"module": "Finance", "function": "Invoicing", "inquire": "All"},
        # merge_rows compares names as written; plan_changes folds them onto one tenant row later.
        {"module": "companies", "function": "contacts", "delete": "All"}]


def test_desired_applies_temporary_rows_only_when_not_auditing_and_always_accepts_them():
    item = {"profile": PROFILE, "include_temporary": True, "member": {"email": "api@example.com", "notes": None},
            "key": {"dest": "/keys/topleft.json"}, "purge": 1}
    run = integration.desired(item, check_mode=False)
    audit = integration.desired(item, check_mode=True)
    assert run["permissions"] == [CONTACTS_ROW, TABLE_SETUP_ROW]
    assert audit["permissions"] == [CONTACTS_ROW]
    assert run["accepted"] == audit["accepted"] == OPTIONAL_ROWS + [TABLE_SETUP_ROW]
    assert run == dict(audit, permissions=[CONTACTS_ROW, TABLE_SETUP_ROW])
    assert audit == {
        "vendor": "topleft", "title": "TopLeft", "role": "TopLeft", "permissions": [CONTACTS_ROW],
        "accepted": OPTIONAL_ROWS + [TABLE_SETUP_ROW], "tables": ["Service / Service Board"],
        "member": {"identifier": "TopLeft", "email": "api@example.com"},
        "key": {"dest": "/keys/topleft.json", "description": "TopLeft sync", "kind": "permanent"},
        "purge": True, "levels_assumed": False, "status": "complete", "missing": None, "allow_partial": False,
        "not_judged": [], "disallow": [],
        "optional": {"permissions": PROFILE["optional_permissions"], "tables": ["Finance / Tax Code"]},
        "outside": ["Enable the ConnectWise connector in TopLeft"], "reassign_role": None, "skipped": [],
        "adopt_role": False, "warnings": [],
        # A profile without member.specified judges its identifier and level; the operator's e-mail is judged too.
        "create_only": ("name", "location", "department", "time_zone", "excluded_boards", "notes"),
        "find_member": False, "find_role": False, "found_member": None, "holders_found": [], "proposal": None}


def test_desired_with_optional_rows_takes_their_tables_and_lists_nothing_left_out():
    want = integration.desired({"profile": PROFILE, "include_optional": True, "role_name": "TopLeft Sync"}, check_mode=True)
    assert (want["role"], want["permissions"], want["tables"], want["optional"]) == (
        "TopLeft Sync", OPTIONAL_ROWS, ["Service / Service Board", "Finance / Tax Code"], {})


# -- integration: the compliance cell -----------------------------------------------------------------------------------

def outcome(kind=Outcome, before=None, after=None, pending=(), **found):
    made = kind("test", before=dict(before or {}), after=dict(after or {}), **found)
    for item in pending:
        made.need("step", item)
    return made


MEMBER = {"identifier": "TopLeft", "state": "present", "name": "TopLeft", "email": "api@example.com", "level": "Corporate"}
PERMISSION_DIFF = {"kind": "permission", "role": "TopLeft", "module": "Companies", "function": "Contacts",
                   "cells": {"inquire": {"from": "My", "to": "All"}, "edit": {"from": "None", "to": "All"}},
                   "target": {"add": "None", "edit": "All", "delete": "None", "inquire": "All"}}
TABLE_STEP = {"kind": "table", "role": "TopLeft", "table": "Service / Service Board", "action": "allow", "verified": True}


def steps(role="present", differences=(), excess=(), member_before=None, member_after=None, table=None, key=None):
    """The outcomes converge_integration hands to report(): role, permissions (two rows compared), member, key, and
    tables when ``table`` (status, pending, item_form) is given."""
    found = {
        "role": outcome(RoleOutcome, {"state": "absent"} if role == "absent" else {"state": "present", "name": "TopLeft"},
                        {"state": "present", "name": "TopLeft"}),
        "permissions": outcome(permissions.PermissionsOutcome, {"Companies / Contacts": {}, "Finance / Invoicing": {}},
                               {"Companies / Contacts": {}, "Finance / Invoicing": {}},
                               differences=list(differences), excess=list(excess)),
        "member": outcome(members.MemberOutcome, MEMBER if member_before is None else member_before, member_after or MEMBER),
        "key": outcome(KeyOutcome, **(key if key is not None else {"status": "held", "expiration": None, "validated": True})),
    }
    if table is not None:
        status, pending, form = table
        found["tables"] = outcome(tables.TablesOutcome, pending=pending, status=status, as_member=bool(form), item_form=form)
    return found


WANT = {"levels_assumed": False, "tables": ["Service / Service Board"], "status": "complete", "missing": None,
        "not_judged": [], "disallow": []}
COMPLIANT = integration.Compliance(
    status="compliant", permission_cells=0, member_fields=[], table_status="verified", table_cells=0, excess_grants=[],
    cells=0, levels_assumed=False, key="held", key_expiration=None, permission_rows=2, member_state="present",
    tables_required=1, table_as_member=True, table_item_form="label")


def test_compliance_of_an_integration_as_the_profile_wants_it():
    assert integration.compliance(WANT, steps(table=("verified", [], "label")), check_mode=True) == COMPLIANT


def test_the_cell_as_results_show_it():
    assert integration.compliance(WANT, steps(table=("verified", [], "label")), check_mode=True).as_dict() == {
        "status": "compliant", "permission_cells": 0, "member_fields": [], "table_status": "verified", "table_cells": 0,
        "excess_grants": [], "cells": 0, "levels_assumed": False, "key": "held", "key_expiration": None,
        "permission_rows": 2, "member_state": "present", "tables_required": 1, "table_as_member": True,
        "table_item_form": "label", "profile_status": "complete", "profile_missing": None, "not_judged": [],
        "tables_disallowed": 0, "unverified": [], "found_member": None, "proposal": None, "tables_not_verified": []}
    assert integration.settled(COMPLIANT, [], check_mode=True).as_dict()["found"] == "compliant"


def test_excess_grants_are_listed_and_never_drift():
    cell = integration.compliance(WANT, steps(excess=["Finance / Invoicing: inquire All"], table=("verified", [], "label")),
                                  check_mode=True)
    assert cell == replace(COMPLIANT, excess_grants=["Finance / Invoicing: inquire All"])


def test_differing_cells_and_member_fields_are_drift_counted_cell_by_cell():
    changed = dict(MEMBER, email="old@example.com")
    cell = integration.compliance(WANT, steps(differences=[PERMISSION_DIFF], member_before=changed,
                                              table=("drift", [TABLE_STEP], "label")), check_mode=True)
    assert cell == replace(COMPLIANT, status="drift", permission_cells=2, member_fields=["email"], table_status="drift",
                           table_cells=1, cells=4)


def test_unverified_tables_are_compliant_unverified_not_drift():
    unverified = dict(TABLE_STEP, verified=False)
    cell = integration.compliance(WANT, steps(table=("unverified", [unverified], None)), check_mode=True)
    assert cell == replace(COMPLIANT, status="compliant_unverified", table_status="unverified", table_as_member=False,
                           table_item_form=None, unverified=["tables"],
                           tables_not_verified=[{"table": "Service / Service Board", "action": "allow"}])


def test_without_the_members_key_tables_and_key_are_unverified_never_steps_nor_drift():
    unverified = dict(TABLE_STEP, verified=False)
    found = steps(table=("unverified", [unverified], None), key={})
    found["tables"].need("Move Service / Service Board", unverified)
    found["key"].need("Create the key in the UI", {"kind": "api_key", "member": "TopLeft", "action": "create"})
    want = dict(WANT, vendor="topleft", title="TopLeft", warnings=[], skipped=[], member={"identifier": "TopLeft"},
                optional={}, outside=[])
    result = integration.report(want, found, check_mode=True, role=None)
    assert result.compliance.status == "compliant_unverified" and result.compliance.unverified == ["tables", "key"]
    assert (result.manual_steps, result.pending, result.differences, result.changed) == ([], [], [], False)
    assert "the API key of member TopLeft was not verified: no key pair is held for it" in result.warnings


def test_no_tables_asked_reads_none():
    cell = integration.compliance(dict(WANT, tables=[]), steps(), check_mode=True)
    assert cell == replace(COMPLIANT, table_status="none", tables_required=0, table_as_member=False, table_item_form=None)


def test_a_missing_role_outranks_every_difference():
    cell = integration.compliance(WANT, steps(role="absent", differences=[PERMISSION_DIFF], member_before={"state": "absent"},
                                              table=("unverified", [], None)), check_mode=True)
    assert (cell.status, cell.permission_cells, cell.member_fields, cell.member_state) == (
        "missing_role", 2, [], "absent")


@pytest.mark.parametrize("state", ["absent", "inactive"])
def test_a_missing_or_inactive_member_is_missing_member_and_its_fields_are_not_counted(state):
    before = {"state": "absent"} if state == "absent" else dict(MEMBER, state="inactive", email="old@example.com")
    cell = integration.compliance(WANT, steps(member_before=before, table=("verified", [], "label")), check_mode=True)
    assert cell == replace(COMPLIANT, status="missing_member", member_state=state)


@pytest.mark.parametrize("key, status, cells", [
    ({"status": "held", "expiration": "2031-01-01T00:00:00Z", "validated": True}, "compliant", 0),
    ({"status": "expiring", "expiration": "2030-01-05T00:00:00Z", "validated": True}, "compliant", 0),
    ({"status": "expired", "expiration": "2029-12-01T00:00:00Z"}, "drift", 1),
    ({"status": "refused", "expiration": None}, "drift", 1),
    ({}, "compliant_unverified", 0),
], ids=["held", "expiring", "expired", "refused", "not_held"])
def test_a_key_the_tenant_refuses_or_that_expired_is_drift_and_the_others_are_not(key, status, cells):
    cell = integration.compliance(WANT, steps(key=key, table=("verified", [], "label")), check_mode=True)
    assert cell == replace(COMPLIANT, status=status, cells=cells, key=key.get("status", "not_held"),
                           key_expiration=key.get("expiration"), unverified=[] if key else ["key"])


def test_levels_assumed_travels_with_the_cell():
    cell = integration.compliance(dict(WANT, levels_assumed=True), steps(table=("verified", [], "label")), check_mode=True)
    assert cell == replace(COMPLIANT, levels_assumed=True)


# -- integration: differences and the settled verdict -------------------------------------------------------------------

def test_differences_list_the_role_rows_drifted_tables_member_fields_and_key():
    found = integration.differences(steps(role="absent", differences=[PERMISSION_DIFF], member_before={"state": "absent"},
                                          table=("drift", [TABLE_STEP], "label"), key={"status": "not_held"}))
    assert found == [
        {"kind": "role", "role": "TopLeft", "action": "create"},
        PERMISSION_DIFF,
        TABLE_STEP,
        {"kind": "member", "member": "TopLeft", "field": "email", "from": None, "to": "api@example.com"},
        {"kind": "member", "member": "TopLeft", "field": "level", "from": None, "to": "Corporate"},
        {"kind": "member", "member": "TopLeft", "field": "name", "from": None, "to": "TopLeft"},
        {"kind": "member", "member": "TopLeft", "field": "state", "from": "absent", "to": "present"},
        {"kind": "api_key", "member": "TopLeft", "action": "create", "status": "not_held", "expiration": None},
    ]


def test_differences_leave_out_unverified_tables_and_a_validated_key():
    unverified = dict(TABLE_STEP, verified=False)
    assert integration.differences(steps(table=("unverified", [unverified], None))) == []


def test_differences_report_a_refused_key_with_its_expiration():
    found = integration.differences(steps(key={"status": "expired", "expiration": "2029-12-01T00:00:00Z"}))
    assert found == [{"kind": "api_key", "member": "TopLeft", "action": "create", "status": "expired",
                      "expiration": "2029-12-01T00:00:00Z"}]


DRIFT = replace(COMPLIANT, status="drift", permission_cells=2, cells=2)


def test_an_audit_keeps_what_it_found():
    assert integration.settled(DRIFT, [PERMISSION_DIFF], check_mode=True) == replace(DRIFT, found="drift")


@pytest.mark.parametrize("pending, status, cells", [
    ([], "compliant", 0),
    ([dict(TABLE_STEP, verified=False)], "compliant_unverified", 0),
    ([TABLE_STEP, dict(TABLE_STEP, verified=False)], "pending_manual_steps", 2),
    ([PERMISSION_DIFF, dict(TABLE_STEP, verified=False), {"kind": "api_key", "member": "TopLeft", "action": "create"}],
     "pending_manual_steps", 4),
], ids=["nothing-left", "unverified-tables-only", "a-verified-table-left", "steps-left"])
def test_a_run_reports_what_it_left_and_what_it_found(pending, status, cells):
    assert integration.settled(DRIFT, pending, check_mode=False) == replace(
        DRIFT, status=status, cells=cells, found="drift", unverified=["tables"] if status == "compliant_unverified" else [])


# -- keys: the status of a held key -------------------------------------------------------------------------------------

NOW = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("held, working, status", [
    ({"public_key": "p"}, True, "held"),
    ({"expiration": "2030-01-15T00:00:01Z"}, True, "held"),
    ({"expiration": "2030-01-14T23:59:59+00:00"}, True, "expiring"),
    ({"expiration": "2030-01-01T00:00:00Z"}, False, "expired"),
    ({"expiration": "2030-01-02T00:00:00Z"}, False, "refused"),
    ({"expiration": None}, False, "refused"),
    (None, False, "not_held"),
], ids=["held", "held-15-days", "expiring", "expired", "refused-before-expiry", "refused", "not-held"])
def test_key_status(held, working, status):
    assert key_status(held, working, now=NOW) == status


# -- members: wanted values and JSON Patch ------------------------------------------------------------------------------

LOCATIONS = [{"id": 2, "name": "Main Office"}, {"id": 7, "name": "Remote"}]
BOARDS = [{"id": 11, "name": "Help Desk"}, {"id": 12, "name": "Projects"}, {"id": 13, "name": "Alerts"}]


def refs(level_one="Corporate"):
    client = Lists({"/system/locations": LOCATIONS, "/service/boards": BOARDS},
                   cache={members.LEVEL_ONE: level_one, "roles": [{"id": 30, "name": "TopLeft"}]})
    return members.MemberReferences(client, check_mode=False)


@pytest.mark.parametrize("option, a, b, equal", [
    ("location", "Main Office", "main  office", True),
    ("department", "Service Tickets \u2013 Dependencies", "Service Ticket - Dependency", True),
    ("location", "Main Office", "Remote", False),
    ("location", None, None, True),
    ("notes", None, "", False),
    ("notes", "", None, False),
    ("excluded_boards", ["Help Desk", "Alerts"], ["alerts", "help desk"], True),
    ("excluded_boards", None, [], True),
    ("excluded_boards", ["Help Desk"], ["Help Desk", "Alerts"], False),
    ("level", 3, 3, True),
    ("level", 3, "3", False),
    # Text written as given is compared exactly: a change of case, plural or punctuation is a change to write.
    ("name", "Sync Service", "Sync Services", False),
    ("name", "TopLeft", "Topleft", False),
    ("notes", "Notes: A & B", "notes a and b", False),
    ("email", "ops@example.com", "ops@example.com", True),
], ids=["spacing-case", "dash-plural", "other", "both-none", "none-empty", "empty-none", "list-order", "none-empty-list",
        "list-longer", "ints", "int-text", "name-plural", "name-case", "notes-punctuation", "email-equal"])
def test_same_compares_tenant_names_folded_text_exactly_and_lists_as_sets(option, a, b, equal):
    assert members.same(option, a, b) is equal


def test_desired_names_every_option_and_defaults_the_level_to_level_one():
    params = {"identifier": "TopLeft", "name": "TopLeft Sync", "email": None, "location": "Main Office", "role": "TopLeft",
              "excluded_boards": ["Alerts"]}
    assert members.desired(params, refs("Head Office")) == {
        "name": "TopLeft Sync", "email": None, "notes": None, "role": "TopLeft", "level": "Head Office",
        "location": "Main Office", "department": None, "time_zone": None, "excluded_boards": ["Alerts"]}
    assert members.desired(dict(params, level="Corporate"), refs("Head Office"))["level"] == "Corporate"


def test_patch_ops_replace_scalars_and_whole_references_by_id():
    found = refs()
    assert members.patch_ops("email", "api@example.com", found) == [
        {"op": "replace", "path": "emailAddress", "value": "api@example.com"}]
    assert members.patch_ops("location", "main office", found) == [
        {"op": "replace", "path": "securityLocation", "value": {"id": 2}},
        {"op": "replace", "path": "defaultLocation", "value": {"id": 2}},
        {"op": "replace", "path": "salesDefaultLocation", "value": {"id": 2}}]
    assert members.patch_ops("role", "topleft", found) == [{"op": "replace", "path": "securityRole", "value": {"id": 30}}]
    assert members.patch_ops("excluded_boards", ["Projects", "help desk"], found) == [
        {"op": "replace", "path": "excludedServiceBoardIds", "value": [11, 12]}]


def test_patch_ops_name_the_valid_names_of_an_unknown_reference():
    with pytest.raises(ValueError) as raised:
        members.patch_ops("location", "Branch", refs())
    assert str(raised.value) == "location: 'Branch' does not exist on this tenant; valid names: Main Office, Remote"


# -- tables: the Table Setup plan ---------------------------------------------------------------------------------------

SCREENS = [{"id": 101, "category": "Service", "name": "Service Board"},
           {"id": 102, "category": "Finance", "name": "Tax Code"},
           {"id": 103, "category": "Sales", "name": "Tax Code"},
           {"id": 104, "category": "Company", "name": "Team Role"}]
PAIR = ("memberpublic", "memberprivate")


def table_client(items=None):
    """The run's cache holding the setup screens and, when ``items`` is given, the member's own customize items."""
    cache = {("list", tables.SETUP_SCREENS): SCREENS}
    if items is not None:
        cache[("customize", PAIR[0])] = [{"customizeIdentifier": tables.TABLE_SETUP, "itemIdentifier": i} for i in items]
        cache[("customize", PAIR[0])].append({"customizeIdentifier": "SomethingElse", "itemIdentifier": "Service / Service Board"})
    return Lists(cache=cache)


def test_resolve_tables_folds_names_and_reports_every_unknown_one():
    assert tables.resolve_tables(SCREENS, ["service/ service boards", "Finance / Tax code"]) == {
        101: "Service / Service Board", 102: "Finance / Tax Code"}
    with pytest.raises(ValueError) as raised:
        tables.resolve_tables(SCREENS, ["Service Board", "Service / Servise Board"])
    assert str(raised.value) == ("tables[0]: a Table Setup entry is written 'Category / Table', not 'Service Board'; "
                                 "tables[1]: unknown table 'Service / Servise Board'; closest on this tenant: "
                                 "'Service / Service Board'")


def test_without_the_members_keys_every_table_is_an_unverified_step():
    result = tables.converge_tables(table_client(), "TopLeft", ["Service / Service Board", "Finance / Tax Code"])
    assert result.shown() == {"status": "unverified"}
    assert result.pending == [
        {"kind": "table", "role": "TopLeft", "table": "Finance / Tax Code", "action": "allow", "verified": False},
        {"kind": "table", "role": "TopLeft", "table": "Service / Service Board", "action": "allow", "verified": False}]
    assert result.manual_steps[0] == ("System > Security Roles > TopLeft > System > Table Setup > Customize: move "
                                      "'Finance / Tax Code' to 'Allow access to these'")
    assert not result.drifted


def test_a_table_the_member_cannot_open_is_verified_drift():
    result = tables.converge_tables(table_client(["101"]), "TopLeft", ["Service / Service Board", "Finance / Tax Code"],
                                    member_keys=PAIR)
    assert result.shown() == {"status": "drift", "item_form": "id"}
    assert result.before == {"allowed": ["Service / Service Board"]}
    assert result.after == {"allowed": ["Finance / Tax Code", "Service / Service Board"]}
    assert result.pending == [
        {"kind": "table", "role": "TopLeft", "table": "Finance / Tax Code", "action": "allow", "verified": True}]
    assert result.drifted


def test_every_table_allowed_is_verified_and_extra_tables_stay_without_purge():
    result = tables.converge_tables(table_client(["Service / Service Board", "Company / Team Role"]), "TopLeft",
                                    ["Service / Service Board"], member_keys=PAIR)
    assert (result.shown(), result.pending, result.warnings) == ({"status": "verified", "item_form": "label"}, [], [])
    assert result.after == {"allowed": ["Company / Team Role", "Service / Service Board"]}


def test_purge_disallows_the_tables_nobody_asked_for():
    result = tables.converge_tables(table_client(["Service / Service Board", "Company / Team Role"]), "TopLeft",
                                    ["Service / Service Board"], purge=True, member_keys=PAIR)
    assert result.shown() == {"status": "drift", "item_form": "label"}
    assert result.after == {"allowed": ["Service / Service Board"]}
    assert result.pending == [
        {"kind": "table", "role": "TopLeft", "table": "Company / Team Role", "action": "disallow", "verified": True}]


def test_a_bare_name_several_screens_share_counts_for_the_table_asked_for_with_a_warning():
    result = tables.converge_tables(table_client(["Tax Code", "Service Board"]), "TopLeft",
                                    ["Finance / Tax Code", "Service / Service Board"], member_keys=PAIR)
    assert (result.shown(), result.pending) == ({"status": "verified", "item_form": "name"}, [])
    assert result.warnings == ["Table Setup item 'Tax Code' of role TopLeft may be any of Finance / Tax Code, Sales / Tax "
                               "Code (this tenant names tables without their category); counted for the tables the "
                               "profile needs"]


def test_items_that_match_no_screen_leave_a_missing_table_unverified_not_drift():
    result = tables.converge_tables(table_client(["Board of Service"]), "TopLeft", ["Service / Service Board"],
                                    member_keys=PAIR)
    assert result.shown() == {"status": "unverified", "item_form": None}
    assert result.pending == [
        {"kind": "table", "role": "TopLeft", "table": "Service / Service Board", "action": "allow", "verified": False}]
    assert result.warnings == ["1 Table Setup item(s) of role TopLeft match no setup screen of this tenant ('Board of "
                               "Service'); the tables below could not be verified. Please report it with a capture "
                               "(ansible-playbook msp.connectwise.doctor -e cw_capture=true)"]
    assert not result.drifted


def test_a_list_read_as_the_named_member_is_kept_for_the_run_and_nothing_else_is():
    """The run keeps what the member read (for its snapshot): the role's whole list, the member and when, never the pair."""
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    client = table_client(["101", "104"])
    tables.converge_tables(client, "TopLeft", ["Service / Service Board"], member_keys=PAIR, member="TopLeft")
    after = datetime.datetime.now(datetime.timezone.utc)
    kept = tables.verified_lists(client)
    assert list(kept) == ["TopLeft"]
    assert (kept["TopLeft"]["member"], kept["TopLeft"]["items"]) == ("TopLeft", ["Company / Team Role", "Service / Service Board"])
    at = datetime.datetime.strptime(kept["TopLeft"]["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    assert before <= at <= after
    assert PAIR[0] not in str(kept) and PAIR[1] not in str(kept)
    # Without the member's keys nothing is read, and without its name (cw_table_access) nothing is kept.
    unkeyed = table_client()
    tables.converge_tables(unkeyed, "TopLeft", ["Service / Service Board"])
    unnamed = table_client(["101"])
    tables.converge_tables(unnamed, "TopLeft", ["Service / Service Board"], member_keys=PAIR)
    assert tables.verified_lists(unkeyed) == tables.verified_lists(unnamed) == {}


def test_purge_with_no_tables_is_refused_before_any_read():
    client = Lists()
    with pytest.raises(ValueError) as raised:
        tables.converge_tables(client, "TopLeft", [], purge=True)
    assert str(raised.value) == "tables: empty with purge: true would disallow every table; list the tables the role needs"
    assert client.reads == [] and client.cache == {}


# -- tables: what the vendor disallows ----------------------------------------------------------------------------------

def test_without_the_members_keys_a_table_to_disallow_is_an_unverified_step():
    result = tables.converge_tables(table_client(), "NinjaOne", [], disallow=["Company / Team Role"])
    assert result.shown() == {"status": "unverified"}
    assert result.after == {"allowed": [], "disallowed": ["Company / Team Role"]}
    assert result.pending == [
        {"kind": "table", "role": "NinjaOne", "table": "Company / Team Role", "action": "disallow", "verified": False}]
    assert result.manual_steps == ["System > Security Roles > NinjaOne > System > Table Setup > Customize: move "
                                   "'Company / Team Role' to 'Disallow access to these'"]


def test_a_disallowed_table_the_member_can_open_is_verified_drift():
    result = tables.converge_tables(table_client(["104", "101"]), "NinjaOne", ["Service / Service Board"],
                                    disallow=["Company / Team Role"], member_keys=PAIR)
    assert result.shown() == {"status": "drift", "item_form": "id"}
    assert result.before == {"allowed": ["Company / Team Role", "Service / Service Board"]}
    assert result.after == {"allowed": ["Service / Service Board"], "disallowed": ["Company / Team Role"]}
    assert result.pending == [
        {"kind": "table", "role": "NinjaOne", "table": "Company / Team Role", "action": "disallow", "verified": True}]
    assert result.drifted


def test_a_disallowed_table_the_member_cannot_see_is_verified():
    result = tables.converge_tables(table_client(["101"]), "NinjaOne", [], disallow=["Company / Team Role"],
                                    member_keys=PAIR)
    assert (result.shown(), result.pending) == ({"status": "verified", "item_form": "id"}, [])


def test_a_bare_name_that_may_be_a_disallowed_table_is_an_unverified_step():
    """'Tax Code' may be Finance's or Sales's: the member may or may not open the one the vendor disallows."""
    result = tables.converge_tables(table_client(["Tax Code"]), "NinjaOne", [], disallow=["Sales / Tax Code"],
                                    member_keys=PAIR)
    assert result.shown() == {"status": "unverified", "item_form": "name"}
    assert result.pending == [
        {"kind": "table", "role": "NinjaOne", "table": "Sales / Tax Code", "action": "disallow", "verified": False}]
    assert not result.drifted


def test_purge_lists_a_disallowed_table_once():
    result = tables.converge_tables(table_client(["101", "104", "102"]), "NinjaOne", ["Service / Service Board"],
                                    disallow=["Company / Team Role"], purge=True, member_keys=PAIR)
    assert [(p["table"], p["action"]) for p in result.pending] == [
        ("Company / Team Role", "disallow"), ("Finance / Tax Code", "disallow")]


def test_a_table_both_allowed_and_disallowed_is_refused():
    with pytest.raises(ValueError) as raised:
        tables.converge_tables(table_client(), "NinjaOne", ["Company / Team Role"], disallow=["Company/ Team Roles"])
    assert str(raised.value) == ("disallow: 'Company / Team Role' also in tables; a table is either allowed or "
                                 "disallowed")
    with pytest.raises(ValueError) as raised:
        tables.converge_tables(table_client(), "NinjaOne", [], disallow=["Company / Team Rol"])
    assert str(raised.value) == ("disallow[0]: unknown table 'Company / Team Rol'; closest on this tenant: "
                                 "'Company / Team Role'")


# -- integration: cells named without a value, partial profiles ----------------------------------------------------------

ASKING = {"vendor": "dropsuite", "title": "Dropsuite", "role": {"name": "Dropsuite"}, "member": {"identifier": "dropsuite"},
          "status": "complete",
          "permissions": [{"module": "Companies", "function": "Company Maintenance", "add": "ask", "inquire": "ask"},
                          {"module": "Finance", "function": "Agreements", "add": "ask", "inquire": "All"}],
          "optional_permissions": [{"module": "System", "function": "Table Setup", "inquire": "ask"}]}


def test_an_ask_cell_is_neither_set_nor_judged_and_is_listed():
    want = integration.desired({"profile": ASKING}, check_mode=True)
    assert want["permissions"] == [{"module": "Finance", "function": "Agreements", "inquire": "All"}]
    assert want["not_judged"] == ["Companies / Company Maintenance: add", "Companies / Company Maintenance: inquire",
                                  "Finance / Agreements: add"]
    # Whatever an ask cell holds is not an excess grant: the accepted rows still name it.
    assert want["accepted"][0] == {"module": "Companies", "function": "Company Maintenance", "add": "ask", "inquire": "ask"}
    with_optional = integration.desired({"profile": ASKING, "include_optional": True}, check_mode=True)
    assert with_optional["not_judged"][-1] == "System / Table Setup: inquire"


def test_levels_set_the_ask_cells_by_any_spelling_of_the_row():
    item = {"profile": ASKING, "levels": {"Companies / company maintenance": {"add": "None", "inquire": "All"},
                                          "Finance/Agreement": {"add": "All"}}}
    want = integration.desired(item, check_mode=False)
    assert want["permissions"] == [
        {"module": "Companies", "function": "Company Maintenance", "add": "None", "inquire": "All"},
        {"module": "Finance", "function": "Agreements", "add": "All", "inquire": "All"}]
    assert want["not_judged"] == []
    assert ASKING["permissions"][0]["add"] == "ask", "the profile itself is left as it is"


@pytest.mark.parametrize("levels, message", [
    ({"Companies / Contacts": {"add": "All"}},
     "levels['Companies / Contacts']: not a row of the dropsuite profile with a level to set; those rows are: "
     "Companies / Company Maintenance, Finance / Agreements, System / Table Setup"),
    ({"Finance / Agreements": {"inquire": "All"}},
     "levels['Finance / Agreements'].inquire: not a cell whose level the vendor's page leaves unset; set add"),
    ({"Finance / Agreements": {"add": "Full"}},
     "levels['Finance / Agreements'].add: 'Full' is not a permission level: None, My or All"),
    ({"Finance / Agreements": "All"}, "levels['Finance / Agreements']: expected a mapping of cell -> level, e.g. {add: All}"),
    (["Finance / Agreements"], 'levels: expected a mapping of "Module / Function" -> {cell: level}, e.g. {"Companies / '
                               'Company Maintenance": {inquire: All}}'),
], ids=["row", "cell", "level", "cells-not-mapping", "not-mapping"])
def test_levels_that_name_no_ask_cell_are_refused(levels, message):
    with pytest.raises(ValueError) as raised:
        integration.desired({"profile": ASKING, "levels": levels}, check_mode=True)
    assert str(raised.value) == message
