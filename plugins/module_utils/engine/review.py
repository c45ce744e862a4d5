# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The privilege review of one tenant: findings over every security role and every API member, from data already read
(no request here). Each kind of finding is declared once in FINDINGS with its severity and the advice it serves
(docs/security-review.md)."""

from __future__ import annotations

import datetime

from ansible_collections.msp.connectwise.plugins.module_utils.engine.profile import member_identifier
from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import EXPIRY_WARNING, parse_time, read_held, read_unheld, unheld_path
from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import CELLS, LEVELS, row_levels
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import FunctionIndex, UnknownName, fold
from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import accepted_cells, excess_grants, label, order

SEVERITIES = ("critical", "high", "medium", "low")

# kind -> (severity, the advice it serves). One account per integration, least privilege, no admin rights for
# integrations, disable what is unused, know every key.
FINDINGS = {
    "admin_role": ("critical", "no admin rights for integrations"),
    "escalation": ("high", "least privilege: an integration must not be able to raise its own or anyone's rights"),
    "unknown_integration": ("high", "know every integration: an API member no vendor profile explains"),
    "unheld_key": ("high", "know every key: a key that may exist and nobody holds cannot be rotated, only revoked"),
    "key_expired": ("high", "an integration whose key has expired no longer works"),
    "inactive_privileged": ("medium", "disable what is unused: a deactivated member keeps its role and can be reactivated"),
    "shared_role": ("medium", "one account and one role per integration: a shared role changes for every holder at once"),
    "excess": ("medium", "least privilege: grants beyond what the vendor asks for"),
    "key_expiring": ("medium", "a key near expiry stops the integration unless it is replaced"),
    "below_profile": ("low", "the integration silently sees less data than its vendor needs"),
}

# Module functions whose add, edit or delete lets a holder raise rights (its own included), each with why. Inquire
# only reads and is not escalation.
ESCALATION = {
    ("System", "Security Roles"): "edits security roles: can give any role, its own included, any level",
    ("System", "Member Maintenance"): "creates and edits members and API members: can put any member on any role, the "
                                      "admin role included, and make new API members",
    ("System", "Table Setup"): "edits setup tables, among them Integrator Logins (credentials with rights of their own)",
    ("System", "My Company"): "edits company-wide settings, among them the sign-in and security policies",
}
WRITE_CELLS = ("add", "edit", "delete")
RANK = {level: position for position, level in enumerate(LEVELS)}


def finding(tenant, kind, finding_text, evidence, member=None, role=None, vendor=None, severity=None):
    severity = severity or FINDINGS[kind][0]
    return {"tenant": tenant, "severity": severity, "kind": kind, "member": member, "role": role, "vendor": vendor,
            "finding": finding_text, "evidence": evidence, "advice": FINDINGS[kind][1]}


def grants(rows):
    """Every non-None cell of a role, one line per function ("System / Security Roles: edit All")."""
    lines = []
    for row in sorted(rows, key=order):
        cells = ["%s %s" % (cell, level) for cell, level in row_levels(row).items() if level not in (None, "None")]
        if cells:
            lines.append("%s: %s" % (label(row), ", ".join(cells)))
    return lines


def escalation_rows(rows):
    """(line, why) for each escalation function the role may write."""
    wanted = {(fold(module), fold(function)): why for (module, function), why in ESCALATION.items()}
    found = []
    for row in sorted(rows, key=order):
        why = wanted.get((fold(row.get("moduleName") or ""), fold(row.get("moduleFunctionName") or "")))
        levels = row_levels(row)
        cells = ["%s %s" % (cell, levels[cell]) for cell in WRITE_CELLS if levels[cell] not in (None, "None")]
        if why and cells:
            found.append(("%s: %s" % (label(row), ", ".join(cells)), why))
    return found


def member_role(member):
    role = member.get("securityRole") or {}
    return role if isinstance(role, dict) else {}


def person_name(member):
    return member.get("identifier") or "#%s" % member.get("id")


def vendor_members(profiles, integrations):
    """API member identifier (folded) -> profile: the profiles' member identifiers, then the tenant's own integrations
    (which may name another identifier for their vendor)."""
    known = {}
    for profile in profiles:
        identifier = member_identifier(profile)
        if identifier:
            known[fold(identifier)] = profile
    for item in integrations or []:
        profile = item.get("profile") or {}
        identifier = member_identifier(profile, item.get("member"))
        if identifier:
            known[fold(identifier)] = profile
    return known


def profile_rows(profile):
    return list(profile.get("permissions") or []) + list(profile.get("optional_permissions") or []) + \
        list(profile.get("temporary_permissions") or [])


def below_profile(rows, profile):
    """Lines for each cell of the vendor's required rows the role holds at a lower level."""
    index, lines = FunctionIndex(rows), []
    for entry in profile.get("permissions") or []:
        try:
            row = index.resolve(entry["module"], entry["function"])
        except UnknownName:
            continue
        levels = row_levels(row)
        low = ["%s %s (needs %s)" % (cell, levels[cell] or "None", entry[cell]) for cell in CELLS
               if entry.get(cell) in RANK and RANK.get(levels[cell] or "None", 0) < RANK[entry[cell]]]
        if low:
            lines.append("%s: %s" % (label(row), ", ".join(low)))
    return lines


