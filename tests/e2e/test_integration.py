"""cw_integration: a whole vendor profile on one tenant in one process."""

from __future__ import annotations

from pathlib import Path

import yaml

from .helpers import task, writes

PROFILES = Path(__file__).resolve().parents[2] / "roles" / "integration" / "files" / "profiles"


def profile(vendor):
    return yaml.safe_load((PROFILES / ("%s.yml" % vendor)).read_text())


def integration(tmp_path, vendor="topleft", **options):
    item = {"profile": profile(vendor), "key": {"dest": str(tmp_path / ("%s.json" % vendor))}}
    item.update(options.pop("item", {}))
    options.setdefault("allow_pending", True)
    return task("cw_integration", _name="integration", integrations=[item], **options)


def test_topleft_on_a_writable_tenant(sim, playbook, tmp_path):
    sim.control("PATCH", "/__sim__/tenants/%s" % sim.company, {"settings_writable": True})
    run = playbook([integration(tmp_path)], check=True, expect_rc=0)
    result = run.result("integration")
    assert writes(sim) == []
    topleft = result["integrations"][0]
    assert topleft["compliance"]["status"] == "missing_role"
    assert len(result["diff"]["after"]["topleft"]["permissions"]) == 26

    sim.clear_requests()
    # A key issued through the API, so that one run completes the integration (test_permanent_keys.py: the UI key).
    tokens = {"key": {"dest": str(tmp_path / "topleft.json"), "source": "token"}}
    run = playbook([integration(tmp_path, settings_writable=True, item=tokens)], expect_rc=0)
    result = run.result("integration")
    topleft = result["integrations"][0]
    assert result["changed"] is True and topleft["pending"] == [], topleft
    sim.clear_requests()
    run = playbook([integration(tmp_path, settings_writable=True, item=tokens)], check=True, expect_rc=0)
    result = run.result("integration")
    assert result["integrations"][0]["compliance"]["status"] == "compliant", result["integrations"][0]["compliance"]
    assert writes(sim) == []
    print(len(sim.requests()), [r["path"] for r in sim.requests()])
