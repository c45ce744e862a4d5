# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet audit's plumbing: tenants shared among processes come back in order, each masked with its own secrets;
the report audit.json holds, composed from the audit's result."""

from __future__ import annotations

import os

from ansible_collections.msp.connectwise.plugins.module_utils.engine import fleet


def fake_audit(tenant, task, checklist_dir=None, history_dir=None, retention_days=400, history_roles="all"):
    """A tenant's result without a request: which process audited it, and its key (to be masked)."""
    failed = tenant["name"] == "t3"
    item = {"vendor": "topleft", "compliance": {"status": "drift"}, "manual_steps": [], "pending": []}
    result = {"changed": not failed, "integrations": [] if failed else [item],
              "api": {"requests": 2, "retries": 0}, "pid": os.getpid(), "key": tenant["private_key"],
              "checked_at": "2026-06-02T03:00:04Z"}
    if failed:
        result.update(failed=True, msg="401 for %s" % tenant["private_key"])
    return result, {"before": {}, "after": {}}


def test_tenants_shared_among_processes_come_back_in_order_each_masked(monkeypatch):
    monkeypatch.setattr(fleet, "audit", fake_audit)
    tenants = [{"name": "t%d" % n, "private_key": "secret%d" % n} for n in range(1, 6)]

    def mask(tenant, value):
        return {k: v.replace(tenant["private_key"], "********") if isinstance(v, str) else v for k, v in value.items()} if value else value

    unbuilt = {"failed": True, "msg": "unbuilt", "integrations": [], "changed": False, "api": {"requests": 0, "retries": 0}}
    result = fleet.audit_fleet(tenants, {}, concurrency=4, processes=2, mask=mask, ready={"t5": unbuilt})
    assert list(result["tenants"]) == ["t1", "t2", "t3", "t4", "t5"]
    # Audited in forked processes, not in this one.
    assert os.getpid() not in {result["tenants"][name]["pid"] for name in ("t1", "t2", "t3", "t4")}
    assert [result["tenants"][name].get("key") for name in ("t1", "t2", "t4")] == ["********"] * 3
    assert result["failed_tenants"] == ["t3", "t5"] and "secret" not in str(result)
    assert result["summary"] == {"drift": 3, "error": 2} and result["api"] == {"requests": 8, "retries": 0}
    assert fleet.audit_fleet(tenants[:4], {}, concurrency=4, processes=1, mask=mask)["tenants"]["t1"]["pid"] == os.getpid()


def test_the_report_of_a_fleet():
    audited = {"started": "2026-06-02T03:00:01Z", "tenants": {
        "alpha": {"checked_at": "2026-06-02T03:00:04Z", "changed": True, "integrations": [{
            "vendor": "topleft", "title": "TopLeft", "role": {"name": "TopLeft"}, "member": None, "manual_steps": ["x"],
            "warnings": [], "pending": [{"kind": "table", "table": "a"}, {"kind": "level"}],
            "compliance": {"status": "drift", "cells": 2}}],
            "history": {"snapshot": "/h/alpha/1.json", "previous": None, "pruned": [], "changes": [{"kind": "role_added"}]}},
        "bravo": {"failed": True, "msg": "401", "integrations": [], "checked_at": "2026-06-02T03:00:05Z"}}}
    report = fleet.fleet_report(audited, ["alpha", "bravo", "charlie"], generated="2026-06-02T03:01:00Z")
    assert report == {
        "started": "2026-06-02T03:00:01Z", "generated": "2026-06-02T03:01:00Z",
        "summary": {"drift": 1, "error": 2}, "vendor_summary": {"topleft": {"drift": 1}},
        "tenants": {
            "alpha": {"topleft": {
                "title": "TopLeft", "status": "drift", "cells": 2, "key": "not_held", "key_expiration": None,
                "checked_at": "2026-06-02T03:00:04Z", "role": "TopLeft", "member": None,
                "compliance": {"status": "drift", "cells": 2}, "differences": [], "tables": [{"kind": "table", "table": "a"}],
                "manual_steps": ["x"], "warnings": [], "unheld_keys": [], "outside": []}},
            "bravo": {"_error": {"status": "error", "message": "401", "checked_at": "2026-06-02T03:00:05Z"}},
            "charlie": {"_error": {"status": "error", "message": fleet.NOT_AUDITED, "checked_at": None}}},
        "changes": [{"kind": "role_added"}], "snapshots": {"alpha": {"snapshot": "/h/alpha/1.json", "previous": None}}}
