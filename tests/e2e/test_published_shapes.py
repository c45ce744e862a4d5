"""Answers in the published shapes, in the shapes other generated clients read, and in shapes nobody expects.

The shapes themselves come from ConnectWise's published spec (tests/conformance checks the simulator's answers against a
client generated from it); here the simulator is made to answer each variant and the collection must cope: work with
every plausible shape, and fail on any other as that tenant's own error, naming the call, before any write.
"""

from __future__ import annotations

import pytest

from .helpers import task, writes
from .test_fleet_audit import tenant
from .test_integration import integration

STRUCTURE = "/system/myCompany/corporateStructure"


def structure(level1):
    return {"id": 1, "level1Name": level1, "level2Name": "Location", "levelCount": "Level2",
            "baseCurrency": {"id": 1}, "fiscalYearStart": "January", "groupCaption": "Group", "locationCaption": "Location"}


@pytest.mark.parametrize("answer, from_levels", [
    (None, False),                                               # the simulator's own: the published list
    ([structure("Head Office")], False),                         # the published Array<CorporateStructure>
    (structure("Head Office"), False),                           # one object, as some generated clients read it
    ([], True),                                                  # no record: level 1 of corporateStructureLevels
    ([dict(structure("Head Office"), level1Name=None)], True),   # no name in it: likewise
], ids=["simulator", "list", "object", "empty", "unnamed"])
def test_the_member_gets_level_1_whatever_shape_the_corporate_structure_has(sim, playbook, answer, from_levels):
    sim.create_tenant("shapes", public_key="shapes-pub", private_key="shapes-priv", level1_name="Head Office")
    if answer is not None:
        sim.set_answer(STRUCTURE, answer, company="shapes")
    env = {"CW_COMPANY_ID": "shapes", "CW_PUBLIC_KEY": "shapes-pub", "CW_PRIVATE_KEY": "shapes-priv"}
    run = playbook([task("cw_security_role", name="ShapeTest"),
                    task("cw_api_member", _name="member", identifier="shapetest", role="ShapeTest")], env=env, expect_rc=0)
    assert run.result("member")["member"]["level"] == "Head Office"
    reads = [r["path"].rsplit("/", 1)[-1] for r in sim.requests(company="shapes") if r["method"] == "GET"]
    assert ("corporateStructureLevels" in reads) is from_levels, reads


# (call, answer): each is a shape the published API never gives for that call.
ODD = [
    (STRUCTURE, "Corporate"),
    ("/system/setupScreens", {"id": 1, "category": "Service", "name": "Service Board"}),
    ("/system/securityroles", [{"id": 1, "roleName": "Admin"}]),
    ("/system/apiMembers/default", [{"id": 0}]),
    ("/system/securityroles/1/settings", [{"id": "F1", "moduleName": "System", "moduleFunctionName": "Table Setup"}]),
]


@pytest.mark.parametrize("call, answer", ODD, ids=[call.rsplit("/", 1)[-1] for call, _a in ODD])
def test_an_odd_answer_fails_the_run_before_any_write_naming_the_call(sim, playbook, tmp_path, call, answer):
    sim.set_answer(call, answer)
    run = playbook([integration(tmp_path, vendor="timesanity")], expect_rc=2)  # a profile with tables: every read
    message = run.result("integration")["msg"]
    assert "GET %s -> HTTP 200: unexpected answer: expected" % call in message, message
    assert "cw_capture=true" in message
    assert "Traceback" not in run.output
    assert writes(sim) == []


def test_an_odd_answer_is_one_tenants_error_and_the_fleet_audit_goes_on(sim, playbook, tmp_path):
    for name in ("alpha", "bravo"):
        sim.create_tenant(name, public_key=name + "-pub", private_key=name + "-priv")
    sim.set_answer("/system/setupScreens", "Service / Service Board", company="alpha")
    run = playbook([task("cw_fleet_audit", _name="fleet", tenants=[tenant(sim, tmp_path, "alpha"), tenant(sim, tmp_path, "bravo")])],
                   expect_rc=0)
    result = run.result("fleet")
    assert result["failed_tenants"] == ["alpha"]
    assert "GET /system/setupScreens -> HTTP 200: unexpected answer: expected a list of SetupScreen records" in (
        result["tenants"]["alpha"]["msg"])
    assert [i["compliance"]["status"] for i in result["tenants"]["bravo"]["integrations"]] == ["missing_role"] * 3
    assert writes(sim) == []
