"""API members and members: validation, PUT/PATCH semantics, deactivation and token issue."""

import re
from collections import namedtuple

from . import listing
from .context import Response
from .errors import ApiError, field_error, invalid, not_found
from .jsonpatch import parse_ops
from .tenant import blank_member, now_iso

Field = namedtuple("Field", "name internal kind target required limit")
View = namedtuple("View", "resource fields license_class")

IDENTIFIER_MAX = 15
IDENTIFIER_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
LICENSE_CLASSES = ("F", "A", "C", "X")

# target -> (key for the _info href, API path of the look-up)
REF_TARGETS = {
    "role": ("securityRole", "/system/securityroles"),
    "structureLevels": ("structureLevel", "/system/myCompany/corporateStructureLevels"),
    "locations": ("location", "/system/locations"),
    "departments": ("department", "/system/departments"),
    "timeZones": ("timeZoneSetup", "/system/timeZoneSetups"),
    "boards": ("board", "/service/boards"),
}


def _f(name, kind, target=None, required=False, limit=None, internal=None):
    return Field(name, internal or name, kind, target, required, limit)


_SHARED = (
    _f("securityRole", "ref", "role", required=True),
    _f("structureLevel", "ref", "structureLevels"),
    _f("securityLocation", "ref", "locations"),
    _f("defaultLocation", "ref", "locations"),
)
_TAIL = (
    _f("defaultDepartment", "ref", "departments"),
    _f("timeZone", "ref", "timeZones"),
    _f("serviceDefaultBoard", "ref", "boards"),
    _f("excludedServiceBoardIds", "ids", "boards"),
)
API_MEMBER = View("apiMember", (
    _f("identifier", "identifier", required=True, limit=IDENTIFIER_MAX),
    _f("name", "str", limit=30, internal="firstName"),
    _f("emailAddress", "str", limit=250),
) + _SHARED + (_f("salesDefaultLocation", "ref", "locations"),) + _TAIL + (
    _f("blockPriceFlag", "bool"),
    _f("blockCostFlag", "bool"),
    _f("inactiveFlag", "bool"),
    _f("notes", "str", limit=2000),
), "A")
MEMBER = View("member", (
    _f("identifier", "identifier", required=True, limit=IDENTIFIER_MAX),
    _f("firstName", "str", required=True, limit=30),
    _f("lastName", "str", limit=30),
    _f("officeEmail", "str", limit=250, internal="emailAddress"),
    _f("licenseClass", "license"),
) + _SHARED + _TAIL + (
    _f("inactiveFlag", "bool"),
    _f("notes", "str", limit=2000),
), None)
# Required in the published Member (pyconnectwise's model), not modelled otherwise: each at its enum's first value
# (inferred: no source says what a tenant's members hold).
MEMBER_DISPLAY_DEFAULTS = {
    "defaultEmail": "Office", "defaultPhone": "Office", "agreementInvoicingDisplayOptions": "RemainOnInvoicingScreen",
    "invoicingDisplayOptions": "RemainOnInvoicingScreen", "invoiceScreenDefaultTabFormat": "ShowInvoicingTab",
}


def condition_fields(view):
    """Paths usable in conditions/orderBy for a view."""
    paths = ["id"]
    for field in view.fields:
        if field.kind == "ref":
            paths += [f"{field.name}/id", f"{field.name}/name"]
            if field.target == "departments":
                paths.append(f"{field.name}/identifier")
        else:
            paths.append(field.name)
    return tuple(paths)


def _entries(tenant, target):
    return tenant.roles if target == "role" else tenant.lookup(target)


def _render_ref(ctx, target, ref_id):
    entry = next((e for e in _entries(ctx.tenant, target) if e["id"] == ref_id), None)
    if entry is None:
        return None
    key, path = REF_TARGETS[target]
    out = {"id": ref_id}
    if "identifier" in entry:
        out["identifier"] = entry["identifier"]
    out["name"] = entry["name"]
    out["_info"] = {f"{key}_href": ctx.href(f"{path}/{ref_id}")}
    return out


def render(ctx, view, member):
    """A stored member in the shape of `view`; null properties are left out, as ConnectWise does."""
    out = {"id": member["id"]}
    for field in view.fields:
        value = member[field.internal]
        if field.kind == "ref":
            value = None if value is None else _render_ref(ctx, field.target, value)
        elif field.name == "name" and member.get("lastName"):
            value = f"{value} {member['lastName']}"
        elif field.kind == "ids":
            value = list(value)
        out[field.name] = value
    out = {k: v for k, v in out.items() if v is not None}
    if view is MEMBER:
        out.update(MEMBER_DISPLAY_DEFAULTS)
    out["_info"] = {**member["info"], "member_href": ctx.href(f"/system/members/{member['id']}")}
    return out


