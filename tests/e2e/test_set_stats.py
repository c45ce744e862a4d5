# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an AWX job of the collection's playbooks leaves as artifacts, and that a workflow can branch on them.

Each run is an AWX job as awx/configure.yml sets it up: the inventory of tenants (group cw_tenants, host variables
cw_site, cw_company_id, cw_vendors), a limit to one tenant, and the environment its "ConnectWise Manage" credential
injects (rendered as AWX renders it). AWX takes a job's artifacts from the playbook_on_stats event, whose
artifact_data is the play stats' custom data for all hosts (ansible-runner's awx_display callback:
stats.custom['_run']); the callback below records exactly that.
"""

from __future__ import annotations

import base64
import json
import os

import pytest
import requests

from tests.conftest import REPO
from tests.unit.test_awx import awx_inject, credential_type

from .conftest import HERE, run_book
from .helpers import writes

CLIENT_ID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
TENANT, PUBLIC, PRIVATE = "statstenant", "statspublic4e1a", "statsprivate8c3f"

ARTIFACTS_CALLBACK = '''
import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: awx_artifacts
type: aggregate
short_description: Write what AWX would keep as the job's artifacts
description: Writes stats.custom['_run'] (ansible-runner's artifact_data) to E(CW_TEST_ARTIFACTS).
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "awx_artifacts"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_stats(self, stats):
        data = stats.custom.get("_run", {}) if hasattr(stats, "custom") else {}
        with open(os.environ["CW_TEST_ARTIFACTS"], "w", encoding="utf-8") as stream:
            json.dump(data, stream)
'''


@pytest.fixture
def awx_job(sim, tmp_path):
    """job(playbook, limit, extra_vars=None, credential=True) -> (Book, artifacts) for an AWX-like job."""
    sim.create_tenant(TENANT, public_key=PUBLIC, private_key=PRIVATE)
    plugins = tmp_path / "callback_plugins"
    plugins.mkdir()
    (plugins / "awx_artifacts.py").write_text(ARTIFACTS_CALLBACK, encoding="utf-8")
    hosts = {name: {"cw_site": sim.url, "cw_company_id": company, "cw_vendors": ["topleft"]}
             for name, company in (("mspdefault", sim.company), (TENANT, TENANT))}
    inputs = {"site": sim.url, "company_id": TENANT, "public_key": PUBLIC, "private_key": PRIVATE,
              "client_id": CLIENT_ID, "output_dir": str(tmp_path / "cw-output" / TENANT)}
    credential_env = awx_inject(credential_type(), inputs)[0]
    counter = [0]

    def job(playbook, limit, extra_vars=None, credential=True):
        counter[0] += 1
        artifacts = tmp_path / ("artifacts%d.json" % counter[0])
        # Of the CW_* family only what the credential injects (none for the gate, which takes no credential).
        env = dict(credential_env) if credential else {"CW_OUTPUT_DIR": None, "CW_CLIENT_ID": None}
        env.update({"ANSIBLE_CALLBACK_PLUGINS": os.pathsep.join([str(HERE / "callback_plugins"), str(plugins)]),
                    "ANSIBLE_CALLBACKS_ENABLED": "record,awx_artifacts", "CW_TEST_ARTIFACTS": str(artifacts),
                    "PWD": str(tmp_path), "CW_RETRIES": "1"})
        run = run_book(tmp_path, REPO / playbook, inventory={"cw_tenants": {"hosts": hosts}}, limit=limit, verbosity=3,
                       extra=extra_vars, env=env, tag="job%d" % counter[0], timeout=300)
        for secret in (PUBLIC, PRIVATE):
            assert secret not in run.output, "a key appears in the job output"
        return run, (json.loads(artifacts.read_text()) if artifacts.exists() else None)

    return job


def gate(job, artifacts, hosts=None):
    """The "cw compliance gate" job after a job with these artifacts (AWX passes them on as extra variables)."""
    extra = dict(artifacts, **({"cw_gate_hosts": hosts} if hosts else {}))
    return job("awx/compliance_gate.yml", None, extra_vars=extra, credential=False)


def test_audit_artifacts_are_the_tenant_compliance_and_a_workflow_branches_on_them(sim, awx_job, tmp_path):
    sim.clear_requests()
    run, artifacts = awx_job("playbooks/audit.yml", TENANT)
    assert run.rc == 0, run.output
    assert writes(sim) == []
    # Per tenant: the compliance cells, the checklists and pending counts; and the fleet summary of this job.
    assert set(artifacts) == {"cw_compliance", "cw_checklists", "cw_pending", "cw_audit_summary"}
    assert set(artifacts["cw_compliance"]) == set(artifacts["cw_checklists"]) == {TENANT}
    assert artifacts["cw_audit_summary"] == {"missing_role": 1}
    assert artifacts["cw_pending"][TENANT]["topleft"] == len(artifacts["cw_checklists"][TENANT]["topleft"]) > 0
    cell = artifacts["cw_compliance"][TENANT]["topleft"]
    assert cell["status"] == "missing_role" and cell["key"] == "not_held"
    assert {"cells", "permission_cells", "member_fields", "table_status", "excess_grants"} <= set(cell)
    assert PUBLIC not in json.dumps(artifacts) and PRIVATE not in json.dumps(artifacts)
    # The credential's output folder is this tenant's: the report of this job is there, for this tenant only.
    report = json.loads((tmp_path / "cw-output" / TENANT / "reports" / "audit.json").read_text())
    assert TENANT in json.dumps(report) and "mspdefault" not in json.dumps(report)

    run = gate(awx_job, artifacts, hosts=[TENANT])[0]
    assert run.rc == 2, run.output
    assert "Not compliant: %s/topleft: missing_role" % TENANT in run.stdout


def test_onboarded_tenant_reports_compliant_and_the_gate_passes(sim, awx_job):
    sim.set_settings_writable(True, company=TENANT)
    tokens = {"cw_key_source": "token"}  # the member's key issued through the API, so that the job completes
    run, artifacts = awx_job("playbooks/onboard_topleft.yml", TENANT, extra_vars=tokens)
    assert run.rc == 0, run.output
    # An onboarding job reports the state it left (compliant) and what it found before it wrote (no role yet).
    assert artifacts["cw_compliance"][TENANT]["topleft"]["status"] == "compliant"
    assert artifacts["cw_compliance"][TENANT]["topleft"]["found"] == "missing_role"

    sim.clear_requests()
    run, artifacts = awx_job("playbooks/audit.yml", TENANT, extra_vars=tokens)
    assert run.rc == 0, run.output
    assert writes(sim) == []
    assert artifacts["cw_compliance"][TENANT]["topleft"]["status"] == "compliant", artifacts
    run = gate(awx_job, artifacts, hosts=[TENANT])[0]
    assert run.rc == 0, run.output
    assert "Compliant: " + TENANT in run.stdout


def test_a_job_without_a_limit_fails_closed_on_the_other_tenants(sim, awx_job):
    """One credential per job: every other tenant of the inventory is refused its keys, and only its own reports."""
    run, artifacts = awx_job("playbooks/audit.yml", None)
    assert run.rc == 2, run.output
    assert writes(sim) == []
    # The audit is one task for the play, run by its first host: only the refused tenant fails as a host, and the
    # job's own tenant (no role yet) shows as changed, as check mode shows a difference; the first host also carries
    # the run-once audit task, changed since the fleet differs.
    assert {host: (counts["failed"], counts["changed"]) for host, counts in run.recap().items()} == {
        "mspdefault": (1, 1), TENANT: (0, 1)}, run.stdout[-3000:]
    assert set(artifacts["cw_compliance"]) == {TENANT}


def test_review_artifacts_are_the_counts_by_severity_and_the_gate_variable_fails_the_job(sim, awx_job, tmp_path):
    sim.clear_requests()
    run, artifacts = awx_job("playbooks/review.yml", TENANT)
    assert run.rc == 0, run.output
    assert writes(sim) == []
    empty = {"critical": 0, "high": 0, "medium": 0, "low": 0}
    assert artifacts == {"cw_review_counts": empty, "cw_review_findings": {TENANT: empty}}
    [snapshot] = (tmp_path / "cw-output" / TENANT / "history" / TENANT).iterdir()
    assert PRIVATE not in snapshot.read_text()

    # An integration nobody knows appears: the job reports it, and fails at the severity the template sets.
    sim.ui_set_levels("Finance", [{"module": "System", "function": "Member Maintenance", "add": "All"}], company=TENANT)
    token = base64.b64encode(("%s+%s:%s" % (TENANT, PUBLIC, PRIVATE)).encode()).decode()
    roles = requests.get(sim.url + "/v4_6_release/apis/3.0/system/securityroles", timeout=30,
                         headers={"Authorization": "Basic " + token, "clientId": CLIENT_ID}).json()
    finance = next(r["id"] for r in roles if r["name"] == "Finance")
    requests.post(sim.url + "/v4_6_release/apis/3.0/system/apiMembers", timeout=30,
                  headers={"Authorization": "Basic " + token, "clientId": CLIENT_ID},
                  json={"identifier": "Stranger", "name": "Stranger", "securityRole": {"id": finance}}).raise_for_status()
    run, artifacts = awx_job("playbooks/review.yml", TENANT, extra_vars={"cw_review_fail_on": "high"})
    assert run.rc == 2, run.output
    assert artifacts["cw_review_findings"][TENANT] == {"critical": 0, "high": 2, "medium": 1, "low": 0}
    assert ("2 finding(s) at high or above: %s: API member Stranger is on role Finance, which can escalate (System / Member "
            "Maintenance); %s: active API member Stranger matches no vendor profile (role Finance)" % (TENANT, TENANT)
            in run.stdout), run.stdout[-3000:]
