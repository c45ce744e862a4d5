# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit of many tenants at once, read-only, each over its own client: what cw_fleet_audit returns, whether it
runs as a module process (tenants given as options) or inside its action plugin on the controller (the tenants of the
play's hosts, built from their variables)."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import datetime, timezone

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import api_usage
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.engine import history
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import (
    INTEGRATION_OPTIONS, TENANT_FACTS_OPTION, awx_stats, converge_tenant, item_secrets)
from ansible_collections.msp.connectwise.plugins.module_utils.module import CONNECTION_ARGSPEC, client_from_params

# The options a tenant may set for itself (all of the task's but tenants, concurrency and checklist_dir): typed, with
# no default and no CW_* fallback, since what it does not set is the task's.
INTEGRATION_ARGSPEC = {
    "integrations": {"type": "list", "elements": "dict", "options": INTEGRATION_OPTIONS},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "method": {"type": "str", "choices": ["auto", "api", "manual"], "default": "auto"},
    "settings_writable": {"type": "bool"},
    "tenant_facts": TENANT_FACTS_OPTION,
}
TENANT = ArgumentSpecValidator(dict(
    {name: {k: v for k, v in option.items() if k not in ("default", "fallback")}
     for name, option in dict(CONNECTION_ARGSPEC, **INTEGRATION_ARGSPEC).items()},
    name={"type": "str", "required": True}))
TASK_OPTIONS = tuple(CONNECTION_ARGSPEC) + tuple(INTEGRATION_ARGSPEC)


def failed(msg, **extra):
    return dict({"failed": True, "msg": msg, "integrations": [], "api": api_usage(None), "changed": False,
                 "manual_steps": [], "pending": [], "warnings": []}, **extra), None


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tenant_secrets(tenants, extra_items=()):
    """Every secret the tenants carry (their keys, their members' private keys and vault passwords): masked in every
    output."""
    found = set(item_secrets(list(extra_items)))
    for tenant in tenants:
        found.update(str(tenant[name]) for name in ("public_key", "private_key") if tenant.get(name))
        items = tenant.get("integrations")
        found.update(item_secrets([i for i in items if isinstance(i, dict)] if isinstance(items, list) else []))
    return found


def audit(tenant, task, checklist_dir=None, history_dir=None, retention_days=history.DEFAULT_RETENTION_DAYS, history_roles="all"):
    """One tenant, read-only; any failure is this tenant's result. ``checked_at``: when its audit began (UTC)."""
    began = utc_now()
    checked = TENANT.validate(tenant)
    if checked.error_messages:
        return failed("; ".join(checked.error_messages), checked_at=began)
    tenant = dict(task, **{name: value for name, value in checked.validated_parameters.items() if value is not None})
    if tenant["integrations"] is None:
        return failed("integrations: give this tenant's integrations, or the task's for every tenant", checked_at=began)
    try:
        client = client_from_params(tenant)
    except ConfigurationError as exc:
        return failed(str(exc), field=exc.field, checked_at=began)
    result, diff, warnings = converge_tenant(client, tenant["integrations"], state=tenant["state"], method=tenant["method"],
                                             settings_writable=tenant["settings_writable"], check_mode=True,
                                             facts=tenant["tenant_facts"], checklist_dir=checklist_dir, name=tenant["name"])
    result.update(warnings=warnings, checked_at=began)
    if history_dir and not result.get("failed"):
        try:
            taken = datetime.strptime(began, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            result["history"] = history.keep(client, history_dir, tenant["name"], taken, retention_days,
                                             every_role=history_roles == "all")
        except (ConnectWiseError, ValueError, OSError) as exc:
            # The audit stands; the missing evidence is said where the run's warnings are read.
            result["warnings"].append("history_dir: no snapshot of %s was kept: %s" % (tenant["name"], exc))
        result["api"] = api_usage(client)
    return result, diff


def summary(results):
    counts = {}
    for result in results.values():
        for item in result["integrations"]:
            status = item["compliance"]["status"]
            counts[status] = counts.get(status, 0) + 1
        if result.get("failed"):
            counts["error"] = counts.get("error", 0) + 1
    return counts


def audit_some(tenants, task, concurrency, checklist_dir, history_dir, retention_days, history_roles):
    """(result, diff) of each of ``tenants``, ``concurrency`` at a time in this process."""
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(tenants)))) as pool:
        return list(pool.map(lambda tenant: audit(tenant, task, checklist_dir, history_dir, retention_days, history_roles), tenants))


