#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_security_role_info
short_description: Read ConnectWise Manage security roles and their permission matrix
version_added: 1.0.0
description:
  - Lists the tenant's security roles (one request, pageSize 1000), or reads one role and all its settings rows (one
    more request) as a matrix keyed by C(Module / Function).
  - Read-only. For an audit against a vendor profile use M(msp.connectwise.cw_integration) in check mode.
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
attributes:
  check_mode:
    support: full
    description: Nothing is ever written.
  diff_mode:
    support: none
    description: Nothing is ever written.
options:
  name:
    description: A role to read with its matrix; without it every role is listed (no matrix).
    type: str
  granted_only:
    description: With O(name), leave out the rows whose four levels are all None.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Every role of the tenant
  msp.connectwise.cw_security_role_info:
  register: roles

- name: What TopLeft's role grants
  msp.connectwise.cw_security_role_info:
    name: TopLeft
  register: topleft
"""

RETURN = r"""
roles:
  description: The roles (id, name, roleType, adminFlag, inactiveFlag).
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: Admin, adminFlag: true}]
matrix:
  description: With O(name), the role's levels per C(Module / Function) (null when the role does not exist).
  returned: when O(name) is set
  type: dict
  sample: {"Companies / Contacts": {add: None, edit: None, delete: None, inquire: All}}
api:
  description: Requests sent and retries taken.
  returned: always
  type: dict
  sample: {requests: 3, retries: 0, codebase: v2025_1/}
"""

from ansible_collections.msp.connectwise.plugins.module_utils.module import ConnectWiseModule
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import row_levels
from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import label, order, read_settings
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import Role, find_role, load_roles

SHOWN = ("id", "name", "roleType", "adminFlag", "inactiveFlag")


def main():
    module = ConnectWiseModule({"name": {"type": "str"}, "granted_only": {"type": "bool", "default": True}},
                               supports_check_mode=True)
    client, name = module.client, module.params["name"]
    result = {"changed": False}
    try:
        result["roles"] = [{k: r.get(k) for k in SHOWN if k in r} for r in load_roles(client)]
        if name:
            role = find_role(client, name)
            result["matrix"] = None
            if role is not None:
                rows = sorted(read_settings(client, Role.of(role)), key=order)
                result["matrix"] = {label(r): row_levels(r) for r in rows
                                    if not module.params["granted_only"] or set(row_levels(r).values()) - {"None", None}}
    except ConnectWiseError as exc:
        module.fail_cw(exc)
    module.exit_json(api=module.api_summary(), **result)


if __name__ == "__main__":
    main()