def _convert(ctx, field, value):
    """Validated stored value of one field; raises ValueError with a message."""
    if value is None:
        if field.required:
            raise ValueError(f"{field.name} is required")
        return [] if field.kind == "ids" else (False if field.kind == "bool" else None)
    if field.kind in ("str", "identifier"):
        return _text(field, value)
    if field.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{field.name} must be true or false")
        return value
    if field.kind == "license":
        if value not in LICENSE_CLASSES:
            raise ValueError(f"{field.name} must be one of {', '.join(LICENSE_CLASSES)}")
        return value
    entries = _entries(ctx.tenant, field.target)
    if field.kind == "ids":
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise ValueError(f"{field.name} must be a list of ids")
        missing = [v for v in value if v not in {e["id"] for e in entries}]
        if missing:
            raise ValueError(f"{field.name}: no such service board(s) {missing}")
        return list(dict.fromkeys(value))
    return _resolve(field, value, entries)


def _text(field, value):
    if not isinstance(value, str):
        raise ValueError(f"{field.name} must be a string")
    if field.required and not value.strip():
        raise ValueError(f"{field.name} is required")
    if field.limit and len(value) > field.limit:
        raise ValueError(f"{field.name} may be at most {field.limit} characters")
    if field.kind == "identifier" and not IDENTIFIER_RE.match(value):
        raise ValueError(f"{field.name} may contain only letters, digits, '_', '-' and '.'")
    return value


def _resolve(field, value, entries):
    """A reference object replaced whole: found by id, else by identifier or name."""
    if not isinstance(value, dict):
        raise ValueError(f"{field.name} must be a reference object such as {{\"id\": 1}}")
    if "id" in value and value["id"] is not None:
        ref_id = value["id"]
        if not isinstance(ref_id, int) or isinstance(ref_id, bool):
            raise ValueError(f"{field.name}/id must be an integer")
        match = next((e for e in entries if e["id"] == ref_id), None)
    else:
        key = next((k for k in ("identifier", "name") if isinstance(value.get(k), str)), None)
        if key is None:
            raise ValueError(f"{field.name} needs an id")
        match = next((e for e in entries if e.get(key, "").casefold() == value[key].casefold()), None)
    if match is None:
        raise ValueError(f"{field.name} {value!r} does not exist")
    return match["id"]


def build(ctx, view, body, current=None):
    """Stored fields for a full record (POST, PUT, or PATCH after applying it); omitted fields reset."""
    if not isinstance(body, dict):
        raise invalid(f"A {view.resource} object is required")
    fields = blank_member()
    fields["licenseClass"] = view.license_class or "F"
    errors = []
    for field in view.fields:
        try:
            fields[field.internal] = _convert(ctx, field, body.get(field.name))
        except ValueError as exc:
            code = "Required" if "is required" in str(exc) else "InvalidField"
            errors.append(field_error(code, str(exc), view.resource, field.name))
    if fields["licenseClass"] is None:
        fields["licenseClass"] = view.license_class or "F"
    identifier = fields["identifier"]
    if identifier:
        other = ctx.tenant.member_by_identifier(identifier)
        if other is not None and (current is None or other["id"] != current["id"]):
            errors.append(field_error("ObjectExists", f"A member with identifier {identifier!r} already exists",
                                      view.resource, "identifier"))
    if errors:
        raise invalid(f"{view.resource} object is invalid", errors)
    return fields


def _apply(ctx, member, fields):
    member.update(fields)
    member["info"] = {"lastUpdated": now_iso(), "updatedBy": ctx.member["identifier"]}


def _patch(ctx, view, member):
    doc = render(ctx, view, member)
    doc.pop("id")
    doc.pop("_info")
    names = {field.name.lower(): field.name for field in view.fields}
    for op, path, value in parse_ops(ctx.body):
        name = names.get(path[0].lower())
        if name is None:
            raise invalid(f"{view.resource} object is invalid", [
                field_error("InvalidField", f"{'/'.join(path)} cannot be patched", view.resource, path[0])])
        if len(path) > 1:
            continue  # documented quirk: a nested path such as securityRole/id answers 200 and changes nothing
        if op == "remove":
            doc.pop(name, None)
        else:
            doc[name] = value
    return build(ctx, view, doc, member)