def review_tenant(tenant, roles, settings, api_members, members, profiles, integrations=None, keys=None):
    """Every finding of one tenant. ``roles``: the role records; ``settings``: role id -> its settings rows;
    ``api_members``: the API member records; ``members``: the other members (people) holding roles; ``profiles``: every
    known vendor profile; ``integrations``: the tenant's integration items; ``keys``: key_findings()'s input per
    vendor (see key_findings). Sorted by severity, then member and role."""
    found = []
    by_id = {role["id"]: role for role in roles}
    known = vendor_members(profiles, integrations)
    holders = {}
    for member in api_members:
        holders.setdefault(member_role(member).get("id"), []).append(("api", person_name(member), member))
    for member in members:
        if member.get("licenseClass") != "A":
            holders.setdefault(member_role(member).get("id"), []).append(("person", person_name(member), member))
    for member in sorted(api_members, key=lambda m: fold(person_name(m))):
        name, inactive = person_name(member), bool(member.get("inactiveFlag"))
        role = by_id.get(member_role(member).get("id")) or {"name": member_role(member).get("name"), "id": None}
        rows = settings.get(role.get("id")) or []
        state = "inactive" if inactive else "active"
        escalations = escalation_rows(rows)
        profile = known.get(fold(name))
        vendor = profile.get("vendor") if profile else None
        if role.get("adminFlag"):
            evidence = {"role": role["name"], "adminFlag": True, "member": {"identifier": name, "inactiveFlag": inactive}}
            if inactive:
                found.append(finding(tenant, "inactive_privileged", "inactive API member %s still holds the admin role %s"
                                     % (name, role["name"]), evidence, name, role["name"], vendor))
            else:
                found.append(finding(tenant, "admin_role", "API member %s is on the admin role %s (adminFlag)"
                                     % (name, role["name"]), evidence, name, role["name"], vendor))
        elif escalations:
            evidence = {"rows": [line for line, _why in escalations], "why": [why for _line, why in escalations],
                        "member": {"identifier": name, "inactiveFlag": inactive}}
            functions = ", ".join(line.split(":")[0] for line, _why in escalations)
            if inactive:
                found.append(finding(tenant, "inactive_privileged", "inactive API member %s still holds role %s, which can "
                                     "escalate (%s)" % (name, role["name"], functions), evidence, name, role["name"], vendor))
            else:
                found.append(finding(tenant, "escalation", "API member %s is on role %s, which can escalate (%s)"
                                     % (name, role["name"], functions), evidence, name, role["name"], vendor))
        if profile is None:
            found.append(finding(tenant, "unknown_integration", "%s API member %s matches no vendor profile (role %s)"
                                 % (state, name, role.get("name")),
                                 {"role": role.get("name"), "grants": grants(rows),
                                  "member": {"identifier": name, "inactiveFlag": inactive}},
                                 name, role.get("name"), severity=None if not inactive else "low"))
        elif rows and not role.get("adminFlag"):
            extra = [("%s: %s" % (label(row), ", ".join("%s %s" % c for c in cells.items())))
                     for row, cells in excess_grants(rows, accepted_cells(rows, profile_rows(profile)))]
            if extra:
                found.append(finding(tenant, "excess", "%s's member %s: role %s grants %d function(s) beyond the vendor's "
                                     "profile" % (profile.get("title") or vendor, name, role["name"], len(extra)),
                                     {"rows": extra}, name, role["name"], vendor))
            low = below_profile(rows, profile)
            if low and not inactive:
                found.append(finding(tenant, "below_profile", "%s's member %s: role %s is below the vendor's levels in %d "
                                     "function(s)" % (profile.get("title") or vendor, name, role["name"], len(low)),
                                     {"rows": low}, name, role["name"], vendor))
    for role in sorted(roles, key=lambda r: fold(r["name"])):
        held = holders.get(role["id"]) or []
        api = sorted(name for kind, name, _m in held if kind == "api")
        people = sorted(name for kind, name, _m in held if kind == "person")
        if len(api) > 1 or (api and people):
            found.append(finding(tenant, "shared_role", "role %s is shared by %s" % (
                role["name"], " and ".join(filter(None, ("%d API members" % len(api) if len(api) > 1 else "API member " + api[0],
                                                         ("1 person" if len(people) == 1 else "%d people" % len(people)) if people else "")))),
                {"api_members": api, "people": people}, None, role["name"]))
    found.extend(key_findings(tenant, keys or []))
    found.sort(key=lambda f: (SEVERITIES.index(f["severity"]), f["kind"], fold(f["member"] or ""), fold(f["role"] or "")))
    return found


