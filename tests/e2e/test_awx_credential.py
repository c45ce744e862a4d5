# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module run with exactly the environment AWX builds from a "ConnectWise Manage" credential reaches the tenant.

The environment is rendered from awx/credential_type.yml the way AWX renders it (tests/unit/test_awx.py, awx_inject);
nothing else of the CW_* family is set, and the tenant is one of its own with keys of its own, so the run can only
succeed through what the credential injected.
"""

from __future__ import annotations

import pytest

from tests.unit.test_awx import awx_inject, credential_type

from .helpers import task, writes

CLIENT_ID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


@pytest.fixture
def tenant_env():
    """Here the CW_* variables come from the credential only: none of the default tenant's (the shared fixture's), nor
    the runner's defaults."""
    return {"CW_OUTPUT_DIR": None, "CW_CLIENT_ID": None, "CW_RETRIES": None}


@pytest.fixture
def awx_tenant(sim, tmp_path):
    """A tenant of its own, its credential's inputs, and the environment AWX would inject."""
    sim.create_tenant("awxtenant", public_key="awxpublic7d2c", private_key="awxprivate5b9e")
    inputs = {"site": sim.url, "company_id": "awxtenant", "public_key": "awxpublic7d2c",
              "private_key": "awxprivate5b9e", "client_id": CLIENT_ID, "output_dir": str(tmp_path / "out")}
    env, safe_env = awx_inject(credential_type(), inputs)
    return inputs, env, safe_env


def test_module_reaches_the_tenant_with_the_injected_environment(sim, playbook, awx_tenant):
    inputs, env = awx_tenant[:2]
    assert sorted(env) == ["CW_CLIENT_ID", "CW_COMPANY_ID", "CW_OUTPUT_DIR", "CW_PRIVATE_KEY", "CW_PUBLIC_KEY", "CW_SITE"]
    sim.clear_requests()
    run = playbook([task("cw_system_info", my_security=True)], env=env, verbosity=3, expect_rc=0)
    result = run.result("cw_system_info")
    assert result["version"] and result["base_url"].startswith(sim.url)
    assert result["missing_rights"] == [], result["missing_rights"]
    assert sim.requests(company="awxtenant"), "no request reached the credential's tenant"
    assert sim.requests(company=sim.company) == [], "the default tenant was used instead"
    assert writes(sim) == []
    # What AWX records as job events: the task output at -vvv and each result; the keys appear in none of them.
    for secret in (inputs["private_key"], inputs["public_key"]):
        assert secret not in run.output
        assert secret not in str(run.records)


def test_without_the_credential_the_module_names_what_is_missing(sim, playbook):
    """A job launched without the tenant's credential (the templates ask for it) fails before any request."""
    sim.clear_requests()
    run = playbook([task("cw_system_info")], env={}, expect_rc=2)
    assert run.status("cw_system_info") == "failed"
    message = run.result("cw_system_info")["msg"]
    assert "is required" in message and "(or CW_" in message, message
    assert sim.requests() == []


def test_wrong_keys_for_the_tenant_fail_closed(sim, playbook, awx_tenant):
    """A credential whose keys do not belong to the tenant it names is refused by ConnectWise: nothing is read."""
    env = awx_tenant[1]
    env = dict(env, CW_PRIVATE_KEY="not-the-key")
    run = playbook([task("cw_system_info")], env=env, expect_rc=2)
    result = run.result("cw_system_info")
    assert run.status("cw_system_info") == "failed"
    assert "not-the-key" not in run.output
    assert writes(sim) == []
    assert (result["error"]["status"], result["error"]["path"]) == (401, "/system/info"), result
