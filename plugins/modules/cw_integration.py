#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_integration
short_description: Converge or audit one tenant for one or more vendor integrations in one process
version_added: 1.0.0
description:
  - For each vendor profile, in order, converges the security role, its permission levels, its Table Setup access,
    the API member and its API key, with the same logic as M(msp.connectwise.cw_security_role),
    M(msp.connectwise.cw_role_permission), M(msp.connectwise.cw_table_access), M(msp.connectwise.cw_api_member) and
    M(msp.connectwise.cw_api_key).
  - Runs in one process with one connection for the whole tenant, which is what makes a fleet audit cheap.
  - Every input problem of every vendor (profile shape, levels, names) is reported before the first write.
    A profile function or table this tenant lacks (an older release, a smaller edition) is skipped with a warning.
  - What the API cannot write is returned as one ordered checklist per vendor (C(manual_steps) of each entry of
    RV(integrations)), with machine-readable C(pending) items, and a compliance cell for audit reports.
  - V(absent) offboards. It deactivates the member, deletes the role when no other member uses it (moving the member to
    C(reassign_role) first, with a warning when that role can escalate or grants more than the vendor's profile needs),
    removes the member's key file (the key's C(dest)) when it holds that member's pair on this tenant, and lists the keys
    to revoke in the UI.
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
  - msp.connectwise.integration
attributes:
  check_mode:
    support: full
    description: The audit. Nothing is written, the tenant is never probed with a write, and a role still to be created
      is planned in full. A tenant that differs from a profile is reported C(changed), whether the API or a person would
      make the change (an unverified Table Setup list is not a known difference); outside check mode C(changed) means
      a write was made.
  diff_mode:
    support: full
    description: Before and after per vendor and step, with managed fields only; private keys never appear.
options:
  integrations:
    required: true
  allow_pending:
    description: Outside check mode, remaining manual steps fail the task (after the result is complete, RV(stats)
      included) unless this is V(true).
    type: bool
    default: false
  checklist_dir:
    description:
      - Where to keep a Markdown checklist per vendor with manual steps left, C(<tenant_name>-<vendor>.md) (folder
        created 0755 when needed). The checklist of a vendor with nothing left is removed. Written in check mode too,
        as the audit's output; a file whose text is unchanged is not rewritten.
      - Unset, nothing is written; the steps are in RV(manual_steps) either way.
    type: path
  tenant_name:
    description: The tenant's name in the checklists' file names and headings (the role gives the inventory host name).
      Defaults to O(company_id).
    type: str
  tenant_record:
    description:
      - The record of this tenant's facts that C(playbooks/doctor.yml) keeps (the role gives
        C(<cw_output_dir>/tenants/<host>.yml)). When this run learnt that the tenant refuses API writes to role settings
        (its first C(PATCH) answered HTTP 405, and nothing was written), C(cw_settings_writable) is set to false there, so
        that later runs do not send a C(PATCH) the tenant refuses. The file is created when missing and left alone
        when it was recorded for another company id. A tenant that accepts the writes is not recorded (its first
        C(PATCH) is one the run needs anyway; C(doctor.yml) records it when it probes).
      - Unset, nothing is recorded. C(doctor.yml -e cw_probe_settings_write=true) probes and records it again.
    type: path
    version_added: 1.1.0
"""

EXAMPLES = r"""
- name: Onboard TopLeft and audit it in the same way later with --check
  msp.connectwise.cw_integration:
    integrations:
      - profile: "{{ lookup('ansible.builtin.file', 'profiles/topleft.yml') | from_yaml }}"
        purge: true
        key:
          dest: "credentials/{{ inventory_hostname }}-topleft.json"
    allow_pending: true
  register: onboarding
