#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit the vendor integrations of many tenants in one process."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_fleet_audit
short_description: Audit the vendor integrations of many tenants in one process
version_added: 1.0.0
description:
  - Audits each tenant exactly as M(msp.connectwise.cw_integration) does in check mode (the same reads, the same result
    per tenant), several tenants at a time, in one module process on the controller. This is what makes an audit of
    hundreds of tenants take seconds rather than minutes; C(playbooks/audit.yml) uses it through the
    C(msp.connectwise.integration) role's C(audit) entry point.
  - Read-only whatever the play's mode. Nothing is written to any tenant, and no tenant is probed with a write.
  - One tenant's failure (wrong keys, an unreachable site, a bad vendor profile) is that tenant's result, with the same
    message M(msp.connectwise.cw_integration) would give. The other tenants are still audited, and the task itself fails
    only on bad arguments.
  - Each tenant may set any connection or integration option of this module for itself (O(site), O(company_id),
    O(integrations), O(state), ...); what it does not set is the task's, and a connection option neither sets comes
    from the same C(CW_*) environment variable as for every other module.
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
  - msp.connectwise.integration
attributes:
  check_mode:
    support: full
    description: Always an audit; check mode changes nothing.
  diff_mode:
    support: full
    description: Before and after per tenant, vendor and step for each tenant with drift; private keys never appear.
