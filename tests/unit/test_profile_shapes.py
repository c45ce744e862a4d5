"""The shapes of vendor profile beyond a plain table, through converge_tenant on the simulator: a cell the vendor's page
names without a value (ask), a partial profile, a shared table (same_as), and a table to disallow."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.engine.profile import (
    onboarding_problems, problems, resolve_shared)
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import converge_tenant

WRITES = ("POST", "PUT", "PATCH", "DELETE")

BASE = {
    "vendor": "acme", "title": "Acme", "status": "complete", "role": {"name": "Acme"}, "member": {"identifier": "acme"},
    "permissions": [{"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
                    {"module": "Service Desk", "function": "Service Tickets", "add": "ask", "edit": "ask", "inquire": "All"}],
    "optional_permissions": [], "temporary_permissions": [], "tables": [],
}
PARTIAL = dict(BASE, vendor="partly", title="Partly", status="partial", role={"name": "Partly"},
               member={"identifier": "partly"}, missing="the table is cut after Service Tickets",
               permissions=[{"module": "Companies", "function": "Company Maintenance", "inquire": "All"}])


def run(client, profile, check_mode, settings_writable=None, **item):
    result, _diff, _warnings = converge_tenant(client, [dict({"profile": profile, "key": {}}, **item)],
                                               check_mode=check_mode, settings_writable=settings_writable)
    return result


# -- ask: a level named without a value -------------------------------------------------------------------------------

def test_onboarding_a_profile_with_ask_cells_is_refused_before_any_request(client, sim):
    result = run(client, BASE, check_mode=False)
    assert result["failed"] is True and result["integrations"] == []
    assert result["msg"] == (
        "integrations[0] (acme): the acme profile names 2 level(s) without a value (the vendor's page gives none), so it "
        "is not converged until you set each, and nothing was written: Service Desk / Service Tickets: add, edit. Set "
        "them, each None, My or All, in cw_vendor_overrides, e.g. {acme: {levels: {\"Service Desk / Service Tickets\": "
        "{add: All, edit: All}}}} (cw_levels in a single-vendor run, levels on the integration)")
    assert sim.requests() == []


def test_an_audit_judges_every_other_cell_and_lists_those_it_cannot(client, sim):
    result = run(client, BASE, check_mode=True)
    [acme] = result["integrations"]
    assert acme["compliance"]["not_judged"] == ["Service Desk / Service Tickets: add", "Service Desk / Service Tickets: edit"]
    assert acme["compliance"]["status"] == "missing_role"
    # The role is still to be created (every cell None): only the cells given a level differ.
    assert [(d["function"], sorted(d["cells"])) for d in acme["differences"] if d["kind"] == "permission"] == [
        ("Company Maintenance", ["inquire"]), ("Service Tickets", ["inquire"])]
    assert "acme profile: 2 cell(s) not judged, as the vendor's page names their level without a value" in \
        " ".join(acme["warnings"])
    assert [r for r in sim.requests() if r["method"] in WRITES] == []


def test_once_set_the_levels_are_converged(make_client, sim):
    """Each run with a client of its own, as each module run has."""
    levels = {"Service Desk / Service Tickets": {"add": "All", "edit": "My"}}
    sim.control("PATCH", "/__sim__/tenants/%s" % sim.company, {"settings_writable": True})
    result = run(make_client(), BASE, check_mode=False, settings_writable=True, levels=levels)
    assert not result.get("failed"), result.get("msg")
    result = run(make_client(), BASE, check_mode=True, levels=levels)
    [acme] = result["integrations"]
    assert acme["compliance"]["not_judged"] == [] and acme["compliance"]["permission_cells"] == 0
    assert acme["compliance"]["excess_grants"] == []
    # Set otherwise on the tenant, the cell is drift once the operator has said what it must be.
    sim.ui_set_levels("Acme", [{"module": "Service Desk", "function": "Service Tickets", "edit": "All"}])
    [acme] = run(make_client(), BASE, check_mode=True, levels=levels)["integrations"]
    assert [(d["function"], d["cells"]) for d in acme["differences"] if d["kind"] == "permission"] == [
        ("Service Tickets", {"edit": {"from": "All", "to": "My"}})]
    # Without the operator's levels, the same cell is not judged: neither drift nor an excess grant.
    [acme] = run(make_client(), BASE, check_mode=True)["integrations"]
    assert acme["compliance"]["permission_cells"] == 0 and acme["compliance"]["excess_grants"] == []
    assert acme["compliance"]["not_judged"] == ["Service Desk / Service Tickets: add", "Service Desk / Service Tickets: edit"]
    # With purge too: an ask cell is never an excess grant to remove.
    [acme] = run(make_client(), BASE, check_mode=True, purge=True)["integrations"]
    assert not [d for d in acme["differences"] if d["kind"] == "permission" and d["function"] == "Service Tickets"]


# -- partial profiles -------------------------------------------------------------------------------------------------

def test_onboarding_a_partial_profile_is_refused_without_allow_partial(client, sim):
    result = run(client, PARTIAL, check_mode=False)
    assert result["failed"] is True
    assert result["msg"] == (
        "integrations[0] (partly): the partly profile is partial (the table is cut after Service Tickets): onboarding "
        "would grant only the rows it has, and nothing was written. To onboard it all the same, set cw_allow_partial: "
        "true (or allow_partial: true under cw_vendor_overrides.partly, or on the integration)")
    assert sim.requests() == []
    result = run(client, PARTIAL, check_mode=False, allow_partial=True)
    assert not result.get("failed"), result.get("msg")
    [partly] = result["integrations"]
    assert partly["compliance"]["profile_status"] == "partial"
    assert [r["method"] for r in sim.requests() if r["method"] in WRITES][:2] == ["POST", "PATCH"]


def test_an_audit_of_a_partial_profile_uses_its_rows_and_says_partial(client, sim):
    result = run(client, PARTIAL, check_mode=True)
    [partly] = result["integrations"]
    assert partly["compliance"]["profile_status"] == "partial"
    assert partly["compliance"]["profile_missing"] == "the table is cut after Service Tickets"
    assert partly["compliance"]["permission_rows"] == 1
    assert "partly profile is partial (the table is cut after Service Tickets): only its rows are checked" in partly["warnings"]
    assert [r for r in sim.requests() if r["method"] in WRITES] == []


def test_offboarding_a_partial_profile_needs_no_allow_partial(client, sim):
    result, _diff, _warnings = converge_tenant(client, [{"profile": PARTIAL, "key": {}}], state="absent")
    assert not result.get("failed"), result.get("msg")
    assert result["integrations"][0]["compliance"]["status"] == "offboarded"


def test_onboarding_problems_name_both_reasons():
    found = onboarding_problems(dict(PARTIAL, permissions=BASE["permissions"]), ["Service Desk / Service Tickets: add"],
                                allow_partial=False)
    assert [line.split(":")[0] for line in found] == [
        "the partly profile is partial (the table is cut after Service Tickets)",
        "the partly profile names 1 level(s) without a value (the vendor's page gives none), so it is not converged until "
        "you set each, and nothing was written"]
    assert onboarding_problems(PARTIAL, [], allow_partial=True) == []


# -- the profile's own consistency ------------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop("missing"), "p.missing: a partial profile says what its vendor's table leaves unknown"),
    (lambda p: p.update(status="complete"),
     "p.missing: only a partial profile leaves something unknown; set status: partial or remove missing"),
    (lambda p: p.update(status="cut"), "p.status: 'cut' is not complete or partial (the vendor's table is known only in part)"),
    (lambda p: p.update(tables=["Service / Service Board"], disallowed_tables=["Service/ Service Boards"]),
     "p.disallowed_tables[0]: 'Service/ Service Boards' is also in tables; a table is either allowed or disallowed"),
    (lambda p: p["permissions"][0].update(inquire="ask") or p.update(levels_assumed=True),
     "p.levels_assumed: a profile with ask cells takes no level for granted; set it to false"),
    (lambda p: p["permissions"][0].update(inquire="?"),
     "p.permissions[0].inquire: '?' is not a permission level: None, My or All (or ask: the vendor's page names the level "
     "without its value)"),
    (lambda p: p.update(temporary_permissions=[{"module": "System", "function": "Table Setup", "add": "ask"}]),
     "p.temporary_permissions[0].add: 'ask' is not a permission level: None, My or All"),
], ids=["partial-without-missing", "complete-with-missing", "status", "both", "assumed-and-ask", "level", "temporary-ask"])
def test_what_a_profile_says_of_itself_is_checked(change, message):
    data = copy.deepcopy(PARTIAL)
    change(data)
    assert problems(data, "p") == [message]


# -- shared tables ----------------------------------------------------------------------------------------------------

SHARER = {"vendor": "sharer", "title": "Sharer", "same_as": "acme", "source": {"document": "Sharer's page"},
          "role": {"name": "Sharer"}, "member": {"identifier": "sharer"}}


def test_a_shared_table_comes_from_the_profile_it_names():
    found = resolve_shared(SHARER, {"acme": BASE}.__getitem__)
    assert found["permissions"] == BASE["permissions"] and found["status"] == "complete"
    assert (found["vendor"], found["title"], found["role"], found["same_as"]) == ("sharer", "Sharer", {"name": "Sharer"}, "acme")
    found["permissions"][0]["inquire"] = "My"
    assert BASE["permissions"][0]["inquire"] == "All", "a copy: the shared profile is left as it is"
    assert resolve_shared(BASE, {}.__getitem__) is BASE


@pytest.mark.parametrize("profiles, sharer, message", [
    ({"acme": BASE}, dict(SHARER, permissions=[]), "sharer profile: same_as acme takes its table from that profile; "
                                                   "remove permissions"),
    ({}, SHARER, "sharer profile: same_as 'acme' names no known profile"),
    ({"acme": dict(BASE, same_as="other")}, SHARER,
     "sharer profile: same_as acme names a profile that is itself shared; name the profile with the table"),
], ids=["own-table", "unknown", "chain"])
def test_a_shared_table_is_named_once(profiles, sharer, message):
    with pytest.raises(ValueError) as raised:
        resolve_shared(sharer, profiles.__getitem__)
    assert str(raised.value) == message


def test_an_unresolved_shared_profile_says_where_its_table_comes_from():
    assert problems(SHARER, "p") == [
        "p.permissions: missing from the profile",
        "p.same_as: the table of acme is not filled in; the integration role takes it from that profile (files/profiles), "
        "or give the profile with its table"]
