# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A ConnectWise resource declared once: where it lives, which field names it, which of its fields name records of
another resource (references, given by name), who may hold it. Finding, loading, resolving references by name, creating
(with recovery from lost answers and from concurrent creates) and deleting (never while held) are written here once, for
every resource declared on this base."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.msp.connectwise.plugins.module_utils.api import conditions
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import fold

MEMBERS = "/system/members"


def maybe_applied(exc):
    """Whether a failed write may have been made all the same: no answer came (a timeout, a closed connection), or a
    5xx, which a server or a proxy can send after the write was applied."""
    return exc.status is None or exc.status >= 500


def object_exists(exc):
    return exc.status == 400 and any(e.get("code") == "ObjectExists" for e in exc.errors)


def retry_pause(client, attempt, failure):
    """The client's backoff before a create is sent again, counted as one of its retries; raises ``failure`` when the
    run's deadline leaves no time for it."""
    client._wait(client._backoff(attempt), failure)  # pylint: disable=protected-access


def lost_create(exc):
    return "the create was answered HTTP %s" % exc.status if exc.status else "the create got no answer"


@dataclass(frozen=True)
class Reference:
    """A field of a record that names a record of another resource, given by name and resolved on the tenant (declared
    as theforeman.foreman's entity specs declare theirs). ``target``: the declared Resource it names, or the endpoint of
    a list that has no declaration of its own; ``fields``: the record's fields it sets, each to {"id": ...} (a list
    option: to the ids); ``ui``: what the UI calls it; ``names``: the target's fields a given name is matched against,
    folded; ``planned``: check mode may plan the named record in an earlier step of the run, so that an unknown name
    stands for a record with no id yet."""
    target: object
    fields: tuple
    ui: str
    names: tuple = ("name", "identifier")
    planned: bool = False

    @property
    def endpoint(self):
        """Where the named records are listed."""
        return self.target if isinstance(self.target, str) else self.target.endpoint

    def records(self, client):
        """Every record it may name, read once per run (a declared resource's run list, which its creates and deletes
        keep current)."""
        if isinstance(self.target, str):
            return client.cached(("list", self.target), lambda: client.get_all(self.target))
        return self.target(client).load()

    def find(self, client, name):
        """The record ``name`` names, or None: a declared resource's own look-up first (current with this run's
        creates), then its list by every name field, folded."""
        if not isinstance(self.target, str):
            record = self.target(client).find(name)
            if record is not None:
                return record
        wanted = fold(name)
        return next((r for r in self.records(client)
                     if any(isinstance(r.get(f), str) and fold(r[f]) == wanted for f in self.names)), None)


class References:
    """The look-ups of a resource's declared references (Resource.references: option -> Reference): each list read once,
    and only when a name must be resolved."""

    def __init__(self, client, declared, check_mode):
        self.client = client
        self.declared = declared
        self.check_mode = check_mode

    def records(self, option):
        return self.declared[option].records(self.client)

    def resolve(self, option, name):
        """The record ``name`` names for ``option``; an unknown name fails, listing the valid ones."""
        reference = self.declared[option]
        record = reference.find(self.client, name)
        if record is not None:
            return record
        if reference.planned and self.check_mode:
            # Created by an earlier step of this check run: it has no id yet, and check mode sends nothing.
            return {"id": None, "name": name}
        valid = sorted(r.get("name") for r in self.records(option) if r.get("name"))
        raise ValueError("%s: %r does not exist on this tenant; valid names: %s" % (option, name, ", ".join(valid)))


@dataclass(frozen=True)
class Holders:
    """Records that hold one of a resource's: while any does, it is never deleted. ``noun`` and ``relation`` say what
    they are and how they hold it ("assigned to member(s) jtech")."""
    endpoint: str
    field: str          # the condition field naming the held record's id
    noun: str           # what one holder is called
    relation: str       # how a held record stands to its holders
    name: str = "identifier"


# Every member, full or API, active or not, that holds a security role.
ROLE_HOLDERS = Holders(MEMBERS, "securityRole/id", "member", "assigned to")


@dataclass
class Created:
    """What a create ended with: the record, and how it came to be: ``created``; ``existed`` (another run created it
    since our read: ObjectExists); ``lost`` (our create, whose answer was lost: a read back finds it, or a create sent
    again is answered ObjectExists by a record holding what ours sent; ``failure`` says how it was lost)."""
    record: dict
    how: str = "created"
    failure: ConnectWiseError | None = None


