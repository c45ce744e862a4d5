"""A tenant rebuilt from a capture (doctor.yml -e cw_capture=true; plugins/module_utils/api/capture.py): python -m simulator
--capture FILE. The first real tenant a user meets becomes a regression test.

Roles, their settings, members and API members become ordinary simulator state, so writes go through the usual
handlers. What nothing writes (system info, look-ups, setup screens, the corporate structure, the API member defaults,
and the caller's own rows and customize items) is answered exactly as captured, in the captured shape. The tenant's
module functions are its own (its settings rows), never the simulator's catalogue: a new role gets one row per
function of the captured roles.
"""

import copy
import json

from . import listing
from .context import Response
from .errors import not_found
from .tenant import STATE_VERSION, Tenant, blank_member, now_iso

FORMAT = "msp.connectwise.capture"
CELLS = ("addLevel", "editLevel", "deleteLevel", "inquireLevel")
SERVED_CODEBASES = ("v2025_1/", "v4_6_release/")
# Captured path -> look-up kind of the tenant data (members' references resolve against them).
LOOKUPS = {
    "/system/myCompany/corporateStructureLevels": "structureLevels", "/system/locations": "locations",
    "/system/departments": "departments", "/system/timeZoneSetups": "timeZones", "/service/boards": "boards",
}
# Answered as captured to anyone; then to the caller only.
STATIC = ("/system/info", "/system/setupScreens", "/system/myCompany/corporateStructure", "/system/apiMembers/default",
          *LOOKUPS)
CALLER = ("/system/mySecurity", "/system/mySecurity/customizeItems")
_REFS = ("securityRole", "structureLevel", "securityLocation", "defaultLocation", "salesDefaultLocation",
         "defaultDepartment", "timeZone", "serviceDefaultBoard")
REPLAY_IDENTIFIER = "CaptureReplay"


