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

import json
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import COLLECTIONS_PATH, REPO

from .conftest import CLIENT_ID
from .helpers import task

HERE = Path(__file__).resolve().parent
PROFILES = REPO / "roles" / "integration" / "files" / "profiles"
CONVERGE = "Converge the integrations (check mode audits)"
# The onboarding runs here issue the member's key through the tokens endpoint: a POST the faults meet too.
TOKENS = {"cw_key_source": "token"}
RETRIED_STATUSES = (429, 502, 503, 504)


# -- running the repository's playbooks (shared with test_secrets and test_bad_input) ---------------------------------

class Book:
    """A finished ansible-playbook run: rc, stdout, stderr and every task result (no_log applied, as Ansible shows it)."""

    def __init__(self, process, stdout, stderr, record):
        self.rc = process.returncode
        self.stdout = stdout
        self.stderr = stderr
        self.record = record
        self.records = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []

    @property
    def output(self):
        return self.stdout + self.stderr

    def results(self, name):
        return [r["result"] for r in self.records if r["task"] == name or r["task"].endswith(" : " + name)]

    def result(self, name):
        found = self.results(name)
        assert found, "no result for task %r; tasks run: %s\n%s" % (name, [r["task"] for r in self.records], self.output[-3000:])
        return found[-1]


def tenant_env(sim, company=None, public_key=None, private_key=None):
    return {"CW_SITE": sim.url, "CW_COMPANY_ID": company or sim.company, "CW_PUBLIC_KEY": public_key or sim.public_key,
            "CW_PRIVATE_KEY": private_key or sim.private_key}


def start_book(workdir, name, env=None, inventory=None, check=False, diff=False, verbosity=0, extra=None, out=None, tag="run"):
    """Start ansible-playbook on playbooks/<name> (or a path); returns a handle for finish_book()."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    playbook = Path(name) if os.path.isabs(str(name)) else REPO / "playbooks" / name
    command = [str(Path(sys.executable).with_name("ansible-playbook")), str(playbook)]
    if inventory is not None:
        path = workdir / ("%s-inventory.yml" % tag)
        path.write_text(yaml.safe_dump(inventory) if not isinstance(inventory, str) else inventory)
        command += ["-i", str(path)]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if verbosity:
        command.append("-" + "v" * verbosity)
    if extra is not None:
        command += ["-e", json.dumps(extra)]
    record = workdir / ("%s-record.jsonl" % tag)
    if record.exists():
        record.unlink()
    # Nothing from the developer's own shell: every CW_* variable comes from the test.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CW_")}
    environment.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH, "CW_OUTPUT_DIR": str(out or workdir / "out"), "CW_CLIENT_ID": CLIENT_ID,
        "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"), "ANSIBLE_CALLBACKS_ENABLED": "record",
        "CW_TEST_RECORD": str(record), "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_FORKS": "5", "CW_RETRIES": "2",
        # Module arguments in every result, as core 2.19 does by default (2.21 only when asked): the secrets audit
        # must see the worst case.
        "ANSIBLE_INJECT_INVOCATION": "1",
    })
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,  # pylint: disable=consider-using-with
                               env=environment, cwd=str(workdir))
    return process, record


def finish_book(handle, timeout=300):
    process, record = handle
    stdout, stderr = process.communicate(timeout=timeout)
    return Book(process, stdout, stderr, record)


def run_book(workdir, name, **options):
    return finish_book(start_book(workdir, name, **options))


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
