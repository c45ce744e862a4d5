#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_settings_probe
short_description: Learn whether a ConnectWise Manage tenant accepts API writes to security role levels
version_added: 1.0.0
description:
  - ConnectWise documents no API write for system security role levels; some tenants may accept C(PATCH) on
    C(/system/securityroles/{id}/settings/{id}) anyway.
  - This module sends one C(PATCH) that sets one setting to the value it already has, and reports whether the tenant
    accepted it (C(true)) or answered 405 (C(false)). Nothing changes either way.
  - Record the answer (C(playbooks/doctor.yml) does) and pass it as C(settings_writable) so that check-mode audits
    predict correctly.
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
attributes:
  check_mode:
    support: full
    description: The probe is a write (of an unchanged value), so check mode skips it and the answer stays unknown.
  diff_mode:
    support: none
    description: Nothing changes.
options:
  probe_role:
    description: The role whose first setting is rewritten; default the first role that is not an admin role.
    type: str
"""

EXAMPLES = r"""
- name: Does this tenant accept API writes to role levels?
  msp.connectwise.cw_settings_probe:
  register: probe
"""

RETURN = r"""
settings_writable:
  description: V(true) if the tenant accepted the PATCH, V(false) if it answered 405, null in check mode.
  returned: always
  type: bool
  sample: false
probe_role:
  description: The role the probe used.
  returned: when probed
  type: str
  sample: Technician
"""

from ansible_collections.msp.connectwise.plugins.module_utils.module import ConnectWiseModule
from ansible_collections.msp.connectwise.plugins.module_utils.engine.doctor import probe_settings_write
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError


def main():
    module = ConnectWiseModule({"probe_role": {"type": "str"}}, supports_check_mode=True)
    if module.check_mode:
        module.exit_json(changed=False, settings_writable=None, skipped=True, msg="the probe writes, so check mode skips it")
    try:
        writable, role = probe_settings_write(module.client, module.params["probe_role"])
    except ConnectWiseError as exc:
        module.fail_cw(exc)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, settings_writable=writable, probe_role=role, api=module.api_summary())


if __name__ == "__main__":
    main()
