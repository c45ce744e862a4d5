# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API members: create, update only the differing fields with JSON Patch, deactivate (there is no delete)."""

from __future__ import annotations

import re

from ansible_collections.msp.connectwise.plugins.module_utils import conditions
from ansible_collections.msp.connectwise.plugins.module_utils.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.names import fold
from ansible_collections.msp.connectwise.plugins.module_utils.plan import Outcome
from ansible_collections.msp.connectwise.plugins.module_utils.roles import PLACEHOLDER_ID, find_role, load_roles

API_MEMBERS = "/system/apiMembers"
STRUCTURE = "/system/myCompany/corporateStructure"
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.\-]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# option -> (look-up endpoint, member fields it sets, what the UI calls it)
REFERENCES = {
    "role": ("/system/securityroles", ("securityRole",), "Role ID"),
    "level": ("/system/myCompany/corporateStructureLevels", ("structureLevel",), "Level"),
    "location": ("/system/locations", ("securityLocation", "defaultLocation", "salesDefaultLocation"), "Location"),
    "department": ("/system/departments", ("defaultDepartment",), "Department"),
    "time_zone": ("/system/timeZoneSetups", ("timeZone",), "Time Zone"),
}
SCALARS = {"name": "name", "email": "emailAddress", "notes": "notes"}
BOARDS = "/service/boards"


def check_member_input(params):
    problems = []
    identifier = params.get("identifier") or ""
    if not identifier or len(identifier) > 15 or not _IDENTIFIER.match(identifier):
        problems.append("identifier: %r must be 1 to 15 letters, digits, '_', '-' or '.', without spaces (e.g. TopLeft)"
                        % identifier)
    if params.get("name") and len(params["name"]) > 30:
        problems.append("name: %r is %d characters; ConnectWise allows at most 30, choose a shorter name"
                        % (params["name"], len(params["name"])))
    if params.get("email") and not _EMAIL.match(params["email"]):
        problems.append("email: %r is not an e-mail address; give one such as api@example.com, or leave email unset"
                        % params["email"])
    if problems:
        raise ValueError("; ".join(problems))


def find_member(client, identifier):
    """The API member, from the run's list when a whole-tenant run loaded it (load_members), else by condition."""
    if "api_members" in client.cache:
        matches = [m for m in client.cache["api_members"] if (m.get("identifier") or "").lower() == identifier.lower()]
        return matches[0] if matches else None
    return client.get_one(API_MEMBERS, conditions.eq("identifier", identifier))


def load_members(client):
    return client.cached("api_members", lambda: client.get_all(API_MEMBERS))


class References:
    """Name -> record look-ups, each list read once (pageSize 1000) and only when a value must be resolved."""

    def __init__(self, client, check_mode):
        self.client = client
        self.check_mode = check_mode

    def records(self, option):
        if option == "role":
            return load_roles(self.client)  # the run's one list of roles, kept current by create and delete
        path = BOARDS if option == "excluded_boards" else REFERENCES[option][0]
        return self.client.cached(("list", path), lambda: self.client.get_all(path))

    def resolve(self, option, name):
        if option == "role":
            role = find_role(self.client, name)  # kept current when this run creates roles
            if role is not None:
                return role
        for record in self.records(option):
            if fold(record.get("name") or "") == fold(name) or fold(record.get("identifier") or "") == fold(name):
                return record
        if option == "role" and self.check_mode:
            return {"id": PLACEHOLDER_ID, "name": name}  # created by an earlier task of this check run
        valid = sorted(r.get("name") for r in self.records(option) if r.get("name"))
        raise ValueError("%s: %r does not exist on this tenant; valid names: %s" % (option, name, ", ".join(valid)))

    def level_one(self):
        """The tenant's level-1 name ('Corporate' is only the usual name)."""
        structure = self.client.cached(STRUCTURE, lambda: self.client.get(STRUCTURE)) or {}
        if structure.get("level1Name"):
            return structure["level1Name"]
        levels = sorted(self.records("level"), key=lambda r: r.get("id", 0))
        if not levels:
            raise ValueError("level: this tenant reports no corporate structure levels; set level explicitly")
        return levels[0]["name"]


def ref_name(member, field):
    value = (member or {}).get(field) or {}
    return value.get("name") if isinstance(value, dict) else None


def observed(member, board_names):
    """The managed view of a member, by names (references compared by name, never by label vs id)."""
    if not member:
        return {"state": "absent"}
    view = {"identifier": member.get("identifier"), "state": "inactive" if member.get("inactiveFlag") else "present"}
    for option, field in SCALARS.items():
        view[option] = member.get(field)
    for option, (_path, fields, _ui) in REFERENCES.items():
        view[option] = ref_name(member, fields[0])
    view["excluded_boards"] = sorted(board_names.get(i, "#%s" % i) for i in member.get("excludedServiceBoardIds") or [])
    return view


