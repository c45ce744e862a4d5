# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security roles: the API can create, read and delete them, never rename or edit them."""

from __future__ import annotations

from ansible_collections.msp.connectwise.plugins.module_utils import conditions
from ansible_collections.msp.connectwise.plugins.module_utils.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.plan import Outcome

ROLES = "/system/securityroles"
MEMBERS = "/system/members"
MAX_ROLE_NAME = 30
# In check mode a role that would be created stands in with this id, so later tasks can plan against it.
PLACEHOLDER_ID = -1


def check_role_name(name, where="name"):
    if not isinstance(name, str) or not name.strip():
        raise ValueError("%s: a security role name is required" % where)
    if len(name) > MAX_ROLE_NAME:
        raise ValueError("%s: %r is %d characters; ConnectWise allows at most %d, choose a shorter role name"
                         % (where, name, len(name), MAX_ROLE_NAME))
    return name


def find_role(client, name):
    """The role named ``name`` (ConnectWise compares names case-insensitively), or None.

    A whole-tenant run reads every role once (load_roles); a single module asks for the one role."""
    if "roles" in client.cache:
        matches = [r for r in client.cache["roles"] if (r.get("name") or "").lower() == name.lower()]
        return matches[0] if matches else None
    return client.get_one(ROLES, conditions.eq("name", name))


def load_roles(client):
    return client.cached("roles", lambda: client.get_all(ROLES))


def create_role(client, name, outcome):
    """POST the role; if another run created it since our read (ObjectExists), use that one instead of failing."""
    try:
        role = client.post(ROLES, {"name": name})
    except ConnectWiseError as exc:
        if exc.status != 400 or not any(e.get("code") == "ObjectExists" for e in exc.errors):
            raise
        client.forget("roles")
        role = find_role(client, name)
        if role is None:
            raise
        outcome.warnings.append("role %s was created by someone else meanwhile; it is used as is" % name)
        return role
    outcome.wrote()
    if "roles" in client.cache:
        client.cache["roles"].append(role)
    return role


def is_placeholder(role):
    return bool(role) and role.get("id") == PLACEHOLDER_ID


def members_using(client, role_id):
    """Identifiers of every member (full or API, active or not) assigned to the role."""
    members = client.get_all(MEMBERS, conditions.eq("securityRole/id", role_id))
    return [m.get("identifier") for m in members]


def converge_role(client, name, state, check_mode):
    check_role_name(name)
    outcome = Outcome("security role %s" % name)
    role = find_role(client, name)
    if role and role.get("name") != name:
        outcome.warnings.append("the role exists as %r; ConnectWise cannot rename a role through the API, so it is kept as is"
                                % role.get("name"))
    outcome.before = {"name": role["name"], "state": "present"} if role else {"state": "absent"}
    if state == "present":
        outcome.after = {"name": role["name"] if role else name, "state": "present"}
        if not role and check_mode:
            role = {"id": PLACEHOLDER_ID, "name": name}
            outcome.wrote()
        elif not role:
            role = create_role(client, name, outcome)
        outcome.values["role"] = {"id": role["id"], "name": role["name"]}
        return outcome
    outcome.after = {"state": "absent"}
    if role:
        users = members_using(client, role["id"])
        if users:
            raise ValueError("state: cannot delete security role %r: still assigned to member(s) %s; assign them another "
                             "role or deactivate and reassign them first" % (role["name"], ", ".join(sorted(users))))
        if not check_mode:
            client.delete("%s/%d" % (ROLES, role["id"]))
            client.forget("roles", ("settings", role["id"]))
        outcome.wrote()
    outcome.values["role"] = None
    return outcome
