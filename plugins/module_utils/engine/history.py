# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Snapshots of a tenant's security over time: what every role grants, its Table Setup list where the run verified it
as a member holding the role, and which API member holds which role. ConnectWise's audit trail records no change to
security roles or API members, so these files are the evidence of what changed and when. Kept as
<history_dir>/<host>/<UTC timestamp>.json (0600, written atomically), pruned after retention_days."""

from __future__ import annotations

import datetime
import json
import os
import re

from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import row_levels
from ansible_collections.msp.connectwise.plugins.module_utils.resources.review import read_roles_and_members
from ansible_collections.msp.connectwise.plugins.module_utils.resources.tables import verified_lists
from ansible_collections.msp.connectwise.plugins.module_utils.storage.files import write_atomic

STAMP = "%Y%m%dT%H%M%SZ"
_NAME = re.compile(r"(\d{8}T\d{6}Z)\.json")
DEFAULT_RETENTION_DAYS = 400
# A role's Table Setup list can be read only by a member holding the role, with its own key: no administrator's read
# gives it. A snapshot says so rather than list nothing, which would read as "no table allowed".
NOT_VERIFIED = ("not verified: this run read no Table Setup list as an API member holding this role (only that member's "
                "own key can read it)")


def table_setup(verified):
    """A role's Table Setup entry: the list as a member read it, or explicitly not verified (the newest list verified
    before is added by carry_verified())."""
    if not verified:
        return {"verified": False, "how": NOT_VERIFIED, "last_verified": None}
    return {"verified": True, "how": "verified as member %s" % verified["member"], "member": verified["member"],
            "at": verified["at"], "items": sorted(verified["items"])}


def snapshot(tenant, taken_at, roles, settings, api_members, tables=None):
    """The tenant's state as a snapshot: roles by name (adminFlag, levels by module and function, Table Setup list),
    API members by identifier (role, inactive). ``taken_at`` is an aware UTC datetime; ``tables``: role name -> {"member",
    "at", "items"} for each role whose list the run read as a member holding it (tables.verified_lists)."""
    shot = {"tenant": tenant, "taken_at": taken_at.strftime("%Y-%m-%dT%H:%M:%SZ"), "roles": {}, "api_members": {}}
    verified = {name.lower(): found for name, found in (tables or {}).items()}
    for role in roles:
        levels = None
        if role["id"] in settings:
            levels = {}
            for row in settings[role["id"]] or []:
                levels.setdefault(row["moduleName"], {})[row["moduleFunctionName"]] = row_levels(row)
        shot["roles"][role["name"]] = {"id": role["id"], "adminFlag": bool(role.get("adminFlag")), "levels": levels,
                                       "table_setup": table_setup(verified.get(role["name"].lower()))}
        if levels is None:
            # An audit reads the settings of the roles it audits only: the others' levels are not known from this run.
            shot["roles"][role["name"]]["levels_read"] = False
    for member in api_members:
        role = member.get("securityRole") or {}
        shot["api_members"][member.get("identifier") or "#%s" % member.get("id")] = {
            "id": member.get("id"), "role": role.get("name") if isinstance(role, dict) else None,
            "inactive": bool(member.get("inactiveFlag"))}
    return shot


def last_verified(entry):
    """The newest verified Table Setup list a snapshot's role entry knows ({"member", "at", "items"}): its own, else the
    one it carries; None when none (or a snapshot from before Table Setup was recorded)."""
    entry = entry or {}
    if entry.get("verified"):
        return {"member": entry.get("member"), "at": entry.get("at"), "items": list(entry.get("items") or [])}
    return entry.get("last_verified")


def known_levels(entry):
    """The newest levels a snapshot's role entry knows: its own, else those it carries from an earlier snapshot (None:
    none known)."""
    entry = entry or {}
    return entry["levels"] if entry.get("levels") is not None else entry.get("last_levels")


def carry_levels(previous, shot):
    """``shot`` (changed in place) with, for each role whose levels this run did not read, the newest levels known
    before as its last_levels: the next snapshot that reads them (a review) is compared with those."""
    old_roles = (previous or {}).get("roles") or {}
    for name, role in (shot.get("roles") or {}).items():
        if role.get("levels") is None:
            role["last_levels"] = known_levels(old_roles.get(name))
    return shot


def carry_verified(previous, shot):
    """``shot`` (changed in place) with, for each role it does not verify, the newest list verified before (from
    ``previous``) as its last_verified, so that the next verified snapshot is compared with it however many unverified
    ones come between (a review between two audits). The entry stays "verified": false."""
    old_roles = (previous or {}).get("roles") or {}
    for name, role in (shot.get("roles") or {}).items():
        entry = role.get("table_setup") or {}
        if not entry.get("verified"):
            role["table_setup"] = dict(entry, last_verified=last_verified((old_roles.get(name) or {}).get("table_setup")))
    return shot


def table_changes(name, old, new):
    """Table Setup changes of role ``name`` between two of its snapshot entries. Items are compared only between two
    verified lists (the newer verified now, the older the newest verified before); otherwise the gain or loss of
    verification is said, never a change of items."""
    basis = last_verified(old)
    new = new or {}
    if not new.get("verified"):
        if (old or {}).get("verified"):
            return [{"kind": "table_setup_unverified", "role": name, "member": basis["member"], "at": basis["at"]}]
        return []
    if basis is None:
        return [{"kind": "table_setup_verified", "role": name, "member": new.get("member"), "at": new.get("at"),
                 "items": list(new.get("items") or [])}]
    was, now = set(basis.get("items") or []), set(new.get("items") or [])
    return [{"kind": kind, "role": name, "table": item, "member": new.get("member"), "at": new.get("at"), "since": basis["at"]}
            for kind, found in (("table_removed", was - now), ("table_added", now - was)) for item in sorted(found, key=str.lower)]


def changes(before, after):
    """What changed from snapshot ``before`` to ``after`` (None before: nothing to compare, no change), as a list of
    {"kind", ...}: level (role, module, function, cell, before, after), role_added, role_removed, admin_flag,
    table_added and table_removed (role, table, member, at, since), table_setup_verified (role, member, at, items),
    table_setup_unverified (role, member, at: the last verification), member_created, member_removed,
    member_deactivated, member_reactivated, member_moved."""
    if not before:
        return []
    found = []
    old_roles, new_roles = before.get("roles") or {}, after.get("roles") or {}
    for name in sorted(set(old_roles) | set(new_roles), key=str.lower):
        old, new = old_roles.get(name), new_roles.get(name)
        if old is None or new is None:
            found.append({"kind": "role_added" if old is None else "role_removed", "role": name})
            continue
        if old.get("adminFlag") != new.get("adminFlag"):
            found.append({"kind": "admin_flag", "role": name, "before": old.get("adminFlag"), "after": new.get("adminFlag")})
        old_levels, new_levels = known_levels(old), new.get("levels")
        if old_levels is None or new_levels is None:
            # Levels not read by one of the two runs (an audit reads only the roles it audits): no change is known.
            old_levels = new_levels = {}
        for module in sorted(set(old_levels) | set(new_levels)):
            functions = set(old_levels.get(module) or {}) | set(new_levels.get(module) or {})
            for function in sorted(functions):
                was = (old_levels.get(module) or {}).get(function) or {}
                now = (new_levels.get(module) or {}).get(function) or {}
                for cell in ("add", "edit", "delete", "inquire"):
                    if was.get(cell) != now.get(cell):
                        found.append({"kind": "level", "role": name, "module": module, "function": function, "cell": cell,
                                      "before": was.get(cell), "after": now.get(cell)})
        found.extend(table_changes(name, old.get("table_setup"), new.get("table_setup")))
    old_members, new_members = before.get("api_members") or {}, after.get("api_members") or {}
    for name in sorted(set(old_members) | set(new_members), key=str.lower):
        old, new = old_members.get(name), new_members.get(name)
        if old is None:
            found.append({"kind": "member_created", "member": name, "role": new.get("role"), "inactive": new.get("inactive")})
            continue
        if new is None:
            found.append({"kind": "member_removed", "member": name, "role": old.get("role")})
            continue
        if old.get("inactive") != new.get("inactive"):
            found.append({"kind": "member_deactivated" if new.get("inactive") else "member_reactivated", "member": name,
                          "role": new.get("role")})
        if (old.get("role") or "").lower() != (new.get("role") or "").lower():
            found.append({"kind": "member_moved", "member": name, "before": old.get("role"), "after": new.get("role")})
    return found


def change_line(change):
    """One line for a person: "TopLeft: Companies / Contacts inquire All -> None"."""
    kind = change["kind"]
    if kind == "level":
        return "role %s: %s / %s %s %s -> %s" % (change["role"], change["module"], change["function"], change["cell"],
                                                 change["before"], change["after"])
    if kind == "admin_flag":
        return "role %s: adminFlag %s -> %s" % (change["role"], change["before"], change["after"])
    if kind in ("role_added", "role_removed"):
        return "role %s %s" % (change["role"], "added" if kind == "role_added" else "removed")
    if kind in ("table_added", "table_removed"):
        return "role %s: Table Setup item %s %s (verified as member %s, against the list verified %s)" % (
            change["role"], change["table"], kind.split("_")[1], change["member"], change["since"])
    if kind == "table_setup_verified":
        return "role %s: Table Setup verified as member %s, %d item(s)%s; not verified before, so no change is known" % (
            change["role"], change["member"], len(change["items"]), (": " + ", ".join(change["items"])) if change["items"] else "")
    if kind == "table_setup_unverified":
        return ("role %s: Table Setup not verified by this run (last verified as member %s at %s); a change since then "
                "would not show" % (change["role"], change["member"], change["at"]))
    if kind == "member_moved":
        return "API member %s moved from role %s to %s" % (change["member"], change["before"], change["after"])
    return "API member %s %s (role %s)" % (change["member"], kind.split("_", 1)[1], change.get("role"))


def stamp_of(path):
    match = _NAME.fullmatch(os.path.basename(path))
    return datetime.datetime.strptime(match.group(1), STAMP).replace(tzinfo=datetime.timezone.utc) if match else None


def snapshots(folder):
    """The snapshot files of one tenant's folder, oldest first (by the UTC timestamp of their names)."""
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder)) if _NAME.fullmatch(name)]


