"""Modules under ansible-playbook: a site that hides another host is refused before any connection, a bad number from
a CW_* variable names the option, the variable and the fix, and the run's deadline bounds throttling and 503s."""

from __future__ import annotations

import time

import pytest

from tests.unit.test_client_guard import HIDDEN_HOST, Listeners

from .helpers import task


@pytest.fixture
def listeners():
    found = Listeners()
    yield found
    found.close()


def test_cw_site_that_hides_another_host_is_refused_before_any_connection(sim, playbook, listeners):
    # urlsplit reads host 127.0.0.1 (loopback, so plain http passed); requests would connect to 0.0.0.0.
    site = "http://0.0.0.0:%d\\@127.0.0.1:%d" % (listeners.anywhere, listeners.loopback)
    run = playbook([dict(task("cw_system_info", _name="info"), ignore_errors=True)], env={"CW_SITE": site}, verbosity=4)
    assert listeners.connections() == [] and sim.requests() == []
    result = run.result("info")
    assert run.status("info") == "failed" and result["field"] == "site"
    assert HIDDEN_HOST in result["msg"] and "give only the host, e.g. api-na.myconnectwise.net" in result["msg"]
    assert sim.private_key not in run.output


@pytest.mark.parametrize("variable, value, says", [
    ("CW_TIMEOUT", "thirty", "timeout: 'thirty' is not a number of seconds above 0 and at most 600: set timeout (or CW_TIMEOUT) to"),
    ("CW_RETRIES", "99", "retries: '99' is not a whole number from 0 to 20: set retries (or CW_RETRIES) to"),
    ("CW_DEADLINE", "0", "deadline: '0' is not a number of seconds above 0 and at most 86400: set deadline (or CW_DEADLINE) to"),
])
def test_a_bad_number_in_the_environment_names_the_option_and_its_variable(sim, playbook, variable, value, says):
    run = playbook([dict(task("cw_system_info", _name="info"), ignore_errors=True)], env={variable: value})
    result = run.result("info")
    assert run.status("info") == "failed" and result["field"] == variable[3:].lower()
    assert says in result["msg"] and "Traceback" not in run.output
    assert sim.requests() == []


def test_a_retry_after_beyond_the_deadline_fails_at_once(sim, playbook):
    """The default deadline (300 s) is shorter than the 600 s ConnectWise asks for: no point waiting."""
    sim.set_faults(rate_limit_per_minute=1, retry_after=600)
    started = time.monotonic()
    run = playbook([dict(task("cw_system_info", _name="info"), ignore_errors=True)], env={"CW_RETRIES": "5"})
    assert time.monotonic() - started < 60
    result = run.result("info")
    assert run.status("info") == "failed" and result["error"]["status"] == 429
    assert "ConnectWise asks to wait 600s (Retry-After)" in result["msg"]
    assert "this run's deadline (CW_DEADLINE) of 300s" in result["msg"]
    assert [r["status"] for r in sim.requests()][-1] == 429


def test_the_deadline_stops_a_run_that_keeps_getting_503(sim, playbook):
    sim.set_faults(fail_every=1)
    started = time.monotonic()
    run = playbook([dict(task("cw_system_info", _name="info"), ignore_errors=True)],
                   env={"CW_DEADLINE": "3", "CW_RETRIES": "20"})
    # 20 retries at 1 s doubling up to 60 s would take many minutes; the deadline stops it within 3 s of requests.
    assert time.monotonic() - started < 60
    result = run.result("info")
    assert run.status("info") == "failed" and result["error"]["status"] == 503
    assert "this run's deadline (CW_DEADLINE) of 3s" in result["msg"] and "raise deadline (CW_DEADLINE)" in result["msg"]
    assert 1 <= result["error"]["retries"] < 20
