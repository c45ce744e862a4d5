# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Table Setup "Customize" access. No endpoint reads or writes a role's list: the steps are planned for a person,
and verified by calling /system/mySecurity/customizeItems as the integration's own API member."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from ansible_collections.msp.connectwise.plugins.module_utils.resources.caller import member_items
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import TableIndex, UnknownName
from ansible_collections.msp.connectwise.plugins.module_utils.resources.outcome import Outcome

SETUP_SCREENS = "/system/setupScreens"
TABLE_SETUP = "SystemTableSetup"
UI_PATH = "System > Security Roles > %s > System > Table Setup > Customize"
# Where the run keeps each role's Table Setup list as read by a member holding the role (its snapshot records them).
VERIFIED = ("table setup", "verified as member")


@dataclass
class TablesOutcome(Outcome):
    """A Table Setup step's outcome: ``status`` verified, drift or unverified; ``as_member``: the list was read as the
    integration's member (the only way to read it), naming its items in ``item_form`` (AllowedTables.form)."""
    status: str | None = None
    as_member: bool = False
    item_form: str | None = None

    def shown(self):
        return dict({"status": self.status}, **({"item_form": self.item_form} if self.as_member else {}))


def resolve_tables(screens, tables, where="tables"):
    index, wanted, problems = TableIndex(screens), {}, []
    for position, entry in enumerate(tables or []):
        try:
            row = index.resolve(entry)
        except (UnknownName, ValueError) as exc:
            problems.append("%s[%d]: %s" % (where, position, exc))
            continue
        wanted[row["id"]] = "%s / %s" % (row["category"], row["name"])
    if problems:
        raise ValueError("; ".join(problems))
    return wanted


def setup_screens(client):
    """The tenant's setup screens (the tables of Table Setup), read once per run."""
    return client.cached(("list", SETUP_SCREENS), lambda: client.get_all(SETUP_SCREENS))


class AllowedTables:
    """The Table Setup items of a customize list, matched to setup screens whatever form the tenant names them in."""

    def __init__(self, items, screens):
        index = TableIndex(screens)
        self.allowed = set()      # screen ids named exactly (by id or "Category / Name", or a name only one screen has)
        self.ambiguous = []       # (item, {screen ids}) for a bare name several screens share
        self.unmatched = []       # items that name no setup screen of this tenant
        self.forms = set()
        for item in items:
            if item.get("customizeIdentifier") != TABLE_SETUP:
                continue
            form, rows = index.match_item(item.get("itemIdentifier"))
            if form is None:
                self.unmatched.append(str(item.get("itemIdentifier")))
                continue
            self.forms.add(form)
            if len(rows) == 1:
                self.allowed.add(rows[0]["id"])
            else:
                self.ambiguous.append((str(item.get("itemIdentifier")), {r["id"] for r in rows}))

    def has(self, screen_id):
        return screen_id in self.allowed or any(screen_id in ids for _item, ids in self.ambiguous)

    @property
    def form(self):
        """How the tenant names Table Setup items: id, label, name, a mix ("id+label"), or None when it lists none."""
        return "+".join(sorted(self.forms)) or None


def allowed_for_member(client, pair, screens):
    """The Table Setup items the member's role may open, as that member sees them."""
    return AllowedTables(member_items(client, pair), screens)


