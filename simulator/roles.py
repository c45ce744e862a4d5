"""Security roles, their settings rows, and the caller's own view (/system/mySecurity)."""

from . import capture, catalogue, listing
from .context import Response
from .errors import ApiError, field_error, invalid, invalid_field, not_found
from .jsonpatch import parse_ops
from .tenant import now_iso

ROLE_FIELDS = ("id", "name", "roleType", "adminFlag", "inactiveFlag")
SETTING_FIELDS = (
    "id", "moduleIdentifier", "moduleName", "moduleDescription", "moduleFunctionIdentifier", "moduleFunctionName",
    "moduleFunctionDescription", "addLevel", "editLevel", "deleteLevel", "inquireLevel", "myAllFlag", "customFlag",
    "reportFlag", "restrictFlag", "sortOrder",
)
ITEM_FIELDS = ("id", "customizeIdentifier", "itemIdentifier")
NAME_MAX = 30


def _drop_none(record):
    # ConnectWise leaves null properties out of its JSON.
    return {k: v for k, v in record.items() if v is not None}


def render_role(ctx, role):
    """SecurityRole as the API returns it."""
    href = ctx.href(f"/system/securityroles/{role['id']}")
    return _drop_none({
        "id": role["id"], "name": role["name"], "roleType": role["roleType"], "adminFlag": role["adminFlag"],
        "inactiveFlag": role["inactiveFlag"],
        "_info": {**role["info"], "settings_href": href + "/settings"},
    })


def render_setting(ctx, role, row):
    """SecurityRoleSetting as the API returns it."""
    if ctx.tenant.data.get("catalogue"):  # a tenant replayed from a capture has its own functions
        return capture.render_setting(ctx, role, row)
    code, module, function, description, my_all, custom, report, restrict = catalogue.FUNCTION_BY_CODE[row["function"]]
    module_row = catalogue.MODULE_BY_NAME[module]
    record = {
        "id": row["id"], "moduleIdentifier": module_row[0], "moduleName": module, "moduleDescription": module_row[2],
        "moduleFunctionIdentifier": code, "moduleFunctionName": function, "moduleFunctionDescription": description,
    }
    record.update(zip(catalogue.CELLS, row["levels"]))
    record.update({
        "myAllFlag": my_all, "customFlag": custom is not None, "reportFlag": report, "restrictFlag": restrict,
        "sortOrder": catalogue.SORT_ORDER[code],
        "_info": {**row["info"], "securityRole_href": ctx.href(f"/system/securityroles/{role['id']}")},
    })
    return record


def _role(ctx, role_id):
    role = ctx.tenant.role(role_id)
    if role is None:
        raise not_found(f"SecurityRole with id {role_id} was not found")
    return role


def list_roles(ctx):
    """GET /system/securityroles"""
    records = [render_role(ctx, r) for r in ctx.tenant.roles]
    chunk, headers = listing.page(ctx, records, ROLE_FIELDS)
    return Response(200, chunk, headers)


def count_roles(ctx):
    """GET /system/securityroles/count"""
    return Response(200, listing.count(ctx, [render_role(ctx, r) for r in ctx.tenant.roles], ROLE_FIELDS))


def get_role(ctx, role_id):
    """GET /system/securityroles/{id}"""
    return Response(200, render_role(ctx, _role(ctx, role_id)))


def create_role(ctx):
    """POST /system/securityroles: a new role gets every catalogue row, all None."""
    body = ctx.body
    if not isinstance(body, dict):
        raise invalid("A SecurityRole object is required")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise invalid_field("securityRole", "name", "name is required", "Required")
    if len(name) > NAME_MAX:
        raise invalid_field("securityRole", "name", f"name may be at most {NAME_MAX} characters")
    if ctx.tenant.role_named(name):
        raise invalid_field("securityRole", "name", f"A security role named {name!r} already exists", "ObjectExists")
    role_type = body.get("roleType")
    if role_type is not None and (not isinstance(role_type, str) or len(role_type) > NAME_MAX):
        raise invalid_field("securityRole", "roleType", f"roleType must be a string of at most {NAME_MAX} characters")
    flags = {}
    for flag in ("adminFlag", "inactiveFlag"):
        flags[flag] = body.get(flag, False)
        if not isinstance(flags[flag], bool):
            raise invalid_field("securityRole", flag, f"{flag} must be true or false")
    role = ctx.tenant.add_role(name, ctx.member["identifier"], role_type, flags["adminFlag"], flags["inactiveFlag"])
    return Response(201, render_role(ctx, role))