"""

RETURN = r"""
integrations:
  description:
    - One entry per vendor, in the order given.
    - C(compliance.status) is V(compliant), V(compliant_unverified) (compliant in all an audit could judge;
      C(compliance.unverified) names what only the member's key pair verifies - V(tables), V(key) - and
      C(compliance.tables_not_verified) the Table Setup entries not confirmed, none of them a step nor a difference),
      V(drift), V(missing_role) or V(missing_member); outside check mode, what the run left (V(pending_manual_steps)
      when steps remain) with what it found in C(compliance.found).
    - C(compliance.found_member) names the API member found holding the vendor's role when the vendor's page only
      suggests a Member ID (C(identifier), C(others) also holding it, and C(record), how to record it); C(compliance.proposal)
      the role an audit proposes when the page only suggests the role's name and no role has it (C(role), C(matching),
      C(required), C(score), C(others), C(record)); both null otherwise.
    - C(compliance.key) is the status of the key pair held in the key's dest - V(held) (works; C(key_expiration) null
      or more than 14 days away), V(expiring) (works, expires within 14 days; a warning), V(expired) or V(refused) (the
      tenant refuses it; drift, never compliant), or V(not_held) (not verified; the rest is judged all the same and
      a warning says the key was not verified). C(key_expiration) is when it expires, or null.
    - C(compliance.profile_status) is V(complete) or V(partial) (the vendor's table is known only in part; only its
      rows were checked, and C(compliance.profile_missing) says what is unknown). C(compliance.not_judged) lists the
      cells (each its C(Module / Function) and the cell) whose level the vendor's page names without a value and the
      run was not given (neither set nor judged). C(compliance.tables_disallowed) counts the Table Setup entries the vendor
      disallows.
    - C(unheld_keys) lists the keys that may have been issued for the vendor's member and never received (the answer to
      the tokens request was lost), as RV(msp.connectwise.cw_api_key#module:unheld_keys) of
      M(msp.connectwise.cw_api_key), with a warning each, until their record beside the key's dest is deleted.
    - An offboarded vendor's entry has C(vendor), C(title), C(role), C(member), C(changed), C(manual_steps), C(pending),
      C(warnings), C(compliance) (status V(offboarded)) and C(removed_key_file), the member's key file removed (in check
      mode, the one that would be), or null; a file there that does not hold that member's pair on this tenant is kept,
      with a warning.
    - C(outside) is the profile's steps outside ConnectWise (firewall, vendor portal, advice), as the checklist shows
      them; C(optional) the rows and tables the vendor marks optional that this run leaves out (empty with
      C(include_optional)). A C(pending) item of kind V(permission) has the row's C(target) levels, changed or not.
  returned: success
  type: list
  elements: dict
  sample:
    - vendor: topleft
      title: TopLeft
      changed: true
      role: {id: 27, name: TopLeft}
      member: {id: 181, identifier: TopLeft, inactive: false, role: TopLeft, level: Corporate}
      compliance: {status: drift, cells: 3, permission_cells: 3, member_fields: [], table_status: none, table_cells: 0,
                   excess_grants: [], levels_assumed: false, key: held, key_expiration: null, profile_status: complete,
                   profile_missing: null, not_judged: [], tables_disallowed: 0, unverified: [], found_member: null,
                   proposal: null, tables_not_verified: []}
      manual_steps: ["System > Security Roles > TopLeft > Companies > Contacts: set Inquire Level None -> All"]
      pending: [{kind: permission, role: TopLeft, module: Companies, function: Contacts, cells: {inquire: {from: None, to: All}},
                 target: {add: None, edit: None, delete: None, inquire: All}}]
      warnings: []
      unheld_keys: []
      optional: {permissions: [], tables: []}
      outside: [{kind: portal, text: Submit the API credentials and other information in the setup portal,
                 url: "https://customers.topleft.team/welcome/"}]
manual_steps:
  description: Every vendor's checklist, one after the other, each line prefixed with the vendor's title.
  returned: always
  type: list
  elements: str
  sample: ["TopLeft: System > Security Roles > TopLeft > Companies > Contacts: set Inquire Level None -> All"]
pending:
  description: Every vendor's pending items, each with its C(vendor).
  returned: always
  type: list
  elements: dict
  sample: []
checklists:
  description: The checklist files written (new or changed) and removed, when O(checklist_dir) is set.
  returned: when O(checklist_dir) is set and the run did not fail
  type: dict
  sample: {written: [cw-output/checklists/acme-topleft.md], removed: []}