def note_verified(client, role_name, member, items, at=None):
    """Keep for this run that ``member`` (an API member holding the role) read the role's Table Setup list as
    ``items``, at ``at`` (UTC, now by default). Only the identifier is kept, never the member's keys."""
    at = at or datetime.datetime.now(datetime.timezone.utc)
    client.cache.setdefault(VERIFIED, {})[role_name] = {
        "member": member, "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "items": sorted(items)}


def verified_lists(client):
    """Role name -> {"member", "at", "items"}: every Table Setup list this run read as a member holding its role."""
    return dict(client.cache.get(VERIFIED) or {})


def converge_tables(client, role_name, tables, purge=False, member_keys=None, member=None, disallow=()):
    """Compare the role's Table Setup list with ``tables`` (to allow) and ``disallow`` (tables the vendor wants under
    "Disallow access to these", which the member must not see); everything to change is a manual step. ``member``: the
    identifier of the API member whose pair ``member_keys`` is, holding the role (the caller checked both); with it,
    the list read is kept for the run's snapshot (note_verified)."""
    if purge and not tables:
        raise ValueError("tables: empty with purge: true would disallow every table; list the tables the role needs")
    outcome = TablesOutcome("Table Setup access of security role %s" % role_name)
    screens = setup_screens(client)
    wanted = resolve_tables(screens, tables)
    refused = resolve_tables(screens, disallow, "disallow")
    both = sorted(set(wanted) & set(refused))
    if both:
        raise ValueError("disallow: %s also in tables; a table is either allowed or disallowed"
                         % ", ".join(repr(refused[i]) for i in both))
    names = {s["id"]: "%s / %s" % (s["category"], s["name"]) for s in screens}
    outcome.after = {"allowed": sorted(wanted.values())}
    if refused:
        outcome.after["disallowed"] = sorted(refused.values())
    if not member_keys:
        outcome.status = "unverified"
        outcome.before = {"allowed": "unknown: no endpoint reads a role's list; give the member's keys to verify"}
        outcome.warnings.append("Table Setup access of %s is unverified: give member_public_key and member_private_key "
                                "(the integration member's pair) to check it as that member" % role_name)
        for screen_id, label in sorted(wanted.items(), key=lambda item: item[1]):
            step = "%s: move '%s' to 'Allow access to these'" % (UI_PATH % role_name, label)
            outcome.need(step, {"kind": "table", "role": role_name, "table": label, "action": "allow", "verified": False})
        for screen_id, label in sorted(refused.items(), key=lambda item: item[1]):
            step = "%s: move '%s' to 'Disallow access to these'" % (UI_PATH % role_name, label)
            outcome.need(step, {"kind": "table", "role": role_name, "table": label, "action": "disallow", "verified": False})
        return outcome
    found = allowed_for_member(client, member_keys, screens)
    outcome.as_member, outcome.item_form = True, found.form
    seen = [names[i] for i in found.allowed] + [item for item, ids in found.ambiguous] + found.unmatched
    outcome.before = {"allowed": sorted(seen)}
    if member:
        note_verified(client, role_name, member, seen)
    if purge:
        outcome.after = {"allowed": sorted(wanted.values())}
    else:
        outcome.after = {"allowed": sorted(set(outcome.before["allowed"]) - set(refused.values()) | set(wanted.values()))}
    if refused:
        outcome.after["disallowed"] = sorted(refused.values())
    missing = sorted(wanted[i] for i in wanted if not found.has(i))
    # A disallowed table the member can open: proven when its item names that table alone; a bare name several tables
    # share may be another one, so that step stays unverified.
    opened = sorted((refused[i], i in found.allowed) for i in refused if found.has(i))
    extra = []
    if purge:
        extra = sorted([names[i] for i in found.allowed - set(wanted) - set(refused)]
                       + [item for item, ids in found.ambiguous if not ids & (set(wanted) | set(refused))])
    for item, ids in found.ambiguous:
        outcome.warnings.append("Table Setup item %r of role %s may be any of %s (this tenant names tables without their "
                                "category); counted for the tables the profile needs" % (
                                    item, role_name, ", ".join(sorted(names[i] for i in ids))))
    # Items that match no setup screen: the tenant names tables in a form not known here, so a missing table is not
    # proof of drift. The steps stay, unverified, instead of a drift that no click could ever clear.
    verified = not (found.unmatched and missing)
    if found.unmatched:
        outcome.warnings.append("%d Table Setup item(s) of role %s match no setup screen of this tenant (%s); %s. Please "
                                "report it with a capture (ansible-playbook msp.connectwise.doctor -e cw_capture=true)" % (
                                    len(found.unmatched), role_name, ", ".join(repr(u) for u in found.unmatched[:5]),
                                    "the tables below could not be verified" if missing else "they were left alone"))
    for label in missing:
        outcome.need("%s: move '%s' to 'Allow access to these'" % (UI_PATH % role_name, label),
                     {"kind": "table", "role": role_name, "table": label, "action": "allow", "verified": verified})
    for label, proven in opened:
        outcome.need("%s: move '%s' to 'Disallow access to these'" % (UI_PATH % role_name, label),
                     {"kind": "table", "role": role_name, "table": label, "action": "disallow", "verified": proven})
    for label in extra:
        outcome.need("%s: move '%s' to 'Disallow access to these'" % (UI_PATH % role_name, label),
                     {"kind": "table", "role": role_name, "table": label, "action": "disallow", "verified": True})
    if not outcome.pending:
        outcome.status = "verified"
    else:
        outcome.status = "drift" if verified and any(item["verified"] for item in outcome.pending) else "unverified"
    return outcome