def _visible(ctx, members):
    # Inquire "My" on Member Maintenance shows only the caller's own record.
    if ctx.tenant.level(ctx.member, "System", "Member Maintenance", 3) == "My":
        return [m for m in members if m["id"] == ctx.member["id"]]
    return members


def _find(ctx, view, member_id):
    member = ctx.tenant.member(member_id)
    if member is None or (view is API_MEMBER and member["licenseClass"] != "A") or member not in _visible(ctx, [member]):
        raise not_found(f"{view.resource} with id {member_id} was not found")
    return member


def _records(ctx, view):
    members = ctx.tenant.members
    if view is API_MEMBER:
        members = [m for m in members if m["licenseClass"] == "A"]
    return [render(ctx, view, m) for m in _visible(ctx, members)]


def _list(view):
    def handler(ctx):
        chunk, headers = listing.page(ctx, _records(ctx, view), condition_fields(view))
        return Response(200, chunk, headers)
    return handler


def _count(view):
    def handler(ctx):
        return Response(200, listing.count(ctx, _records(ctx, view), condition_fields(view)))
    return handler


def _get(view):
    def handler(ctx, member_id):
        return Response(200, render(ctx, view, _find(ctx, view, member_id)))
    return handler


def _create(view):
    def handler(ctx):
        member = ctx.tenant.add_member(build(ctx, view, ctx.body), ctx.member["identifier"])
        return Response(201, render(ctx, view, member))
    return handler


def _put(view):
    def handler(ctx, member_id):
        member = _find(ctx, view, member_id)
        _apply(ctx, member, build(ctx, view, ctx.body, member))
        return Response(200, render(ctx, view, member))
    return handler


def _patch_handler(view):
    def handler(ctx, member_id):
        member = _find(ctx, view, member_id)
        _apply(ctx, member, _patch(ctx, view, member))
        return Response(200, render(ctx, view, member))
    return handler


list_api_members, count_api_members, get_api_member = _list(API_MEMBER), _count(API_MEMBER), _get(API_MEMBER)
create_api_member, put_api_member, patch_api_member = _create(API_MEMBER), _put(API_MEMBER), _patch_handler(API_MEMBER)
list_members, count_members, get_member = _list(MEMBER), _count(MEMBER), _get(MEMBER)
create_member, put_member, patch_member = _create(MEMBER), _put(MEMBER), _patch_handler(MEMBER)


def api_member_default(ctx):
    """GET /system/apiMembers/default: a template carrying the tenant's defaults (no role)."""
    tenant = ctx.tenant
    first = {kind: tenant.lookup(kind)[0]["id"] for kind in ("structureLevels", "locations", "departments", "timeZones")}
    template = {
        "identifier": "",  # required (a string) in the published ApiMember, so the template carries an empty one
        "structureLevel": _render_ref(ctx, "structureLevels", first["structureLevels"]),
        "securityLocation": _render_ref(ctx, "locations", first["locations"]),
        "defaultLocation": _render_ref(ctx, "locations", first["locations"]),
        "salesDefaultLocation": _render_ref(ctx, "locations", first["locations"]),
        "defaultDepartment": _render_ref(ctx, "departments", first["departments"]),
        "timeZone": _render_ref(ctx, "timeZones", first["timeZones"]),
        "excludedServiceBoardIds": [], "blockPriceFlag": False, "blockCostFlag": False, "inactiveFlag": False,
    }
    return Response(200, template)


def deactivate_member(ctx, member_id):
    """POST /system/members/{id}/deactivate: takes a MemberDeactivation body, answers it back."""
    member = _find(ctx, MEMBER, member_id)
    body = ctx.body if ctx.body is not None else {}
    if not isinstance(body, dict):
        raise invalid("A MemberDeactivation object is required")
    _apply(ctx, member, {"inactiveFlag": True})
    return Response(201, body)


def issue_token(ctx, identifier):
    """POST /system/members/{memberIdentifier}/tokens: an expiring pair that authenticates as the member."""
    if (ctx.header("x-cw-usertype") or "").lower() != "member":
        raise invalid("The x-cw-usertype header must be 'member'")
    member = ctx.tenant.member_by_identifier(identifier)
    if member is None:
        raise not_found(f"Member {identifier!r} was not found")
    if member["inactiveFlag"]:
        raise ApiError(400, "InvalidObject", f"Member {identifier!r} is inactive")
    public_key, private_key, expiration = ctx.tenant.issue_token(member["id"])
    return Response(201, {"publicKey": public_key, "privateKey": private_key, "expiration": expiration})
