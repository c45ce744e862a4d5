# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security roles: the API can create, read and delete them, never rename or edit them."""

from __future__ import annotations

from ansible_collections.msp.connectwise.plugins.module_utils.api import conditions
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.resources.outcome import Outcome

ROLES = "/system/securityroles"
MEMBERS = "/system/members"
MAX_ROLE_NAME = 30
# In check mode a role that would be created stands in with this id, so later tasks can plan against it.
PLACEHOLDER_ID = -1


def has_control(text):
    """A newline, tab or other control character: ConnectWise would store it in a name the UI cannot show or type."""
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def check_role_name(name, where="name"):
    if not isinstance(name, str) or not name.strip():
        raise ValueError("%s: a security role name is required" % where)
    if len(name) > MAX_ROLE_NAME:
        raise ValueError("%s: %r is %d characters; ConnectWise allows at most %d, choose a shorter role name"
                         % (where, name, len(name), MAX_ROLE_NAME))
    if has_control(name):
        raise ValueError("%s: %r holds a line break or other control character; give the role name on one line"
                         % (where, name))
    if name != name.strip():
        raise ValueError("%s: %r begins or ends with a space; ConnectWise may match it to the role without them, so give "
                         "the name without surrounding spaces" % (where, name))
    return name


def find_role(client, name):
    """The role named ``name`` (ConnectWise compares names case-insensitively), or None.

    A whole-tenant run reads every role once (load_roles); a single module asks for the one role."""
    if "roles" in client.cache:
        matches = [r for r in client.cache["roles"] if (r.get("name") or "").lower() == name.lower()]
        return matches[0] if matches else None
    role = client.get_one(ROLES, conditions.eq("name", name))
    # Only the role of exactly that name: a server whose comparison is looser (trailing spaces) or an answer that is
    # not what was asked must never make another role, perhaps the admin role, "the integration's own".
    return role if role is not None and (role.get("name") or "").lower() == name.lower() else None


def load_roles(client):
    return client.cached("roles", lambda: client.get_all(ROLES))


def maybe_applied(exc):
    """Whether a failed write may have been made all the same: no answer came (a timeout, a closed connection), or a
    5xx, which a server or a proxy can send after the write was applied."""
    return exc.status is None or exc.status >= 500


def object_exists(exc):
    return exc.status == 400 and any(e.get("code") == "ObjectExists" for e in exc.errors)


def create_checked(client, post, read_back):
    """``post()`` a create, never blindly again: after a failure that may have been applied, ``read_back()`` and post
    again only if that finds nothing, at most ``client.retries`` times (with the client's backoff, counted as its
    retries). Returns (record, None), or (what the read back found, the failure) when a lost create was made."""
    attempt = 0
    while True:
        try:
            return post(), None
        except ConnectWiseError as exc:
            if not maybe_applied(exc):
                raise
            found = read_back()
            if found is not None:
                return found, exc
            if attempt >= client.retries:
                raise
            retry_pause(client, attempt, exc)
            attempt += 1


def retry_pause(client, attempt, failure):
    """The client's backoff before a create is sent again, counted as one of its retries; raises ``failure`` when the
    run's deadline leaves no time for it."""
    client._wait(client._backoff(attempt), failure)  # pylint: disable=protected-access


def lost_create(exc):
    return "the create was answered HTTP %s" % exc.status if exc.status else "the create got no answer"


def create_role(client, name, outcome):
    """POST the role; if another run created it since our read (ObjectExists), use that one instead of failing; if the
    POST failed in a way that may have created it, read it back before posting again (create_checked)."""
    def read_back():
        client.forget("roles")
        return find_role(client, name)
    try:
        role, lost = create_checked(client, lambda: client.post(ROLES, {"name": name}), read_back)
    except ConnectWiseError as exc:
        if not object_exists(exc):
            raise
        role = read_back()
        if role is None:
            raise
        outcome.warnings.append("role %s was created by someone else meanwhile; it is used as is" % name)
        return role
    outcome.wrote()
    if lost:
        outcome.warnings.append("role %s: %s, yet it exists on reading back; it is used" % (name, lost_create(lost)))
    elif "roles" in client.cache:
        client.cache["roles"].append(role)
    return role


def is_placeholder(role):
    return bool(role) and role.get("id") == PLACEHOLDER_ID


def members_using(client, role_id):
    """Identifiers of every member (full or API, active or not) assigned to the role."""
    members = client.get_all(MEMBERS, conditions.eq("securityRole/id", role_id))
    return [m.get("identifier") for m in members]


# ConnectWise flags admin roles (adminFlag) but neither flags nor publishes the other roles a new tenant ships with, so
# the stock names are assumed: Admin (vendors' guides name "the Admin security role"), and Technician and Finance, roles
# tenants commonly carry. Taking one over needs adopt_role, so a name listed wrongly costs one explicit option, never a
# rewritten role; a stock role missing here is still caught when anyone holds it.
STOCK_ROLES = ("Admin", "Technician", "Finance")


def takeover_problem(role, others, adopt):
    """(problem, warning) of making the existing ``role`` an integration's own, ``others`` being the members other than
    the integration's that hold it: its levels and Table Setup list would change for all of them. An admin role is never
    taken; a stock role, or one that others hold, only with adopt."""
    held = "%s %s it" % (", ".join(others), "holds" if len(others) == 1 else "hold") if others else ""
    if role.get("adminFlag"):
        return ("role %r is an admin role (adminFlag%s); this collection never changes an admin role nor puts an integration "
                "on it, not even with adopt_role: give role_name a role of the integration's own"
                % (role["name"], "; " + held if held else "")), None
    reasons = [held] if held else []
    if role["name"].lower() in [name.lower() for name in STOCK_ROLES]:
        reasons.append("it is one of ConnectWise's stock roles")
    if not reasons:
        return None, None
    if not adopt:
        return ("role %r is not the integration's own (%s): onboarding would rewrite its levels and Table Setup list for "
                "everyone holding it; give role_name another role, or set adopt_role: true (cw_adopt_role) to take it over"
                % (role["name"], ", and ".join(reasons))), None
    return None, ("role %s adopted (adopt_role) although %s: its levels and Table Setup list are set for everyone holding it"
                  % (role["name"], ", and ".join(reasons)))


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
        # adminFlag travels with the role, so that every later step can refuse an admin role.
        outcome.values["role"] = {"id": role["id"], "name": role["name"], "adminFlag": bool(role.get("adminFlag"))}
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