def load(path):
    """The capture document in FILE; ValueError when it is not one."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("answers"), dict):
        raise ValueError(f"{path} is not a capture written by doctor.yml -e cw_capture=true (format {FORMAT})")
    return document


def _key(path):
    return "/" + "/".join(part for part in path.lower().split("/") if part)


def _list(answers, path):
    value = answers.get(path)
    return [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []


def _info(record):
    """What a stored record keeps of a captured _info: the stamps, not the links (the simulator writes its own)."""
    info = record.get("_info") if isinstance(record.get("_info"), dict) else {}
    return {k: v for k, v in info.items() if not k.endswith("_href")} or {"lastUpdated": now_iso(), "updatedBy": "capture"}


def _levels(row):
    return [row.get(cell) or "None" for cell in CELLS]


def _catalogue(rows_by_source):
    """code -> the captured row without id and _info, in the order the tenant lists them; (module, function) -> code."""
    entries, codes = {}, {}
    for rows in rows_by_source:
        for row in rows:
            names = (row.get("moduleName"), row.get("moduleFunctionName"))
            if names in codes or not all(isinstance(n, str) for n in names):
                continue
            code = str(row.get("moduleFunctionIdentifier") or "")
            if not code or code in entries:
                code = "%s/%s" % names
            entries[code] = {k: v for k, v in row.items() if k not in ("id", "_info")}
            codes[names] = code
    return entries, codes


def _member(record, api):
    member = blank_member()
    for field in _REFS:
        value = record.get(field)
        member[field] = value.get("id") if isinstance(value, dict) else None
    member.update({
        "id": record["id"], "identifier": record.get("identifier") or f"member-{record['id']}",
        "licenseClass": "A" if api else record.get("licenseClass") or "F",
        # Full members are captured without names: their (pseudonymous) identifier stands in.
        "firstName": record.get("name") if api else record.get("identifier"),
        "emailAddress": record.get("emailAddress"), "notes": record.get("notes"),
        "excludedServiceBoardIds": [i for i in record.get("excludedServiceBoardIds") or [] if isinstance(i, int)],
        "blockPriceFlag": bool(record.get("blockPriceFlag")), "blockCostFlag": bool(record.get("blockCostFlag")),
        "inactiveFlag": bool(record.get("inactiveFlag")), "info": _info(record),
    })
    return member


def _caller(tenant, my_rows, codes):
    """The member the command line's keys act as: one holding the role whose rows are the captured mySecurity rows, else
    one holding an admin role (an API member rather than a person); added only when nobody holds such a role."""
    mine = {codes.get((r.get("moduleName"), r.get("moduleFunctionName"))): _levels(r) for r in my_rows}
    matching = [role for role in tenant.roles
                if mine and all({row["function"]: row["levels"] for row in role["settings"]}.get(code) == levels
                                for code, levels in mine.items())]
    admins = [role for role in tenant.roles if role["adminFlag"]]
    for role in matching + admins:
        holders = [m for m in tenant.members if m["securityRole"] == role["id"] and not m["inactiveFlag"]]
        if holders:
            return sorted(holders, key=lambda m: (m["licenseClass"] != "A", m["id"]))[0], role
    candidates = matching + admins
    role = candidates[0] if candidates else tenant.add_role("Capture Replay Admin", "capture", admin=True, fill="All")
    return tenant.add_member({"identifier": REPLAY_IDENTIFIER, "firstName": "Capture replay", "securityRole": role["id"]},
                             "capture"), role


def _role(role, captured, codes):
    """A captured role and its settings rows as simulator state (rows of a function with no name are left out)."""
    rows = []
    for row in captured:
        names = (row.get("moduleName"), row.get("moduleFunctionName"))
        if isinstance(row.get("id"), int) and names in codes:
            rows.append({"id": row["id"], "function": codes[names], "levels": _levels(row), "info": _info(row)})
    return {"id": role["id"], "name": role.get("name") or f"role {role['id']}", "roleType": role.get("roleType"),
            "adminFlag": bool(role.get("adminFlag")), "inactiveFlag": bool(role.get("inactiveFlag")), "info": _info(role),
            "settings": rows, "customize": {}}


def _ids(records):
    return [r["id"] for r in records if isinstance(r.get("id"), int)]


def build_tenant(document, public_key, private_key, settings_writable=False):
    """A simulator tenant serving the captured answers; the key pair acts as the caller (see _caller)."""
    answers = document["answers"]
    info = next((v for k, v in answers.items() if k.lower().startswith("/login/companyinfo/")), None)
    company = document.get("company_id") or (info.get("CompanyID") if isinstance(info, dict) else None)
    if not company:
        raise ValueError("the capture names no company id")
    roles = [r for r in _list(answers, "/system/securityRoles") if isinstance(r.get("id"), int)]
    settings = {role["id"]: _list(answers, f"/system/securityRoles/{role['id']}/settings") for role in roles}
    my_rows = _list(answers, "/system/mySecurity")
    entries, codes = _catalogue(sorted(settings.values(), key=len, reverse=True) + [my_rows])
    structure = answers.get("/system/myCompany/corporateStructure")
    structure = (structure[0] if structure else {}) if isinstance(structure, list) else structure or {}
    api_members = [m for m in _list(answers, "/system/apiMembers") if isinstance(m.get("id"), int)]
    api_ids = set(_ids(api_members))
    people = [m for m in _list(answers, "/system/members") if isinstance(m.get("id"), int) and m["id"] not in api_ids]
    items = _list(answers, "/system/mySecurity/customizeItems")
    lookups = {kind: [{k: v for k, v in r.items() if k != "_info"} for r in _list(answers, path)]
               for path, kind in LOOKUPS.items()}
    lookups["corporateStructure"] = {k: v for k, v in structure.items() if k.startswith("level") and k.endswith("Name")}
    tenant = Tenant({
        "version": STATE_VERSION, "company": company,
        "companyName": (info.get("CompanyName") if isinstance(info, dict) else None) or company,
        "settingsWritable": bool(settings_writable), "customizeItemForm": "id",  # "id": items are answered as stored
        "roles": [_role(role, settings[role["id"]], codes) for role in roles],
        "members": [_member(record, record["id"] in api_ids) for record in api_members + people],
        "keys": [], "lookups": lookups, "catalogue": entries,
    })
    tenant.data["counters"] = {"role": max(_ids(roles), default=0), "member": max(_ids(api_members + people), default=0),
                               "setting": max((r["id"] for role in tenant.roles for r in role["settings"]), default=0),
                               "item": max(_ids(items), default=0)}
    # Roles whose settings were not captured (refused) get every function at None, as a new role would.
    for role in tenant.roles:
        if not role["settings"]:
            role["settings"] = [{"id": tenant.next_id("setting"), "function": code, "levels": ["None"] * 4,
                                 "info": dict(role["info"])} for code in entries]
    caller, role = _caller(tenant, my_rows, codes)
    # The caller's role lists what the caller's customize items say, for any other member holding it.
    for item in items:
        role["customize"].setdefault(item.get("customizeIdentifier"), []).append(
            {"id": item.get("id") or tenant.next_id("item"), "item": item.get("itemIdentifier")})
    tenant.add_key(caller["id"], "capture replay key", public_key=public_key, private_key=private_key)
    if isinstance(info, dict) and info.get("Codebase") not in SERVED_CODEBASES:
        info = dict(info, Codebase=SERVED_CODEBASES[0])  # a codebase the simulator does not serve would 404 every call
    tenant.data["replay"] = {
        "caller": caller["id"], "companyinfo": info,
        "answers": {_key(path): copy.deepcopy(answers[path]) for path in STATIC if path in answers},
        "callerAnswers": {_key(path): copy.deepcopy(answers[path]) for path in CALLER if path in answers},
    }
    return tenant


def load_tenant(path, public_key, private_key, settings_writable=False):
    """build_tenant() of the capture in FILE."""
    return build_tenant(load(path), public_key, private_key, settings_writable)


# --- serving ------------------------------------------------------------------------------------------
def render_setting(ctx, role, row):
    """A settings row of a replayed tenant: the captured row of its function, with this row's id, levels and stamps."""
    record = {"id": row["id"], **copy.deepcopy(ctx.tenant.data["catalogue"][row["function"]])}
    record.update(zip(CELLS, row["levels"]))
    record["_info"] = {**row["info"], "securityRole_href": ctx.href(f"/system/securityroles/{role['id']}")}
    return record


