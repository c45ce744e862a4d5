# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role permission levels: read all settings in one request, diff by "Module / Function", then write
through the API where the tenant accepts PATCH on settings, and plan manual steps where it does not."""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import CELLS, FIELDS, normalise_level, row_levels
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import FunctionIndex, UnknownName
from ansible_collections.msp.connectwise.plugins.module_utils.resources.outcome import Outcome
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import ROLES, Role, find_role

METHODS = ("auto", "api", "manual")
UI_PATH = "System > Security Roles"


@dataclass
class PermissionsOutcome(Outcome):
    """A permissions step's outcome: the role compared, what the tenant is known to accept (``settings_writable``:
    given, or learnt by this run's first write; None when unknown), every differing row (as pending items are) and
    the grants beyond what was asked (``excess``: lines, empty with purge)."""
    role: Role | None = None
    settings_writable: bool | None = None
    differences: list = field(default_factory=list)
    excess: list = field(default_factory=list)

    def shown(self):
        return {"role": self.role.shown(admin=False) if self.role else None, "settings_writable": self.settings_writable,
                "differences": self.differences, "excess": self.excess}


def settings_path(role_id):
    return "%s/%d/settings" % (ROLES, role_id)


def setting_path(role_id, row_id):
    return "%s/%d" % (settings_path(role_id), row_id)


# What is read of each settings row: ConnectWise's published ``fields`` parameter trims a row (about 600 bytes in full,
# with its descriptions and _info links) to these, for every role of every tenant an audit reads.
ROW_FIELDS = ("id", "moduleName", "moduleFunctionName", "sortOrder") + tuple(FIELDS.values())
WHOLE_ROWS = "settings: whole rows"  # the run's cache: this server did not answer the trimmed rows


def read_settings(client, role):
    """Every settings row of the Role in one request; for a planned role, any role's rows set to None."""
    if not role.planned:
        return client.cached(("settings", role.id), lambda: read_rows(client, role.id))
    # No catalogue endpoint exists: a new role gets every row, all None, so any role's rows show the shape.
    template = client.cache.get("roles") or client.request("GET", ROLES, params={"pageSize": 1, "page": 1}).data or []
    if not template:
        raise ValueError("role: this tenant has no security role to read the module functions from")
    rows = read_settings(client, Role.of(template[0]))
    return [dict(row, **{field: "None" for field in FIELDS.values()}) for row in rows]


def read_rows(client, role_id):
    """The role's rows, trimmed to ROW_FIELDS. A server that ignores ``fields`` answers whole rows, which serve as well;
    one that refuses it (400), or answers rows without a level, is asked again without it, and for the rest of the run:
    a level is never taken as None because the server left it out."""
    path = settings_path(role_id)
    if not client.cache.get(WHOLE_ROWS):
        try:
            rows = client.get_all(path, params={"fields": ",".join(ROW_FIELDS)})
        except ConnectWiseError as exc:
            if exc.status != 400:
                raise
        else:
            if all(name in row for row in rows for name in FIELDS.values()):
                return rows
        client.cache[WHOLE_ROWS] = True
    return client.get_all(path)


def catalogue_rows(client, role):
    """The module functions of this tenant, read from the Role's settings; none is refused (every profile row would
    otherwise be "skipped, this tenant lacks it" and the verdict compliant)."""
    rows = read_settings(client, role)
    if not rows:
        raise ValueError("GET /system/securityRoles/%s/settings answered no rows for role %s, where ConnectWise lists one "
                         "per module function; nothing was written. Please report it with a capture "
                         "(ansible-playbook msp.connectwise.doctor -e cw_capture=true)"
                         % (role.id, role.name))
    return rows


def desired_matrix(permissions):
    """Validate the user's list: every problem is reported at once, before anything is read or written."""
    problems, wanted = [], []
    for position, entry in enumerate(permissions or []):
        where = "permissions[%d]" % position
        if not isinstance(entry, dict):
            problems.append("%s: expected a mapping with module, function and levels" % where)
            continue
        unknown = set(entry) - {"module", "function"} - set(CELLS)
        if unknown:
            problems.append("%s: unknown key(s) %s; use module, function, add, edit, delete, inquire" % (where, ", ".join(sorted(unknown))))
        for key in ("module", "function"):
            if not isinstance(entry.get(key), str) or not entry.get(key).strip():
                problems.append("%s.%s: required (the name as ConnectWise shows it, e.g. %s)"
                                % (where, key, "Companies" if key == "module" else "Company Maintenance"))
        cells = {}
        for cell in CELLS:
            try:
                level = normalise_level(entry.get(cell), "%s.%s" % (where, cell))
            except ValueError as exc:
                problems.append(str(exc))
                continue
            if level is not None:
                cells[cell] = level
        wanted.append((where, entry.get("module"), entry.get("function"), cells))
    if problems:
        raise ValueError("; ".join(problems))
    return wanted