def delete_role(ctx, role_id):
    """DELETE /system/securityroles/{id}: refused while any member uses the role."""
    role = _role(ctx, role_id)
    users = ctx.tenant.role_in_use(role_id)
    if users:
        names = ", ".join(sorted(m["identifier"] for m in users))
        raise ApiError(400, "InvalidObject", f"Security role {role['name']!r} is in use and cannot be deleted", [
            field_error("ObjectInUse", f"The role is assigned to member(s): {names}", "securityRole", "id")])
    ctx.tenant.roles.remove(role)
    return Response(204)


def list_settings(ctx, role_id):
    """GET /system/securityroles/{roleId}/settings"""
    role = _role(ctx, role_id)
    records = [render_setting(ctx, role, row) for row in role["settings"]]
    chunk, headers = listing.page(ctx, records, SETTING_FIELDS)
    return Response(200, chunk, headers)


def count_settings(ctx, role_id):
    """GET /system/securityroles/{roleId}/settings/count"""
    role = _role(ctx, role_id)
    return Response(200, listing.count(ctx, [render_setting(ctx, role, row) for row in role["settings"]], SETTING_FIELDS))


def _setting(ctx, role_id, setting_id):
    role = _role(ctx, role_id)
    row = next((r for r in role["settings"] if r["id"] == setting_id), None)
    if row is None:
        raise not_found(f"SecurityRoleSetting with id {setting_id} was not found")
    return role, row


def get_setting(ctx, role_id, setting_id):
    """GET /system/securityroles/{roleId}/settings/{id}"""
    role, row = _setting(ctx, role_id, setting_id)
    return Response(200, render_setting(ctx, role, row))


def patch_setting(ctx, role_id, setting_id):
    """PATCH .../settings/{id}: only routed when the tenant is settings-writable; levels only."""
    role, row = _setting(ctx, role_id, setting_id)
    cells = {cell.lower(): index for index, cell in enumerate(catalogue.CELLS)}
    levels = list(row["levels"])
    for op, path, value in parse_ops(ctx.body):
        name = "/".join(path)
        if len(path) != 1 or path[0].lower() not in cells:
            raise invalid_field("securityRoleSetting", name, f"{name} cannot be changed; only {', '.join(catalogue.CELLS)}")
        if op == "remove":
            raise invalid_field("securityRoleSetting", path[0], f"{path[0]} cannot be removed")
        if value not in catalogue.LEVELS:
            raise invalid_field("securityRoleSetting", path[0], f"{path[0]} must be one of None, My, All")
        levels[cells[path[0].lower()]] = value
    ctx.tenant.set_levels(role, row["function"], levels, ctx.member["identifier"])
    return Response(200, render_setting(ctx, role, row))


def _my_role(ctx):
    return ctx.tenant.role(ctx.member["securityRole"])


def my_security(ctx):
    """GET /system/mySecurity: the caller's effective rows (same shape as role settings)."""
    role = _my_role(ctx)
    # The published MySecurity row names its member (a MemberReference): whose rights these are.
    member = {"id": ctx.member["id"], "identifier": ctx.member["identifier"],
              "_info": {"member_href": ctx.href(f"/system/members/{ctx.member['id']}")}}
    records = [dict(render_setting(ctx, role, row), member=member) for row in role["settings"]] if role else []
    chunk, headers = listing.page(ctx, records, SETTING_FIELDS)
    return Response(200, chunk, headers)


def my_security_count(ctx):
    """GET /system/mySecurity/count"""
    role = _my_role(ctx)
    records = [render_setting(ctx, role, row) for row in role["settings"]] if role else []
    return Response(200, listing.count(ctx, records, SETTING_FIELDS))


