#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_security_role
short_description: Create or delete a ConnectWise Manage security role
version_added: 1.0.0
description:
  - Ensures a security role (System > Security Roles) exists or is absent.
  - The ConnectWise API can create, read and delete roles, but not rename or edit them. A role found under
    another letter case is kept as it is, with a warning.
  - A new role starts with every module function at None; set its levels with M(msp.connectwise.cw_role_permission).
  - Deleting a role still assigned to members fails before any write and names those members.
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
attributes:
  check_mode:
    support: full
    description: Nothing is written. A role that would be created is returned without an id (C(id) null, C(planned)
      true); later tasks plan its permissions in the same check run by its name.
  diff_mode:
    support: full
    description: Shows the role's name and state before and after.
options:
  name:
    description:
      - The role name (the Role ID in the UI), at most 30 characters. ConnectWise compares names case-insensitively.
    type: str
    required: true
  state:
    description:
      - V(present) creates the role when missing; V(absent) deletes it when no member uses it.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: A dedicated role for TopLeft
  msp.connectwise.cw_security_role:
    name: TopLeft
  register: topleft_role

- name: Remove the role once the integration is gone
  msp.connectwise.cw_security_role:
    name: TopLeft
    state: absent
"""

RETURN = r"""
role:
  description: The role's id and name; for a role that check mode would create, C(id) is null and C(planned) is
    true; null once absent.
  returned: always
  type: dict
  sample: {id: 27, name: TopLeft}
api:
  description: Requests sent and retries taken.
  returned: always
  type: dict
  sample: {requests: 2, retries: 0, codebase: v2025_1/}
pending:
  description: Nothing the API cannot do for a role; always empty, kept for a uniform result shape.
  returned: always
  type: list
  elements: dict
  sample: []
manual_steps:
  description: Always empty for a role.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.msp.connectwise.plugins.module_utils.module import ConnectWiseModule, run_resource
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import converge_role


def main():
    module = ConnectWiseModule(
        {"name": {"type": "str", "required": True}, "state": {"type": "str", "choices": ["present", "absent"], "default": "present"}},
        supports_check_mode=True)
    params = module.params
    run_resource(module, lambda: converge_role(module.client, params["name"], params["state"], module.check_mode))


if __name__ == "__main__":
    main()
