"""converge_tenant: whatever goes wrong on one tenant is that tenant's result, never an exception that would end a
fleet's run (consistency of the engine with the simulator; the shapes themselves: tests/e2e/test_published_shapes.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import converge_tenant

PROFILES = Path(__file__).resolve().parents[2] / "roles" / "integration" / "files" / "profiles"


def topleft():
    return {"profile": yaml.safe_load((PROFILES / "topleft.yml").read_text()), "key": {}}


def test_an_error_nothing_anticipated_is_the_tenants_failure_with_its_traceback(client, sim, monkeypatch):
    real = client.get_all

    def broken(path, *args, **kwargs):
        if path.endswith("/settings"):
            raise RuntimeError("settings exploded")
        return real(path, *args, **kwargs)
    monkeypatch.setattr(client, "get_all", broken)
    result, _diff, _warnings = converge_tenant(client, [topleft()], check_mode=False)
    assert result["failed"] is True and result["integrations"] == []
    assert result["msg"].startswith("unexpected RuntimeError on this tenant: settings exploded; nothing more was sent")
    assert "Traceback" in result["exception"] and "settings exploded" in result["exception"]
    assert [r for r in sim.requests() if r["method"] != "GET"] == []


def test_an_odd_answer_is_a_connectwise_error_of_the_tenant(client, sim):
    sim.set_answer("/system/securityroles", {"id": 1, "name": "Admin"})
    result, _diff, _warnings = converge_tenant(client, [topleft()], check_mode=True)
    assert result["failed"] is True
    assert result["error"]["path"] == "/system/securityroles" and result["error"]["status"] == 200
    assert "expected a list of SecurityRole records" in result["msg"]
