# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One tenant's vendor integrations, converged or audited in order with one client: what cw_integration returns for
its tenant and cw_fleet_audit for each tenant of a fleet."""

from __future__ import annotations

import traceback

from ansible_collections.msp.connectwise.plugins.module_utils.engine import checklists
from ansible_collections.msp.connectwise.plugins.module_utils.api.client import api_usage
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.engine.integration import MEMBER_OPTIONS, converge_integration, prevalidate
from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import KEY_OPTIONS
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import LEVEL_ONE

# The options of one integration item (cw_integration's integrations, cw_fleet_audit's tenants[].integrations).
INTEGRATION_OPTIONS = {
    "profile": {"type": "dict", "required": True},
    "role_name": {"type": "str"},
    "member": {"type": "dict"},
    "key": {"type": "dict", "no_log": False},
    "purge": {"type": "bool", "default": False},
    "include_optional": {"type": "bool", "default": False},
    "include_temporary": {"type": "bool", "default": True},
    "reassign_role": {"type": "str"},
    "adopt_role": {"type": "bool", "default": False},
    "allow_partial": {"type": "bool", "default": False},
    "levels": {"type": "dict"},
}
# What doctor.yml records of a tenant (cw-output/tenants/<host>.yml) so that later runs need not read it again.
TENANT_FACTS_OPTION = {"type": "dict", "options": {"codebase": {"type": "str"}, "level1_name": {"type": "str"}}}


def item_secrets(items):
    """Member private keys and vault passwords given in integration items: masked in every output like a no_log
    option."""
    keys = [item.get("key") or {} for item in items]
    return [key[name] for key in keys for name in ("member_private_key", "vault_password") if key.get(name)]


def check_overrides(items):
    problems = []
    for position, item in enumerate(items):
        for name, allowed in (("member", MEMBER_OPTIONS), ("key", KEY_OPTIONS)):
            unknown = sorted(set(item.get(name) or {}) - set(allowed))
            if unknown:
                problems.append("integrations[%d].%s: unknown key(s) %s; use %s" % (position, name, ", ".join(unknown), ", ".join(allowed)))
    if problems:
        raise ValueError("; ".join(problems))


def use_facts(client, facts):
    """Recorded facts instead of two reads: the codebase (a stale one is rediscovered on its first 404) and the name
    of the corporate structure's level 1 (the member's default level)."""
    facts = facts or {}
    client.use_recorded_codebase(facts.get("codebase"))
    if facts.get("level1_name"):
        client.cache.setdefault(LEVEL_ONE, facts["level1_name"])


def converge_tenant(client, items, state="present", method="auto", settings_writable=None, check_mode=False, facts=None,
                    checklist_dir=None, name=None):
    """Every integration of one tenant, in order. Returns (result, diff, warnings); a failure is a result with
    ``failed``, ``msg`` and the integrations done before it, never an exception, so that a fleet goes on.
    With ``checklist_dir``, the checklists of ``name`` are written there (in check mode too: they are the audit's
    output, not the tenant's state)."""
    use_facts(client, facts)
    results, before, after, warnings = [], {}, {}, []
    writable = settings_writable
    failure = None
    try:
        check_overrides(items)
        for want in prevalidate(client, items, check_mode, state):
            outcome = converge_integration(client, want, state=state, method=method, settings_writable=writable,
                                           check_mode=check_mode)
            if outcome.settings_writable is not None:
                writable = outcome.settings_writable
            before[want["vendor"]] = {name: step.before for name, step in outcome.steps.items()}
            after[want["vendor"]] = {name: step.after for name, step in outcome.steps.items()}
            warnings.extend(outcome.warnings)
            results.append(outcome.as_dict())  # the module's result from here on
    except ConnectWiseError as exc:
        failure = {"failed": True, "msg": str(exc), "error": exc.as_dict()}
        if isinstance(exc, ConfigurationError):
            failure["field"] = exc.field
    except ValueError as exc:
        failure = {"failed": True, "msg": str(exc)}
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # An answer nothing here anticipated (or a bug): this tenant's failure, never the end of a fleet's run.
        failure = {"failed": True, "exception": traceback.format_exc(),
                   "msg": "unexpected %s on this tenant: %s; nothing more was sent to it. Please report it with a capture "
                          "(ansible-playbook msp.connectwise.doctor -e cw_capture=true)" % (type(exc).__name__, exc)}
    result = {"changed": any(r["changed"] for r in results), "integrations": results,
              "manual_steps": ["%s: %s" % (r["title"], step) for r in results for step in r["manual_steps"]],
              "pending": [dict(item, vendor=r["vendor"]) for r in results for item in r["pending"]],
              "settings_writable": writable, "api": api_usage(client), "check_mode": check_mode}
    result.update(failure or {})
    if checklist_dir and not failure:
        try:
            result["checklists"] = checklists.sync(checklist_dir, name or client.company_id, results)
        except OSError as exc:
            result.update(failed=True, msg="checklist_dir: cannot write the checklists to %s (%s); give a writable folder"
                          % (checklist_dir, exc.strerror or exc))
    return result, {"before": before, "after": after}, warnings


def awx_stats(results):
    """The set_stats data (AWX artifacts) of tenant name -> result, for the tenants whose run did not fail: per tenant
    and vendor the compliance cell, the checklist and the number of pending items."""
    done = {name: result["integrations"] for name, result in results.items() if not result.get("failed")}
    return {"cw_compliance": {name: {i["vendor"]: i["compliance"] for i in items} for name, items in done.items()},
            "cw_checklists": {name: {i["vendor"]: i["manual_steps"] for i in items} for name, items in done.items()},
            "cw_pending": {name: {i["vendor"]: len(i["pending"]) for i in items} for name, items in done.items()}}
