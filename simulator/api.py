"""Routing, authentication, rights and body checks for the simulated REST API.

Order of checks: path (404) -> key pair (401) -> clientId (400) -> route/method (404/405)
-> the caller's security role (403) -> body media type and JSON (415/400) -> handler.
"""

import base64
import binascii
import json
import re
import traceback
from urllib.parse import unquote

from . import capture, lookups, members, roles
from .context import Response
from .errors import ApiError, forbidden, invalid, method_not_allowed, not_found, unauthorized
from .tenant import AuthFailure

API_PATH = re.compile(r"^/(v2025_1|v4_6_release)/apis/3\.0(/.*)?$", re.IGNORECASE)
COMPANYINFO_PATH = re.compile(r"^/login/companyinfo/([^/]+)/?$", re.IGNORECASE)
VERSION = re.compile(r"version\s*=\s*([0-9][0-9.]*)", re.IGNORECASE)

ADD, EDIT, DELETE, INQUIRE = range(4)
LOOKUP = "lookup"   # Table Setup or My Company inquire
TOKEN = "token"     # Member Maintenance add and edit at All
_ROLES = ("System", "Security Roles")
_MEMBERS = ("System", "Member Maintenance")


def _right(function, cell):
    return function + (cell,)


def _writable(ctx):
    return ctx.tenant.settings_writable


def _lookup_routes(path, kind):
    return [
        (path, {"GET": (lookups.list_handler(kind), LOOKUP)}),
        (path + "/count", {"GET": (lookups.count_handler(kind), LOOKUP)}),
        (path + "/{id}", {"GET": (lookups.get_handler(kind), LOOKUP)}),
    ]


# (pattern, {method: (handler, right[, predicate that must hold for the method to exist])})
ROUTES = [
    ("system/info", {"GET": (lookups.system_info, None)}),
    ("system/securityroles", {"GET": (roles.list_roles, _right(_ROLES, INQUIRE)), "POST": (roles.create_role, _right(_ROLES, ADD))}),
    ("system/securityroles/count", {"GET": (roles.count_roles, _right(_ROLES, INQUIRE))}),
    ("system/securityroles/{id}", {"GET": (roles.get_role, _right(_ROLES, INQUIRE)), "DELETE": (roles.delete_role, _right(_ROLES, DELETE))}),
    ("system/securityroles/{id}/settings", {"GET": (roles.list_settings, _right(_ROLES, INQUIRE))}),
    ("system/securityroles/{id}/settings/count", {"GET": (roles.count_settings, _right(_ROLES, INQUIRE))}),
    ("system/securityroles/{id}/settings/{id}", {
        "GET": (roles.get_setting, _right(_ROLES, INQUIRE)),
        "PATCH": (roles.patch_setting, _right(_ROLES, EDIT), _writable),
    }),
    ("system/mysecurity", {"GET": (roles.my_security, None)}),
    ("system/mysecurity/count", {"GET": (roles.my_security_count, None)}),
    ("system/mysecurity/customizeitems", {"GET": (roles.my_customize_items, None)}),
    ("system/mysecurity/customizeitems/count", {"GET": (roles.my_customize_items_count, None)}),
    ("system/apimembers", {"GET": (members.list_api_members, _right(_MEMBERS, INQUIRE)),
                           "POST": (members.create_api_member, _right(_MEMBERS, ADD))}),
    ("system/apimembers/count", {"GET": (members.count_api_members, _right(_MEMBERS, INQUIRE))}),
    ("system/apimembers/default", {"GET": (members.api_member_default, _right(_MEMBERS, INQUIRE))}),
    ("system/apimembers/{id}", {
        "GET": (members.get_api_member, _right(_MEMBERS, INQUIRE)),
        "PUT": (members.put_api_member, _right(_MEMBERS, EDIT)),
        "PATCH": (members.patch_api_member, _right(_MEMBERS, EDIT)),
    }),
    ("system/members", {"GET": (members.list_members, _right(_MEMBERS, INQUIRE)), "POST": (members.create_member, _right(_MEMBERS, ADD))}),
    ("system/members/count", {"GET": (members.count_members, _right(_MEMBERS, INQUIRE))}),
    ("system/members/{id}", {
        "GET": (members.get_member, _right(_MEMBERS, INQUIRE)),
        "PUT": (members.put_member, _right(_MEMBERS, EDIT)),
        "PATCH": (members.patch_member, _right(_MEMBERS, EDIT)),
    }),
    ("system/members/{id}/deactivate", {"POST": (members.deactivate_member, _right(_MEMBERS, EDIT))}),
    ("system/members/{key}/tokens", {"POST": (members.issue_token, TOKEN)}),
    ("system/mycompany/corporatestructure", {"GET": (lookups.corporate_structure, LOOKUP)}),
]
ROUTES += _lookup_routes("system/setupscreens", "setupScreens")
ROUTES += _lookup_routes("system/mycompany/corporatestructurelevels", "structureLevels")
ROUTES += _lookup_routes("system/locations", "locations")
ROUTES += _lookup_routes("system/departments", "departments")
ROUTES += _lookup_routes("system/timezonesetups", "timeZones")
ROUTES += _lookup_routes("service/boards", "boards")
_COMPILED = [(pattern.split("/"), methods) for pattern, methods in ROUTES]


