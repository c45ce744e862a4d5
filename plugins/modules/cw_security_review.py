#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Review the privileges of every security role and API member of many tenants, and keep their history."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_security_review
short_description: Review every security role and API member of many tenants, and keep snapshots of them
version_added: 1.1.0
description:
  - Reads every security role (with its settings, one request per role), every API member and every member holding a
    role of each tenant, several tenants at a time in one process, and reports findings, each with its tenant,
    severity, member or role, a one-line finding and the evidence that shows it.
  - "Findings: an API member on an admin role (C(admin_role)) or on a role that can raise rights: add, edit or delete in
    System > Security Roles, Member Maintenance, Table Setup or My Company (C(escalation)); an inactive API member still
    on such a role (C(inactive_privileged)); a role held by several API members, or by an API member and people
    (C(shared_role)); an API member no vendor profile knows, with its grants (C(unknown_integration)); an integration's
    member whose role grants more than its vendor's profile (C(excess)) or less than it needs (C(below_profile)); a key
    that may exist and nobody holds (C(unheld_key)); a key that expired or expires within 14 days (C(key_expired),
    C(key_expiring))."
  - With O(history_dir), stores a snapshot per tenant (every role's levels, API members and their roles) and reports
    what changed since the tenant's previous snapshot.
  - The review reads no role's Table Setup list (only a member holding the role can, with its own key). Its snapshots
    record every list as not verified, carrying the one an audit verified last, and its changes say where a list was
    verified before and is not now (C(table_setup_unverified)) rather than report its items removed.
  - Read-only whatever the play's mode. Only GET requests are sent; nothing is written to any tenant.
  - One tenant's failure is that tenant's result; the task fails only on bad arguments, or with O(fail_on).
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
attributes:
  check_mode:
    support: full
    description: Always read-only; check mode changes nothing (snapshots are still kept, as the audit's output).
  diff_mode:
    support: none
    description: The changes since the previous snapshot are the result's RV(tenants) C(changes).
options:
  tenants:
    description:
      - The tenants to review, each a mapping with its C(name) (required, unique; the inventory host name), any
        connection option of this module for itself, and optionally its C(integrations) (as
        M(msp.connectwise.cw_fleet_audit) takes them), whose member identifiers and key files are that tenant's.
      - Other keys of the tenant the C(msp.connectwise.cw_tenant) action builds (C(state), C(method), ...) are ignored.
    type: list
    elements: dict
    required: true
  profiles:
    description:
      - Every known vendor profile. An API member whose identifier is a profile's C(member.identifier) (or the
        identifier a tenant's integration names) is that vendor's integration; any other API member is reported as an
        unknown integration.
    type: list
    elements: dict
    default: []
  history_dir:
    description:
      - Where to keep the snapshots, C(<history_dir>/<name>/<UTC timestamp>.json) (mode 0600, folders 0700). Unset,
        no snapshot is kept and no change is reported.
    type: path
  retention_days:
    description:
      - Snapshots older than this are deleted (the newest is always kept). Keep at least six months of evidence.
    type: int
    default: 400
  fail_on:
    description:
      - Fail the task when any tenant has a finding at this severity or above (C(none) never fails). The result is
        still returned in full.
    type: str
    choices: [critical, high, medium, low, none]
    default: none
  concurrency:
    description: Tenants reviewed at once, each over its own connection.
    type: int
    default: 20
notes:
  - "Cost per tenant: one request for the roles, one per role for its settings (pageSize 1000), one for the API members,
    one for the members; plus one to learn the codebase unless doctor.yml recorded it."
  - Runs where the task runs; give it C(run_once) in a play over the tenants, or run it on C(localhost).
"""

EXAMPLES = r"""
- name: Review every tenant of the play in one process
  msp.connectwise.cw_security_review:
    tenants: "{{ ansible_play_batch | map('extract', hostvars, ['cw_tenant', 'tenant']) | list }}"
    profiles: "{{ query('ansible.builtin.file', *query('ansible.builtin.fileglob', 'profiles/*.yml')) | map('from_yaml') | list }}"
    history_dir: "{{ playbook_dir }}/cw-output/history"
  run_once: true
  register: review

- name: Review the tenant of the CW_* variables and fail on critical findings
  msp.connectwise.cw_security_review:
    tenants: [{name: localhost}]
    fail_on: critical
"""

RETURN = r"""
tenants:
  description: Tenant name to its review; a failed tenant has C(failed) and C(msg).
  returned: always
  type: dict
  sample:
    acme:
      checked_at: "2026-06-02T03:00:04Z"
      findings:
        - {tenant: acme, severity: critical, kind: admin_role, member: Sync, role: Admin, vendor: null,
           finding: "API member Sync is on the admin role Admin (adminFlag)",
           evidence: {role: Admin, adminFlag: true, member: {identifier: Sync, inactiveFlag: false}},
           advice: no admin rights for integrations}
      counts: {critical: 1, high: 0, medium: 0, low: 0}
      changes: [{tenant: acme, kind: level, role: TopLeft, module: Companies, function: Contacts, cell: inquire,
                 before: All, after: None, line: "role TopLeft: Companies / Contacts inquire All -> None"}]
      pruned: []
      snapshot: cw-output/history/acme/20260602T030004Z.json
      previous: cw-output/history/acme/20260601T030002Z.json
      api: {requests: 12, retries: 0}
findings:
  description: Every tenant's findings, most severe first.
  returned: always
  type: list
  elements: dict
changes:
  description:
    - Every tenant's changes since its previous snapshot (with O(history_dir)), each with its C(tenant), C(kind)
      (C(level), C(admin_flag), C(role_added), C(role_removed), C(table_added), C(table_removed),
      C(table_setup_verified), C(table_setup_unverified), C(member_created), C(member_removed), C(member_deactivated),
      C(member_reactivated), C(member_moved)), what it names (C(role), C(module), C(function), C(cell), C(table),
      C(member)), C(before) and C(after) where a value changed, and a one-line C(line).
    - Table Setup items are compared only between two lists verified as a member holding the role (C(table_added),
      C(table_removed), with C(since), when the older list was verified); a list verified for the first time is
      C(table_setup_verified) with its C(items), one no longer verified C(table_setup_unverified).
  returned: always
  type: list
  elements: dict
  sample: [{tenant: acme, kind: level, role: TopLeft, module: Companies, function: Contacts, cell: inquire,
            before: All, after: None, line: "role TopLeft: Companies / Contacts inquire All -> None"}]
counts:
  description: Findings by severity over all tenants.
  returned: always
  type: dict
  sample: {critical: 1, high: 2, medium: 0, low: 1}
started:
  description: When the review began (UTC).
  returned: always
  type: str
  sample: "2026-06-02T03:00:01Z"
failed_tenants:
  description: Names of the tenants whose review failed.
  returned: always
  type: list
  elements: str
stats:
  description: The AWX artifacts (for C(set_stats)) of the review, C(cw_review_counts) (severity to count over all
    tenants) and C(cw_review_findings) (tenant to its counts).
  returned: always
  type: dict
  sample: {cw_review_counts: {critical: 1, high: 0, medium: 0, low: 0}, cw_review_findings: {acme: {critical: 1}}}
api:
  description: Requests sent and retries taken, over all tenants.
  returned: always
  type: dict
  sample: {requests: 1200, retries: 0}
"""

import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, api_usage
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.engine import history, review
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import use_facts
from ansible_collections.msp.connectwise.plugins.module_utils.module import (
    CONNECTION_ARGSPEC, check_fleet, client_from_params, connection_argument_spec)
from ansible_collections.msp.connectwise.plugins.module_utils.resources.review import read_tenant_security

# What a tenant may set for itself: the connection options (no default, no CW_* fallback: what it does not set is the
# task's), its integrations and facts; the rest of what cw_tenant builds is accepted and not used.
TENANT = ArgumentSpecValidator(dict(
    {name: {k: v for k, v in option.items() if k not in ("default", "fallback")} for name, option in CONNECTION_ARGSPEC.items()},
    name={"type": "str", "required": True},
    integrations={"type": "list", "elements": "dict"},
    tenant_facts={"type": "dict"},
    state={"type": "raw"}, method={"type": "raw"}, settings_writable={"type": "raw"}))


def utc_now():
    return datetime.now(timezone.utc).replace(microsecond=0)


def shown(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def review_one(tenant, task, profiles, history_dir, retention_days):
    """One tenant, GET only; any failure is this tenant's result."""
    began = utc_now()
    result = {"checked_at": shown(began), "findings": [], "changes": [], "counts": review.counts([]),
              "api": api_usage(None)}
    checked = TENANT.validate(tenant)
    if checked.error_messages:
        return dict(result, failed=True, msg="; ".join(checked.error_messages))
    tenant = dict(task, **{name: value for name, value in checked.validated_parameters.items() if value is not None})
    client = None
    try:
        client = client_from_params(tenant)
        use_facts(client, tenant.get("tenant_facts"))
        state = read_tenant_security(client)
        integrations = [i for i in tenant.get("integrations") or [] if isinstance(i, dict)]
        findings = review.review_tenant(tenant["name"], state["roles"], state["settings"], state["api_members"],
                                        state["members"], profiles, integrations, review.held_keys(integrations))
        result.update(findings=findings, counts=review.counts(findings))
        if history_dir:
            result.update(history.keep(client, history_dir, tenant["name"], began, retention_days))
    except ConfigurationError as exc:
        result.update(failed=True, msg=str(exc), field=exc.field)
    except ConnectWiseError as exc:
        result.update(failed=True, msg=str(exc), error=exc.as_dict())
    except (ValueError, OSError) as exc:
        result.update(failed=True, msg=str(exc))
    except Exception as exc:  # pylint: disable=broad-exception-caught
        result.update(failed=True, exception=traceback.format_exc(),
                      msg="unexpected %s on this tenant: %s; nothing more was sent to it" % (type(exc).__name__, exc))
    result["api"] = api_usage(client)
    return result


def main():
    module = AnsibleModule(argument_spec=connection_argument_spec(
        tenants={"type": "list", "elements": "dict", "required": True},
        profiles={"type": "list", "elements": "dict", "default": []},
        history_dir={"type": "path"},
        retention_days={"type": "int", "default": history.DEFAULT_RETENTION_DAYS},
        fail_on={"type": "str", "choices": list(review.SEVERITIES) + ["none"], "default": "none"},
        concurrency={"type": "int", "default": 20}), supports_check_mode=True)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
    tenants = module.params["tenants"]
    names = check_fleet(module, tenants, "reviewed")
    task = {name: module.params[name] for name in CONNECTION_ARGSPEC}
    profiles = module.params["profiles"]
    started = shown(utc_now())
    with ThreadPoolExecutor(max_workers=min(module.params["concurrency"], max(1, len(tenants)))) as pool:
        outcomes = list(pool.map(lambda tenant: review_one(tenant, task, profiles, module.params["history_dir"],
                                                           module.params["retention_days"]), tenants))
    results = dict(zip(names, outcomes))
    findings = [f for name in names for f in results[name]["findings"]]
    findings.sort(key=lambda f: review.SEVERITIES.index(f["severity"]))
    counts = review.counts(findings)
    result = {
        "changed": False,
        "started": started,
        "tenants": results,
        "findings": findings,
        "counts": counts,
        "changes": [change for name in names for change in results[name]["changes"]],
        "failed_tenants": [name for name in names if results[name].get("failed")],
        "stats": {"cw_review_counts": counts,
                  "cw_review_findings": {name: results[name]["counts"] for name in names if not results[name].get("failed")}},
        "api": {"requests": sum(r["api"]["requests"] for r in outcomes), "retries": sum(r["api"]["retries"] for r in outcomes)},
    }
    gated = review.at_or_above(findings, module.params["fail_on"])
    if gated:
        module.fail_json(msg="%d finding(s) at %s or above: %s" % (len(gated), module.params["fail_on"],
                                                                   "; ".join("%s: %s" % (f["tenant"], f["finding"]) for f in gated)),
                         **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
