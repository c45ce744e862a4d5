"""The one way the end-to-end tests run ansible-playbook (on the repository's playbooks, or on a play of tasks written
for the test) against the simulator, with every task result read back; and the published-endpoint check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import COLLECTIONS_PATH, REPO
from tests.published import unpublished

HERE = Path(__file__).resolve().parent
CLIENT_ID = "8d3c4f9e-2b7a-4e51-9c0d-6a1b2c3d4e5f"
ANSIBLE_PLAYBOOK = str(Path(sys.executable).with_name("ansible-playbook"))


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


# -- running ansible-playbook -------------------------------------------------------------------------------------------

def tenant_env(sim, company=None, public_key=None, private_key=None):
    """The CW_* variables naming a simulator tenant and a key pair (by default its default tenant's administrator)."""
    return {"CW_SITE": sim.url, "CW_COMPANY_ID": company or sim.company, "CW_PUBLIC_KEY": public_key or sim.public_key,
            "CW_PRIVATE_KEY": private_key or sim.private_key}


def ansible_environment(workdir, record=None, out=None, env=None):
    """The environment of every ansible-playbook process of these tests. Nothing of the CW_* family comes from the
    developer's own shell; the output folder, client id and retries have defaults, and ``env`` has the last word
    (a value None removes the variable)."""
    workdir = Path(workdir)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CW_")}
    environment.update({
        "ANSIBLE_COLLECTIONS_PATH": COLLECTIONS_PATH, "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_FORKS": "5",
        # Module arguments in every result, as core 2.19 does by default (2.21 only when asked): tests read them, and
        # the secrets audit must see the worst case.
        "ANSIBLE_INJECT_INVOCATION": "1",
        "CW_OUTPUT_DIR": str(out or workdir / "out"), "CW_CLIENT_ID": CLIENT_ID, "CW_RETRIES": "2",
    })
    if record is not None:
        environment.update({"ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"), "ANSIBLE_CALLBACKS_ENABLED": "record",
                            "CW_TEST_RECORD": str(record)})
    for key, value in (env or {}).items():
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = value
    return environment


def playbook_command(playbook, inventory=None, check=False, diff=False, verbosity=0, extra=None, limit=None):
    """ansible-playbook on ``playbook``: playbooks/<name>, or a path (absolute, or relative to the repository)."""
    path = Path(playbook)
    if not path.is_absolute():
        path = REPO / path if len(path.parts) > 1 else REPO / "playbooks" / path
    command = [ANSIBLE_PLAYBOOK, str(path)]
    if inventory is not None:
        command += ["-i", str(inventory)]
    if limit:
        command += ["--limit", limit]
    if check:
        command.append("--check")
    if diff:
        command.append("--diff")
    if verbosity:
        command.append("-" + "v" * verbosity)
    if extra is not None:
        command += ["-e", json.dumps(extra)]
    return command


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

    def recap(self):
        """host -> its PLAY RECAP counts ({"ok": 3, "changed": 1, "failed": 0, ...})."""
        found = {}
        for line in self.stdout.split("PLAY RECAP")[-1].splitlines():
            if ":" in line and "=" in line:
                host, counts = line.split(":", 1)
                found[host.strip()] = {k: int(v) for k, v in (pair.split("=") for pair in counts.split())}
        return found

    def results(self, name):
        return [r["result"] for r in self.records if r["task"] == name or r["task"].endswith(" : " + name)]

    def result(self, name):
        """The (last) result of the task named ``name`` (in a role, "<role> : <name>")."""
        found = self.results(name)
        assert found, "no result for task %r; tasks run: %s\n%s" % (name, [r["task"] for r in self.records], self.output[-3000:])
        return found[-1]

    def status(self, name):
        """ok, failed or skipped: how the (last) run of the task ended."""
        return [r for r in self.records if r["task"] == name or r["task"].endswith(" : " + name)][-1]["status"]


def start_book(workdir, playbook, env=None, inventory=None, out=None, tag="run", **options):
    """Start ansible-playbook (options as playbook_command's) in ``workdir``; returns a handle for finish_book().
    ``inventory`` is written to <tag>-inventory.yml; ``tag`` names the files of this run, so that runs in one folder
    may overlap."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    path = None
    if inventory is not None:
        path = workdir / ("%s-inventory.yml" % tag)
        path.write_text(yaml.safe_dump(inventory))
    record = workdir / ("%s-record.jsonl" % tag)
    record.unlink(missing_ok=True)
    process = subprocess.Popen(playbook_command(playbook, inventory=path, **options),  # pylint: disable=consider-using-with
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=ansible_environment(workdir, record=record, out=out, env=env), cwd=str(workdir))
    return process, record


def finish_book(handle, timeout=600):
    process, record = handle
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return Book(process, stdout, stderr, record)


def run_book(workdir, playbook, timeout=600, **options):
    """ansible-playbook on ``playbook`` in ``workdir`` (options as start_book's), to its end: a Book."""
    return finish_book(start_book(workdir, playbook, **options), timeout=timeout)


@pytest.fixture
def book(tmp_path):
    """book(playbook, **options) -> Book: run_book() in the test's tmp_path (CW_OUTPUT_DIR its "out" folder)."""

    def run(playbook, **options):
        return run_book(tmp_path, playbook, **options)

    return run


@pytest.fixture(name="tenant_env")
def tenant_env_fixture(sim):
    """The CW_* environment of the simulator's default tenant and administrator key, for the `playbook` fixture."""
    return tenant_env(sim)


@pytest.fixture
def playbook(tmp_path, tenant_env):
    """playbook(tasks, check=False, diff=True, verbosity=0, env=None, play_vars=None, expect_rc=None) -> Book: a play of
    ``tasks`` on localhost, with the `tenant_env` fixture's variables (``env`` added over them)."""
    counter = [0]

    def run(tasks, check=False, diff=True, verbosity=0, env=None, play_vars=None, expect_rc=None):
        counter[0] += 1
        path = tmp_path / ("play%d.yml" % counter[0])
        play = {"name": "test", "hosts": "localhost", "connection": "local", "gather_facts": False,
                "vars": dict({"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, **(play_vars or {})),
                "tasks": tasks}
        path.write_text(yaml.safe_dump([play], sort_keys=False))
        outcome = run_book(tmp_path, path, env=dict(tenant_env, **(env or {})), check=check, diff=diff,
                           verbosity=verbosity, tag="play%d" % counter[0], timeout=300)
        if expect_rc is not None:
            assert outcome.rc == expect_rc, outcome.output
        return outcome

    return run