options:
  tenants:
    description:
      - The tenants to audit. Each is a mapping with its C(name) (required, unique; the inventory host name) and any of
        the connection options (O(site), O(company_id), O(public_key), O(private_key), O(client_id), O(api_version),
        O(validate_certs), O(timeout), O(retries), O(deadline)) and integration options (O(integrations), O(state),
        O(method), O(settings_writable), O(tenant_facts)) of this module, which then apply to this tenant only.
      - Each tenant's options are checked with its audit, so that a bad one fails only its tenant. Its
        O(private_key) and its members' private keys are never shown.
    type: list
    elements: dict
    required: true
  checklist_dir:
    description:
      - Where to keep a Markdown checklist per tenant and vendor with manual steps left, C(<name>-<vendor>.md), as the
        O(msp.connectwise.cw_integration#module:checklist_dir) option of M(msp.connectwise.cw_integration) does for
        one tenant. Written by this one process, not a task per file. Unset, nothing is written.
    type: path
  history_dir:
    description:
      - Where to keep a snapshot of each tenant whose audit succeeded, C(<history_dir>/<name>/<UTC timestamp>.json)
        (mode 0600), as M(msp.connectwise.cw_security_review) keeps it (every role's levels, API members and their
        roles), and report in C(history) what changed since the tenant's previous snapshot.
      - The snapshot also holds the Table Setup list of each role whose list the audit read as an integration's member
        holding that role (with the member's key, the only way to read it), with that member and when; every other
        role's list is recorded as not verified.
      - Costs the settings of the roles the audit did not read (one request each, pageSize 1000). Unset, nothing is
        kept.
    type: path
    version_added: 1.1.0
  retention_days:
    description: Snapshots older than this are deleted (the newest is always kept).
    type: int
    default: 400
    version_added: 1.1.0
  concurrency:
    description:
      - Tenants audited at once, each over its own connection.
      - Mind a shared ConnectWise rate limit. The client already honours 429 and Retry-After per request.
    type: int
    default: 20
notes:
  - Runs where the task runs; give it C(run_once) in a play over the tenants, or run it on C(localhost).
"""

EXAMPLES = r"""
- name: Audit every tenant of the play in one process
  msp.connectwise.cw_fleet_audit:
    tenants: "{{ ansible_play_hosts | map('extract', hostvars, 'tenant_audit') | list }}"
  run_once: true
  register: fleet

- name: Audit TopLeft on two tenants of the same site (the task's options are every tenant's but their own)
  msp.connectwise.cw_fleet_audit:
    site: api-na.myconnectwise.net
    integrations:
      - profile: "{{ lookup('ansible.builtin.file', 'profiles/topleft.yml') | from_yaml }}"
    tenants:
      - {name: acme, company_id: acme, public_key: "{{ acme_public }}", private_key: "{{ acme_private }}"}
      - {name: globex, company_id: globex, public_key: "{{ globex_public }}", private_key: "{{ globex_private }}"}
  delegate_to: localhost
  run_once: true

- name: Tenants with drift
  ansible.builtin.debug:
    msg: "{{ fleet.tenants | dict2items | selectattr('value.changed') | map(attribute='key') | list }}"
  run_once: true
"""

RETURN = r"""
tenants:
  description: Tenant name to its result, the same keys as M(msp.connectwise.cw_integration) returns in check mode
    (C(integrations), C(manual_steps), C(pending), C(changed), C(api), C(warnings), C(checklists)), C(checked_at),
    when the tenant's audit began (UTC), and with O(history_dir) C(history) with C(snapshot), C(previous), C(pruned) and
    C(changes) since the previous snapshot (as RV(msp.connectwise.cw_security_review#module:changes)); a failed
    tenant has C(failed), C(msg), C(checked_at) and, for an API error, C(error).
  returned: always
  type: dict
  sample:
    acme:
      changed: true
      checked_at: "2025-06-02T03:00:04Z"
      integrations: [{vendor: topleft, compliance: {status: drift, cells: 1}}]
      manual_steps: ["TopLeft: System > Security Roles > TopLeft > Companies > Contacts: set Inquire Level None -> All"]
      api: {requests: 6, retries: 0, codebase: v2025_1/}
      warnings: []
    globex: {failed: true, msg: "GET /system/securityroles: 401 ...", integrations: []}
started:
  description: When the audit of the tenants began (UTC).
  returned: always
  type: str
  sample: "2025-06-02T03:00:01Z"
summary:
  description: Tenant x vendor compliance counts (C(error) counts failed tenants).
  returned: always
  type: dict
  sample: {compliant: 9, drift: 1, error: 1}
failed_tenants:
  description: Names of the tenants whose audit failed.
  returned: always
  type: list
  elements: str
  sample: [globex]
stats:
  description: The AWX artifacts of the audit (what the role gives C(set_stats)), as RV(msp.connectwise.cw_integration#module:stats)
    of M(msp.connectwise.cw_integration), for every tenant whose audit did not fail.
  returned: always
  type: dict
  sample: {cw_compliance: {acme: {topleft: {status: drift}}}, cw_checklists: {acme: {topleft: ["..."]}},
           cw_pending: {acme: {topleft: 1}}}
api:
  description: Requests sent and retries taken, over all tenants.
  returned: always
  type: dict
  sample: {requests: 1500, retries: 0}
"""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, api_usage
from ansible_collections.msp.connectwise.plugins.module_utils.module import (
    CONNECTION_ARGSPEC, check_fleet, client_from_params, connection_argument_spec)
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.engine import history
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import (
    INTEGRATION_OPTIONS, TENANT_FACTS_OPTION, awx_stats, converge_tenant)

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


def failed(msg, **extra):
    return dict({"failed": True, "msg": msg, "integrations": [], "api": api_usage(None), "changed": False,
                 "manual_steps": [], "pending": [], "warnings": []}, **extra), None


def utc_now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def audit(tenant, task, checklist_dir=None, history_dir=None, retention_days=400):
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
            result["history"] = history.keep(client, history_dir, tenant["name"], taken, retention_days)
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


def main():
    module = AnsibleModule(argument_spec=connection_argument_spec(
        tenants={"type": "list", "elements": "dict", "required": True},
        concurrency={"type": "int", "default": 20},
        checklist_dir={"type": "path"},
        history_dir={"type": "path"},
        retention_days={"type": "int", "default": history.DEFAULT_RETENTION_DAYS},
        **INTEGRATION_ARGSPEC), supports_check_mode=True)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
    tenants = module.params["tenants"]
    names = check_fleet(module, tenants, "audited", module.params["integrations"] or [])
    started = utc_now()
    with ThreadPoolExecutor(max_workers=min(module.params["concurrency"], max(1, len(tenants)))) as pool:
        task = {name: module.params[name] for name in list(CONNECTION_ARGSPEC) + list(INTEGRATION_ARGSPEC)}
        outcomes = list(pool.map(lambda tenant: audit(tenant, task, module.params["checklist_dir"], module.params["history_dir"],
                                                      module.params["retention_days"]), tenants))
    results = {name: result for name, (result, _diff) in zip(names, outcomes)}
    result = {
        "changed": any(r["changed"] for r in results.values()),
        "started": started,
        "tenants": results,
        "summary": summary(results),
        "failed_tenants": [name for name in names if results[name].get("failed")],
        "stats": awx_stats(results),
        "api": {"requests": sum(r["api"]["requests"] for r in results.values()),
                "retries": sum(r["api"]["retries"] for r in results.values())},
    }
    if module._diff:
        result["diff"] = [dict(diff, before_header="%s (before)" % name, after_header="%s (after)" % name)
                          for name, (tenant_result, diff) in zip(names, outcomes) if diff and tenant_result["changed"]]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
