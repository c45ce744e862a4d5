#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_role_permission
short_description: Set a ConnectWise Manage security role's module-function permission levels
version_added: 1.0.0
description:
  - Converges the Add, Edit, Delete and Inquire levels of a security role's module functions.
  - Reads every settings row of the role in one request (pageSize 1000) and changes only the rows that differ.
  - ConnectWise documents no API write for system security role levels. Where a tenant accepts C(PATCH) on role
    settings, the rows are written through the API and read back; where it answers 405, the module returns the exact
    steps for the ConnectWise UI in RV(manual_steps) and machine-readable RV(pending) items, and verifies them on the
    next run.
  - Module and function names are matched to the tenant's own names after folding case, spacing, dash kinds,
    C(&)/C(and), plurals (Ticket/Tickets) and known renames (Product Entry is Product Catalog). An unknown name fails
    before any write and lists the closest names the tenant has.
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
attributes:
  check_mode:
    support: full
    description: Nothing is written, and the tenant is never probed with a write. For a role that a previous task would
      create in the same check run, the full matrix is planned against a new role (every function at None). A role that
      differs is reported C(changed), whether the API or a person (RV(manual_steps)) would make the change; outside
      check mode C(changed) means a write was made.
  diff_mode:
    support: full
    description: Before and after show only the managed cells, keyed by C(Module / Function).
options:
  role:
    description:
      - The security role's name.
      - An admin role (C(adminFlag)) is never changed. A run that would change or purge its levels fails before any
        write, in check mode too.
    type: str
    required: true
  permissions:
    description:
      - The module functions and their levels. A level left out (or null) is left as it is, unless O(purge=true).
      - A grant in a cell not given here (a function not listed, or a cell a listed row leaves out) is returned in
        RV(excess), never as a difference.
    type: list
    elements: dict
    default: []
    suboptions:
      module:
        description: The module, such as C(Companies), C(Service Desk) or C(Time & Expense).
        type: str
        required: true
      function:
        description: The module function, such as C(Company Maintenance) or C(Service Ticket - Dependencies).
        type: str
        required: true
      add:
        description: Add level, V(None), V(My) or V(All) (any letter case).
        type: str
      edit:
        description: Edit level, V(None), V(My) or V(All) (any letter case).
        type: str
      delete:
        description: Delete level, V(None), V(My) or V(All) (any letter case).
        type: str
      inquire:
        description: Inquire level, V(None), V(My) or V(All) (any letter case).
        type: str
  purge:
    description:
      - Least privilege. Every cell not given in O(permissions) is set to None, the four cells of a function not listed
        and the cells a listed row leaves out.
      - An empty O(permissions) with O(purge=true) is refused.
    type: bool
    default: false
  method:
    description:
      - V(auto) writes through the API where the tenant accepts it (learnt from the first write of a run; check mode
        relies on O(settings_writable)) and plans manual steps for the rest.
      - V(api) fails when the tenant refuses API writes.
      - V(manual) never writes and always plans the steps.
    type: str
    choices: [auto, api, manual]
    default: auto
  settings_writable:
    description:
      - What is already known of the tenant, V(true) if it accepts C(PATCH) on role settings, V(false) if not.
        Unset means unknown. C(playbooks/doctor.yml) can probe and record it.
    type: bool
  allow_pending:
    description:
      - Outside check mode, remaining manual steps fail the task unless this is V(true) (the vendor roles collect every
        step into one checklist this way).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: TopLeft's rights, least privilege
  msp.connectwise.cw_role_permission:
    role: TopLeft
    purge: true
    permissions:
      - {module: Companies, function: Company Maintenance, inquire: All}
      - {module: Service Desk, function: Service Tickets - Dependencies, add: All, edit: All, delete: All, inquire: All}
  register: levels

- name: Show what an administrator must still click
  ansible.builtin.debug:
    var: levels.manual_steps
"""

RETURN = r"""
role:
  description: The role's id and name; for a role check mode plans to create, C(id) is null and C(planned) is true.
  returned: success
  type: dict
  sample: {id: 27, name: TopLeft}
differences:
  description: Every row that differed when the module started, with each cell's level from and to.
  returned: success
  type: list
  elements: dict
  sample: [{kind: permission, role: TopLeft, module: Companies, function: Contacts, cells: {inquire: {from: None, to: All}}}]
pending:
  description: The rows still to change by hand, in the same form as RV(differences).
  returned: always
  type: list
  elements: dict
  sample: []
manual_steps:
  description: One line per row for the ConnectWise UI, with menu path, module, function and each level from and to.
  returned: always
  type: list
  elements: str
  sample: ["System > Security Roles > TopLeft > Companies > Contacts: set Inquire Level None -> All"]
excess:
  description: >-
    Grants in cells not given in O(permissions), one line per function (C(Module / Function) then each cell and level);
    empty with O(purge=true), which sets them to None.
  returned: success
  type: list
  elements: str
  sample: ["Companies / Company Maintenance: add All"]
settings_writable:
  description: Whether this tenant accepts API writes to role settings, as learnt in this run (null when unknown).
  returned: success
  type: bool
  sample: false
api:
  description: Requests sent and retries taken.
  returned: always
  type: dict
  sample: {requests: 3, retries: 0, codebase: v2025_1/}
"""

from ansible_collections.msp.connectwise.plugins.module_utils.module import ConnectWiseModule, run_resource
from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import converge_permissions


def main():
    cell = {"type": "str"}
    module = ConnectWiseModule({
        "role": {"type": "str", "required": True},
        "permissions": {"type": "list", "elements": "dict", "default": [], "options": {
            "module": {"type": "str", "required": True}, "function": {"type": "str", "required": True},
            "add": dict(cell), "edit": dict(cell), "delete": dict(cell), "inquire": dict(cell)}},
        "purge": {"type": "bool", "default": False},
        "method": {"type": "str", "choices": ["auto", "api", "manual"], "default": "auto"},
        "settings_writable": {"type": "bool"},
        "allow_pending": {"type": "bool", "default": False},
    }, supports_check_mode=True)
    p = module.params
    run_resource(module, lambda: converge_permissions(
        module.client, p["role"], p["permissions"], purge=p["purge"], method=p["method"],
        settings_writable=p["settings_writable"], check_mode=module.check_mode), allow_pending=p["allow_pending"])


if __name__ == "__main__":
    main()
