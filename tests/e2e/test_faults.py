"""Fault matrix: onboarding TopLeft on a tenant that accepts level writes (the cw_integration module that
playbooks/onboard_topleft.yml runs, and the playbook itself for the mixed case) under throttling (429 + Retry-After),
a 503 every Nth request, latency spikes beyond the timeout, dropped connections and all of them mixed; and two
onboard_topleft.yml processes onboarding the same tenant at once.

For every fault the run either completes or fails with a message that says what happened and what to do; the module
reports no write the simulator's log does not show, and exactly the retries the log shows; a re-run without faults
converges; the tenant never holds two roles or two members of the same name.

The client's backoff base is 1 s (not configurable), so a 503, a timeout or a dropped connection costs 0.5-1 s per retry:
the scenarios are chosen so that each run meets only a few of them.
"""

from __future__ import annotations

import re
import stat
import time

import pytest
import yaml

from tests.conftest import REPO

from .conftest import finish_book, run_book, start_book, tenant_env
from .helpers import task

PROFILES = REPO / "roles" / "integration" / "files" / "profiles"
CONVERGE = "Converge the integrations (check mode audits)"
# The onboarding runs here issue the member's key through the tokens endpoint: a POST the faults meet too.
TOKENS = {"cw_key_source": "token"}
RETRIED_STATUSES = (429, 502, 503, 504)


# -- what every fault run must satisfy ----------------------------------------------------------------------------------

def assert_no_duplicates(sim):
    for tenant in sim.state()["tenants"]:
        roles = [r["name"].lower() for r in tenant["roles"]]
        members = [m["identifier"].lower() for m in tenant["members"]]
        assert len(roles) == len(set(roles)), "two roles with one name on %s: %s" % (tenant["company"], sorted(roles))
        assert len(members) == len(set(members)), "two members with one identifier on %s: %s" % (tenant["company"], sorted(members))


def settled_log(sim, at_least, wait=5.0):
    """The request log once a late (spiked) request the client gave up on has been answered and logged."""
    deadline = time.monotonic() + wait
    log = sim.requests()
    while len(log) < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
        log = sim.requests()
    return log


def successful_writes(log):
    return [r for r in log if r["method"] != "GET" and r["status"] is not None and r["status"] < 400]


# Which fault ends a run (if any does) depends on timing (latency spikes, the rate window, every Nth request): each
# failure must read as one of these.
CLEAR_FAILURE = (
    re.compile(r"-> HTTP 429: .*Hint: ConnectWise is throttling this key: raise retries \(CW_RETRIES\)"),
    re.compile(r"-> HTTP 50[234]: .*Hint: ConnectWise was unavailable; the run can be repeated safely"),
    re.compile(r": no answer within [0-9.]+s \(timeout\)"),
    re.compile(r": the connection to \S+ was closed before it answered"),
)


def check_faulted_run(sim, run, result, faults):
    """Completed, or failed clearly; retries and writes reported as the log shows them."""
    failed = run.rc != 0
    if failed:
        message = result.get("msg", "")
        assert re.match(r"^(GET|POST|PATCH|PUT|DELETE) /", message), message
        assert any(p.search(message) for p in CLEAR_FAILURE), "unclear failure: %s" % message
        if message.startswith("POST") and ("timeout" in message or "closed before" in message):
            assert "the POST was not retried because it may have been processed: re-run" in message
        assert "Traceback" not in run.output and "MODULE FAILURE" not in run.output
        assert message in run.stdout  # the person running it sees it
    api = result["api"]
    log = settled_log(sim, api["requests"])
    shown = [(r["method"], r["resource"], r["status"]) for r in log]
    assert api["requests"] == len(log), shown
    faulted = [r for r in log if r["dropped"] or r["status"] in RETRIED_STATUSES]
    spiked = len(log) // faults["spike_every"] if faults.get("spike_every") else 0
    # Every faulted attempt was retried, except the last one of a failed run.
    assert api["retries"] == len(faulted) + spiked - (1 if failed else 0), (api, shown)
    writes = successful_writes(log)
    if failed:
        assert not result.get("changed"), "a failed run reports a change"
    else:
        assert result["changed"] is bool(writes), (result["changed"], writes)
        assert result["integrations"][0]["pending"] == []
    assert_no_duplicates(sim)
    return failed


def assert_onboarded(sim, held):
    tenant = [t for t in sim.state()["tenants"] if t["company"].lower() == sim.company.lower()][0]
    assert [r["name"] for r in tenant["roles"] if r["name"].lower() == "topleft"] == ["TopLeft"]
    members = [m for m in tenant["members"] if m["identifier"].lower() == "topleft"]
    assert len(members) == 1 and not members[0].get("inactiveFlag")
    assert stat.S_IMODE(held.stat().st_mode) == 0o600
    assert stat.S_IMODE(held.parent.stat().st_mode) == 0o700


def converge_again(sim, onboard, first_failed, idempotence):
    """Without faults a re-run completes; once it has, the next run finds nothing to write."""
    sim.clear_faults()
    sim.clear_requests()
    run, result = onboard()
    assert run.rc == 0, run.output[-3000:]
    assert result["api"]["retries"] == 0
    assert_no_duplicates(sim)
    if first_failed and idempotence:
        sim.clear_requests()
        run, result = onboard()
        assert run.rc == 0, run.output[-3000:]
    if idempotence or not first_failed:
        assert sim.writes() == [] and result["changed"] is False, sim.writes()
        assert result["integrations"][0]["compliance"]["status"] == "compliant", result["integrations"][0]["compliance"]


