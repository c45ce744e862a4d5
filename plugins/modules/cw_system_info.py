#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_system_info
short_description: Check a ConnectWise Manage connection and read the server's version
version_added: 1.0.0
description:
  - Discovers the tenant's codebase with the unauthenticated C(/login/companyinfo) call, then calls
    C(/system/info) with the given keys and clientId, the usual "do these keys work" check.
  - Optionally returns the calling member's own security setting rows from C(/system/mySecurity),
    so that a run can tell which rights the keys really carry.
  - Read-only; never changes the tenant.
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
  my_security:
    description:
      - Also read the calling member's effective security setting rows (one request, pageSize 1000) and name each right
        the collection needs that they lack (RV(missing_rights)).
    type: bool
    default: false
  corporate_structure:
    description:
      - Also read the name of level 1 of the tenant's corporate structure (one request), returned as RV(level1_name).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Check the keys against the tenant given by the CW_* environment variables
  msp.connectwise.cw_system_info:
  register: cw

- name: Check an explicit tenant and list the caller's rights
  msp.connectwise.cw_system_info:
    site: api-na.myconnectwise.net
    company_id: contoso
    public_key: "{{ vault_cw_public_key }}"
    private_key: "{{ vault_cw_private_key }}"
    client_id: "{{ cw_client_id }}"
    my_security: true
  register: cw
"""

RETURN = r"""
version:
  description: The ConnectWise Manage server version.
  returned: success
  type: str
  sample: v2025.1.10231
is_cloud:
  description: Whether the tenant is hosted by ConnectWise.
  returned: success
  type: bool
  sample: true
cloud_region:
  description: The cloud region, when ConnectWise reports one.
  returned: success
  type: str
  sample: NA
codebase:
  description: The codebase discovered for the company (the fallback C(v4_6_release/) when discovery gave none).
  returned: success
  type: str
  sample: v2025_1/
base_url:
  description: The API base URL every other call uses.
  returned: success
  type: str
  sample: https://api-na.myconnectwise.net/v2025_1/apis/3.0
api_version:
  description: The model version pinned in the Accept header.
  returned: success
  type: str
  sample: '2025.8'
missing_rights:
  description: The rights the collection needs that the calling member lacks (from its own setting rows), each with
    what it is for; empty when the keys can do everything.
  returned: when O(my_security=true)
  type: list
  elements: str
  sample: ["System / Security Roles: Add Level All, has None (to create vendor roles)"]
level1_name:
  description: The name of level 1 of the tenant's corporate structure (the usual name is Corporate, but tenants rename it).
  returned: when O(corporate_structure=true)
  type: str
  sample: Corporate
my_security:
  description: The calling member's setting rows (module, function and the four levels), when O(my_security=true).
  returned: when O(my_security=true)
  type: list
  elements: dict
  sample: [{module: System, function: Table Setup, add: None, edit: None, delete: None, inquire: All}]
api:
  description: What the run cost.
  returned: always
  type: dict
  sample: {requests: 2, retries: 0, codebase: v2025_1/}
"""

from ansible_collections.msp.connectwise.plugins.module_utils.connection import ConnectWiseModule
from ansible_collections.msp.connectwise.plugins.module_utils.doctor import missing_rights
from ansible_collections.msp.connectwise.plugins.module_utils.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.members import References


def main():
    module = ConnectWiseModule({"my_security": {"type": "bool", "default": False},
                                "corporate_structure": {"type": "bool", "default": False}}, supports_check_mode=True)
    client = module.client
    try:
        info = client.get("/system/info") or {}
        result = {
            "changed": False,
            "version": info.get("version"),
            "is_cloud": info.get("isCloud"),
            "cloud_region": info.get("cloudRegion"),
            "codebase": client.codebase,
            "base_url": client.base_url,
            "api_version": client.api_version,
        }
        if module.params["my_security"]:
            rows = client.get_all("/system/mySecurity")
            result["my_security"] = [
                {"module": r.get("moduleName"), "function": r.get("moduleFunctionName"), "add": r.get("addLevel"),
                 "edit": r.get("editLevel"), "delete": r.get("deleteLevel"), "inquire": r.get("inquireLevel")}
                for r in rows
            ]
            result["missing_rights"] = missing_rights(rows)
        if module.params["corporate_structure"]:
            result["level1_name"] = References(client, check_mode=True).level_one()
    except ConnectWiseError as exc:
        module.fail_cw(exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc), api=module.api_summary())
    module.exit_json(api=module.api_summary(), **result)


if __name__ == "__main__":
    main()
