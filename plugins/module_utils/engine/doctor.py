# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the member running the collection needs, and the one write probe a tenant's settings allow."""

from __future__ import annotations

from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import FIELDS
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import FunctionIndex, UnknownName
from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import setting_path, settings_path
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import SecurityRoles

# (module, function, cell, level, why)
REQUIRED_RIGHTS = (
    ("System", "Security Roles", "inquire", "All", "read roles and their settings"),
    ("System", "Security Roles", "add", "All", "create vendor roles"),
    ("System", "Security Roles", "delete", "All", "delete roles on offboarding"),
    ("System", "Security Roles", "edit", "All", "write levels where the tenant accepts it"),
    ("System", "Member Maintenance", "inquire", "All", "read API members"),
    ("System", "Member Maintenance", "add", "All", "create API members and issue their keys"),
    ("System", "Member Maintenance", "edit", "All", "update and deactivate API members"),
    ("System", "Table Setup", "inquire", "All", "read setup tables, locations, departments, time zones, boards"),
    ("System", "My Company", "inquire", "All", "read the corporate structure levels"),
)
_RANK = {"None": 0, "My": 1, "All": 2}


def missing_rights(rows):
    """Each right the calling member lacks, as 'System / Security Roles: Add Level All (create vendor roles)'."""
    index = FunctionIndex(rows)
    missing = []
    for module, function, cell, level, why in REQUIRED_RIGHTS:
        try:
            row = index.resolve(module, function)
            have = row.get(FIELDS[cell]) or "None"
        except UnknownName:
            have = "None"
        if _RANK.get(have, 0) < _RANK[level]:
            missing.append("%s / %s: %s Level %s, has %s (to %s)" % (module, function, cell.capitalize(), level, have, why))
    return missing


def probe_settings_write(client, role_name=None):
    """PATCH one setting to the value it already has: True if the tenant accepts it, False on 405. Changes nothing."""
    roles = SecurityRoles(client).load()
    candidates = [r for r in roles if (r.get("name") == role_name if role_name else not r.get("adminFlag"))]
    if not candidates:
        raise ValueError("probe_role: no role %s to probe with" % (repr(role_name) if role_name else "without adminFlag"))
    role = candidates[0]
    rows = client.request("GET", settings_path(role["id"]), params={"pageSize": 1, "page": 1}).data or []
    if not rows:
        raise ValueError("probe_role: role %r has no settings rows" % role["name"])
    row = rows[0]
    try:
        client.patch(setting_path(role["id"], row["id"]),
                     [{"op": "replace", "path": "inquireLevel", "value": row.get("inquireLevel") or "None"}])
    except ConnectWiseError as exc:
        if exc.status == 405:
            return False, role["name"]
        raise
    return True, role["name"]
