#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_api_key
short_description: Make sure the operator holds a working key pair for a ConnectWise Manage API member
version_added: 1.0.0
description:
  - No ConnectWise endpoint lists, creates or revokes the permanent keys of a member's API Keys tab.
  - Vendors need a permanent key, made by an administrator on the member's API Keys tab. By default this module plans
    that UI step and accepts the pair created there (O(member_public_key) and O(member_private_key)). With
    O(source=token) it issues a pair through C(POST /system/members/{identifier}/tokens) instead; that pair expires
    (its expiration is returned) and the integration stops working then.
  - Every pair is kept in O(dest), a JSON file created with mode 0600, and validated by calling the API as the member.
    A pair already held in O(dest) that still works is kept, so a re-run changes nothing.
  - No key that nobody holds. O(dest) is checked before a pair is issued (a folder there, or a folder that cannot be
    written, fails the task with no key issued). An issued pair is written the moment it arrives, then validated. A
    lock file beside it (C(<dest>.lock)) makes runs for the same O(dest) take turns, so two runs at once issue one key.
  - When the answer to the tokens request is lost (no answer, a 5xx, an answer without the pair), a key may exist that
    nobody holds, and the API cannot revoke it. The member, the time and the reason are recorded in
    C(<dest>.unheld-keys.yml) (mode 0600), and the request is sent again as a re-run would, up to O(retries) times.
    Every later run warns about each record entry (RV(unheld_keys)), as does the audit of M(msp.connectwise.cw_integration)
    and M(msp.connectwise.cw_fleet_audit). Revoke the key in System > Members > API Members > (member) > API Keys,
    then delete that file to clear it.
  - Rotation happens only with O(rotate=true), never as a side effect of a re-run.
  - A private key is returned only when newly issued, only without O(dest), and only when the task has C(no_log);
    it never appears in a diff.
author:
  - msp.connectwise maintainers (@msp-connectwise)
extends_documentation_fragment:
  - msp.connectwise.connection
attributes:
  check_mode:
    support: full
    description: No key is issued and no file is written; the result says what would be done.
  diff_mode:
    support: full
    description: Shows whether a pair is held and its public key; the private key is masked.
options:
  member:
    description: The API member's identifier.
    type: str
    required: true
  source:
    description:
      - V(auto) is the kind of key vendors need, a permanent one made in the UI, as V(ui).
      - V(ui) never issues; without a given pair, or a held permanent pair that works, it plans the UI step (a held
        pair that expires is replaced, as one issued through the API).
      - V(token) uses the given pair, else a held pair that works, else issues one through the tokens endpoint (it
        expires).
    type: str
    choices: [auto, token, ui]
    default: auto
  member_public_key:
    description: Public key of a pair created in the UI for the member.
    type: str
  member_private_key:
    description: Private key of a pair created in the UI for the member. Never logged or returned.
    type: str
  dest:
    description:
      - The file the pair is kept in (JSON, mode 0600; its folder is created 0700 when missing).
      - Beside it, C(<dest>.lock) and, after a lost answer, C(<dest>.unheld-keys.yml) (both mode 0600).
    type: path
  vault_password:
    description:
      - Keep O(dest) encrypted with Ansible Vault (AES256) with this password, so that no plain private key is ever
        at rest. Read it back with C(ansible-vault view), C(include_vars) or C(lookup('ansible.builtin.file')).
      - A plain file found at O(dest) is rewritten encrypted, and an encrypted one without a password given is an
        error (never silently replaced).
    type: str
  description:
    description: The key's description in the UI (vendors ask for their name). Defaults to O(member).
    type: str
  rotate:
    description: Issue (or plan) a new pair even when the held one works.
    type: bool
    default: false
  allow_pending:
    description: Outside check mode, a remaining UI step fails the task unless this is V(true).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: An expiring pair issued through the API for TopLeft's member, kept in a 0600 file
  msp.connectwise.cw_api_key:
    member: TopLeft
    source: token
    description: TopLeft
    dest: "{{ playbook_dir }}/credentials/{{ inventory_hostname }}-topleft.json"

