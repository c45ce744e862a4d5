#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_table_access
short_description: Plan and verify a security role's Table Setup "Customize" list
version_added: 1.0.0
description:
  - Compares the tables a role may open under System > Table Setup > Customize with the C(Category / Table) entries a
    vendor asks for.
  - No ConnectWise endpoint reads or writes a role's customize list. This module never writes; it resolves the
    entries against the tenant's setup tables (C(/system/setupScreens)), returns the exact steps for the UI in
    RV(manual_steps), and verifies the result by calling C(/system/mySecurity/customizeItems) as the integration's own
    API member, whose keys are given in O(member_public_key) and O(member_private_key).
  - Without that key pair the result is RV(status=unverified) with every table listed as a step; never "ok".
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
attributes:
  check_mode:
    support: full
    description: The module never writes; check mode and a normal run read the same things. In check mode a verified
      difference (a step in RV(manual_steps) the member's view proves is needed) is reported C(changed); outside check
      mode nothing is ever changed by the module, and remaining steps fail the task unless O(allow_pending=true).
  diff_mode:
    support: full
    description: Before and after list the allowed tables (before is unknown without the member's key pair).
options:
  role:
    description: The security role's name (used in the steps).
    type: str
    required: true
  tables:
    description:
      - The tables the role must be allowed to open, written C(Category / Table) (e.g. C(Service / Service Board)).
        Spellings are folded (C(Service/ Service Boards), C(Opportunities / Opportunity_Rating)).
    type: list
    elements: str
    default: []
  disallow:
    description:
      - Tables the role must not open, written like O(tables), which the vendor asks to move to "Disallow access to
        these". Verified as the member, who must not see them; each one it can open is a step to disallow.
    type: list
    elements: str
    default: []
    version_added: 1.1.0
  purge:
    description: Also list every allowed table that is not in O(tables) as a step to disallow (only verifiable with the
      member's key pair).
    type: bool
    default: false
  member_public_key:
    description: Public key of the integration's API member, used to verify what that member can open.
    type: str
  member_private_key:
    description: Private key of the integration's API member. Never logged or returned.
    type: str
  allow_pending:
    description: Outside check mode, remaining steps fail the task unless this is V(true).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: TimeSanity's tables, verified as its member
  msp.connectwise.cw_table_access:
    role: TimeSanity
    tables:
      - General / Auto Sync
      - Project / Project Boards
      - Service / Service Boards
    member_public_key: "{{ (lookup('ansible.builtin.file', 'creds/timesanity.json') | from_json).public_key }}"
    member_private_key: "{{ (lookup('ansible.builtin.file', 'creds/timesanity.json') | from_json).private_key }}"
    allow_pending: true
  register: tables
"""

RETURN = r"""
status:
  description: V(verified) (the member can open exactly what is needed), V(drift) (steps remain, verified as the member)
    or V(unverified) (no key pair was given).
  returned: success
  type: str
  sample: verified
pending:
  description: Tables to allow or disallow, machine-readable.
  returned: always
  type: list
  elements: dict
  sample: [{kind: table, role: TimeSanity, table: General / Auto Sync, action: allow, verified: true}]
manual_steps:
  description: One line per table for the ConnectWise UI.
  returned: always
  type: list
  elements: str
  sample: ["System > Security Roles > TimeSanity > System > Table Setup > Customize: move 'General / Auto Sync' to 'Allow access to these'"]
api:
  description: Requests sent and retries taken.
  returned: always
  type: dict
  sample: {requests: 2, retries: 0, codebase: v2025_1/}
"""

from ansible_collections.msp.connectwise.plugins.module_utils.module import ConnectWiseModule, run_resource
from ansible_collections.msp.connectwise.plugins.module_utils.resources.tables import converge_tables


def main():
    module = ConnectWiseModule({
        "role": {"type": "str", "required": True},
        "tables": {"type": "list", "elements": "str", "default": []},
        "disallow": {"type": "list", "elements": "str", "default": []},
        "purge": {"type": "bool", "default": False},
        "member_public_key": {"type": "str", "no_log": True},
        "member_private_key": {"type": "str", "no_log": True},
        "allow_pending": {"type": "bool", "default": False},
    }, supports_check_mode=True, required_together=[["member_public_key", "member_private_key"]])
    p = module.params
    keys = (p["member_public_key"], p["member_private_key"]) if p["member_public_key"] else None
    run_resource(module, lambda: converge_tables(module.client, p["role"], p["tables"], purge=p["purge"],
                                                 member_keys=keys, disallow=p["disallow"]),
                 allow_pending=p["allow_pending"])


if __name__ == "__main__":
    main()
