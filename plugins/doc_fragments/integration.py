# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of one tenant's integrations, shared by cw_integration (its tenant) and cw_fleet_audit (every tenant)."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  integrations:
    description: The vendor integrations this tenant must have.
    type: list
    elements: dict
    suboptions:
      profile:
        description: The vendor profile (the data in C(roles/integration/files/profiles/<vendor>.yml)).
        type: dict
        required: true
      role_name:
        description: The role name to use instead of the profile's.
        type: str
      member:
        description: Overrides of the profile's member settings, each an option of M(msp.connectwise.cw_api_member)
          other than C(role) (the integration's role) and C(state); any other key is refused.
        type: dict
      key:
        description:
          - Where the member's key pair comes from and goes (source, dest, member_public_key, member_private_key, rotate,
            description, vault_password), as in M(msp.connectwise.cw_api_key). Without dest no key is issued.
          - C(source=auto) (the default) gives the member the kind of key the profile's C(key.kind) names; every shipped
            profile says C(permanent), a key made on the member's API Keys tab, so the run plans that UI step. C(token)
            issues an expiring pair through the API instead.
          - C(handback) is how the UI step tells the operator to give the new pair back (the playbooks say which
            C(key_import) command to run); by default, as this task's C(key.member_public_key) and C(key.member_private_key).
        type: dict
      purge:
        description: Least privilege. Functions and tables the vendor does not ask for are set to None or disallowed.
        type: bool
        default: false
      include_optional:
        description: Also grant the rows and tables the vendor marks optional.
        type: bool
        default: false
      include_temporary:
        description: Grant the cells the vendor needs during setup only (never in check mode; audits accept them either
          way).
        type: bool
        default: true
      reassign_role:
        description: On offboarding, the role the deactivated member is moved to so that the vendor's role can be deleted.
          Give a role with no rights; one that can escalate (the security review's escalation functions) or grants more
          than the vendor's profile needs is used with a warning, an admin role is refused.
        type: str
      adopt_role:
        description:
          - A role is the integration's own when no member but the integration's API member holds it, active or not,
            and it is neither an admin role (C(adminFlag)) nor a stock role. ConnectWise flags only admin roles and
            publishes no list of the roles a new tenant ships with, so the stock roles are those named C(Admin),
            C(Technician) or C(Finance) (any letter case).
          - Onboarding or auditing an existing role that is not the integration's own fails before any write, naming
            the members who hold it. V(true) takes such a role over all the same, with a warning; its levels and Table
            Setup list are then set for everyone holding it.
          - An admin role is never changed nor given to an integration's member, not even with V(true).
          - Independently of this option, a member identifier that belongs to a member who is not an API member (a
            person's login) is refused before any write.
        type: bool
        default: false
      allow_partial:
        description:
          - Onboard a profile whose C(status) is C(partial) all the same. Its vendor's table is known only in part (the
            profile's C(missing) says what), so onboarding grants only the rows it has; without V(true) onboarding
            refuses it before any request. An audit (check mode) uses a partial profile's rows whatever this says, and
            every report marks it partial (C(compliance.profile_status)).
        type: bool
        default: false
        version_added: 1.1.0
      levels:
        description:
          - The levels of the cells the profile marks C(ask), whose level the vendor's page names without a value, as a
            mapping of C(Module / Function) to the levels of its cells.
          - 'For example C({"Companies / Company Maintenance": {"add": "All", "inquire": "All"}}). A key or cell that is
            not such a cell is refused.'
          - Onboarding refuses a profile with a C(ask) cell left unset before any request, naming each; an audit checks
            every other cell and lists those in C(compliance.not_judged).
        type: dict
        version_added: 1.1.0
  state:
    description: V(present) onboards (or, in check mode, audits); V(absent) offboards.
    type: str
    choices: [present, absent]
    default: present
  method:
    description: How permission levels are written; see M(msp.connectwise.cw_role_permission).
    type: str
    choices: [auto, api, manual]
    default: auto
  settings_writable:
    description: What is known of this tenant's API writes to role settings (unset means unknown).
    type: bool
  tenant_facts:
    description:
      - What C(playbooks/doctor.yml) recorded of this tenant, to save two reads per run. The role passes it from
        C(<cw_output_dir>/tenants/<host>.yml).
      - A stale codebase (the tenant was upgraded since) costs one more request, as the first 404 rediscovers it.
        After renaming level 1 of the corporate structure, run C(doctor.yml) again.
    type: dict
    suboptions:
      codebase:
        description: The codebase found by C(/login/companyinfo), such as C(v2025_1/); used instead of discovering it.
        type: str
      level1_name:
        description: The name of level 1 of the corporate structure (the member's default level).
        type: str
"""