def audit_fleet(tenants, task, concurrency=20, checklist_dir=None, history_dir=None,
                retention_days=history.DEFAULT_RETENTION_DAYS, diff=False, ready=None, mask=None, history_roles="all",
                processes=1):
    """Audit ``tenants`` (each a mapping with its name; names checked unique by the caller), ``concurrency`` at a time.
    ``task``: the options every tenant takes unless it sets its own (TASK_OPTIONS). ``ready``: name -> a result already
    known for a tenant that is not audited (it failed before, e.g. while it was built); such a tenant is named in
    ``tenants`` order too, as {"name": name}. ``history_roles``: "all" (a snapshot holds every role's levels: one
    request per role the audit did not read) or "audited" (only the roles the audit read, no request of its own).
    ``mask(tenant, value)``: ``value`` (a tenant's result or diff) without that tenant's secrets, applied as each audit
    ends. ``processes`` above 1: the tenants are shared among that many
    forked processes, ``concurrency`` connections in all (the work between two answers is Python's, one core per
    process). Returns cw_fleet_audit's result."""
    ready = ready or {}
    names = [tenant["name"] for tenant in tenants]
    todo = [tenant for tenant in tenants if tenant["name"] not in ready]
    started = utc_now()
    outcomes = {}
    if todo:
        processes = max(1, min(processes, len(todo), concurrency))
        if processes == 1:
            done = audit_some(todo, task, concurrency, checklist_dir, history_dir, retention_days, history_roles)
        else:
            shares = [todo[n::processes] for n in range(processes)]
            each = -(-concurrency // processes)
            with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
                parts = list(pool.map(audit_some, shares, [task] * processes, [each] * processes, [checklist_dir] * processes,
                                      [history_dir] * processes, [retention_days] * processes, [history_roles] * processes))
            found = {tenant["name"]: outcome for share, part in zip(shares, parts) for tenant, outcome in zip(share, part)}
            done = [found[tenant["name"]] for tenant in todo]
        if mask:
            done = [(mask(tenant, outcome[0]), mask(tenant, outcome[1])) for tenant, outcome in zip(todo, done)]
        outcomes = {tenant["name"]: outcome for tenant, outcome in zip(todo, done)}
    outcomes.update({name: (result, None) for name, result in ready.items()})
    results = {name: outcomes[name][0] for name in names}
    result = {
        "changed": any(r["changed"] for r in results.values()),
        "started": started,
        "tenants": results,
        "summary": summary(results),
        "failed_tenants": [name for name in names if results[name].get("failed")],
        # Check mode's promise per host: a tenant that differs shows as changed on its own host (the play's next task).
        "changed_tenants": [name for name in names if results[name]["changed"] and not results[name].get("failed")],
        "stats": awx_stats(results),
        "api": {"requests": sum(r["api"]["requests"] for r in results.values()),
                "retries": sum(r["api"]["retries"] for r in results.values())},
    }
    if diff:
        result["diff"] = [dict(outcomes[name][1], before_header="%s (before)" % name, after_header="%s (after)" % name)
                          for name in names if outcomes[name][1] and results[name]["changed"]]
    return result


NOT_AUDITED = "not audited: the play failed on this tenant before the audit"


def fleet_report(audited, hosts, generated=None):
    """The machine-readable audit (what audit.json holds) of cw_fleet_audit's result ``audited``: tenant -> vendor ->
    compliance, the member's API key (held, expiring, expired, refused or not_held, and when it expires), differences
    and checklist; when the audit began and when each tenant was checked (UTC), the counts per status over the fleet
    (summary) and per vendor (vendor_summary), the changes since each tenant's previous snapshot and, per tenant whose
    snapshot was kept, that snapshot and the previous one. ``hosts``: every host of the play; one the audit did not
    reach is an error of its own."""
    results = dict(audited["tenants"])
    for host in hosts:
        results.setdefault(host, {"failed": True, "msg": NOT_AUDITED})
    tenants, counts, by_vendor = {}, {}, {}
    for host, result in results.items():
        vendors = {}
        checked_at = result.get("checked_at")
        for item in result.get("integrations") or []:
            compliance = item["compliance"]
            status = compliance["status"]
            vendors[item["vendor"]] = {
                "title": item["title"], "status": status, "cells": compliance.get("cells", 0),
                "key": compliance.get("key", "not_held"), "key_expiration": compliance.get("key_expiration"),
                "checked_at": checked_at, "role": (item.get("role") or {}).get("name"), "member": item.get("member"),
                "compliance": compliance, "differences": item.get("differences", []),
                "tables": [p for p in item.get("pending") or [] if isinstance(p, dict) and p.get("kind") == "table"],
                "manual_steps": item["manual_steps"], "warnings": item["warnings"],
                "unheld_keys": item.get("unheld_keys", []), "outside": item.get("outside", [])}
            counts[status] = counts.get(status, 0) + 1
            vendor_counts = by_vendor.setdefault(item["vendor"], {})
            vendor_counts[status] = vendor_counts.get(status, 0) + 1
        if result.get("failed"):
            vendors["_error"] = {"status": "error", "message": result.get("msg", ""), "checked_at": checked_at}
            counts["error"] = counts.get("error", 0) + 1
        tenants[host] = vendors
    changes = [change for result in results.values() for change in (result.get("history") or {}).get("changes") or []
               if change is not None]
    snapshots = {host: {k: v for k, v in result["history"].items() if k in ("snapshot", "previous")}
                 for host, result in results.items() if "history" in result}
    return {"started": audited.get("started"), "generated": generated or utc_now(), "summary": counts,
            "vendor_summary": by_vendor, "tenants": tenants, "changes": changes, "snapshots": snapshots}
