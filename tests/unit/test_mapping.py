"""engine/mapping.py: the role whose levels match a vendor's table best, the members holding a role, how a mapping is
recorded."""

from __future__ import annotations

import json

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.engine.mapping import (
    best_role, check_mappings, holders, how_to_record, match_score, propose_role)

PERMISSIONS = [{"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
               {"module": "Service Desk", "function": "Service Tickets", "edit": "All", "inquire": "All"},
               {"module": "Service Desk", "function": "Service Ticket - Dependencies", "add": "All"}]


def row(module, function, add="None", edit="None", delete="None", inquire="None"):
    return {"moduleName": module, "moduleFunctionName": function, "addLevel": add, "editLevel": edit,
            "deleteLevel": delete, "inquireLevel": inquire}


EXACT = [row("Companies", "Company Maintenance", inquire="All"), row("Service Desk", "Service Tickets", edit="All", inquire="All"),
         row("Service Desk", "Service Tickets - Dependencies", add="All")]


def test_a_role_as_the_vendor_asks_matches_every_cell_whatever_the_spelling_of_a_function():
    assert match_score(EXACT, PERMISSIONS) == (4, 4)


def test_each_differing_cell_and_each_function_the_tenant_lacks_counts_against():
    rows = [row("Companies", "Company Maintenance", inquire="My"), row("Service Desk", "Service Tickets", edit="All", inquire="All")]
    assert match_score(rows, PERMISSIONS) == (2, 4)
    assert match_score([], PERMISSIONS) == (0, 4)


def test_cells_the_vendor_leaves_out_are_not_counted():
    assert match_score(EXACT, [{"module": "Companies", "function": "Company Maintenance", "inquire": "All", "add": None}]) == (1, 1)


def test_the_best_role_is_the_most_cells_then_the_name_and_holds_four_cells_in_five():
    assert best_role([("b", 4, 5), ("A", 4, 5), ("c", 5, 6)]) == ("c", 5, 6)
    assert best_role([("b", 4, 5), ("A", 4, 5)]) == ("A", 4, 5)
    assert best_role([("b", 3, 5), ("c", 0, 0)]) is None


def test_a_proposal_names_the_score_the_runners_up_and_how_to_record_it_and_never_an_admin_role():
    roles = [{"name": "Admin", "adminFlag": True}, {"name": "TopLeft Integration"}, {"name": "Technician"}]
    settings = {"Admin": [row(m["moduleName"], m["moduleFunctionName"], "All", "All", "All", "All") for m in EXACT],
                "TopLeft Integration": EXACT, "Technician": EXACT[:1], "Close": EXACT[:2]}
    assert propose_role(roles[2:], lambda r: settings[r["name"]], PERMISSIONS, "topleft") is None
    proposal = propose_role(roles, lambda r: settings[r["name"]], PERMISSIONS, "topleft")
    assert (proposal["role"], proposal["matching"], proposal["required"], proposal["score"]) == ("TopLeft Integration", 4, 4, "4/4")
    # Technician holds one cell in four: too few to be proposed, even as a runner-up.
    assert proposal["others"] == []
    assert proposal["record"]["variable"] == {"cw_vendor_overrides": {"topleft": {"role_name": "TopLeft Integration"}}}
    command = proposal["record"]["doctor"]
    assert json.loads(command.split("-e ", 1)[1].strip("'")) == {"cw_record_mapping": {"topleft": {"role_name": "TopLeft Integration"}}}
    assert propose_role(roles[:1], lambda r: settings[r["name"]], PERMISSIONS, "topleft") is None


def test_holders_are_the_active_api_members_on_the_role_in_order():
    members = [{"identifier": "zeta", "securityRole": {"id": 7}}, {"identifier": "Alpha", "securityRole": {"id": 7}},
               {"identifier": "old", "securityRole": {"id": 7}, "inactiveFlag": True}, {"identifier": "other", "securityRole": {"id": 8}}]
    assert holders(members, 7) == ["Alpha", "zeta"]


def test_a_member_mapping_records_its_identifier():
    assert how_to_record("cw_kanban", member_identifier="kanban.api")["variable"] == {
        "cw_vendor_overrides": {"cw_kanban": {"member": {"identifier": "kanban.api"}}}}


@pytest.mark.parametrize("mappings, message", [
    (["topleft"], "cw_vendor_mappings: expected a mapping of vendor"),
    ({"topleft": {"role": "X"}}, "cw_vendor_mappings.topleft.role: unknown key; use role_name, member_identifier"),
    ({"topleft": {"role_name": ""}}, "cw_vendor_mappings.topleft.role_name: '' is not a name"),
])
def test_a_bad_recorded_mapping_names_the_field(mappings, message):
    with pytest.raises(ValueError) as raised:
        check_mappings(mappings)
    assert str(raised.value).startswith(message)