def same(a, b):
    if isinstance(a, list) or isinstance(b, list):
        return sorted(fold(x) for x in a or []) == sorted(fold(x) for x in b or [])
    if a is None or b is None:
        return a == b
    return fold(a) == fold(b) if isinstance(a, str) and isinstance(b, str) else a == b


def converge_member(client, params, check_mode):
    check_member_input(params)
    identifier = params["identifier"]
    outcome = Outcome("API member %s" % identifier)
    refs = References(client, check_mode)
    member = find_member(client, identifier)
    boards = {}
    if params.get("excluded_boards") is not None or (member and member.get("excludedServiceBoardIds")):
        boards = {b["id"]: b["name"] for b in refs.records("excluded_boards")}
    before = observed(member, boards)
    outcome.before = before
    if params["state"] == "absent":
        outcome.after = dict(before, state="inactive") if member else before
        if member and not member.get("inactiveFlag"):
            if not check_mode:
                client.patch("%s/%d" % (API_MEMBERS, member["id"]), [{"op": "replace", "path": "inactiveFlag", "value": True}])
                client.forget("api_members")
            outcome.wrote()
        outcome.values["member"] = summary(member, inactive=True) if member else None
        return outcome
    wanted = desired(params, refs)
    after = dict(before) if member else {"identifier": identifier}
    after.update({k: v for k, v in wanted.items() if v is not None})
    after["state"] = "present"
    outcome.after = after
    if member is None:
        if not params.get("role"):
            raise ValueError("role: required to create API member %r (the security role the integration uses)" % identifier)
        body = create_body(params, wanted, refs)
        if check_mode:
            outcome.wrote()
            outcome.values["member"] = summary({"id": PLACEHOLDER_ID, "identifier": identifier})
            return outcome
        try:
            created = client.post(API_MEMBERS, body)
        except ConnectWiseError as exc:
            if exc.status != 400 or not any(e.get("code") == "ObjectExists" for e in exc.errors):
                raise
            # Created by another run since our read: converge that member instead of failing.
            client.forget("api_members")
            if find_member(client, identifier) is None:
                raise
            again = converge_member(client, params, check_mode)
            again.warnings.insert(0, "member %s was created by someone else meanwhile; it is converged instead" % identifier)
            return again
        outcome.wrote()
        client.forget("api_members")
        outcome.values["member"] = summary(created)
        return outcome
    operations = []
    if member.get("inactiveFlag"):
        operations.append({"op": "replace", "path": "inactiveFlag", "value": False})
    for option, value in wanted.items():
        if value is None or same(before.get(option), value):
            continue
        operations.extend(patch_ops(option, value, refs))
    if operations:
        if not check_mode:
            member = client.patch("%s/%d" % (API_MEMBERS, member["id"]), operations)
            client.forget("api_members")
        outcome.wrote()
    outcome.values["member"] = summary(member)
    return outcome


def desired(params, refs):
    wanted = {option: params.get(option) for option in SCALARS}
    for option in REFERENCES:
        wanted[option] = params.get(option)
    if wanted["level"] is None:
        wanted["level"] = refs.level_one()
    wanted["excluded_boards"] = params.get("excluded_boards")
    return wanted


def patch_ops(option, value, refs):
    """JSON Patch operations for one option; references are replaced whole, as the API requires."""
    if option in SCALARS:
        return [{"op": "replace", "path": SCALARS[option], "value": value}]
    if option == "excluded_boards":
        return [{"op": "replace", "path": "excludedServiceBoardIds", "value": sorted(refs.resolve(option, b)["id"] for b in value)}]
    record = refs.resolve(option, value)
    return [{"op": "replace", "path": field, "value": {"id": record["id"]}} for field in REFERENCES[option][1]]


def defaults_to(body, option, value):
    """Whether the tenant's defaults already name ``value`` for a reference option (usually the level): then no
    look-up list is read to find its id."""
    if option not in REFERENCES or option == "role":
        return False
    refs = [body.get(field) for field in REFERENCES[option][1]]
    return all(isinstance(ref, dict) and ref.get("id") and fold(ref.get("name") or "") == fold(value) for ref in refs)


def create_body(params, wanted, refs):
    """A new member: the tenant's defaults (GET apiMembers/default) overlaid with what was asked."""
    body = {k: v for k, v in (refs.client.get(API_MEMBERS + "/default") or {}).items() if k not in ("id", "_info", "identifier")}
    body["identifier"] = params["identifier"]
    for option, value in wanted.items():
        if value is None or defaults_to(body, option, value):
            continue
        for operation in patch_ops(option, value, refs):
            body[operation["path"]] = operation["value"]
    body.setdefault("name", params["identifier"])
    body["inactiveFlag"] = False
    return body


def summary(member, inactive=None):
    if not member:
        return None
    return {"id": member.get("id"), "identifier": member.get("identifier"),
            "inactive": member.get("inactiveFlag", False) if inactive is None else inactive,
            "role": ref_name(member, "securityRole"), "level": ref_name(member, "structureLevel")}
