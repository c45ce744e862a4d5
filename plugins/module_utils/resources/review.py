# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a privilege review reads of a tenant, GET only: every role, each role's settings (one request each, pageSize
1000), every API member and every member holding a role. 3 + (number of roles) requests, plus the codebase discovery
when no doctor record gives it."""

from __future__ import annotations

from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import load_members, load_people
from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import read_settings
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import Role, load_roles


def read_roles_and_members(client, every_role=True):
    """{"roles", "settings" (role id -> rows), "api_members"}: what a snapshot holds. What this run read already (an
    audit's vendor roles) is not read again. Without ``every_role``, only the settings this run read already (an
    audit's snapshot: no request for the roles it did not audit)."""
    roles = load_roles(client)
    settings = {role["id"]: read_settings(client, Role.of(role)) for role in roles
                if every_role or ("settings", role["id"]) in client.cache}
    return {"roles": roles, "settings": settings, "api_members": load_members(client)}


def read_tenant_security(client):
    """read_roles_and_members() and "members": every member, to know who else holds each role."""
    return dict(read_roles_and_members(client), members=load_people(client))