class Resource:
    """One kind of ConnectWise record, declared by class attributes; an instance works on one client (one run)."""

    endpoint = None         # the collection's path
    key = "name"            # the identifying field; ConnectWise compares it case-insensitively
    cache_key = None        # the run's cache key of the whole list (client.cache)
    noun = "record"         # what messages call one
    holders = None          # a Holders, when a record may be held by others
    held_hint = ""          # what to do about the holders, in the refusal to delete
    exact_answer = False    # a single look-up must name exactly the value asked (see find)
    markers = ()            # the fields of a create's body a record holds as sent when the create was ours (made_by)
    references = {}         # option -> Reference: the fields that name records of another resource, given by name

    def __init__(self, client):
        self.client = client

    def path(self, record_id):
        return "%s/%d" % (self.endpoint, record_id)

    def matches(self, record, value):
        return (record.get(self.key) or "").lower() == value.lower()

    def load(self):
        """Every record, read once per run."""
        return self.client.cached(self.cache_key, lambda: self.client.get_all(self.endpoint))

    def find(self, value):
        """The record whose identifying field is ``value``, or None: from the run's list once loaded, else by
        condition (a single module asks for the one record)."""
        if self.cache_key in self.client.cache:
            return next((r for r in self.client.cache[self.cache_key] if self.matches(r, value)), None)
        record = self.client.get_one(self.endpoint, conditions.eq(self.key, value))
        # With exact_answer, a server whose comparison is looser (trailing spaces) or an answer that is not what was
        # asked never stands for the record asked for.
        if self.exact_answer and record is not None and not self.matches(record, value):
            return None
        return record

    def forget(self):
        self.client.forget(self.cache_key)

    def remember(self, record):
        """Keep the run's list current after a create."""
        if self.cache_key in self.client.cache:
            self.client.cache[self.cache_key].append(record)

    def read_back(self, value):
        self.forget()
        return self.find(value)

    def create(self, value, body):
        """POST ``body`` for the record named ``value``, never blindly again: after a failure that may have been applied
        (maybe_applied) the record is read back, and posted again only if that finds nothing, at most
        ``client.retries`` times (with the client's backoff, counted as its retries). ObjectExists means another run
        created it since our read, and that one is returned; unless a create of ours was lost before and the record
        holds what ours sent (made_by): then it is ours, applied after our read back."""
        lost, attempt = None, 0
        while True:
            try:
                record = self.client.post(self.endpoint, body)
            except ConnectWiseError as exc:
                if object_exists(exc):
                    record = self.read_back(value)
                    if record is None:
                        raise
                    if lost is not None and self.made_by(record, body):
                        return Created(record, "lost", lost)
                    return Created(record, "existed")
                if not maybe_applied(exc):
                    raise
                record = self.read_back(value)
                if record is not None:
                    return Created(record, "lost", exc)
                if attempt >= self.client.retries:
                    raise
                retry_pause(self.client, attempt, exc)
                lost, attempt = exc, attempt + 1
                continue
            self.remember(record)
            return Created(record)

    def made_by(self, record, body):
        """Whether ``record`` holds every marker field of ``body`` as sent (a reference by its id)."""
        for name in self.markers:
            if name not in body:
                continue
            sent, held = body[name], record.get(name)
            if isinstance(sent, dict):
                sent, held = sent.get("id"), (held or {}).get("id") if isinstance(held, dict) else None
            if sent != held:
                return False
        return True

    def patch(self, record, operations):
        answer = self.client.patch(self.path(record["id"]), operations)
        self.forget()
        return answer

    def holders_of(self, record):
        """The names of every record holding ``record`` (see Holders); one without a name as #<its id>."""
        if self.holders is None:
            return []
        found = self.client.get_all(self.holders.endpoint, conditions.eq(self.holders.field, record["id"]))
        return [h.get(self.holders.name) or "#%s" % h.get("id") for h in found]

    def delete(self, record, check_mode, holders=None):
        """Delete ``record`` unless something holds it (``holders``: the names already read, else read now); in check
        mode only the refusal happens."""
        held = self.holders_of(record) if holders is None else holders
        if held:
            raise ValueError("state: cannot delete %s %r: still %s %s(s) %s; %s"
                             % (self.noun, record.get(self.key), self.holders.relation, self.holders.noun,
                                ", ".join(sorted(held, key=str.lower)), self.held_hint))
        if not check_mode:
            self.client.delete(self.path(record["id"]))
            self.forgotten(record)

    def forgotten(self, record):
        """Keep the run's list current once ``record`` is deleted."""
        if self.cache_key in self.client.cache:
            self.client.cache[self.cache_key] = [r for r in self.client.cache[self.cache_key] if r.get("id") != record["id"]]
