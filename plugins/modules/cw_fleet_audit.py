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
    per tenant), several tenants at a time, in one process on the controller (several past a hundred tenants). This is
    what makes an audit of a thousand tenants take about a minute rather than an hour; C(playbooks/audit.yml) runs it
    once for the play, without O(tenants) (below), and the C(msp.connectwise.integration) role's C(audit) entry point
    with the tenants its hosts built.
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
  action:
    support: full
    description: An action plugin runs the module with O(tenants), and audits the play's hosts itself without.
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
      - Left out, every host of the play (C(ansible_play_batch), which C(--limit) narrows) is a tenant, built from its
        C(msp.connectwise.integration) role variables as M(msp.connectwise.cw_tenant) builds it, after the checks of
        that role's C(audit) entry point; a host whose variables fail them is its own failed tenant. The tenants are
        then built and audited inside this task's action on the controller, with no module process and no task per
        host, and O(concurrency), O(checklist_dir), O(history_dir) and O(retention_days) default to the running host's
        C(cw_audit_concurrency), C(cw_checklist_dir), C(cw_history_dir) and C(cw_history_retention_days). Give it
        C(run_once). This is what C(playbooks/audit.yml) does.
    type: list
    elements: dict
  checklist_dir:
    description:
      - Where to keep a Markdown checklist per tenant and vendor with manual steps left, C(<name>-<vendor>.md), as the
        O(msp.connectwise.cw_integration#module:checklist_dir) option of M(msp.connectwise.cw_integration) does for
        one tenant. Written by this one process, not a task per file. Unset, nothing is written.
    type: path
  history_dir:
    description:
      - Where to keep a snapshot of each tenant whose audit succeeded, C(<history_dir>/<name>/<UTC timestamp>.json)
        (mode 0600), in the form M(msp.connectwise.cw_security_review) keeps (roles, API members and their roles), and
        report in C(history) what changed since the tenant's previous snapshot.
      - The snapshot holds the levels of every role (O(history_roles)), and the Table Setup list of each role whose list
        the audit read as an integration's member holding that role (with the member's key, the only way to read it),
        with that member and when; every other role's list is recorded as not verified. Unset, nothing is kept.
    type: path
    version_added: 1.1.0
  history_roles:
    description:
      - Whose levels a snapshot of O(history_dir) holds. V(all), every role, as the security review (one request per role
        the audit did not read, pageSize 1000), the evidence of every role's settings over time.
      - V(audited), only the roles the audit read, with no request of its own. The others are recorded as not read
        (C(levels_read) false, with the newest levels read before as C(last_levels)) and no change is claimed for them;
        M(msp.connectwise.cw_security_review) then reads and compares every role.
    type: str
    choices: [audited, all]
    default: all
    version_added: 1.2.0
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
- name: Audit every host of the play, each built from its integration role variables, with no task per host
  msp.connectwise.cw_fleet_audit:
  run_once: true
  register: fleet

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
changed_tenants:
  description: Names of the tenants that differ from what their vendors need (drift, missing, steps to do), whose
    audit did not fail.
  returned: always
  type: list
  elements: str
  sample: [acme]
  version_added: 1.1.0
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

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.msp.connectwise.plugins.module_utils.module import check_fleet, connection_argument_spec
from ansible_collections.msp.connectwise.plugins.module_utils.engine import history
from ansible_collections.msp.connectwise.plugins.module_utils.engine.fleet import INTEGRATION_ARGSPEC, TASK_OPTIONS, audit_fleet


def main():
    module = AnsibleModule(argument_spec=connection_argument_spec(
        tenants={"type": "list", "elements": "dict"},
        concurrency={"type": "int", "default": 20},
        checklist_dir={"type": "path"},
        history_dir={"type": "path"},
        retention_days={"type": "int", "default": history.DEFAULT_RETENTION_DAYS},
        history_roles={"type": "str", "choices": ["audited", "all"], "default": "all"},
        **INTEGRATION_ARGSPEC), supports_check_mode=True)
    if not HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"), exception=str(REQUESTS_IMPORT_ERROR))
    tenants = module.params["tenants"]
    if tenants is None:
        module.fail_json(msg="tenants: give the tenants to audit, or leave them out in a play to audit its hosts (the "
                             "action plugin builds them; this module process cannot)")
    check_fleet(module, tenants, "audited", module.params["integrations"] or [])
    result = audit_fleet(tenants, {name: module.params[name] for name in TASK_OPTIONS}, module.params["concurrency"],
                         module.params["checklist_dir"], module.params["history_dir"], module.params["retention_days"],
                         diff=module._diff, history_roles=module.params["history_roles"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
