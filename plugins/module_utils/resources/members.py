# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""API members: create, update only the differing fields with JSON Patch, deactivate (there is no delete)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.msp.connectwise.plugins.module_utils.api import conditions
from ansible_collections.msp.connectwise.plugins.module_utils.resources.base import MEMBERS, Reference, References, Resource, lost_create
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import fold
from ansible_collections.msp.connectwise.plugins.module_utils.resources.outcome import Outcome
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import SecurityRoles, has_control

API_MEMBERS = "/system/apiMembers"
STRUCTURE = "/system/myCompany/corporateStructure"
LEVEL_ONE = "level1_name"  # the run's cache key of the tenant's level-1 name (read, or recorded by doctor.yml)
# Used with fullmatch: "$" would also match before a final newline, and "TopLeft\n" would reach ConnectWise.
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.\-]{1,15}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

BOARDS = "/service/boards"


@dataclass(frozen=True)
class MemberField:
    """One option of an API member, declared once. ``api``: the API field a value is written to as given, or a
    Reference resolved by name on the tenant (a list option: each name, the field set to their ids), or None for the
    identifier (the member's key). ``description``: what it is (the cw_member_<option> role variable's description).
    ``integration``: an integration's member may set it (not the role: the integration's role step names it).
    ``example``: a value shown when a list is given as something else.

    From this declaration follow: reading, diffing and patching the field (below), what an integration's member may
    hold and which names are resolved before the first write (engine/integration.py), cw_api_member's argument spec,
    and the cw_member_<option> role variable (engine/tenant_model.py). cw_api_member's DOCUMENTATION lists each one
    (tests/unit/test_member_fields.py holds it to this)."""
    option: str
    api: object
    description: str
    type: str = "str"
    elements: str | None = None
    integration: bool = True
    required: bool = False
    example: str | None = None

    @property
    def reference(self):
        return self.api if isinstance(self.api, Reference) else None

    def argument_spec(self):
        """Its entry in cw_api_member's argument spec."""
        spec = {"type": self.type}
        if self.elements:
            spec["elements"] = self.elements
        if self.required:
            spec["required"] = True
        return spec


F = MemberField
MEMBER_FIELDS = (
    F("identifier", None, "Member identifier instead of the profile's", required=True),
    F("name", "name", "Member name instead of the profile's"),
    F("email", "emailAddress", "Member e-mail"),
    # The run's own list of roles (kept current by its creates and deletes); in check mode one an earlier step plans.
    F("role", Reference(SecurityRoles, ("securityRole",), "Role ID", planned=True), "Security role name", integration=False),
    F("level", Reference("/system/myCompany/corporateStructureLevels", ("structureLevel",), "Level"),
      "Structure level name; default the tenant's level 1"),
    F("location", Reference("/system/locations", ("securityLocation", "defaultLocation", "salesDefaultLocation"), "Location"),
      "Location name"),
    F("department", Reference("/system/departments", ("defaultDepartment",), "Department"), "Department name"),
    F("time_zone", Reference("/system/timeZoneSetups", ("timeZone",), "Time Zone"), "Time zone name"),
    F("excluded_boards", Reference(BOARDS, ("excludedServiceBoardIds",), "board"),
      "Service boards the integration must not see", type="list", elements="str", example="Help Desk"),
    F("notes", "notes", "Member notes"),
)
# Derived from MEMBER_FIELDS, never edited: option -> API field of the values written as given, option -> Reference.
SCALARS = {f.option: f.api for f in MEMBER_FIELDS if isinstance(f.api, str)}
REFERENCES = {f.option: f.reference for f in MEMBER_FIELDS if f.reference}
# What an integration's member may hold (any other key is refused), in the declaration's order.
MEMBER_OPTIONS = tuple(f.option for f in MEMBER_FIELDS if f.integration)


def member_argument_spec():
    """cw_api_member's options for the member's fields (the module adds state)."""
    return {f.option: f.argument_spec() for f in MEMBER_FIELDS}