def integration_task(held):
    """cw_integration as onboard_topleft.yml runs it, issuing the member's key through the tokens endpoint (a POST
    under the faults too)."""
    item = {"profile": yaml.safe_load((PROFILES / "topleft.yml").read_text()), "key": {"dest": str(held), "source": "token"}}
    return task("cw_integration", _name="integration", integrations=[item])


# faults, connection settings, whether the re-run is followed by an idempotence check
SCENARIOS = {
    # Throttled above 12 requests a second: every 429 is waited out for its Retry-After and the run completes.
    "429-retry-after": ({"rate_limit_per_minute": 12, "rate_window_s": 1, "retry_after": 0.2}, {"CW_RETRIES": "8"}),
    # Throttled with retries too few to wait it out: a clear failure naming CW_RETRIES.
    "429-retries-exhausted": ({"rate_limit_per_minute": 6, "rate_window_s": 30, "retry_after": 0.1}, {"CW_RETRIES": "1"}),
    # The 5th request is the role's POST: a POST is never retried after a 5xx (it may have been processed).
    "503-on-a-write": ({"fail_every": 5}, {"CW_RETRIES": "2"}),
    # The role's POST outlives the timeout, and the server creates the role after the client gave up.
    "timeout-on-a-write": ({"spike_every": 5, "spike_ms": 2500}, {"CW_TIMEOUT": "1.5", "CW_RETRIES": "2"}),
    # The role's POST loses its connection before any answer.
    "dropped-on-a-write": ({"drop_every": 5}, {"CW_RETRIES": "2"}),
    # Reads and settings PATCHes meet 503s, timeouts and dropped connections: retried, counted.
    "mixed": ({"fail_every": 9, "drop_every": 13, "spike_every": 17, "spike_ms": 2500}, {"CW_TIMEOUT": "1.5", "CW_RETRIES": "3"}),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_onboarding_under_faults(sim, playbook, tmp_path, scenario):
    """The cw_integration module (what onboard_topleft.yml runs) under each fault; 'mixed' runs the playbook itself."""
    faults, settings = SCENARIOS[scenario]
    sim.set_settings_writable(True)
    if scenario == "mixed":
        held = tmp_path / "out" / "credentials" / "localhost-topleft.json"

        def onboard(extra_env=None):
            run = run_book(tmp_path, "onboard_topleft.yml", env=dict(tenant_env(sim), **(extra_env or {})), extra=TOKENS)
            return run, run.result(CONVERGE)
    else:
        held = tmp_path / "credentials" / "topleft.json"

        def onboard(extra_env=None):
            run = playbook([integration_task(held)], diff=False, env=extra_env)
            return run, run.result("integration")
    sim.set_faults(**faults)
    sim.clear_requests()
    run, result = onboard(settings)
    failed = check_faulted_run(sim, run, result, faults)
    if scenario == "429-retry-after":
        assert not failed  # (a slow machine may stay under the rate: then no 429 is met, and none is counted)
    if scenario == "429-retries-exhausted":
        assert failed and "(after 1 retry)" in result["msg"]
    if scenario == "timeout-on-a-write" and failed:
        # The server went on to create the role the client gave up on: the re-run must adopt it, not add another.
        assert [r["status"] for r in sim.requests() if r["method"] == "POST"] == [201]
    converge_again(sim, onboard, failed, idempotence=scenario in ("timeout-on-a-write", "mixed"))
    assert_onboarded(sim, held)


def test_two_playbooks_onboarding_one_tenant_at_once(sim, tmp_path):
    """Both read 'no role', both POST it: the second gets 400 ObjectExists and adopts the first one's role (and member)."""
    sim.set_settings_writable(True)
    sim.set_faults(latency_ms=40)  # widens the read-then-write window so that the two runs overlap
    sim.clear_requests()
    env = tenant_env(sim)
    handles = [start_book(tmp_path, "onboard_topleft.yml", env=env, extra=TOKENS, tag="run%d" % n) for n in (1, 2)]
    runs = [finish_book(h) for h in handles]
    for run in runs:
        assert run.rc == 0, run.output[-3000:]
    sim.clear_faults()
    log = sim.requests()
    exists = [r for r in log if r["method"] == "POST" and r["status"] == 400]
    # Each 400 ObjectExists was adopted, and said so.
    warnings = [w for run in runs for w in run.result(CONVERGE)["integrations"][0]["warnings"] if "someone else meanwhile" in w]
    assert len(warnings) == len(exists), (warnings, [(r["resource"], r["status"]) for r in exists])
    # Which run creates the role, the member and the key depends on how the two interleave: one of them at least.
    assert any(run.result(CONVERGE)["changed"] for run in runs)
    assert_no_duplicates(sim)
    # One key: the second run waits on the credentials file's lock, then finds and validates the first run's pair.
    assert len([r for r in log if r["method"] == "POST" and r["path"].lower().endswith("/tokens")]) == 1
    held = tmp_path / "out" / "credentials" / "localhost-topleft.json"
    assert_onboarded(sim, held)

    def onboard():
        again = run_book(tmp_path, "onboard_topleft.yml", env=env, extra=TOKENS, tag="rerun")
        return again, again.result(CONVERGE)
    converge_again(sim, onboard, first_failed=False, idempotence=True)