def _items(ctx):
    role = _my_role(ctx)
    if role is None:
        return []
    form = ctx.tenant.customize_item_form
    return [{"id": item["id"], "customizeIdentifier": identifier, "itemIdentifier": item_identifier(identifier, item["item"], form)}
            for identifier in sorted(role["customize"]) for item in role["customize"][identifier]]


def item_identifier(identifier, item, form):
    """A Table Setup item (kept as its setupScreen id) as the tenant names it: the id, "Category / Name" or the name alone.
    No public source says which a real tenant uses, so the simulator can answer each (--customize-item-form)."""
    if identifier != catalogue.TABLE_SETUP or form == "id" or not str(item).isdigit() or int(item) not in catalogue.SCREEN_BY_ID:
        return item
    label = catalogue.screen_label(int(item))
    return label if form == "label" else label.split(" / ", 1)[1]


def my_customize_items(ctx):
    """GET /system/mySecurity/customizeItems: SystemTableSetup items name the table in the tenant's form (see item_identifier)."""
    chunk, headers = listing.page(ctx, _items(ctx), ITEM_FIELDS)
    return Response(200, chunk, headers)


def my_customize_items_count(ctx):
    """GET /system/mySecurity/customizeItems/count"""
    return Response(200, listing.count(ctx, _items(ctx), ITEM_FIELDS))


def ui_set_levels(tenant, role, rows, by):
    """Admin UI: set cells by canonical names; all rows validated before any is applied."""
    if not isinstance(rows, list):
        raise ValueError("body must be a list of rows")
    changes = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError("each row must be an object")
        code = tenant.function_code(row.get("module"), row.get("function"))
        if code is None:
            raise ValueError(f"unknown module function {row.get('module')!r} / {row.get('function')!r}")
        levels = [row.get(cell) for cell in ("add", "edit", "delete", "inquire")]
        if any(level is not None and level not in catalogue.LEVELS for level in levels):
            raise ValueError(f"levels must be None, My or All: {row!r}")
        changes.append((code, levels))
    for code, levels in changes:
        tenant.set_levels(role, code, levels, by)
    role["info"] = {"lastUpdated": now_iso(), "updatedBy": by}


def _customize_items(identifier, names, what):
    """A customize list's identifier as the catalogue spells it, and the items ``names`` (Table Setup: canonical
    "Category / Table" labels) as the role keeps them (Table Setup: setup screen ids)."""
    known = {name.lower(): name for name in catalogue.CUSTOMIZE_IDENTIFIERS}
    if identifier.lower() not in known:
        raise ValueError(f"unknown customize identifier {identifier!r}")
    identifier = known[identifier.lower()]
    if not isinstance(names, list) or not all(isinstance(item, str) for item in names):
        raise ValueError(f"{what} must be a list of strings")
    if identifier == catalogue.TABLE_SETUP:
        unknown = [label for label in names if label not in catalogue.SCREEN_BY_NAME]
        if unknown:
            raise ValueError(f"unknown setup tables: {unknown}")
        names = [str(catalogue.SCREEN_BY_NAME[label][0]) for label in names]
    return identifier, list(dict.fromkeys(names))


def ui_set_customize(tenant, role, identifier, allow):
    """Admin UI: replace one customize list (what sits under "Allow access to these"; the rest is disallowed)."""
    identifier, allow = _customize_items(identifier, allow, "allow")
    role["customize"][identifier] = [tenant.new_item(item) for item in allow]


def ui_move_customize(tenant, role, identifier, allow, disallow):
    """Admin UI: the arrow buttons of a customize dialog. Entries moved to "Allow access to these" join the role's
    list, and its member sees them in customizeItems; entries moved to "Disallow access to these" leave it, and its
    member no longer sees them. An entry in both is refused (the dialog moves it one way)."""
    identifier, allow = _customize_items(identifier, allow or [], "allow")
    _identifier, disallow = _customize_items(identifier, disallow or [], "disallow")
    both = sorted(set(allow) & set(disallow))
    if both:
        raise ValueError(f"moved both ways: {both}")
    kept = [item for item in role["customize"].get(identifier, []) if item["item"] not in disallow]
    present = {item["item"] for item in kept}
    role["customize"][identifier] = kept + [tenant.new_item(item) for item in allow if item not in present]