def is_list(option):
    return any(f.option == option and f.type == "list" for f in MEMBER_FIELDS)


class ApiMembers(Resource):
    """API members (licence class A), named by their identifier; there is no delete (they are deactivated)."""
    endpoint = API_MEMBERS
    key = "identifier"
    cache_key = "api_members"
    noun = "API member"
    references = REFERENCES
    # What a member holds as our create sent it, when the create was ours.
    markers = ("identifier", "name", "emailAddress", "notes", "securityRole")

    def remember(self, record):  # pylint: disable=unused-argument
        # The list is read again rather than extended with the create's answer.
        self.forget()

    def deactivate(self, record):
        return self.patch(record, [{"op": "replace", "path": "inactiveFlag", "value": True}])

    def defaults(self):
        """The tenant's defaults for a new member (GET apiMembers/default), read once per run."""
        path = self.endpoint + "/default"
        return self.client.cached(path, lambda: self.client.get(path) or {})


@dataclass
class MemberOutcome(Outcome):
    """A member step's outcome, with the member as results show it (summary; None when there is none)."""
    member: dict | None = None

    def shown(self):
        return {"member": self.member}


def check_member_input(params):
    """Every problem of the member's own values, before any request (cw_integration's member is an untyped mapping)."""
    problems = []
    identifier = params.get("identifier") or ""
    if not isinstance(identifier, str) or not _IDENTIFIER.fullmatch(identifier):
        problems.append("identifier: %r must be 1 to 15 letters, digits, '_', '-' or '.', without spaces (e.g. TopLeft)"
                        % identifier)
    for field in MEMBER_FIELDS:
        value = params.get(field.option)
        if field.option == "identifier" or value is None:
            continue
        if field.type == "str" and not isinstance(value, str):
            problems.append("%s: %r is not text" % (field.option, value))
        # A string would be taken one character at a time, each a name.
        if field.type == "list" and not (isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)):
            noun = field.reference.ui + " names" if field.reference else "names"
            example = value if isinstance(value, str) else field.example
            problems.append("%s: %r is not a list of %s; give a list, e.g. [%s]" % (field.option, value, noun, example))
    name = params.get("name")
    if isinstance(name, str) and len(name) > 30:
        problems.append("name: %r is %d characters; ConnectWise allows at most 30, choose a shorter name" % (name, len(name)))
    elif isinstance(name, str) and has_control(name):
        problems.append("name: %r holds a line break or other control character; give the name on one line" % name)
    email = params.get("email")
    if isinstance(email, str) and email and not _EMAIL.fullmatch(email):
        problems.append("email: %r is not an e-mail address; give one such as api@example.com, or leave email unset" % email)
    if problems:
        raise ValueError("; ".join(problems))


def find_member(client, identifier):
    """The API member, from the run's list when a whole-tenant run loaded it (load_members), else by condition."""
    return ApiMembers(client).find(identifier)


def load_members(client):
    return ApiMembers(client).load()


def members_at_stake(client, role_ids, identifiers):
    """Every member (full or API) holding one of ``role_ids`` or named one of ``identifiers``, in one read for all the
    vendors of a tenant; none when no role exists yet and every API member does."""
    wanted = (("securityRole/id", role_ids), ("identifier", identifiers))
    parts = [conditions.is_in(name, sorted(set(values))) for name, values in wanted if values]
    return client.get_all(MEMBERS, conditions.any_of(*parts)) if parts else []


def role_holders(client, role_id, records, identifier):
    """The members other than the integration's API member ``identifier`` that hold the role, active or not: people
    from ``records`` (members_at_stake), API members from the run's list as well (a tenant need not list them in both)."""
    found = {}
    for member in list(records) + [dict(m, licenseClass="A") for m in load_members(client)]:
        name = member.get("identifier") or "#%s" % member.get("id")
        ours = name.lower() == identifier.lower() and member.get("licenseClass") == "A"
        if (member.get("securityRole") or {}).get("id") == role_id and not ours:
            found.setdefault(name.lower(), name)
    return sorted(found.values(), key=str.lower)


