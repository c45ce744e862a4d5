# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API keys: no endpoint lists or creates a member's persistent keys. A pair is issued through the tokens endpoint
(it expires) or created by a person in the UI and handed over; either way it is validated by calling as the member,
and kept only in a file of mode 0600.

No key nobody holds: dest is checked before the POST, the pair is written the moment it arrives (then validated), and
a lock beside dest makes two runs for one member issue one key. A POST whose answer was lost may still have issued a
key, which the API can neither list nor revoke: it is recorded beside dest (unheld_path) and reported by every run and
audit until the operator, having revoked it in the UI, deletes the record.

Which kind a member needs is the vendor's: every vendor page asks for a permanent key made on the member's API Keys tab
(a token stops working when it expires), so ``source="auto"`` plans that UI step unless the kind is ``token``. A held
pair is reported as held (works, and expires in more than 14 days or never), expiring, expired, refused or not_held."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import fcntl
import json
import os
import stat
import tempfile

from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.storage.files import write_atomic
from ansible_collections.msp.connectwise.plugins.module_utils.resources.outcome import MASK, Outcome
from ansible_collections.msp.connectwise.plugins.module_utils.resources.base import maybe_applied, retry_pause
from ansible_collections.msp.connectwise.plugins.module_utils.resources.caller import member_items, pair_owner
from ansible_collections.msp.connectwise.plugins.module_utils.storage.vault import decrypt, encrypt, is_vault

TOKENS = "/system/members/%s/tokens"
SOURCES = ("auto", "token", "ui")
# What an integration's key may hold (any other key is refused).
KEY_OPTIONS = ("source", "dest", "member_public_key", "member_private_key", "rotate", "description", "vault_password",
               "handback")
KINDS = ("permanent", "token")
# A key that expires sooner than this is reported (a warning), so that it is replaced before the integration stops.
EXPIRY_WARNING = datetime.timedelta(days=14)
HANDBACK = "give them to this task as member_public_key and member_private_key"
UNHELD_HEADER = """\
# msp.connectwise: API keys that may have been issued and never received (the answer to the request was lost).
# Nobody holds them and the API can neither list nor revoke them. Revoke each in System > Members > API Members >
# <member> > API Keys (the newest keys of that member), then delete this file: every run and audit reports it until then.
"""


