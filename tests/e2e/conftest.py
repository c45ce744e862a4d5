"""Run real ansible-playbook processes against the simulator and read back every task result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import COLLECTIONS_PATH
from tests.published import unpublished

HERE = Path(__file__).resolve().parent
CLIENT_ID = "8d3c4f9e-2b7a-4e51-9c0d-6a1b2c3d4e5f"


def pytest_configure(config):
    config.addinivalue_line("markers", "unpublished_requests(reason): the test deliberately calls endpoints ConnectWise "
                            "does not publish; the published-endpoint check then requires that it did")


@pytest.fixture(autouse=True)
def _published_endpoints_only(request, monkeypatch):
    """After each test that used `sim`: every request the simulator logged must be a published ConnectWise endpoint
    (tests/published.py, from pyconnectwise), since the simulator answers whatever it models and a real tenant need
    not. Tests clear or reset the log midway, so those calls first collect it."""
    if "sim" not in request.fixturenames:
        yield
        return
    sim = request.getfixturevalue("sim")
    seen = []
    for name in ("clear_requests", "reset"):
        def collect_first(*args, _original=getattr(sim, name), **kwargs):
            seen.extend(sim.requests())
            return _original(*args, **kwargs)
        monkeypatch.setattr(sim, name, collect_first)
    yield
    bad = ["%s %s -> %s" % (e["method"], e["path"], e["status"]) for e in unpublished(seen + sim.requests())]
    marker = request.node.get_closest_marker("unpublished_requests")
    if marker:
        assert bad, "marked unpublished_requests (%s) but every request was published: drop the marker" % marker.args
    else:
        assert not bad, "requests to endpoints ConnectWise does not publish: %s" % bad


class PlaybookRun:
    def __init__(self, process, records):
        self.rc = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.records = records

    @property
    def output(self):
        return self.stdout + self.stderr

    def result(self, task):
        """The (last) result of the task named ``task``."""
        matches = [r for r in self.records if r["task"] == task]
        assert matches, "no result for task %r; tasks run: %s\n%s" % (task, [r["task"] for r in self.records], self.output)
        return matches[-1]["result"]

    def status(self, task):
        return [r for r in self.records if r["task"] == task][-1]["status"]


@pytest.fixture
def tenant_env(sim):
    """The CW_* environment for the simulator's default tenant and administrator key."""
    return {"CW_SITE": sim.url, "CW_COMPANY_ID": sim.company, "CW_PUBLIC_KEY": sim.public_key,
            "CW_PRIVATE_KEY": sim.private_key, "CW_CLIENT_ID": CLIENT_ID, "CW_RETRIES": "2"}


@pytest.fixture
def playbook(tmp_path, tenant_env):
    """playbook(tasks, check=False, diff=True, verbosity=0, env=None) -> PlaybookRun, on localhost."""
    counter = [0]

    def run(tasks, check=False, diff=True, verbosity=0, env=None, play_vars=None, expect_rc=None):
        counter[0] += 1
        book = tmp_path / ("play%d.yml" % counter[0])
        record = tmp_path / ("record%d.jsonl" % counter[0])
        play = {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False,
                "vars": dict({"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, **(play_vars or {})),
                "tasks": tasks}
        book.write_text(yaml.safe_dump([play], sort_keys=False))
        environment = dict(os.environ, **tenant_env)
        environment.update({
            "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH, "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
            "ANSIBLE_CALLBACKS_ENABLED": "record", "CW_TEST_RECORD": str(record), "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            # Module arguments in every result, as core 2.19 does by default (2.21 only when asked): tests read them,
            # and the secrets audit must see the worst case.
            "ANSIBLE_INJECT_INVOCATION": "1",
        })
        environment.update(env or {})
        command = [str(Path(sys.executable).with_name("ansible-playbook")), str(book)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        if verbosity:
            command.append("-" + "v" * verbosity)
        process = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=str(tmp_path), timeout=300,
                                 check=False)
        records = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
        outcome = PlaybookRun(process, records)
        if expect_rc is not None:
            assert outcome.rc == expect_rc, outcome.output
        return outcome

    return run
