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
  - Optionally writes a capture of the tenant (O(capture_dest)) to attach to a bug report.
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
  customize_items:
    description:
      - Also read the calling member's own customize items and the setup screens (two requests) and tell how this tenant
        names a Table Setup item in them (RV(table_item_form)). ConnectWise does not publish it; the collection matches
        every form, and this says which one the tenant uses.
    type: bool
    default: false
  capture_dest:
    description:
      - Also write a capture of the tenant to this file (JSON, mode 0600; a missing folder is created 0700), in check
        mode too. It holds the raw answer to every read the collection makes (company info, system info, every security
        role and its settings, API members and their defaults, who holds which role, the look-ups, setup screens, and the
        calling member's own rows and customize items), keyed by request path.
      - Scrubbed of keys, tokens, e-mail addresses and people; see C(docs/captures.md). C(python -m simulator --capture)
        serves it back, so that a tenant becomes a regression test.
      - A read the tenant refuses is recorded under C(errors) in the file; the capture goes on.
    type: path
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

- name: Capture the tenant for a bug report
  msp.connectwise.cw_system_info:
    capture_dest: "{{ playbook_dir }}/cw-output/captures/contoso.json"
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
table_item_form:
  description:
    - How C(/system/mySecurity/customizeItems) names a Table Setup item on this tenant, when O(customize_items=true)
      (C(id) the setup screen's id, C(label) "Category / Name", C(name) the table's name alone; several joined by C(+)),
      or C(none) when the calling member's role lists no Table Setup item.
  returned: when O(customize_items=true)
  type: str
  sample: id
table_items_unmatched:
  description: Table Setup items of the calling member that name no setup screen of this tenant (a form not known here).
  returned: when O(customize_items=true)
  type: list
  elements: str
  sample: []
my_security:
  description: The calling member's setting rows (module, function and the four levels), when O(my_security=true).
  returned: when O(my_security=true)
  type: list
  elements: dict
  sample: [{module: System, function: Table Setup, add: None, edit: None, delete: None, inquire: All}]
capture:
  description: Where the capture was written, how many answers it holds, and the paths whose read failed.
  returned: when O(capture_dest) is given
  type: dict
  sample: {dest: /home/msp/cw-output/captures/contoso.json, answers: 21, errors: []}
api:
  description: What the run cost.
  returned: always
  type: dict
  sample: {requests: 2, retries: 0, codebase: v2025_1/}
"""

from ansible_collections.msp.connectwise.plugins.module_utils.api.capture import capture_tenant, write_capture
from ansible_collections.msp.connectwise.plugins.module_utils.module import ConnectWiseModule
from ansible_collections.msp.connectwise.plugins.module_utils.engine.doctor import missing_rights
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.resources.caller import customize_items, security_rows, system_info
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import level_one
from ansible_collections.msp.connectwise.plugins.module_utils.resources.tables import AllowedTables, setup_screens


def main():
    module = ConnectWiseModule({"my_security": {"type": "bool", "default": False},
                                "corporate_structure": {"type": "bool", "default": False},
                                "customize_items": {"type": "bool", "default": False},
                                "capture_dest": {"type": "path"}}, supports_check_mode=True)
    client = module.client
    try:
        capture = None
        if module.params["capture_dest"]:
            # First, so that an answer that fails the checks below is captured all the same; written in check mode
            # too: it is output, not the tenant's state.
            params = module.params
            document = capture_tenant(client, (params["public_key"], params["private_key"], params["client_id"]))
            write_capture(params["capture_dest"], document)
            capture = {"dest": params["capture_dest"], "answers": len(document["answers"]), "errors": sorted(document["errors"])}
        info = system_info(client)
        result = {
            "changed": False,
            "version": info.get("version"),
            "is_cloud": info.get("isCloud"),
            "cloud_region": info.get("cloudRegion"),
            "codebase": client.codebase,
            "base_url": client.base_url,
            "api_version": client.api_version,
        }
        if capture:
            result["capture"] = capture
        if module.params["my_security"]:
            rows = security_rows(client)
            result["my_security"] = [
                {"module": r.get("moduleName"), "function": r.get("moduleFunctionName"), "add": r.get("addLevel"),
                 "edit": r.get("editLevel"), "delete": r.get("deleteLevel"), "inquire": r.get("inquireLevel")}
                for r in rows
            ]
            result["missing_rights"] = missing_rights(rows)
        if module.params["corporate_structure"]:
            result["level1_name"] = level_one(client)
        if module.params["customize_items"]:
            found = AllowedTables(customize_items(client), setup_screens(client))
            result["table_item_form"] = found.form or "none"
            result["table_items_unmatched"] = found.unmatched
    except ConnectWiseError as exc:
        module.fail_cw(exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc), api=module.api_summary())
    except OSError as exc:
        module.fail_json(msg="capture_dest: cannot write %s (%s); give a writable path"
                         % (module.params["capture_dest"], exc.strerror or exc))
    module.exit_json(api=module.api_summary(), **result)


if __name__ == "__main__":
    main()