def login_problem(identifier, records):
    """Why ``identifier`` cannot become an API member: it is the login of a member who is not one (a person, licence F)."""
    person = next((m for m in records if (m.get("identifier") or "").lower() == identifier.lower()
                   and m.get("licenseClass") != "A"), None)
    if person is None:
        return None
    return ("member.identifier: %r is the identifier of %s member %s (licence class %s), not an API member; an "
            "integration never takes over a person's login: give it an identifier of its own (cw_member_identifier)"
            % (identifier, "inactive" if person.get("inactiveFlag") else "active",
               " ".join(filter(None, (person.get("firstName"), person.get("lastName")))) or person.get("identifier"),
               person.get("licenseClass")))


class MemberReferences(References):
    """The look-ups of a member's references (ApiMembers.references), and the tenant's level-1 name a member's level
    defaults to."""

    def __init__(self, client, check_mode):
        super().__init__(client, ApiMembers.references, check_mode)

    def level_one(self):
        return level_one(self.client)


def level_one(client):
    """The tenant's level-1 name ('Corporate' is only the usual name), read once per run (or recorded by doctor.yml)."""
    return client.cached(LEVEL_ONE, lambda: read_level_one(client))


def read_level_one(client):
    # Published as a list of CorporateStructure records; some generated clients read one object: take either.
    answer = client.get(STRUCTURE)
    records = sorted((answer if isinstance(answer, list) else [answer]), key=lambda r: r.get("id") or 0)
    named = [r["level1Name"] for r in records if isinstance(r.get("level1Name"), str) and r["level1Name"].strip()]
    if named:
        return named[0]
    levels = sorted(REFERENCES["level"].records(client), key=lambda r: r["id"])
    if not levels:
        raise ValueError("level: this tenant reports no corporate structure levels; set level explicitly")
    return levels[0]["name"]


def ref_name(member, field):
    value = (member or {}).get(field) or {}
    return value.get("name") if isinstance(value, dict) else None


def observed(member, listed):
    """The managed view of a member, by names (references compared by name, never by label vs id); ``listed``: option
    -> {id: name} of each list reference the member holds ids of."""
    if not member:
        return {"state": "absent"}
    view = {"identifier": member.get("identifier"), "state": "inactive" if member.get("inactiveFlag") else "present"}
    for option, field in SCALARS.items():
        view[option] = member.get(field)
    for option, reference in REFERENCES.items():
        if is_list(option):
            names = listed.get(option) or {}
            view[option] = sorted(names.get(i, "#%s" % i) for i in member.get(reference.fields[0]) or [])
        else:
            view[option] = ref_name(member, reference.fields[0])
    return view


def listed_names(params, member, refs):
    """option -> {id: name} of each list reference, read only when it is asked for or the member holds some."""
    found = {}
    for option, reference in REFERENCES.items():
        if is_list(option) and (params.get(option) is not None or (member and member.get(reference.fields[0]))):
            found[option] = {r["id"]: r["name"] for r in refs.records(option)}
    return found


def same(option, a, b):
    """Whether the member already holds the wanted value. Names of records resolved on the tenant compare folded, as
    the tenant's names are matched; text written as given (name, e-mail, notes) compares exactly, so that a change of
    case or punctuation is written."""
    if isinstance(a, list) or isinstance(b, list):
        return sorted(fold(x) for x in a or []) == sorted(fold(x) for x in b or [])
    if a is None or b is None:
        return a == b
    if option in REFERENCES and isinstance(a, str) and isinstance(b, str):
        return fold(a) == fold(b)
    return a == b


