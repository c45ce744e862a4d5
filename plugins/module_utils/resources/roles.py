# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security roles: the API can create, read and delete them, never rename or edit them."""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.msp.connectwise.plugins.module_utils.resources.base import ROLE_HOLDERS, Resource, lost_create
from ansible_collections.msp.connectwise.plugins.module_utils.resources.outcome import Outcome

ROLES = "/system/securityroles"
MAX_ROLE_NAME = 30


class SecurityRoles(Resource):
    """Security roles, named by their name (the Role ID); held by the members assigned to them."""
    endpoint = ROLES
    key = "name"
    cache_key = "roles"
    noun = "security role"
    holders = ROLE_HOLDERS
    markers = ("name",)  # exactly as sent: a role "topleft" someone else made is not our "TopLeft"
    held_hint = "assign them another role or deactivate and reassign them first"
    # Only the role of exactly that name: a looser answer must never make another role, perhaps the admin role, "the
    # integration's own".
    exact_answer = True

    def forgotten(self, record):
        super().forgotten(record)
        self.client.forget(("settings", record["id"]))


@dataclass(frozen=True)
class Role:
    """A security role as the steps pass it on: one the tenant has, or one check mode plans to create (``planned``: it
    has no id yet, so nothing is read or written by id for it)."""
    name: str
    id: int | None = None
    admin: bool = False
    planned: bool = False

    @classmethod
    def of(cls, record):
        return cls(name=record["name"], id=record["id"], admin=bool(record.get("adminFlag")))

    @classmethod
    def to_create(cls, name):
        return cls(name=name, planned=True)

    def shown(self, admin=True):
        """The role as results show it; adminFlag travels with it, so that every later step can refuse an admin role. A
        role check mode plans to create has no id (null) and says so (planned: true)."""
        shown = {"id": self.id, "name": self.name}
        if self.planned:
            shown["planned"] = True
        if admin:
            shown["adminFlag"] = self.admin
        return shown


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
    return SecurityRoles(client).find(name)


def load_roles(client):
    return SecurityRoles(client).load()


def create_role(client, name, outcome):
    """POST the role (SecurityRoles.create: one created by someone else meanwhile, or whose answer was lost, is used)."""
    created = SecurityRoles(client).create(name, {"name": name})
    if created.how == "existed":
        outcome.warnings.append("role %s was created by someone else meanwhile; it is used as is" % name)
        return created.record
    outcome.wrote()
    if created.how == "lost":
        outcome.warnings.append("role %s: %s, yet it exists on reading back; it is used" % (name, lost_create(created.failure)))
    return created.record


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


@dataclass
class RoleOutcome(Outcome):
    """A role step's outcome, with the Role the later steps use (None once absent)."""
    role: Role | None = None

    def shown(self):
        return {"role": self.role.shown() if self.role else None}


def converge_role(client, name, state, check_mode):
    check_role_name(name)
    outcome = RoleOutcome("security role %s" % name)
    roles = SecurityRoles(client)
    record = roles.find(name)
    if record and record.get("name") != name:
        outcome.warnings.append("the role exists as %r; ConnectWise cannot rename a role through the API, so it is kept as is"
                                % record.get("name"))
    outcome.before = {"name": record["name"], "state": "present"} if record else {"state": "absent"}
    if state == "present":
        outcome.after = {"name": record["name"] if record else name, "state": "present"}
        if not record and check_mode:
            outcome.role = Role.to_create(name)
            outcome.wrote()
        else:
            outcome.role = Role.of(record or create_role(client, name, outcome))
        return outcome
    outcome.after = {"state": "absent"}
    if record:
        roles.delete(record, check_mode)
        outcome.wrote()
    return outcome
