"""cw_fleet_audit: many tenants audited in one process, each exactly as cw_integration audits it in check mode."""

from __future__ import annotations

import re

import pytest

from .conftest import CLIENT_ID
from .helpers import task, writes
from .test_integration import profile

# Three of the five vendors whose pages give every level.
FLEET_VENDORS = ["topleft", "cw_kanban", "mobius"]


def items(tmp_path, name, vendors=None):
    return [{"profile": profile(v), "key": {"dest": str(tmp_path / ("%s-%s.json" % (name, v))), "source": "token"}}
            for v in vendors or FLEET_VENDORS]


def tenant(sim, tmp_path, name, **extra):
    entry = {"name": name, "site": sim.url, "company_id": name, "public_key": name + "-pub", "private_key": name + "-priv",
             "client_id": CLIENT_ID, "integrations": items(tmp_path, name)}
    entry.update(extra)
    return entry


def comparable(result):
    """A tenant's result without what legitimately differs between two runs of the same audit (and the AWX artifacts,
    which cw_fleet_audit reports once for every tenant)."""
    return {key: value for key, value in result.items()
            if key not in ("api", "invocation", "warnings", "diff", "_ansible_no_log", "checked_at", "stats")}


def test_each_tenant_gets_exactly_what_cw_integration_reports_with_the_same_requests(sim, playbook, tmp_path):
    for name in ("alpha", "bravo"):
        sim.create_tenant(name, public_key=name + "-pub", private_key=name + "-priv", settings_writable=True)
    # bravo onboarded for TopLeft, then drifted by an administrator: three states in one fleet.
    bravo = tenant(sim, tmp_path, "bravo")
    onboard = dict(bravo, allow_pending=True)
    onboard.update(integrations=items(tmp_path, "bravo", ["topleft"]))
    onboard.pop("name")
    playbook([task("cw_integration", _name="onboard", **onboard)], expect_rc=0)
    sim.ui_set_levels("TopLeft", [{"module": "Companies", "function": "Contacts", "inquire": "None"}], company="bravo")

    fleet = [tenant(sim, tmp_path, "alpha"), bravo]
    singles = {}
    for entry in fleet:
        sim.clear_requests()
        options = {k: v for k, v in entry.items() if k != "name"}
        run = playbook([task("cw_integration", _name="single", allow_pending=True, **options)], check=True, expect_rc=0)
        singles[entry["name"]] = (run.result("single"), [(r["method"], r["path"]) for r in sim.requests(company=entry["name"])])

    sim.clear_requests()
    run = playbook([task("cw_fleet_audit", _name="fleet", tenants=fleet, concurrency=2)], expect_rc=0)
    result = run.result("fleet")
    assert writes(sim) == []
    assert result["failed_tenants"] == [] and set(result["tenants"]) == {"alpha", "bravo"}
    # When the audit began, and each tenant's own check (UTC, the report's "checked at").
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", result["started"])
    for checked in (r["checked_at"] for r in result["tenants"].values()):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", checked) and checked >= result["started"]
    for name, (single, requests) in singles.items():
        assert comparable(result["tenants"][name]) == comparable(single), name
        # The same reads, one by one (threads only interleave tenants, never a tenant's own requests).
        assert [(r["method"], r["path"]) for r in sim.requests(company=name)] == requests, name
        assert result["tenants"][name]["api"]["requests"] == len(requests)
    statuses = {name: [i["compliance"]["status"] for i in r["integrations"]] for name, r in result["tenants"].items()}
    assert statuses == {"alpha": ["missing_role"] * 3, "bravo": ["drift", "missing_role", "missing_role"]}
    assert result["summary"] == {"missing_role": 5, "drift": 1}
    assert result["stats"]["cw_compliance"] == {name: single[0]["stats"]["cw_compliance"][name] for name, single in singles.items()}
    assert result["changed"] is True
    assert result["api"]["requests"] == sum(len(requests) for _single, requests in singles.values())
    # --diff: one before/after per drifted tenant, headed with its name.
    assert sorted(d["before_header"] for d in result["diff"]) == ["alpha (before)", "bravo (before)"]