def converge_member(client, params, check_mode, create_only=()):
    """Ensure the member. ``create_only``: options written when the member is created and never compared nor
    rewritten on an existing member (what the vendor's page leaves to the administrator)."""
    check_member_input(params)
    identifier = params["identifier"]
    outcome = MemberOutcome("API member %s" % identifier)
    refs = MemberReferences(client, check_mode)
    members = ApiMembers(client)
    member = members.find(identifier)
    before = observed(member, listed_names(params, member, refs))
    outcome.before = before
    if params["state"] == "absent":
        outcome.after = dict(before, state="inactive") if member else before
        if member and not member.get("inactiveFlag"):
            if not check_mode:
                members.deactivate(member)
            outcome.wrote()
        outcome.member = summary(member, inactive=True) if member else None
        return outcome
    wanted = desired(params, refs)
    after = dict(before) if member else {"identifier": identifier}
    after.update({k: v for k, v in wanted.items() if v is not None and (member is None or k not in create_only)})
    after["state"] = "present"
    outcome.after = after
    if member is None:
        if not params.get("role"):
            raise ValueError("role: required to create API member %r (the security role the integration uses)" % identifier)
        body = create_body(params, wanted, refs)
        if check_mode:
            outcome.wrote()
            outcome.member = dict(summary({"id": None, "identifier": identifier}), planned=True)
            return outcome
        created = members.create(identifier, body)
        if created.how == "existed":
            # Created by another run since our read: converge that member instead of failing.
            again = converge_member(client, params, check_mode)
            again.warnings.insert(0, "member %s was created by someone else meanwhile; it is converged instead" % identifier)
            return again
        if created.how == "lost":
            # Most likely our own create: converge what is there (a PATCH only if it differs), reported as created.
            again = converge_member(client, params, check_mode)
            again.before = outcome.before
            again.wrote()
            again.warnings.insert(0, "member %s: %s, yet it exists on reading back; it is converged"
                                  % (identifier, lost_create(created.failure)))
            return again
        outcome.wrote()
        outcome.member = summary(created.record)
        return outcome
    operations = []
    if member.get("inactiveFlag"):
        operations.append({"op": "replace", "path": "inactiveFlag", "value": False})
    for option, value in wanted.items():
        if value is None or option in create_only or same(option, before.get(option), value):
            continue
        operations.extend(patch_ops(option, value, refs))
    if operations:
        if not check_mode:
            member = members.patch(member, operations)
        outcome.wrote()
    outcome.member = summary(member)
    return outcome


def desired(params, refs):
    wanted = {f.option: params.get(f.option) for f in MEMBER_FIELDS if f.api is not None}
    if wanted["level"] is None:
        wanted["level"] = refs.level_one()
    return wanted


def patch_ops(option, value, refs):
    """JSON Patch operations for one option; references are replaced whole, as the API requires."""
    if option in SCALARS:
        return [{"op": "replace", "path": SCALARS[option], "value": value}]
    if is_list(option):
        ids = sorted(refs.resolve(option, name)["id"] for name in value)
        return [{"op": "replace", "path": field, "value": ids} for field in REFERENCES[option].fields]
    record = refs.resolve(option, value)
    return [{"op": "replace", "path": field, "value": {"id": record["id"]}} for field in REFERENCES[option].fields]


def defaults_to(body, option, value):
    """Whether the tenant's defaults already name ``value`` for a reference option (usually the level): then no
    look-up list is read to find its id."""
    if option not in REFERENCES or option == "role" or is_list(option):
        return False
    refs = [body.get(field) for field in REFERENCES[option].fields]
    return all(isinstance(ref, dict) and ref.get("id") and fold(ref.get("name") or "") == fold(value) for ref in refs)


def member_defaults(client):
    """The tenant's defaults for a new member (GET apiMembers/default), read once per run."""
    return ApiMembers(client).defaults()


def create_body(params, wanted, refs):
    """A new member: the tenant's defaults overlaid with what was asked."""
    body = {k: v for k, v in member_defaults(refs.client).items() if k not in ("id", "_info", "identifier")}
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


def load_people(client):
    """Every member, full or API, active or not (one list read, pageSize 1000): who holds which role."""
    return client.cached(("list", MEMBERS), lambda: client.get_all(MEMBERS))