def plan_changes(rows, wanted, purge, spared=None):
    """(changes, managed): changes per tenant row as {cell: (from, to)}; managed rows' cells for the diff.

    With purge, a row holding a grant outside ``spared`` (see excess_grants) gets None in every cell not named."""
    index = FunctionIndex(rows)
    targets, problems = {}, []
    for where, module, function, cells in wanted:
        try:
            row = index.resolve(module, function)
        except UnknownName as exc:
            problems.append("%s: %s" % (where, exc))
            continue
        previous = targets.setdefault(row["id"], (row, {}))[1]
        for cell, level in cells.items():
            if previous.get(cell, level) != level:
                problems.append("%s: %s %s is asked as both %s and %s; give each cell one level"
                                % (where, label(row), cell, previous[cell], level))
            previous[cell] = level
    if problems:
        raise ValueError("; ".join(problems))
    if purge:
        named = dict(spared or {})
        for row_id, (_row, cells) in targets.items():  # a cell asked for is never purged, whatever ``spared`` says
            named[row_id] = set(named.get(row_id, ())) | set(cells)
        for row, _cells in excess_grants(rows, named):
            asked = targets.setdefault(row["id"], (row, {}))[1]
            asked.update({cell: "None" for cell in CELLS if cell not in named.get(row["id"], ())})
    changes, managed = [], {}
    for row, cells in sorted(targets.values(), key=lambda item: order(item[0])):
        current = row_levels(row)
        managed[label(row)] = ({cell: current[cell] for cell in cells}, dict(cells))
        diff = {cell: (current[cell], level) for cell, level in cells.items() if current[cell] != level}
        if diff:
            changes.append((row, diff))
    return changes, managed


def accepted_cells(rows, accepted):
    """Tenant row id -> the cells the accepted rows name (at any level). A name this tenant lacks is skipped (the
    rows to converge were resolved already; prevalidate warns about a profile's)."""
    index, spared = FunctionIndex(rows), {}
    for entry in accepted or []:
        try:
            row = index.resolve(entry["module"], entry["function"])
        except UnknownName:
            continue
        spared.setdefault(row["id"], set()).update(cell for cell in CELLS if entry.get(cell) is not None)
    return spared


def excess_grants(rows, spared):
    """(row, {cell: level}) for each grant above None in a cell nobody named: a function the profile does not list,
    or a cell its row leaves out. Information, never drift: a vendor's page names what it needs, not what else the
    role may hold; purge removes them."""
    found = []
    for row in sorted(rows, key=order):
        named = spared.get(row["id"], ())
        cells = {cell: level for cell, level in row_levels(row).items()
                 if cell not in named and level not in (None, "None")}
        if cells:
            found.append((row, cells))
    return found


def excess_line(row, cells):
    return "%s: %s" % (label(row), ", ".join("%s %s" % (cell, level) for cell, level in cells.items()))


def label(row):
    return "%s / %s" % (row["moduleName"], row["moduleFunctionName"])


def order(row):
    return (row.get("moduleName") or "", row.get("sortOrder") or 0, row.get("moduleFunctionName") or "")


def patch_body(diff):
    return [{"op": "replace", "path": FIELDS[cell], "value": to} for cell, (_from, to) in diff.items()]


def manual_step(role_name, row, diff):
    cells = ", ".join("%s Level %s -> %s" % (cell.capitalize(), before, after) for cell, (before, after) in diff.items())
    return "%s > %s > %s > %s: set %s" % (UI_PATH, role_name, row["moduleName"], row["moduleFunctionName"], cells)


