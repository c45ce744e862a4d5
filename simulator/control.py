"""/__sim__/ control endpoints: request log, reset, state, tenants, faults, and the admin "UI".

Never counted as API traffic and never authenticated: they are the test harness's side door.
The UI actions stand in for what only ConnectWise's web UI can do (docs/connectwise-api.md: no endpoint writes
role levels on a normal tenant, customize lists or persistent API keys).
"""

import json
import re
from urllib.parse import unquote

from . import roles
from .context import Response
from .tenant import ADMIN_IDENTIFIER, ADMIN_KEY, ITEM_FORMS, Tenant, answer_key

PREFIX = "/__sim__/"
_UI_ACTOR = "admin-ui"


class ControlError(Exception):
    """A control request that cannot be carried out."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def handle(sim, ctx):
    """Answer a /__sim__/ request."""
    segments = [unquote(s) for s in ctx.path[len(PREFIX):].split("/") if s]
    try:
        body = json.loads(ctx.raw_body) if ctx.raw_body.strip() else None
    except (ValueError, UnicodeDecodeError):
        return Response(400, {"error": "body is not valid JSON"})
    try:
        with sim.lock:
            return _route(sim, ctx, segments, body)
    except ControlError as exc:
        return Response(exc.status, {"error": str(exc)})
    except ValueError as exc:
        return Response(400, {"error": str(exc)})


def _route(sim, ctx, segments, body):
    key = "/".join(s.lower() for s in segments[:1])
    method = ctx.method
    if key == "health" and method == "GET":
        return Response(200, {"status": "ok", "tenants": sorted(sim.tenants)})
    if key == "requests" and len(segments) == 1:
        return _requests(sim, ctx, method)
    if key == "reset" and method == "POST":
        sim.reset()
        return Response(200, {"status": "reset"})
    if key == "state" and method == "GET":
        return Response(200, sim.snapshot())
    if key == "faults" and len(segments) == 1:
        return _faults(sim, method, body)
    if key == "tenants":
        return _tenants(sim, method, segments[1:], body)
    raise ControlError(404, f"no control endpoint {method} {ctx.path}")


def _requests(sim, ctx, method):
    if method == "DELETE":
        sim.log = []
        return Response(204)
    if method != "GET":
        raise ControlError(405, "GET or DELETE")
    company = (ctx.param("company") or "").lower()
    return Response(200, [entry for entry in sim.log if not company or entry["company"] == company])


def _faults(sim, method, body):
    if method == "PUT":
        sim.faults.set(body or {})
    elif method == "DELETE":
        sim.faults.set({})
    elif method != "GET":
        raise ControlError(405, "GET, PUT or DELETE")
    return Response(200, sim.faults.config)


def _tenant(sim, company):
    tenant = sim.tenant(company)
    if tenant is None:
        raise ControlError(404, f"no tenant {company!r}")
    return tenant


def _tenants(sim, method, rest, body):
    if not rest:
        if method == "GET":
            return Response(200, sorted(sim.tenants))
        if method == "POST":
            return _create_tenant(sim, body)
        raise ControlError(405, "GET or POST")
    tenant = _tenant(sim, rest[0])
    action = [s.lower() for s in rest[1:]]
    if not action and method == "PATCH":
        return _patch_tenant(sim, tenant, body)
    if action == ["copies"] and method == "POST":
        return _copy_tenant(sim, tenant, body)
    if action == ["answers"] and method in ("PUT", "DELETE"):
        return _fixed_answer(sim, tenant, method, body)
    if len(action) == 3 and action[0] == "roles" and action[2] == "settings" and method == "PUT":
        role = _role(tenant, rest[2])
        roles.ui_set_levels(tenant, role, body, _UI_ACTOR)
        sim.save()
        return Response(200, {"role": role["name"], "rows": len(body)})
    if len(action) == 4 and action[0] == "roles" and action[2] == "customize" and method == "PUT":
        role = _role(tenant, rest[2])
        if not isinstance(body, dict):
            raise ValueError('body must be {"allow": [...]}')
        roles.ui_set_customize(tenant, role, rest[4], body.get("allow"))
        sim.save()
        return Response(200, {"role": role["name"], "customizeIdentifier": rest[4], "allow": body.get("allow")})
    if len(action) == 4 and action[0] == "roles" and action[2] == "customize" and method == "PATCH":
        role = _role(tenant, rest[2])
        if not isinstance(body, dict) or not body or set(body) - {"allow", "disallow"}:
            raise ValueError('body must be {"allow": [...], "disallow": [...]} (either may be left out)')
        roles.ui_move_customize(tenant, role, rest[4], body.get("allow"), body.get("disallow"))
        sim.save()
        return Response(200, {"role": role["name"], "customizeIdentifier": rest[4], "allow": body.get("allow") or [],
                              "disallow": body.get("disallow") or []})
    if len(action) == 3 and action[0] == "members" and action[2] == "keys" and method == "POST":
        member = tenant.member_by_identifier(rest[2])
        if member is None:
            raise ControlError(404, f"no member {rest[2]!r}")
        description = (body or {}).get("description") or "API key"
        public_key, private_key = tenant.add_key(member["id"], description)
        sim.save()
        return Response(201, {"publicKey": public_key, "privateKey": private_key, "description": description})
    raise ControlError(404, "unknown tenant action")


def _role(tenant, name):
    role = tenant.role_named(name)
    if role is None:
        raise ControlError(404, f"no role {name!r}")
    return role


_COMPANY = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


def _create_tenant(sim, body):
    if not isinstance(body, dict) or not isinstance(body.get("company"), str) or not _COMPANY.match(body["company"]):
        raise ValueError("company (letters, digits, '_', '-', '.') is required")
    company = body["company"]
    if sim.tenant(company):
        raise ControlError(409, f"tenant {company!r} exists")
    public_key = body.get("public_key") or f"{company}-public"
    private_key = body.get("private_key") or f"{company}-private"
    form = body.get("customize_item_form") or "id"
    if form not in ITEM_FORMS:
        raise ValueError(f"customize_item_form must be one of {', '.join(ITEM_FORMS)}")
    tenant = Tenant.create(company, public_key, private_key, bool(body.get("settings_writable")), body.get("level1_name"),
                           body.get("company_name"), form)
    sim.add_tenant(tenant)
    sim.save()
    return Response(201, {"company": company, "public_key": public_key, "private_key": private_key,
                          "settings_writable": tenant.settings_writable, "admin_member": ADMIN_IDENTIFIER})


def _copy_tenant(sim, source, body):
    """POST {"companies": [...]}: each company becomes a copy of this tenant (roles, members, keys, lookups), created or
    replaced, with its own name and its own admin key <company>-public / <company>-private instead of the source's;
    every other key pair stays the same. A fleet of a thousand tenants in one state, without onboarding each."""
    companies = body.get("companies") if isinstance(body, dict) else None
    if not isinstance(companies, list) or not all(isinstance(c, str) and _COMPANY.match(c) for c in companies):
        raise ValueError('body must be {"companies": ["<company>", ...]} (letters, digits, \'_\', \'-\', \'.\')')
    admin = next((m for m in source.data["members"] if m.get("identifier") == ADMIN_IDENTIFIER), None)
    seed = json.dumps(source.data)
    for company in companies:
        data = json.loads(seed)
        data["company"], data["companyName"] = company, f"{company} (simulated)"
        copy = Tenant(data)
        if admin is not None:
            data["keys"] = [k for k in data["keys"] if not (k["memberId"] == admin["id"] and k["description"] == ADMIN_KEY)]
            copy.add_key(admin["id"], ADMIN_KEY, public_key=f"{company}-public", private_key=f"{company}-private")
        sim.add_tenant(copy)
    sim.save()
    return Response(200, {"source": source.company, "companies": companies})


def _fixed_answer(sim, tenant, method, body):
    """PUT {"resource", "method" (GET), "body"}: that call answers 200 with body (rights still checked); DELETE: none."""
    answers = tenant.data.setdefault("answers", {})
    if method == "DELETE":
        answers.clear()
    else:
        if not isinstance(body, dict) or not isinstance(body.get("resource"), str) or "body" not in body:
            raise ValueError('body must be {"resource": "/system/...", "method": "GET", "body": <the answer>}')
        answers[answer_key(body.get("method") or "GET", body["resource"])] = body["body"]
    sim.save()
    return Response(200, {"company": tenant.company, "answers": sorted(answers)})


def _patch_tenant(sim, tenant, body):
    usage = ('body must be {"settings_writable": true|false}, {"customize_item_form": "id"|"label"|"name"} and/or '
             '{"token_lifetime_s": seconds > 0}')
    if not isinstance(body, dict) or not body or set(body) - {"settings_writable", "customize_item_form", "token_lifetime_s"}:
        raise ValueError(usage)
    if "settings_writable" in body and not isinstance(body["settings_writable"], bool):
        raise ValueError(usage)
    if "customize_item_form" in body and body["customize_item_form"] not in ITEM_FORMS:
        raise ValueError(usage)
    lifetime = body.get("token_lifetime_s", 1)
    if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime <= 0:
        raise ValueError(usage)
    if "settings_writable" in body:
        tenant.data["settingsWritable"] = body["settings_writable"]
    if "customize_item_form" in body:
        tenant.data["customizeItemForm"] = body["customize_item_form"]
    if "token_lifetime_s" in body:
        tenant.data["tokenLifetimeS"] = lifetime
    sim.save()
    return Response(200, {"company": tenant.company, "settings_writable": tenant.settings_writable,
                          "customize_item_form": tenant.customize_item_form, "token_lifetime_s": tenant.token_lifetime_s})
