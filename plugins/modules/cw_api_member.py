#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_api_member
short_description: Create, update or deactivate a ConnectWise Manage API member
version_added: 1.0.0
description:
  - Ensures an API member (System > Members > API Members, licence class API) with the given role, level, location,
    department, time zone and excluded service boards.
  - References are given by name and resolved on the tenant; an unknown name fails before any write and lists the
    valid names. Only the fields that differ are sent, as a JSON Patch.
  - ConnectWise has no delete for members; V(absent) deactivates the member.
  - A member below the top level, a blank location or excluded boards silently hide data from an integration; the
    level defaults to the tenant's level 1 for that reason.
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
attributes:
  check_mode:
    support: full
    description: Nothing is written; a role that an earlier task would create is accepted by name.
  diff_mode:
    support: full
    description: Before and after show the managed fields, references by name.
options:
  identifier:
    description: The Member ID, 1 to 15 letters, digits, C(_), C(-) or C(.), no spaces.
    type: str
    required: true
  name:
    description: The member's name as shown in the audit trail (at most 30 characters). Defaults to O(identifier) on
      creation.
    type: str
  email:
    description: The member's e-mail address.
    type: str
  role:
    description: The security role's name (Role ID). Required to create the member.
    type: str
  level:
    description: The corporate structure level's name. Defaults to the tenant's level 1 (usually C(Corporate)).
    type: str
  location:
    description: The location's name, used as security, default and sales default location. The tenant's default on
      creation.
    type: str
  department:
    description: The default department's name or identifier. The tenant's default on creation.
    type: str
  time_zone:
    description: The time zone's name. The tenant's default on creation.
    type: str
  excluded_boards:
    description: Names of the service boards the integration must not see. Compared as a set; V([]) clears the list.
    type: list
    elements: str
  notes:
    description: Notes on the member (for example which vendor uses it).
    type: str
  state:
    description: V(present) creates, updates or reactivates; V(absent) deactivates.
    type: str
    choices: [present, absent]
    default: present
"""

EXAMPLES = r"""
- name: TopLeft's API member
  msp.connectwise.cw_api_member:
    identifier: TopLeft
    name: TopLeft API
    email: topleft@example.com
    role: TopLeft
    level: Corporate
    notes: Used by the TopLeft integration

- name: Offboard it
  msp.connectwise.cw_api_member:
    identifier: TopLeft
    state: absent
"""

RETURN = r"""
member:
  description: The member's id, identifier, role and level; when check mode plans a creation, C(id) is null and
    C(planned) is true.
  returned: success
  type: dict
  sample: {id: 181, identifier: TopLeft, inactive: false, role: TopLeft, level: Corporate}
api:
  description: Requests sent and retries taken.
  returned: always
  type: dict
  sample: {requests: 4, retries: 0, codebase: v2025_1/}
pending:
  description: Always empty; the API writes everything this module manages.
  returned: always
  type: list
  elements: dict
  sample: []
manual_steps:
  description: Always empty.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.msp.connectwise.plugins.module_utils.module import ConnectWiseModule, run_resource
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import converge_member, member_argument_spec


def main():
    # The member's fields as resources/members.py declares them (DOCUMENTATION lists each; tests/unit/test_member_fields.py).
    options = dict(member_argument_spec(), state={"type": "str", "choices": ["present", "absent"], "default": "present"})
    module = ConnectWiseModule(options, supports_check_mode=True)
    run_resource(module, lambda: converge_member(module.client, module.params, module.check_mode))


if __name__ == "__main__":
    main()