def pending_item(role_name, row, diff):
    # target: the whole row as it must end up (the checklist shows it as the vendor's table does, not only the changes).
    target = dict(row_levels(row), **{cell: after for cell, (_before, after) in diff.items()})
    return {"kind": "permission", "role": role_name, "module": row["moduleName"], "function": row["moduleFunctionName"],
            "cells": {cell: {"from": before, "to": after} for cell, (before, after) in diff.items()}, "target": target}


def converge_permissions(client, role_name, permissions, purge=False, method="auto", settings_writable=None, check_mode=False,
                         role=None, accepted=None):
    """Converge one role's levels. ``settings_writable`` is what is known of the tenant (None: unknown)."""
    if method not in METHODS:
        raise ValueError("method: %r is not one of %s" % (method, ", ".join(METHODS)))
    wanted = desired_matrix(permissions)
    if purge and not wanted:
        raise ValueError("permissions: empty with purge: true would set every function of the role to None; "
                         "list the functions the role needs, or set purge: false")
    outcome = PermissionsOutcome("permissions of security role %s" % role_name)
    if role is None:
        record = find_role(client, role_name)
        if record is None and not check_mode:
            raise ValueError("role: %r does not exist on this tenant; create it first with msp.connectwise.cw_security_role"
                             % role_name)
        role = Role.of(record) if record else Role.to_create(role_name)  # planned: an earlier task of this check run
    role_name = role.name
    rows = read_settings(client, role)
    spared = accepted_cells(rows, permissions if accepted is None else accepted)
    changes, managed = plan_changes(rows, wanted, purge, spared)
    if role.admin and (purge or changes):
        # Cutting an admin role down cuts every administrator (and the caller's own keys): refused, audits included.
        raise ValueError("role: %r is an admin role (adminFlag); this collection never changes an admin role's levels%s. "
                         "Give the integration a role of its own" % (role_name, " nor purges it" if purge else ""))
    outcome.before = {} if role.planned else {key: before for key, (before, _after) in managed.items()}
    outcome.after = {key: after for key, (_before, after) in managed.items()}
    outcome.role, outcome.settings_writable = role, settings_writable
    outcome.differences = [pending_item(role_name, row, diff) for row, diff in changes]
    outcome.excess = [] if purge else [excess_line(row, cells) for row, cells in excess_grants(rows, spared)]
    if not changes:
        return outcome
    through_api = decide(method, settings_writable, check_mode, outcome)
    if through_api and check_mode:
        outcome.wrote()
        return outcome
    if through_api and not role.planned:
        changes = write_changes(client, role, changes, method, outcome)
        client.forget(("settings", role.id))
    for row, diff in changes:
        outcome.need(manual_step(role_name, row, diff), pending_item(role_name, row, diff))
    return outcome


def decide(method, settings_writable, check_mode, outcome):
    """Whether to write through the API; check mode never probes the tenant with a write."""
    if method == "manual":
        return False
    if method == "api" or settings_writable:
        return True
    if settings_writable is None and check_mode:
        outcome.warnings.append("check mode cannot learn whether this tenant accepts API writes to role settings without "
                                "writing; the steps are listed as manual. Pass settings_writable (doctor.yml can probe it)")
        return False
    return settings_writable is None


def write_changes(client, role, changes, method, outcome):
    """PATCH the differing rows; the first 405 means the tenant refuses, and nothing has been written.

    Each PATCH answer is the updated row: it is checked, since a server may answer 200 and change nothing."""
    remaining = []
    for position, (row, diff) in enumerate(changes):
        try:
            updated = client.patch(setting_path(role.id, row["id"]), patch_body(diff))
        except ConnectWiseError as exc:
            if exc.status == 405 and position == 0 and method == "auto":
                outcome.settings_writable = False
                return changes
            if exc.status == 405:
                raise ValueError("method: this tenant does not accept writes to role settings (HTTP 405); use method: auto "
                                 "or manual to get the steps for the ConnectWise UI")
            raise
        outcome.wrote()
        current = row_levels(updated if isinstance(updated, dict) else {})
        left = {cell: (current[cell], to) for cell, (_before, to) in diff.items() if current[cell] != to}
        if left:
            remaining.append((row, left))
    outcome.settings_writable = True
    if remaining:
        outcome.warnings.append("%d row(s) were accepted by the API but did not change; they are listed as manual steps"
                                % len(remaining))
    return remaining