def handle(sim, ctx):
    """Answer one request outside /__sim__/; errors become ConnectWise-shaped responses."""
    try:
        return _handle(sim, ctx)
    except ApiError as exc:
        return Response(exc.status, exc.body(), exc.headers)
    except Exception:  # pylint: disable=broad-exception-caught
        # A simulator bug must not look like a dropped connection: answer 500 and keep the trace on stderr.
        traceback.print_exc()
        return Response(500, {"code": "InternalServerError", "message": "The simulator failed to handle the request"})


def claimed_company(ctx):
    """Company named by the Authorization header or the companyinfo path, lower-cased (for logs and throttling)."""
    match = COMPANYINFO_PATH.match(ctx.path)
    if match:
        return unquote(match.group(1)).lower()
    credentials = _credentials(ctx)
    return credentials[0].lower() if credentials else None


def _credentials(ctx):
    """(company, public, private) from Basic auth, or None."""
    header = ctx.header("Authorization") or ""
    scheme, _space, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, private_key = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    company, plus, public_key = user.partition("+")
    if not (sep and plus and company and public_key and private_key):
        return None
    return company, public_key, private_key


def _handle(sim, ctx):
    match = COMPANYINFO_PATH.match(ctx.path)
    if match:
        if ctx.method != "GET":
            raise method_not_allowed(["GET"])
        tenant = sim.tenant(unquote(match.group(1)))
        if tenant is None:
            raise not_found(f"Company {unquote(match.group(1))!r} was not found")
        host = ctx.base_url.split("//", 1)[1]
        return Response(200, capture.company_info(tenant, lambda: lookups.company_info(tenant, host)))
    match = API_PATH.match(ctx.path)
    if not match:
        raise not_found(f"{ctx.path} was not found")
    ctx.codebase = match.group(1).lower() + "/"
    ctx.resource = match.group(2) or "/"
    _authenticate(sim, ctx)
    if not (ctx.header("clientId") or "").strip():
        raise invalid("A clientId header is required on every request: register an integration to get a clientId")
    version = VERSION.search(ctx.header("Accept") or "")
    ctx.version = version.group(1) if version else None
    handler, params, right = _route(ctx)
    _authorize(ctx, right)
    _parse_body(ctx)
    fixed = ctx.tenant.fixed_answer(ctx.method, ctx.resource)
    if fixed is not None:  # an answer of another shape, set through /__sim__/ (a tenant that answers oddly)
        return Response(200, fixed)
    # A tenant replayed from a capture answers what nothing writes as it was captured.
    return capture.replayed(ctx) or handler(ctx, *params)


def _authenticate(sim, ctx):
    credentials = _credentials(ctx)
    if credentials is None:
        raise unauthorized("Authorization header is missing or malformed: use Basic company+publicKey:privateKey")
    company, public_key, private_key = credentials
    tenant = sim.tenant(company)
    if tenant is None:
        raise unauthorized("Unknown company or invalid key pair")
    try:
        member = tenant.authenticate(public_key, private_key)
    except AuthFailure as exc:
        raise unauthorized(str(exc)) from exc
    ctx.tenant, ctx.member = tenant, member


def _match(pattern, segments):
    if len(pattern) != len(segments):
        return None
    params = []
    for want, got in zip(pattern, segments):
        if want == "{id}":
            if not got.isdigit():
                return None
            params.append(int(got))
        elif want == "{key}":
            params.append(unquote(got))
        elif want != got.lower():
            return None
    return params


def _route(ctx):
    segments = [s for s in ctx.resource.split("/") if s]
    for pattern, methods in _COMPILED:
        params = _match(pattern, segments)
        if params is None:
            continue
        available = {m: spec for m, spec in methods.items() if len(spec) < 3 or spec[2](ctx)}
        if ctx.method not in available:
            raise method_not_allowed(list(available))
        handler, right = available[ctx.method][:2]
        return handler, params, right
    raise not_found(f"{ctx.resource} was not found")


def _authorize(ctx, right):
    if right is None:
        return
    level = ctx.tenant.level
    if right == LOOKUP:
        allowed = any(level(ctx.member, "System", function, INQUIRE) != "None" for function in ("Table Setup", "My Company"))
    elif right == TOKEN:
        allowed = level(ctx.member, *_MEMBERS, ADD) == "All" and level(ctx.member, *_MEMBERS, EDIT) == "All"
    else:
        allowed = level(ctx.member, *right) != "None"
    if not allowed:
        raise forbidden()


def _parse_body(ctx):
    if ctx.method not in ("POST", "PUT", "PATCH") or not ctx.raw_body.strip():
        return
    media = (ctx.header("Content-Type") or "").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise ApiError(415, "UnsupportedMediaType", "The request body must be JSON sent as Content-Type: application/json")
    try:
        ctx.body = json.loads(ctx.raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid("The request body is not valid JSON") from exc