def tenant_folder(history_dir, host):
    if not host or "/" in host or host in (".", ".."):
        raise ValueError("history_dir: the tenant name %r cannot name a folder; give the inventory host name" % host)
    return os.path.join(history_dir, host)


def latest(history_dir, host):
    """(path, snapshot) of the tenant's newest snapshot, or (None, None)."""
    found = snapshots(tenant_folder(history_dir, host))
    if not found:
        return None, None
    with open(found[-1], encoding="utf-8") as stream:
        return found[-1], json.load(stream)


def dump(shot):
    """A snapshot as JSON, one line per role and per API member (sorted; diff-friendly). Written by the C encoder: the
    indented form takes Python's pure-Python one, several times slower over a fleet's thousands of settings rows."""
    def entries(value):
        if not isinstance(value, dict) or not value:
            return json.dumps(value, sort_keys=True)
        lines = ["    %s: %s" % (json.dumps(name), json.dumps(entry, sort_keys=True)) for name, entry in sorted(value.items())]
        return "{\n" + ",\n".join(lines) + "\n  }"

    lines = ["  %s: %s" % (json.dumps(key), entries(shot[key]) if key in ("roles", "api_members") else json.dumps(shot[key], sort_keys=True))
             for key in sorted(shot)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def store(history_dir, host, shot, taken_at):
    """Write the snapshot (0600, atomically; the tenant's folder 0700) and return its path."""
    folder = tenant_folder(history_dir, host)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    path = os.path.join(folder, taken_at.strftime(STAMP) + ".json")
    write_atomic(path, dump(shot), prefix=".cw-history-")
    return path


def prune(history_dir, host, retention_days, now, keep=None):
    """Delete the tenant's snapshots older than ``retention_days`` (by their names' timestamps, not file times, which
    a copy or a checkout resets); the newest and ``keep`` always stay. Returns the deleted paths."""
    found = snapshots(tenant_folder(history_dir, host))
    limit = now - datetime.timedelta(days=retention_days)
    deleted = []
    for path in found[:-1]:
        if path != keep and stamp_of(path) < limit:
            os.unlink(path)
            deleted.append(path)
    return deleted


def record(history_dir, host, shot, taken_at, retention_days=DEFAULT_RETENTION_DAYS):
    """Compare with the newest snapshot, store this one and prune: {"snapshot", "previous", "changes", "pruned"}."""
    previous_path, previous = latest(history_dir, host)
    shot = carry_levels(previous, carry_verified(previous, shot))
    found = changes(previous, shot)
    path = store(history_dir, host, shot, taken_at)
    if previous_path == path:  # two runs within one second: the earlier one is replaced, and compared with
        previous_path = None
    pruned = prune(history_dir, host, retention_days, taken_at, keep=path)
    return {"snapshot": path, "previous": previous_path, "changes": found, "pruned": pruned}


def keep(client, history_dir, host, taken_at, retention_days=DEFAULT_RETENTION_DAYS, every_role=True):
    """Read what a snapshot holds (GET only; what the run read already is not read again; the Table Setup lists this
    run verified as members), record it and return record()'s answer, each change with its tenant and line. Without
    ``every_role`` (an audit), only the levels of the roles the run read: no request for the others, whose levels the
    snapshot marks as not read (levels_read false) and carries from the newest snapshot that read them."""
    state = read_roles_and_members(client, every_role)
    shot = snapshot(host, taken_at, state["roles"], state["settings"], state["api_members"], verified_lists(client))
    recorded = record(history_dir, host, shot, taken_at, retention_days)
    recorded["changes"] = [dict(change, tenant=host, line=change_line(change)) for change in recorded["changes"]]
    return recorded