def company_info(tenant, default):
    """GET /login/companyinfo/{company}: as captured (404 when the tenant answered none), else ``default()``."""
    replay = tenant.data.get("replay")
    if replay is None:
        return default()
    if replay["companyinfo"] is None:
        raise not_found(f"Company {tenant.company!r} was not found")
    return copy.deepcopy(replay["companyinfo"])


def _fields(records):
    """Condition and orderBy fields of a captured list: its scalar fields and one level into references."""
    fields = {"id"}
    for record in records:
        for key, value in record.items():
            if isinstance(value, dict):
                fields.update(f"{key}/{sub}" for sub, inner in value.items() if not isinstance(inner, (dict, list)))
            elif not isinstance(value, list):
                fields.add(key)
    return tuple(sorted(fields))


def replayed(ctx):
    """The captured answer to a GET that nothing writes, paged and filtered like any list; None otherwise."""
    replay = ctx.tenant.data.get("replay")
    if replay is None or ctx.method != "GET":
        return None
    answers = dict(replay["answers"])
    if ctx.member["id"] == replay["caller"]:
        answers.update(replay["callerAnswers"])
    resource = _key(ctx.resource)
    if resource in answers:
        answer = copy.deepcopy(answers[resource])
        if not isinstance(answer, list):
            return Response(200, answer)
        records = [r for r in answer if isinstance(r, dict)]
        chunk, headers = listing.page(ctx, records, _fields(records))
        return Response(200, chunk, headers)
    base, _slash, last = resource.rpartition("/")
    records = answers.get(base)
    if not isinstance(records, list):
        return None
    records = [r for r in records if isinstance(r, dict)]
    if last == "count":
        return Response(200, listing.count(ctx, records, _fields(records)))
    record = next((r for r in records if str(r.get("id")) == last), None)
    if record is None:
        raise not_found(f"Record with id {last} was not found")
    return Response(200, copy.deepcopy(record))