def key_findings(tenant, keys, now=None):
    """Findings of the keys the collection keeps: ``keys`` as [{"vendor", "member", "dest", "expiration" (of the held
    pair, or None), "unheld": [record entries]}]; no private key is ever passed here."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    found = []
    for key in keys:
        member, vendor = key.get("member"), key.get("vendor")
        for entry in key.get("unheld") or []:
            found.append(finding(tenant, "unheld_key", "a key of API member %s may exist that nobody holds" % member,
                                 {"record": key.get("record"), "time": entry.get("time"), "why": entry.get("why")},
                                 member, None, vendor))
        expires = parse_time(key["expiration"]) if key.get("expiration") else None
        if expires is None:
            continue
        if expires <= now:
            found.append(finding(tenant, "key_expired", "the key of API member %s expired at %s" % (member, key["expiration"]),
                                 {"dest": key.get("dest"), "expiration": key["expiration"]}, member, None, vendor))
        elif expires - now < EXPIRY_WARNING:
            found.append(finding(tenant, "key_expiring", "the key of API member %s expires at %s" % (member, key["expiration"]),
                                 {"dest": key.get("dest"), "expiration": key["expiration"]}, member, None, vendor))
    return found


def counts(findings):
    """Severity -> number of findings, every severity present."""
    return {severity: sum(1 for f in findings if f["severity"] == severity) for severity in SEVERITIES}


def at_or_above(findings, severity):
    """The findings at ``severity`` or above (``none``: no gate)."""
    if severity in (None, "none"):
        return []
    limit = SEVERITIES.index(severity)
    return [f for f in findings if SEVERITIES.index(f["severity"]) <= limit]


def held_keys(integrations):
    """key_findings()'s input from the key files the tenant's integrations name: the held pair's expiration and the
    record of unheld keys beside it. Only the expiration is taken from a pair, never a key."""
    found = []
    for item in integrations or []:
        profile = item.get("profile") or {}
        key = item.get("key") or {}
        dest = key.get("dest")
        if not dest:
            continue
        member = member_identifier(profile, item.get("member"))
        try:
            held, _loosened = read_held(dest, key.get("vault_password"))
        except ValueError:
            held = None  # an encrypted file without its password, or not ours: its expiry is unknown here
        found.append({"vendor": profile.get("vendor"), "member": member, "dest": dest,
                      "expiration": (held or {}).get("expiration"), "record": unheld_path(dest), "unheld": read_unheld(dest)})
    return found
