#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_tenant
short_description: Build a tenant's desired integrations from the integration role's variables
version_added: 1.1.0
description:
  - Reads the C(msp.connectwise.integration) role's variables of this host (C(cw_vendors), C(cw_vendor_overrides),
    C(cw_member_*), C(cw_purge), ...; C(ansible-doc -t role msp.connectwise.integration) lists them) and the vendor
    profiles they name, and returns the tenant as M(msp.connectwise.cw_integration) and
    M(msp.connectwise.cw_fleet_audit) take it. The role calls it; a playbook rarely needs to.
  - Each integration item is the vendor's profile, then the single-vendor variables (C(cw_role_name), C(cw_member_*)),
    when one vendor is run, then the vendor's C(cw_vendor_overrides) entry. Boolean variables given as strings (C(-e
    cw_purge=true)) are read as booleans.
  - What C(playbooks/doctor.yml) recorded of the tenant (C(<cw_output_dir>/tenants/<host>.yml)) gives the codebase,
    the name of level 1 and whether role settings are writable, unless it was recorded for another company id.
  - Fails, naming the variable and the fix, on a vendor list that is not a list, an unknown or repeated vendor, an
    unknown key of C(cw_vendor_overrides), or a host name with a C(/).
  - Runs on the controller and contacts no tenant.
author:
  - msp.connectwise maintainers (@msp-connectwise)
options: {}
attributes:
  action:
    support: full
    description: An action plugin; this page documents it.
  check_mode:
    support: full
    description: Reads local files only, in check mode too.
  diff_mode:
    support: none
    description: Nothing is changed.
notes:
  - The result is never shown, as with C(no_log), since the tenant carries its private key and the members' key pairs.
"""

EXAMPLES = r"""
- name: Build this tenant
  msp.connectwise.cw_tenant:
  vars:
    cw_vendors: [topleft]
  register: cw_tenant

- name: Audit it
  msp.connectwise.cw_integration:
    integrations: "{{ cw_tenant.tenant.integrations }}"
    state: "{{ cw_tenant.tenant.state }}"
  check_mode: true
"""

RETURN = r"""
tenant:
  description: The tenant as an entry of O(msp.connectwise.cw_fleet_audit#module:tenants) takes it - C(name),
    C(integrations) (one item per vendor, as O(msp.connectwise.cw_integration#module:integrations) takes it), C(state),
    C(method), C(settings_writable), C(tenant_facts), and the connection variables that are set (C(site),
    C(company_id), C(public_key), C(private_key), C(client_id)).
  returned: success
  type: dict
  sample: {name: acme, state: present, method: auto, settings_writable: null, tenant_facts: {codebase: null,
           level1_name: null}, integrations: [{role_name: null, purge: false, member: {identifier: null}}]}
vars:
  description: Every variable of the role, as given or defaulted (C(cw_output_dir), C(cw_credentials_dir) and
    C(cw_checklist_dir) resolved), booleans as booleans.
  returned: success
  type: dict
  sample: {cw_state: present, cw_checklist_dir: /srv/cw-output/checklists, cw_fail_on_pending: true}
vendors:
  description: Per vendor, what the engine takes for its API member's identifier (C(member); the integration's own,
    else its profile's) and its key's description (C(key_description); the integration's own, else the profile's,
    else its title, else the vendor's name), for the tasks that hand a key over to that member.
  returned: success
  type: dict
  sample: {topleft: {member: TopLeft, key_description: TopLeft}}
record:
  description: The record of this tenant's facts (C(<cw_output_dir>/tenants/<host>.yml)), which C(doctor.yml) writes and
    M(msp.connectwise.cw_integration) completes with what a run learns (O(msp.connectwise.cw_integration#module:tenant_record)).
  returned: success
  type: str
  sample: /srv/cw-output/tenants/acme.yml
allow_pending:
  description: Whether remaining manual steps leave the run successful (offboarding, or C(cw_fail_on_pending=false)).
  returned: success
  type: bool
  sample: false
"""
