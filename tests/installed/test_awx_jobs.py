# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The job templates and workflows awx/configure.yml defines, run through ansible-runner the way AWX runs them.

configure.yml (in plan-only mode, with the real awx.awx modules) turns a tenant file naming simulated tenants into its
plan; tests/installed/controller.py then does with that plan what an AWX controller does at each launch: a private
data directory with the project, the inventory script, the job's environment with the credential's injectors rendered
the way AWX renders them (Jinja in a sandbox over the credential's inputs), the extra variables file and command line,
then ansible_runner.run(). The collection comes from its built tarball, installed into an empty collections path
(the execution environment's); the simulator is the tenant.

Checked against software we did not write (ansible-runner 2.4, which AWX runs every job with; ansible-core; AWX's
rules, transcribed in controller.py) and our own (the playbooks, roles, modules and configure.yml's plan): each job's
status, its artifacts as AWX keeps them (playbook_on_stats' artifact_data), the gate's decision, and that no key
appears in any event, in the job's output, in its stored environment or in any file the runner wrote but the two
that hold the job's environment by design.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest
import yaml

from tests.conftest import REPO
from tests.published import unpublished
from tests.unit.test_awx import AWX_CACHE, _download_awx

from .conftest import BIN, inside, outside_environment, run
from .controller import HIDDEN, Controller, copy_project, files_holding

VENDOR = "topleft"
MEMBER = "TopLeft"  # the profile's member and role
# ansible-runner starts each job through pexpect (forkpty); Python 3.12 warns when the forking process has threads, as
# this one has (the simulator's output readers, tests/conftest.py). The child only sets up its terminal and execs.
pytestmark = pytest.mark.filterwarnings(
    r"ignore:This process \(pid=\d+\) is multi-threaded, use of forkpty\(\) may lead to deadlocks:DeprecationWarning")


def keys_of(name):
    return {"public_key": name + "pub7c1d", "private_key": name + "priv4e9a"}


@pytest.fixture(scope="session")
def awx_collection():
    """awx.awx from the pinned `ansible` wheel (as tests/unit/test_awx.py takes it): configure.yml needs its modules."""
    if not (AWX_CACHE / "ansible_collections" / "awx" / "awx" / "MANIFEST.json").is_file():
        _download_awx(AWX_CACHE)
    return AWX_CACHE


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """The project AWX checks out: this repository (its playbooks/ and awx/ are what the templates name)."""
    return copy_project(tmp_path_factory.mktemp("project") / "msp.connectwise")


@pytest.fixture
def controller(sim, installed, awx_collection, project, tmp_path):
    """controller(tenants) -> Controller: configure.yml's plan for a tenant file listing these simulated tenants
    ({name: vendors}), each with a key pair of its own in the keys file."""

    def configure(tenants):
        example = yaml.safe_load((REPO / "awx" / "tenants.example.yml").read_text(encoding="utf-8"))
        example.update(output_dir=str(tmp_path / "cw-output"), tenants=[
            {"name": name, "site": sim.url, "company_id": name, "vendors": vendors} for name, vendors in tenants.items()])
        keys = {name: keys_of(name) for name in tenants}
        for name in tenants:
            sim.create_tenant(name, **keys[name])
        admin = tmp_path / "admin"
        admin.mkdir()
        (admin / "tenants.yml").write_text(yaml.safe_dump(example), encoding="utf-8")
        (admin / "keys.yml").write_text(yaml.safe_dump({"cw_awx_keys": keys}), encoding="utf-8")
        process = run([BIN / "ansible-playbook", project / "awx" / "configure.yml", "-e", "cw_awx_plan_only=true",
                       "-e", "cw_awx_tenants_file=%s" % (admin / "tenants.yml"),
                       "-e", "cw_awx_plan_file=%s" % (admin / "plan.json")],
                      admin, outside_environment(awx_collection, tmp_path / "admin-home"))
        assert process.returncode == 0, process.stdout + process.stderr
        plan = json.loads((admin / "plan.json").read_text(encoding="utf-8"))
        return Controller(plan, keys, project, installed.root, tmp_path / "controller")

    return configure


@pytest.fixture(autouse=True)
def _job_environment(monkeypatch, installed, tmp_path):
    """The environment ansible-runner starts from (it copies this process's): a clean shell's, as on an execution
    node, with nothing of the repository on it (tests/conftest.py set ANSIBLE_COLLECTIONS_PATH to its tree)."""
    clean = outside_environment(installed.root, tmp_path / "node-home")
    # A job's own environment names these (controller.py, build_env): HOME is its private data dir.
    del clean["ANSIBLE_HOME"], clean["ANSIBLE_COLLECTIONS_PATH"], clean["HOME"]
    for name in list(os.environ):
        monkeypatch.delenv(name)
    for name, value in clean.items():
        monkeypatch.setenv(name, value)


def secrets_of(tenants):
    return [keys_of(name)[kind] for name in tenants for kind in ("public_key", "private_key")]


def check_job(job, secrets, installed):
    """What every job must show. Its artifacts are the playbook_on_stats event's artifact_data, in the event the
    handler got and in the runner's own job_events file. Its playbook came from the project, its roles' tasks from the
    installed collection. No key in any event (stdout and event_data), in the job's output, in the runner's stdout and
    job_events files, or in the environment AWX stores (its copy hides both keys); in the private data dir only the
    job's environment holds them (env/envvars, what the job was given, and artifacts/<id>/command, ansible-runner's
    record of how it started the job: both the job's own, and removed with it on a controller)."""
    [stats] = [e for e in job.runner.events if e["event"] == "playbook_on_stats"]
    assert stats["event_data"]["artifact_data"] == job.artifacts
    paths = {e["event_data"]["task_path"].rsplit(":", 1)[0] for e in job.events if e.get("event_data", {}).get("task_path")}
    project = job.private_data_dir / "project"
    assert {p for p in paths if not inside(p, installed.collection)} == {str(project / job.playbook)}
    # Those use no role (audit.yml runs the installed collection's cw_fleet_audit action as one task for the play).
    if job.playbook not in ("playbooks/doctor.yml", "playbooks/audit.yml", "awx/compliance_gate.yml"):
        assert [p for p in paths if inside(p, installed.collection / "roles")], "no task of the installed roles ran"
    # Collections only from the job's requirements (none) and the installed collection (the image's).
    assert job.job_env["ANSIBLE_COLLECTIONS_PATH"] == "%s:%s" % (job.private_data_dir / "requirements_collections",
                                                                 installed.root)
    for event in job.events:
        dumped = json.dumps(event)
        assert not [s for s in secrets if s in dumped], event
    assert not [s for s in secrets if s in job.stdout]
    assert not [s for s in secrets if s in (job.artifact_dir / "stdout").read_text(encoding="utf-8")]
    assert len(list((job.artifact_dir / "job_events").glob("*.json"))) == len(job.events)
    assert not [s for s in secrets if s in json.dumps(job.job_env)]
    if job.credentials:
        assert job.job_env["CW_PUBLIC_KEY"] == job.job_env["CW_PRIVATE_KEY"] == HIDDEN
        assert files_holding(job.private_data_dir, secrets) == ["artifacts/%d/command" % job.id, "env/envvars"]
    else:
        assert not [name for name in job.job_env if name.startswith("CW_")]
        assert files_holding(job.private_data_dir, secrets) == []


def test_onboarding_workflow_runs_apply_then_approval_then_a_green_verify(sim, controller, installed, tmp_path):
    awx = controller({"contoso": [VENDOR]})
    secrets = secrets_of(["contoso"])
    [workflow] = awx.plan["workflows"]
    assert workflow["name"] == "onboard topleft for contoso"
    output_dir = tmp_path / "cw-output" / "contoso"
    checklist = output_dir / "checklists" / "contoso-topleft.md"
    [inputs] = [c["inputs"] for c in awx.plan["credentials"] if c["tenant"] == "contoso"]
    shell = tmp_path / "approver"
    shell.mkdir()

    def approve(node, done):
        """The approver: opens the apply job's checklist, applies it in the ConnectWise UI (which shows the member's
        new key pair once), then hands the pair over from a shell with the command the checklist gives."""
        assert str(checklist) in node["unified_job_template"]["description"]
        assert done["apply"].status == "successful"
        subprocess.run([sys.executable, "-m", "simulator.admin", "--url", sim.url, "--company", "contoso", "--keys-dir",
                        str(shell / "ui-keys"), "apply", str(checklist)], cwd=REPO, check=True, capture_output=True)
        pair = json.loads((shell / "ui-keys" / (MEMBER + "-ui-key.json")).read_text(encoding="utf-8"))
        [step] = [s for s in done["apply"].artifacts["cw_checklists"]["contoso"][VENDOR] if "API Keys" in s]
        command = shlex.split(step.split(" and run: ", 1)[1].split(" (it asks", 1)[0])
        # The job's inventory is gone with the job: the command names the host and where the job keeps key pairs.
        assert command == ["ansible-playbook", "msp.connectwise.key_import", "-i", "contoso,",
                           "-e", "cw_credentials_dir=%s" % (output_dir / "credentials"), "-e", "cw_vendor=topleft"]
        env = outside_environment(installed.root, shell / "ansible-home", CW_SITE=inputs["site"],
                                  CW_COMPANY_ID=inputs["company_id"], CW_CLIENT_ID=inputs["client_id"],
                                  CW_PUBLIC_KEY=keys_of("contoso")["public_key"],
                                  CW_PRIVATE_KEY=keys_of("contoso")["private_key"])
        (shell / "vault-password").write_text("approver vault password 5e2b\n", encoding="utf-8")
        key_file = {"member_public_key": pair["public_key"], "member_private_key": pair["private_key"]}
        (shell / "topleft-keys.yml").write_text(yaml.safe_dump(key_file), encoding="utf-8")
        vault = ["--vault-password-file", shell / "vault-password"]
        encrypted = run([BIN / "ansible-vault", "encrypt"] + vault + [shell / "topleft-keys.yml"], shell, env)
        assert encrypted.returncode == 0, encrypted.stderr
        handed = run([BIN / command[0]] + command[1:] + ["-e", "cw_key_file=%s" % (shell / "topleft-keys.yml")] + vault,
                     shell, env)
        assert handed.returncode == 0, handed.stdout[-3000:]
        assert pair["private_key"] not in handed.stdout + handed.stderr
        secrets.append(pair["private_key"])
        return True

    # A new tenant's first job: "cw doctor" with its credential and limit (docs/awx.md).
    doctor = awx.launch("cw doctor", credentials=["ConnectWise Manage: contoso"], limit="contoso")
    assert (doctor.status, doctor.rc, doctor.artifacts) == ("successful", 0, {}), doctor.stdout[-3000:]
    assert "Keys and clientId: accepted" in doctor.stdout
    assert yaml.safe_load((output_dir / "tenants" / "contoso.yml").read_text(encoding="utf-8"))["cw_company_id"] == "contoso"

    done = awx.run_workflow(workflow, approve=approve)
    assert sorted(done) == ["apply", "approval", "verify"]
    apply, verify = done["apply"], done["verify"]

    # apply: writes what the API accepts and succeeds with the checklist pending (the node's cw_fail_on_pending).
    assert (apply.template, apply.limit, apply.credentials) == ("cw onboard topleft", "contoso", ["ConnectWise Manage: contoso"])
    assert apply.extra_vars == {"cw_fail_on_pending": False}
    assert (apply.status, apply.rc) == ("successful", 0), apply.stdout[-3000:]
    assert sorted(apply.artifacts) == ["cw_checklists", "cw_compliance", "cw_pending"]
    cell = apply.artifacts["cw_compliance"]["contoso"][VENDOR]
    assert (cell["status"], cell["found"], cell["key"]) == ("pending_manual_steps", "missing_role", "not_held")
    # Every permission row (levels go through the UI on this tenant) and the member's key.
    assert apply.artifacts["cw_pending"] == {"contoso": {VENDOR: cell["permission_rows"] + 1}}
    assert len(apply.artifacts["cw_checklists"]["contoso"][VENDOR]) == cell["permission_rows"] + 1

    # verify: the same template after the approval, given the apply job's artifacts (AWX passes them on), passes.
    assert done["approval"] is True
    assert (verify.template, verify.limit, verify.credentials) == (apply.template, apply.limit, apply.credentials)
    assert verify.extra_vars == apply.artifacts
    assert (verify.status, verify.rc) == ("successful", 0), verify.stdout[-3000:]
    assert verify.artifacts == {"cw_checklists": {"contoso": {VENDOR: []}}, "cw_pending": {"contoso": {VENDOR: 0}},
                                "cw_compliance": {"contoso": {VENDOR: dict(verify.artifacts["cw_compliance"]["contoso"][VENDOR])}}}
    cell = verify.artifacts["cw_compliance"]["contoso"][VENDOR]
    assert (cell["status"], cell["found"], cell["key"], cell["cells"]) == ("compliant", "compliant", "held", 0)
    for job in (doctor, apply, verify):
        check_job(job, secrets, installed)
    assert unpublished(sim.requests()) == []


def test_nightly_fleet_audit_reports_each_tenant_and_gates_the_drifted_one(sim, controller, installed, tmp_path):
    tenants = ["fabrikam", "tailspin"]
    awx = controller({name: [VENDOR] for name in tenants})
    secrets = secrets_of(tenants)
    onboarded = []
    for name in tenants:
        sim.set_settings_writable(True, company=name)
        # A person launches "cw onboard topleft" with the tenant's credential and limit, and the member's key issued
        # through the API (an extra variable at launch): nothing is left for the UI.
        job = awx.launch("cw onboard topleft", credentials=["ConnectWise Manage: " + name], limit=name,
                         extra_vars={"cw_key_source": "token"})
        assert (job.status, job.rc) == ("successful", 0), job.stdout[-3000:]
        assert job.artifacts["cw_pending"] == {name: {VENDOR: 0}} and job.artifacts["cw_checklists"] == {name: {VENDOR: []}}
        assert job.artifacts["cw_compliance"][name][VENDOR]["status"] == "compliant"
        onboarded.append(job)
    # tailspin drifts: someone takes a right from the vendor's role in the ConnectWise UI.
    sim.ui_set_levels(MEMBER, [{"module": "Companies", "function": "Contacts", "inquire": "None"}], company="tailspin")

    sim.clear_requests()
    fleet = awx.plan["fleet"]
    assert fleet["schedule"]["name"] == "nightly fleet audit"
    done = awx.run_workflow(fleet, launch_type="scheduled", schedule=fleet["schedule"]["name"])
    assert sim.writes() == [], "the fleet audit wrote to a tenant"
    assert sorted(done) == ["audit fabrikam", "audit tailspin", "gate fabrikam", "gate tailspin"]

    for name, status, cells in (("fabrikam", "compliant", 0), ("tailspin", "drift", 1)):
        audit = done["audit " + name]
        assert (audit.template, audit.limit, audit.credentials) == ("cw audit (assigned vendors)", name,
                                                                    ["ConnectWise Manage: " + name])
        # An audit job succeeds whatever it finds; what it found is in its artifacts.
        assert (audit.status, audit.rc) == ("successful", 0), audit.stdout[-3000:]
        assert sorted(audit.artifacts) == ["cw_audit_summary", "cw_checklists", "cw_compliance", "cw_pending"]
        assert audit.artifacts["cw_audit_summary"] == {status: 1}
        cell = audit.artifacts["cw_compliance"][name][VENDOR]
        assert set(audit.artifacts["cw_compliance"]) == {name}
        # The key issued through the API expires: its replacement by a permanent key is the one step left.
        assert (cell["status"], cell["cells"], cell["key"]) == (status, cells, "expiring")
        checklist = audit.artifacts["cw_checklists"][name][VENDOR]
        assert audit.artifacts["cw_pending"] == {name: {VENDOR: len(checklist)}} and len(checklist) == cells + 1
        report = json.loads((tmp_path / "cw-output" / name / "reports" / "audit.json").read_text(encoding="utf-8"))
        assert sorted(report["tenants"]) == [name] and report["summary"] == {status: 1}

        gate = done["gate " + name]
        assert (gate.template, gate.limit, gate.credentials) == ("cw compliance gate", "", [])
        # The node's extra data, then the audit's artifacts, written !unsafe as AWX writes what a template does not set.
        assert gate.extra_vars == dict({"cw_gate_hosts": [name]}, **audit.artifacts)
        assert "!unsafe 'cw_compliance':" in (gate.private_data_dir / "env" / "extravars").read_text(encoding="utf-8")
        assert gate.artifacts == {}
    gate = done["gate fabrikam"]
    assert (gate.status, gate.rc) == ("successful", 0), gate.stdout[-3000:]
    assert '"msg": "Compliant: fabrikam"' in gate.stdout
    gate = done["gate tailspin"]
    assert (gate.status, gate.rc) == ("failed", 2), gate.stdout[-3000:]
    assert '"msg": "Not compliant: tailspin/topleft: drift (1 cells)"' in gate.stdout
    assert gate.runner.stats["failures"] == {"localhost": 1}
    for job in onboarded + list(done.values()):
        check_job(job, secrets, installed)
    assert unpublished(sim.requests()) == []