def test_a_failing_tenant_is_its_own_result_and_the_others_are_audited(sim, playbook, tmp_path):
    sim.create_tenant("alpha", public_key="alpha-pub", private_key="alpha-priv")
    fleet = [tenant(sim, tmp_path, "alpha"),
             tenant(sim, tmp_path, "wrongkeys", company_id="alpha", private_key="not-the-key"),
             tenant(sim, tmp_path, "nosuchsite", site="http://127.0.0.1:9", retries=0, timeout=2),
             tenant(sim, tmp_path, "badprofile", integrations=[{"profile": {"vendor": "x"}}]),
             tenant(sim, tmp_path, "baditem", integrations=[{"purge": "perhaps"}])]
    sim.clear_requests()
    run = playbook([task("cw_fleet_audit", _name="fleet", tenants=fleet)], verbosity=4, expect_rc=0)
    result = run.result("fleet")
    assert writes(sim) == []
    assert result["failed_tenants"] == ["wrongkeys", "nosuchsite", "badprofile", "baditem"]
    assert [i["compliance"]["status"] for i in result["tenants"]["alpha"]["integrations"]] == ["missing_role"] * 3
    assert "401" in result["tenants"]["wrongkeys"]["msg"] and result["tenants"]["wrongkeys"]["error"]["status"] == 401
    assert "127.0.0.1:9" in result["tenants"]["nosuchsite"]["msg"]
    assert "integrations[0].profile.role: missing from the profile" in result["tenants"]["badprofile"]["msg"]
    assert "profile" in result["tenants"]["baditem"]["msg"] and "integrations" in result["tenants"]["baditem"]["msg"]
    assert result["tenants"]["baditem"]["api"]["requests"] == 0
    assert result["summary"] == {"missing_role": 3, "error": 4}
    # Every tenant's private key masked, at -vvvv, in the module's arguments and results.
    assert "not-the-key" not in run.output and "alpha-priv" not in run.output


def test_connection_options_a_tenant_omits_come_from_the_cw_environment(sim, playbook, tmp_path):
    entry = {"name": "from-env", "integrations": items(tmp_path, "from-env", ["topleft"])}
    run = playbook([task("cw_fleet_audit", _name="fleet", tenants=[entry])], expect_rc=0)
    assert run.result("fleet")["failed_tenants"] == []
    assert sim.requests(company=sim.company)


@pytest.mark.parametrize("options, message", [
    ({"tenants": "twice"}, "tenants: each name once; repeated: twice"),
    ({"concurrency": 0}, "concurrency: at least 1"),
])
def test_bad_arguments_fail_the_task_before_any_request(sim, playbook, tmp_path, options, message):
    fleet = [{"name": "twice", "integrations": []}, {"name": "twice" if options.get("tenants") else "once", "integrations": []}]
    arguments = {"tenants": fleet, "concurrency": options.get("concurrency", 4)}
    sim.clear_requests()
    run = playbook([task("cw_fleet_audit", _name="fleet", **arguments)], expect_rc=2)
    assert message in run.result("fleet")["msg"]
    assert sim.requests() == []


def test_a_tenant_takes_the_task_options_it_does_not_set(sim, playbook, tmp_path):
    """The task's connection and integration options are every tenant's default; a bad option fails its tenant only."""
    sim.create_tenant("alpha", public_key="alpha-pub", private_key="alpha-priv")
    shared = {"site": sim.url, "client_id": CLIENT_ID, "integrations": items(tmp_path, "alpha", ["topleft"])}
    keys = {"company_id": "alpha", "public_key": "alpha-pub", "private_key": "alpha-priv"}
    fleet = [dict(keys, name="alpha"), dict(keys, name="bogus", state="bogus")]
    run = playbook([task("cw_fleet_audit", _name="fleet", tenants=fleet, **shared)], verbosity=4, expect_rc=0)
    result = run.result("fleet")
    assert result["failed_tenants"] == ["bogus"] and "state" in result["tenants"]["bogus"]["msg"]
    assert [i["vendor"] for i in result["tenants"]["alpha"]["integrations"]] == ["topleft"]
    assert "alpha-priv" not in run.output