@dataclasses.dataclass
class KeyOutcome(Outcome):
    """A key step's outcome: the held pair's ``status`` (key_status) and ``expiration``, whether it authenticated as
    the member in this run (``validated``), its public key and ``source`` when a pair is held, the file it is kept in
    (``dest``), a newly issued pair only without dest (``credentials``) and the keys that may exist that nobody holds
    (``unheld_keys``, with dest)."""
    status: str = "not_held"
    expiration: str | None = None
    validated: bool = False
    public_key: str | None = None
    source: str | None = None
    dest: str | None = None
    credentials: dict | None = None
    unheld_keys: list | None = None
    removed: str | None = None  # offboarding: the member's key file removed (in check mode: that would be removed)

    def shown(self):
        data = {"status": self.status, "validated": self.validated, "expiration": self.expiration}
        for name in ("public_key", "source", "dest", "credentials", "unheld_keys", "removed"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data


def unheld_path(dest):
    """The record of keys that may have been issued for dest's member without reaching dest."""
    return dest + ".unheld-keys.yml"


def unheld_warning(member, entry, path):
    return ("a key may exist that nobody holds: revoke it in System > Members > API Members > %s > API Keys (%s: %s); "
            "then delete %s" % (entry.get("member") or member, entry.get("time") or "?", entry.get("why") or "?", path))


def read_unheld(dest):
    """The entries of the record (YAML comments, then a JSON list); an unreadable record is one entry saying so."""
    path = unheld_path(dest)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        text = "".join(line for line in handle if not line.lstrip().startswith("#"))
    try:
        entries = json.loads(text or "[]")
    except ValueError:
        entries = None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [{"why": "this record could not be read (edited?); revoke every key of the member you cannot account for"}]
    return entries


def record_unheld(dest, client, member, why):
    """Add an entry to the record (under the run's lock on dest)."""
    entry = {"member": member, "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "why": why, "site": client.site, "company_id": client.company_id}
    write_atomic(unheld_path(dest), UNHELD_HEADER + json.dumps(read_unheld(dest) + [entry], indent=2) + "\n")


def lost_answer(client, member, dest, exc):
    """Record a key that may have been issued and that nobody holds (``exc`` says why); returns the sentence for the
    user, also when there is no dest to record it beside."""
    step = "a key may exist that nobody holds: revoke it in System > Members > API Members > %s > API Keys" % member
    if not dest:
        return step
    try:
        record_unheld(dest, client, member, str(exc))
    except OSError as failure:
        return "%s (it could not be recorded in %s: %s)" % (step, unheld_path(dest), failure.strerror or failure)
    return "%s, then delete %s (recorded there until you do)" % (step, unheld_path(dest))


def refuse_link(dest):
    """A key file is never reached through a symbolic link: its mode would be set, and a key written, wherever the link
    points (another user's file, in a shared folder)."""
    for path in (dest, dest and dest + ".lock"):
        if path and os.path.islink(path):
            raise ValueError("dest: %s is a symbolic link; give the path of a regular file (a key pair is never written "
                             "through a link)" % path)


def check_writable(dest, member):
    """Before any key is issued: dest must be a file that can be written (its folder created 0700 when missing)."""
    refuse_link(dest)
    if os.path.isdir(dest):
        raise ValueError("dest: %s is a folder; give the path of a file in it (e.g. %s): no key was issued"
                         % (dest, os.path.join(dest, member + ".json")))
    folder = os.path.dirname(os.path.abspath(dest))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=folder, prefix=".cw-key-")
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        reason = "%s is not a folder" % folder if isinstance(exc, FileExistsError) else exc.strerror or exc
        raise ValueError("dest: %s cannot be written (%s); give a path in a folder this user can write: no key was issued"
                         % (dest, reason))


@contextlib.contextmanager
def locked(dest):
    """An exclusive lock for dest's member, held from reading dest to writing it: a second run waits, then finds the
    first run's pair. A file beside dest, since dest itself is replaced when written."""
    handle = os.open(dest + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # releases the lock


def read_held(dest, vault_password=None, tighten=True):
    """The pair kept in ``dest`` (tightening its mode to 0600 if it was looser, unless ``tighten`` is false), or None;
    and whether the mode was loosened. A vault-encrypted file is opened with ``vault_password``."""
    refuse_link(dest)
    if not dest or not os.path.exists(dest):
        return None, False
    if os.path.isdir(dest):
        raise ValueError("dest: %s is a folder; give the path of a file in it" % dest)
    loosened = bool(stat.S_IMODE(os.stat(dest).st_mode) & 0o077)
    if loosened and tighten:
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
    write_atomic(dest, text)


def parse_time(text):
    """An expiration as the API writes it (ISO 8601 with Z or an offset), as an aware datetime; None if unreadable."""
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def key_status(held, working, now=None):
    """held (works; no expiry, or not within 14 days), expiring (works, expires within 14 days), expired, refused (the
    tenant refuses it: deleted, made inactive, or the member is inactive) or not_held."""
    if not held:
        return "not_held"
    expires = parse_time(held["expiration"]) if held.get("expiration") else None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if working:
        return "expiring" if expires and expires - now < EXPIRY_WARNING else "held"
    return "expired" if expires and expires <= now else "refused"


def status_warning(member, status, held, dest):
    """What an administrator reads about a held key that is not simply fine; None when it is."""
    where = " held in %s" % dest if dest else ""
    if status == "expiring":
        return ("the API key of member %s%s expires at %s (within %d days): the integration stops working then unless it "
                "is given a new key" % (member, where, held.get("expiration"), EXPIRY_WARNING.days))
    if status == "expired":
        return "the API key of member %s%s expired at %s: the integration cannot connect" % (member, where, held.get("expiration"))
    if status == "refused":
        return ("the API key of member %s%s is refused by the tenant (deleted or inactive on the member's API Keys tab, or "
                "the member is inactive): the integration cannot connect" % (member, where))
    return None


def owner_problem(client, pair, member):
    """Why a handed-over pair must not be kept for ``member``: it belongs to another member (the admin's own keys, say,
    which the vendor would then hold). Read from the pair's own /system/mySecurity rows, whose published model names
    their member; None when they name ``member`` or name nobody (then only the caller's care stands behind it)."""
    holder = pair_owner(client, pair)
    if holder and holder.lower() != member.lower():
        return ("the given pair belongs to member %s, not to %s: hand over the pair made on %s's API Keys tab (a key of "
                "another member would give the vendor that member's rights)" % (holder, member, member))
    return None


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
                 check_mode=False, may_return_secret=False, vault_password=None, kind="permanent", handback=HANDBACK):
    """Make sure the operator holds a working pair for ``member`` of the ``kind`` it needs. Returns the Outcome;
    secrets only in dest or (when newly issued and allowed) in its ``credentials``. ``handback`` says, in the UI
    step, how the operator gives the pair created in the UI back."""
    if source not in SOURCES:
        raise ValueError("source: %r is not one of %s" % (source, ", ".join(SOURCES)))
    if kind not in KINDS:
        raise ValueError("key.kind: %r is not one of %s" % (kind, ", ".join(KINDS)))
    if source == "auto":
        source = "token" if kind == "token" else "ui"
    if given and not all(given):
        raise ValueError("member_public_key and member_private_key: give both keys of the pair, or neither")
    if not dest and not may_return_secret and source != "ui":
        raise ValueError("dest: give a file to keep the key pair in (written with mode 0600), or set no_log: true on "
                         "this task to receive a newly issued private key once in the result")
    description = description or member
    if not dest or check_mode:
        outcome = held_or_issued(client, member, source, dest, given, rotate, description, check_mode, may_return_secret,
                                 vault_password, handback)
    else:
        check_writable(dest, member)
        with locked(dest):
            outcome = held_or_issued(client, member, source, dest, given, rotate, description, check_mode,
                                     may_return_secret, vault_password, handback)
    if dest:
        entries = read_unheld(dest)
        outcome.dest = dest
        outcome.unheld_keys = [dict(e, record=unheld_path(dest)) for e in entries]
        outcome.warnings.extend(unheld_warning(member, e, unheld_path(dest)) for e in entries)
    return outcome


def held_or_issued(client, member, source, dest, given, rotate, description, check_mode, may_return_secret, vault_password,
                   handback):
    outcome = KeyOutcome("API key of member %s" % member)
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
        foreign = owner_problem(client, given, member)
        if foreign:
            raise ValueError("member_public_key: " + foreign)
        fresh = dict(record_base, public_key=given[0], private_key=given[1], source="ui", expiration=None)
        return keep(outcome, dest, held, fresh, check_mode, False, vault_password)
    status = key_status(held, bool(current) and works(client, current))
    outcome.status, outcome.expiration = status, held.get("expiration") if held else None
    outcome.validated = status in ("held", "expiring")
    if not rotate:
        outcome.warnings.extend(w for w in [status_warning(member, status, held, dest)] if w)
    # A token (it has an expiration) where a key made in the UI is asked for: it works today and stops on its expiry.
    token_for_ui = source == "ui" and bool(held and held.get("expiration"))
    if outcome.validated and not rotate and not token_for_ui:
        if dest and bool(vault_password) != held["encrypted"]:
            # The same pair, to be kept encrypted (or, without a vault password any more, plain): rewrite the file.
            return keep(outcome, dest, held, dict(held), check_mode, False, vault_password, reencrypt=True)
        outcome.after = dict(outcome.before)
        outcome.public_key, outcome.source = current[0], held.get("source")
        return outcome
    if source == "ui":
        step = ("System > Members > API Members > %s > API Keys: click +, enter the description '%s', click Save (not Save "
                "& Close), copy the public and private key (ConnectWise never shows the private key again), and %s"
                % (member, description, handback))
        if token_for_ui and not rotate:
            step += ("; the pair held now was issued through the API and expires at %s: the integration needs a permanent "
                     "key" % held["expiration"])
        if current and (rotate or status in ("held", "expiring")):
            step += "; once the integration uses the new pair, mark the old key (%s) inactive and delete it" % current[0]
        outcome.need(step, {"kind": "api_key", "member": member, "description": description, "action": "create",
                            "status": status, "handback": handback})
        outcome.after = {"member": member, "key": "held", "public_key": "(created in the UI)"}
        return outcome
    if check_mode:
        outcome.after = {"member": member, "key": "held", "public_key": "(issued on apply)"}
        outcome.wrote()
        return outcome
    issued = issue(client, member, dest)
    fresh = dict(record_base, public_key=issued["publicKey"], private_key=issued["privateKey"], source="token",
                 expiration=issued.get("expiration"))
    if dest:
        # Held before anything else can fail (the validation below may time out): a pair in dest is never lost.
        try:
            write_held(dest, fresh, vault_password)
        except OSError as exc:
            error = "the pair just issued could not be written to %s (%s)" % (dest, exc.strerror or exc)
            raise ValueError("dest: %s; %s" % (error, lost_answer(client, member, dest, error)))
    if not works(client, (fresh["public_key"], fresh["private_key"])):
        raise ValueError("member: the pair just issued for %r does not authenticate; check that the member is active" % member)
    return keep(outcome, dest, held, fresh, check_mode, True, vault_password, written=bool(dest))


def issue(client, member, dest):
    """POST the tokens endpoint. A failure after which a key may exist (no answer, a 5xx, an answer without a readable
    pair) is recorded beside dest; then, unless an answer came, the POST is sent again as a re-run would, at most
    ``client.retries`` times."""
    attempt = 0
    while True:
        try:
            issued = client.post(TOKENS % member, {}, headers={"x-cw-usertype": "member"}) or {}
        except ConnectWiseError as exc:
            # A 2xx that could not be read may carry a key as much as an answer that never came.
            answered = exc.status is not None and exc.status < 300
            if not (answered or maybe_applied(exc)):
                raise
            error = exc
        else:
            if issued.get("publicKey") and issued.get("privateKey"):
                return issued
            error, answered = ConnectWiseError("the tokens endpoint answered without a key pair", method="POST",
                                               path=TOKENS % member), True
        step = lost_answer(client, member, dest, error)
        if not answered and attempt < client.retries:
            try:
                retry_pause(client, attempt, error)
                attempt += 1
                continue
            except ConnectWiseError:
                pass  # no time left before the run's deadline: stop, saying what to revoke
        error.hint = "%s; %s" % (error.hint, step) if error.hint else step
        error.retries = max(error.retries, attempt)
        error.args = (error.render(),)
        raise error


def keep(outcome, dest, held, fresh, check_mode, issued, vault_password=None, reencrypt=False, written=False):
    """Store the pair in dest (0600, vault-encrypted with a vault password) when it differs from what is held, or
    when it is to be kept encrypted (or plain) and is not, unless already ``written``; the private key is never in a
    diff."""
    outcome.after = {"member": fresh["member"], "key": "held", "public_key": fresh["public_key"]}
    status = key_status(fresh, True)
    outcome.public_key, outcome.expiration, outcome.source = fresh["public_key"], fresh.get("expiration"), fresh.get("source")
    outcome.validated, outcome.status = True, status
    if issued:
        outcome.warnings.extend(w for w in [status_warning(fresh["member"], status, fresh, dest)] if w)
    changed_pair = not held or held.get("public_key") != fresh["public_key"] or held.get("private_key") != fresh["private_key"]
    if reencrypt:
        outcome.before = dict(outcome.before, encrypted=held["encrypted"])
        outcome.after["encrypted"] = bool(vault_password)
    if dest and (changed_pair or reencrypt):
        if not check_mode and not written:
            write_held(dest, fresh, vault_password)
        outcome.wrote()
    if dest:
        outcome.dest = dest
    elif issued:
        outcome.credentials = {"public_key": fresh["public_key"], "private_key": fresh["private_key"],
                               "expiration": fresh["expiration"]}
    if issued:
        outcome.wrote()
    outcome.before = {k: (MASK if k == "private_key" else v) for k, v in outcome.before.items()}
    return outcome


def remove_held(client, member, dest, vault_password=None, check_mode=False):
    """Offboarding: remove the file ``dest`` that keeps the pair of ``member`` of this tenant, as this collection wrote
    it (a deactivated member's keys no longer work, and a private key left on disk is a liability). A file that is not
    that (another member's or tenant's pair, or one that cannot be read: vault-encrypted without its password, not a
    credentials file) is kept, with a warning saying why. Returns a KeyOutcome whose ``removed`` is the path removed (in
    check mode, the one that would be); the record of keys nobody holds beside it stays until the operator deletes it."""
    outcome = KeyOutcome("API keys of member %s" % member)
    if not dest or not os.path.lexists(dest):
        return outcome
    try:
        held, _loosened = read_held(dest, vault_password, tighten=not check_mode)
    except ValueError as exc:
        outcome.warnings.append("%s kept: it could not be read as the key file of member %s (%s); delete it yourself once "
                                "you know what it holds" % (dest, member, exc))
        return outcome
    owner = (held or {}).get("member") or ""
    company = str((held or {}).get("company_id") or "")
    if owner.lower() != member.lower() or company.lower() != str(client.company_id).lower():
        outcome.warnings.append("%s kept: it does not hold the pair of member %s of company %s (it names %s of %s)"
                                % (dest, member, client.company_id, owner or "no member", company or "no company"))
        return outcome
    outcome.before, outcome.after = {"key_file": dest}, {"key_file": None}
    if not check_mode:
        with locked(dest):
            os.unlink(dest)
    outcome.removed = dest
    outcome.wrote()
    return outcome
