# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table Setup "Customize" access. No endpoint reads or writes a role's list: the steps are planned for a person,
and verified by calling /system/mySecurity/customizeItems as the integration's own API member."""

from __future__ import annotations

from ansible_collections.msp.connectwise.plugins.module_utils.names import TableIndex, UnknownName
from ansible_collections.msp.connectwise.plugins.module_utils.plan import Outcome

SETUP_SCREENS = "/system/setupScreens"
CUSTOMIZE_ITEMS = "/system/mySecurity/customizeItems"
TABLE_SETUP = "SystemTableSetup"
UI_PATH = "System > Security Roles > %s > System > Table Setup > Customize"


def resolve_tables(screens, tables):
    index, wanted, problems = TableIndex(screens), {}, []
    for position, entry in enumerate(tables or []):
        try:
            row = index.resolve(entry)
        except (UnknownName, ValueError) as exc:
            problems.append("tables[%d]: %s" % (position, exc))
            continue
        wanted[row["id"]] = "%s / %s" % (row["category"], row["name"])
    if problems:
        raise ValueError("; ".join(problems))
    return wanted


def member_items(client, pair):
    """The member's own customize items (read once per run and pair; this call also proves the pair works)."""
    return client.cached(("customize", pair[0]), lambda: client.as_member(*pair).get_all(CUSTOMIZE_ITEMS))


def allowed_for_member(client, pair):
    """Setup screen ids the member's role may open, as that member sees them."""
    items = member_items(client, pair)
    allowed = set()
    for item in items:
        if item.get("customizeIdentifier") == TABLE_SETUP:
            try:
                allowed.add(int(item.get("itemIdentifier")))
            except (TypeError, ValueError):
                continue
    return allowed


def converge_tables(client, role_name, tables, purge=False, member_keys=None):
    """Compare the role's Table Setup list with ``tables``; everything to change is a manual step."""
    if purge and not tables:
        raise ValueError("tables: empty with purge: true would disallow every table; list the tables the role needs")
    outcome = Outcome("Table Setup access of security role %s" % role_name)
    screens = client.cached(("list", SETUP_SCREENS), lambda: client.get_all(SETUP_SCREENS))
    wanted = resolve_tables(screens, tables)
    names = {s["id"]: "%s / %s" % (s["category"], s["name"]) for s in screens}
    outcome.after = {"allowed": sorted(wanted.values())}
    if not member_keys:
        outcome.values["status"] = "unverified"
        outcome.before = {"allowed": "unknown: no endpoint reads a role's list; give the member's keys to verify"}
        outcome.warnings.append("Table Setup access of %s is unverified: give member_public_key and member_private_key "
                                "(the integration member's pair) to check it as that member" % role_name)
        for screen_id, label in sorted(wanted.items(), key=lambda item: item[1]):
            step = "%s: move '%s' to 'Allow access to these'" % (UI_PATH % role_name, label)
            outcome.need(step, {"kind": "table", "role": role_name, "table": label, "action": "allow", "verified": False})
        return outcome
    allowed = allowed_for_member(client, member_keys)
    outcome.before = {"allowed": sorted(names.get(i, "#%s" % i) for i in allowed)}
    if purge:
        outcome.after = {"allowed": sorted(wanted.values())}
    else:
        outcome.after = {"allowed": sorted(set(outcome.before["allowed"]) | set(wanted.values()))}
    missing = sorted((wanted[i] for i in set(wanted) - allowed))
    extra = sorted(names.get(i, "#%s" % i) for i in allowed - set(wanted)) if purge else []
    for label in missing:
        outcome.need("%s: move '%s' to 'Allow access to these'" % (UI_PATH % role_name, label),
                     {"kind": "table", "role": role_name, "table": label, "action": "allow", "verified": True})
    for label in extra:
        outcome.need("%s: move '%s' to 'Disallow access to these'" % (UI_PATH % role_name, label),
                     {"kind": "table", "role": role_name, "table": label, "action": "disallow", "verified": True})
    outcome.values["status"] = "drift" if outcome.pending else "verified"
    return outcome