check_mode:
  description: Whether this run was an audit (check mode), also when check mode was set on the task only.
  returned: always
  type: bool
  sample: false
settings_writable:
  description: Whether this tenant accepted API writes to role settings in this run (null when not learnt).
  returned: success
  type: bool
  sample: false
stats:
  description: The AWX artifacts of this run (what the role gives C(set_stats)) - per tenant (O(tenant_name)) and
    vendor, the compliance cell (C(cw_compliance)), the checklist (C(cw_checklists)) and the number of pending items
    (C(cw_pending)).
  returned: success, and when manual steps remain
  type: dict
  sample: {cw_compliance: {acme: {topleft: {status: compliant}}}, cw_checklists: {acme: {topleft: []}},
           cw_pending: {acme: {topleft: 0}}}
steps_remain:
  description: True when the run failed only because manual steps remain (outside check mode, without
    O(allow_pending)); the message (C(msg)) then says how many, for which vendors, which checklists hold them and how
    to go on, in one line, and the rest of the result is complete. The roles end on that message alone.
  returned: when manual steps fail the run
  type: bool
  sample: true
api:
  description: Requests sent and retries taken for the whole tenant.
  returned: always
  type: dict
  sample: {requests: 9, retries: 0, codebase: v2025_1/}
"""

import os

from ansible_collections.msp.connectwise.plugins.module_utils.engine.checklists import file_name
from ansible_collections.msp.connectwise.plugins.module_utils.module import STEPS, ConnectWiseModule, fail_if_pending
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import (
    INTEGRATION_OPTIONS, TENANT_FACTS_OPTION, awx_stats, converge_tenant, item_secrets)
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant_model import remember_fact


def main():
    module = ConnectWiseModule({
        "integrations": {"type": "list", "elements": "dict", "required": True, "options": INTEGRATION_OPTIONS},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "method": {"type": "str", "choices": ["auto", "api", "manual"], "default": "auto"},
        "settings_writable": {"type": "bool"},
        "allow_pending": {"type": "bool", "default": False},
        "tenant_facts": TENANT_FACTS_OPTION,
        "checklist_dir": {"type": "path"},
        "tenant_name": {"type": "str"},
        "tenant_record": {"type": "path"},
    }, supports_check_mode=True)
    p = module.params
    module.no_log_values.update(item_secrets(p["integrations"]))
    result, diff, warnings = converge_tenant(module.client, p["integrations"], state=p["state"], method=p["method"],
                                             settings_writable=p["settings_writable"], check_mode=module.check_mode,
                                             facts=p["tenant_facts"], checklist_dir=p["checklist_dir"], name=p["tenant_name"])
    for warning in warnings:
        module.warn(warning)
    if p["tenant_record"] and result.get("settings_writable") is False and p["settings_writable"] is None:
        # Learnt by a refused write (check mode never probes): kept for the next runs, also when this one fails.
        try:
            remember_fact(p["tenant_record"], module.client.company_id, "cw_settings_writable", False)
        except OSError as exc:
            module.warn("tenant_record: %s could not be written (%s); the next run will learn again whether this tenant "
                        "accepts API writes to role settings" % (p["tenant_record"], exc.strerror or exc))
    if result.get("failed"):
        module.fail_json(**result)
    if module._diff:
        result["diff"] = diff
    name = p["tenant_name"] or module.client.company_id
    result["stats"] = awx_stats({name: result})
    left = [item for item in result["integrations"] if item["manual_steps"]]
    subject = "on %s (%s)" % (name, ", ".join("%s: %d" % (item["title"], len(item["manual_steps"])) for item in left))
    files = [os.path.join(p["checklist_dir"], file_name(name, item["vendor"])) for item in left] if p["checklist_dir"] else []
    steps = "the checklist%s %s" % ("s" if len(files) > 1 else "", ", ".join(files)) if files else STEPS
    fail_if_pending(module, result, p["allow_pending"], subject, steps, "allow_pending: true (the roles: cw_fail_on_pending: false)")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