- name: Accept the pair an administrator created in the UI
  msp.connectwise.cw_api_key:
    member: TopLeft
    source: ui
    member_public_key: "{{ vault_topleft_public }}"
    member_private_key: "{{ vault_topleft_private }}"
    dest: credentials/topleft.json

- name: Keep the pair vault-encrypted at rest
  msp.connectwise.cw_api_key:
    member: TopLeft
    source: token
    dest: credentials/topleft.vault
    vault_password: "{{ lookup('ansible.builtin.file', '~/.cw-vault-password') }}"
"""

RETURN = r"""
public_key:
  description: The public key of the pair held.
  returned: when a pair is held
  type: str
  sample: 7UhXh2M0QGQpD4Sb
expiration:
  description: When the pair expires (pairs from the tokens endpoint), or null.
  returned: when a pair is held
  type: str
  sample: "2026-11-26T14:00:00Z"
source:
  description: Where the pair came from, V(token) or V(ui).
  returned: when a pair is held
  type: str
  sample: token
validated:
  description: The pair authenticated as the member in this run.
  returned: when a pair is held
  type: bool
  sample: true
status:
  description:
    - The pair held - V(held) (works; it never expires, or not within 14 days), V(expiring) (works, expires within 14
      days; a warning), V(expired), V(refused) (by the tenant - deleted or made inactive on the API Keys tab, or the
      member is inactive) or V(not_held).
  returned: always
  type: str
  sample: held
dest:
  description: The credentials file.
  returned: when O(dest) is set
  type: str
  sample: credentials/topleft.json
unheld_keys:
  description:
    - Keys that may have been issued for the member and never received, from C(<dest>.unheld-keys.yml), each with
      C(member), C(time), C(why), C(site), C(company_id) and C(record) (the file). Revoke them in the UI, then delete
      the file.
  returned: when O(dest) is set
  type: list
  elements: dict
  sample: [{member: TopLeft, time: "2026-05-26T14:00:00Z", why: "POST /system/members/TopLeft/tokens -> HTTP 503: ...",
            site: "https://api-na.myconnectwise.net", company_id: acme, record: credentials/topleft.json.unheld-keys.yml}]
credentials:
  description: The newly issued pair, only without O(dest) and only on a task with C(no_log).
  returned: when issued without dest
  type: dict
  sample: {public_key: 7UhXh2M0QGQpD4Sb, private_key: "(secret)", expiration: "2026-11-26T14:00:00Z"}
pending:
  description: The UI step still to do, machine-readable.
  returned: always
  type: list
  elements: dict
  sample: []
manual_steps:
  description: The UI step still to do.
  returned: always
  type: list
  elements: str
  sample: []
api:
  description: Requests sent and retries taken.
  returned: always
  type: dict
  sample: {requests: 2, retries: 0, codebase: v2025_1/}
"""

from ansible_collections.msp.connectwise.plugins.module_utils.module import ConnectWiseModule, run_resource
from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import converge_key


def main():
    module = ConnectWiseModule({
        "member": {"type": "str", "required": True},
        "source": {"type": "str", "choices": ["auto", "token", "ui"], "default": "auto"},
        "member_public_key": {"type": "str", "no_log": True},
        "member_private_key": {"type": "str", "no_log": True},
        "dest": {"type": "path"},
        "vault_password": {"type": "str", "no_log": True},
        "description": {"type": "str"},
        "rotate": {"type": "bool", "default": False},
        "allow_pending": {"type": "bool", "default": False},
    }, supports_check_mode=True, required_together=[["member_public_key", "member_private_key"]])
    p = module.params
    given = (p["member_public_key"], p["member_private_key"]) if p["member_public_key"] else None
    run_resource(module, lambda: converge_key(
        module.client, p["member"], source=p["source"], dest=p["dest"], given=given, rotate=p["rotate"],
        description=p["description"], check_mode=module.check_mode, may_return_secret=module.no_log,
        vault_password=p["vault_password"]),
        allow_pending=p["allow_pending"])


if __name__ == "__main__":
    main()
