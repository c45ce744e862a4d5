# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API keys: no endpoint lists or creates a member's persistent keys. A pair is issued through the tokens endpoint
(it expires) or created by a person in the UI and handed over; either way it is validated by calling as the member,
and kept only in a file of mode 0600."""

from __future__ import annotations

import json
import os
import stat
import tempfile

from ansible_collections.msp.connectwise.plugins.module_utils.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.plan import MASK, Outcome
from ansible_collections.msp.connectwise.plugins.module_utils.tables import member_items
from ansible_collections.msp.connectwise.plugins.module_utils.vault import decrypt, encrypt, is_vault

TOKENS = "/system/members/%s/tokens"
SOURCES = ("auto", "token", "ui")


def read_held(dest, vault_password=None):
    """The pair kept in ``dest`` (tightening its mode to 0600 if it was looser), or None; and whether the mode was
    loosened. A vault-encrypted file is opened with ``vault_password``."""
    if not dest or not os.path.exists(dest):
        return None, False
    loosened = bool(stat.S_IMODE(os.stat(dest).st_mode) & 0o077)
    if loosened:
        os.chmod(dest, 0o600)
    with open(dest, encoding="utf-8") as handle:
        text = handle.read()
    encrypted = is_vault(text)
    if encrypted and not vault_password:
        raise ValueError("vault_password: %s is vault-encrypted; give the vault password it was written with" % dest)
    try:
        held = json.loads(decrypt(text, vault_password, "vault_password: " + dest) if encrypted else text)
    except ValueError as exc:
        if encrypted and not isinstance(exc, json.JSONDecodeError):
            raise
        raise ValueError("dest: %s is not a credentials file written by msp.connectwise; move it away or choose another path" % dest)
    if isinstance(held, dict):
        held["encrypted"] = encrypted
    return (held if isinstance(held, dict) and held.get("public_key") and held.get("private_key") else None), loosened


def write_held(dest, record, vault_password=None):
    """Write atomically, never readable by others: the file is created 0600 before any byte is written; with
    ``vault_password`` the text is Ansible Vault encrypted, so that no plain private key is ever at rest."""
    text = json.dumps({k: v for k, v in record.items() if k != "encrypted"}, indent=2, sort_keys=True) + "\n"
    if vault_password:
        text = encrypt(text, vault_password)
    folder = os.path.dirname(os.path.abspath(dest))
    os.makedirs(folder, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".cw-key-")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, dest)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def works(client, pair):
    """Whether the pair authenticates, by reading the member's own customize items (kept for the Table Setup check)."""
    try:
        member_items(client, pair)
        return True
    except ConnectWiseError as exc:
        if exc.status in (401, 403, 404):
            return False
        raise


def converge_key(client, member, source="auto", dest=None, given=None, rotate=False, description=None,
                 check_mode=False, may_return_secret=False, vault_password=None):
    """Make sure the operator holds a working pair for ``member``. Returns the Outcome; secrets only in dest or
    (when newly issued and allowed) in values['credentials']."""
    if source not in SOURCES:
        raise ValueError("source: %r is not one of %s" % (source, ", ".join(SOURCES)))
    if given and not all(given):
        raise ValueError("member_public_key and member_private_key: give both keys of the pair, or neither")
    if not dest and not may_return_secret and source != "ui":
        raise ValueError("dest: give a file to keep the key pair in (written with mode 0600), or set no_log: true on "
                         "this task to receive a newly issued private key once in the result")
    description = description or member
    outcome = Outcome("API key of member %s" % member)
    held, loosened = read_held(dest, vault_password)
    if loosened:
        outcome.warnings.append("%s was readable by others; its mode is now 0600" % dest)
    current = (held["public_key"], held["private_key"]) if held else None
    outcome.before = {"member": member, "key": "held" if current else "none", "public_key": held["public_key"] if held else None}
    record_base = {"site": client.site, "company_id": client.company_id, "member": member, "description": description}
    if given:
        if not works(client, given):
            raise ValueError("member_public_key: the given pair does not authenticate on this tenant (HTTP 401); check "
                             "that both keys were copied from the member's API Keys tab and the member is active")
        fresh = dict(record_base, public_key=given[0], private_key=given[1], source="ui", expiration=None)
        return keep(outcome, dest, held, fresh, check_mode, False, vault_password)
    if current and not rotate and works(client, current):
        if dest and bool(vault_password) != held["encrypted"]:
            # The same pair, to be kept encrypted (or, without a vault password any more, plain): rewrite the file.
            return keep(outcome, dest, held, dict(held), check_mode, False, vault_password, reencrypt=True)
        outcome.after = dict(outcome.before)
        outcome.values.update(public_key=current[0], expiration=held.get("expiration"), source=held.get("source"), validated=True)
        return outcome
    if source == "ui":
        step = ("System > Members > API Members > %s > API Keys: click +, enter the description '%s', click Save (not Save "
                "& Close), copy the public and private key, and give them to this task as member_public_key and "
                "member_private_key" % (member, description))
        if rotate and current:
            step += "; once the integration uses the new pair, mark the old key (%s) inactive and delete it" % current[0]
        outcome.need(step, {"kind": "api_key", "member": member, "description": description, "action": "create"})
        outcome.after = {"member": member, "key": "held", "public_key": "(created in the UI)"}
        return outcome
    if check_mode:
        outcome.after = {"member": member, "key": "held", "public_key": "(issued on apply)"}
        outcome.wrote()
        return outcome
    issued = client.post(TOKENS % member, {}, headers={"x-cw-usertype": "member"}) or {}
    if not issued.get("publicKey") or not issued.get("privateKey"):
        raise ConnectWiseError("the tokens endpoint returned no key pair", method="POST", path=TOKENS % member)
    fresh = dict(record_base, public_key=issued["publicKey"], private_key=issued["privateKey"], source="token",
                 expiration=issued.get("expiration"))
    if not works(client, (fresh["public_key"], fresh["private_key"])):
        raise ValueError("member: the pair just issued for %r does not authenticate; check that the member is active" % member)
    outcome.warnings.append("the pair issued through the tokens endpoint expires at %s; for a vendor that needs a "
                            "permanent key, create one in the UI and pass it with source: ui" % issued.get("expiration"))
    return keep(outcome, dest, held, fresh, check_mode, True, vault_password)


def keep(outcome, dest, held, fresh, check_mode, issued, vault_password=None, reencrypt=False):
    """Store the pair in dest (0600, vault-encrypted with a vault password) when it differs from what is held, or
    when it is to be kept encrypted (or plain) and is not; the private key is never in a diff."""
    outcome.after = {"member": fresh["member"], "key": "held", "public_key": fresh["public_key"]}
    outcome.values.update(public_key=fresh["public_key"], expiration=fresh.get("expiration"), source=fresh.get("source"),
                          validated=True)
    changed_pair = not held or held.get("public_key") != fresh["public_key"] or held.get("private_key") != fresh["private_key"]
    if reencrypt:
        outcome.before = dict(outcome.before, encrypted=held["encrypted"])
        outcome.after["encrypted"] = bool(vault_password)
    if dest and (changed_pair or reencrypt):
        if not check_mode:
            write_held(dest, fresh, vault_password)
        outcome.wrote()
    if dest:
        outcome.values["dest"] = dest
    elif issued:
        outcome.values["credentials"] = {"public_key": fresh["public_key"], "private_key": fresh["private_key"],
                                         "expiration": fresh["expiration"]}
    if issued:
        outcome.wrote()
    outcome.before = {k: (MASK if k == "private_key" else v) for k, v in outcome.before.items()}
    return outcome
