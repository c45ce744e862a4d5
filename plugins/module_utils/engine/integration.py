# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One vendor integration on one tenant: role -> permissions -> table access -> API member -> API key, in one process.

Each step is the same converge function the single-resource modules use; this only orders them, shares one client
(one codebase discovery, one keep-alive session) and turns their outcomes into one checklist and one compliance cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field as listed, replace

from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import (
    SOURCES, KeyOutcome, check_writable, converge_key, owner_problem, read_held, remove_held, works)
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import (
    MEMBER_OPTIONS, REFERENCES, ApiMembers, MemberReferences, check_member_input, converge_member, find_member, is_list,
    load_members, login_problem, member_defaults, members_at_stake, role_holders)
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import FunctionIndex, TableIndex, UnknownName
from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import (
    accepted_cells, catalogue_rows, converge_permissions, desired_matrix, excess_grants, excess_line, read_settings)
from ansible_collections.msp.connectwise.plugins.module_utils.resources.outcome import Outcome
from ansible_collections.msp.connectwise.plugins.module_utils.engine.profile import (
    asked_cells, fill_levels, onboarding_problems, without_asked, key_description, member_identifier, problems as profile_problems,
    role_name_specified, specified_fields)
from ansible_collections.msp.connectwise.plugins.module_utils.engine.mapping import holders, how_to_record, propose_role
from ansible_collections.msp.connectwise.plugins.module_utils.engine.review import escalation_rows
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import (
    Role, SecurityRoles, check_role_name, converge_role, find_role, load_roles, takeover_problem)
from ansible_collections.msp.connectwise.plugins.module_utils.resources.tables import converge_tables, setup_screens

STEP_ORDER = ("role", "permissions", "tables", "member", "key")
# How the UI key step ends when the caller does not say (the playbooks name their key_import command).
HANDBACK = "give them to this task as key.member_public_key and key.member_private_key of this integration"


@dataclass
class Compliance:
    """The audit cell of one integration: compliant, drift (with the count of differing cells), missing role/member,
    unverified tables; after settled(), what a run left, with what it found (``found``). An offboarded integration has
    only its status and cells."""
    status: str
    cells: int = 0
    permission_cells: int = 0
    member_fields: list = listed(default_factory=list)
    table_status: str = "none"
    table_cells: int = 0
    excess_grants: list = listed(default_factory=list)
    levels_assumed: bool = False
    key: str = "not_held"
    key_expiration: str | None = None
    # The evidence the audit report shows: rows of the role compared, the member as found, and whether the Table
    # Setup list was read as the member (the only way to read it) and in which form it names items.
    permission_rows: int = 0
    member_state: str | None = None
    tables_required: int = 0
    table_as_member: bool = False
    table_item_form: str | None = None
    # The profile: complete, or partial (its vendor's table known only in part: only its rows are checked, and
    # profile_missing says what is not known); the cells its page names without a value, not judged.
    profile_status: str = "complete"
    profile_missing: str | None = None
    not_judged: list = listed(default_factory=list)
    tables_disallowed: int = 0
    found: str | None = None
    # What an audit could not verify without the member's key pair (tables, key); the verdict is then
    # compliant_unverified when everything else is compliant.
    unverified: list = listed(default_factory=list)
    # The API member found holding the vendor's role, when the vendor's page only suggests a Member ID ({"identifier",
    # "others", "record"}); the role proposed when no role has the suggested name ({"role", "score", ...}).
    found_member: dict | None = None
    proposal: dict | None = None
    # The Table Setup entries an audit could not confirm without the member's key ({"table", "action"}): said, never
    # steps to do.
    tables_not_verified: list = listed(default_factory=list)

    def as_dict(self):
        if self.status == "offboarded":
            return {"status": self.status, "cells": self.cells}
        data = {"status": self.status, "permission_cells": self.permission_cells, "member_fields": self.member_fields,
                "table_status": self.table_status, "table_cells": self.table_cells, "excess_grants": self.excess_grants,
                "cells": self.cells, "levels_assumed": self.levels_assumed, "key": self.key,
                "key_expiration": self.key_expiration, "permission_rows": self.permission_rows,
                "member_state": self.member_state, "tables_required": self.tables_required,
                "table_as_member": self.table_as_member, "table_item_form": self.table_item_form,
                "profile_status": self.profile_status, "profile_missing": self.profile_missing,
                "not_judged": self.not_judged, "tables_disallowed": self.tables_disallowed, "unverified": self.unverified,
                "found_member": self.found_member, "proposal": self.proposal,
                "tables_not_verified": self.tables_not_verified}
        if self.found is not None:
            data["found"] = self.found
        return data


@dataclass
class IntegrationResult:
    """One vendor's run: each step's Outcome (by name, for the tenant's diff), its checklist and its compliance.
    as_dict() is the item of cw_integration's ``integrations``."""
    vendor: str
    title: str
    steps: dict
    compliance: Compliance
    role: Role | None = None
    member: dict | None = None
    changed: bool = False
    manual_steps: list = listed(default_factory=list)
    pending: list = listed(default_factory=list)
    warnings: list = listed(default_factory=list)
    differences: list = listed(default_factory=list)
    optional: dict = listed(default_factory=dict)
    outside: list = listed(default_factory=list)
    unheld_keys: list = listed(default_factory=list)
    offboarded: bool = False
    removed_key_file: str | None = None

    @property
    def settings_writable(self):
        """What the permissions step learnt of the tenant's API writes to role settings (None: nothing)."""
        step = self.steps.get("permissions")
        return step.settings_writable if step is not None else None

    def as_dict(self):
        role = self.role.shown() if self.role else None
        if self.offboarded:
            return {"vendor": self.vendor, "title": self.title, "role": role, "member": self.member, "changed": self.changed,
                    "manual_steps": self.manual_steps, "pending": self.pending, "warnings": self.warnings,
                    "compliance": self.compliance.as_dict(), "removed_key_file": self.removed_key_file}
        return {"vendor": self.vendor, "title": self.title, "role": role, "member": self.member,
                "optional": self.optional, "outside": self.outside, "changed": self.changed,
                "manual_steps": self.manual_steps, "pending": self.pending, "warnings": self.warnings,
                "differences": self.differences, "compliance": self.compliance.as_dict(),
                # Keys that may have been issued and never received, until the operator clears their record (keys.py).
                "unheld_keys": self.unheld_keys}


def check_profile(profile, where):
    """The profile against its schema (profile.py), before any request: a misspelt key would otherwise be dropped."""
    found = profile_problems(profile, where)
    if found:
        raise ValueError("; ".join(found))


def prevalidate(client, items, check_mode, state="present"):
    """Every input problem of every integration, found with reads only, before the first write of the run."""
    wants, problems = [], []
    for position, item in enumerate(items):
        where = "integrations[%d]" % position
        try:
            check_profile(item.get("profile"), where + ".profile")
            want = desired(item, check_mode)
            check_role_name(want["role"], where + ".role_name")
            desired_matrix(want["permissions"])
            check_member_input(want["member"])
            if state == "present" and not check_mode:  # an audit judges what it can; onboarding converges all or nothing
                refused = onboarding_problems(item["profile"], want["not_judged"], want["allow_partial"])
                if refused:
                    raise ValueError("; ".join(refused))
            wants.append(want)
        except ValueError as exc:
            problems.append("%s (%s): %s" % (where, (item.get("profile") or {}).get("vendor", "?"), exc))
    if problems:
        raise ValueError("; ".join(problems))
    # One read of every role and every API member serves all the vendors of this tenant.
    roles = load_roles(client)
    load_members(client)
    for want in wants:
        try:
            find_as_built(client, want, roles, check_mode, wants)
        except ValueError as exc:
            problems.append("integrations[%d] (%s): %s" % (wants.index(want), want["vendor"], exc))
    if problems:
        raise ValueError("; ".join(problems))
    # Names the member refers to and the key options, checked with the reads the steps make anyway (cached), so that
    # an unknown location or a bad key pair fails before the role is created rather than after.
    refs = MemberReferences(client, check_mode)
    for position, want in enumerate(wants):
        try:
            if state == "present":
                check_references(refs, want["member"], create=not check_mode)
            check_key(client, want["key"], want["member"]["identifier"], will_write=state == "present" and not check_mode)
        except ValueError as exc:
            problems.append("integrations[%d] (%s): %s" % (position, want["vendor"], exc))
    if state == "present":
        problems.extend(check_takeover(client, wants))
    if problems:
        raise ValueError("; ".join(problems))
    # A profile row the tenant lacks (an older release, a smaller edition) is skipped with a warning, not fatal.
    if any(w["permissions"] for w in wants):
        existing = [find_role(client, w["role"]) for w in wants]
        catalogue = next((r for r in existing if r), roles[0] if roles else None)
        functions = FunctionIndex(catalogue_rows(client, Role.of(catalogue) if catalogue else Role.to_create("(catalogue)")))
        for want in wants:
            want["permissions"] = known_only(want, want["permissions"], lambda r: functions.resolve(r["module"], r["function"]))
            want["accepted"] = [r for r in want["accepted"] if resolves(lambda: functions.resolve(r["module"], r["function"]))]
    if any(w["tables"] or w["disallow"] for w in wants):
        tables = TableIndex(setup_screens(client))
        for want in wants:
            want["tables"] = known_only(want, want["tables"], tables.resolve)
            want["disallow"] = known_only(want, want["disallow"], tables.resolve)
    return wants


def find_as_built(client, want, roles, check_mode, wants=()):
    """The integration as an administrator built it, where the vendor's page only suggests names (engine/mapping.py):
    the API member that holds the vendor's role becomes the integration's member when the page names no fixed Member
    ID and none was given; with several, the first by identifier, the others named. An audit with no role of the
    suggested name proposes the role whose levels match the vendor's table best. Onboarding stops before any write when
    a role an API member holds matches every cell of it (ValueError): the integration is there already, built by hand,
    and a second role and member beside it would be an integration nobody uses. Reads only."""
    role = find_role(client, want["role"])
    if role is None:
        if want["find_role"] and want["permissions"]:
            # An audit weighs every role. Onboarding weighs only the roles an API member holds (an integration built by
            # hand has its member on its role; no read at all on a tenant with none), other than those of the run's
            # other vendors, and stops only at a full match.
            members = load_members(client)
            others = {w["role"].lower() for w in wants if w is not want}
            candidates = [r for r in roles if r.get("name")
                          and (check_mode or (holders(members, r["id"]) and r["name"].lower() not in others))]
            want["proposal"] = propose_role(candidates, lambda r: read_settings(client, Role.of(r)), want["permissions"],
                                            want["vendor"])
            if want["proposal"] and not check_mode:
                proposal, want["proposal"] = want["proposal"], None
                if proposal["matching"] < proposal["required"]:
                    return
                raise ValueError(
                    "no role %s, but role %s, held by API member %s, matches %s of the vendor's cells: the %s integration "
                    "looks built by hand already, and nothing was written. To converge it, record that role (nothing in "
                    "the tenant is renamed): cw_vendor_overrides.%s.role_name: %s, or %s. To create role %s beside it "
                    "instead, name it: cw_vendor_overrides.%s.role_name: %s"
                    % (want["role"], proposal["role"], ", ".join(holders(members, role_id(roles, proposal["role"]))),
                       proposal["score"], want["title"], want["vendor"], proposal["role"], proposal["record"]["doctor"],
                       want["role"], want["vendor"], want["role"]))
            if want["proposal"]:
                proposal = want["proposal"]
                want["warnings"].append(
                    "no role %s: role %s matches %s of the vendor's cells; if it is the %s role, record it with "
                    "cw_vendor_overrides.%s.role_name, or: %s (nothing in the tenant is renamed)"
                    % (want["role"], proposal["role"], proposal["score"], want["title"], want["vendor"],
                       proposal["record"]["doctor"]))
        return
    if not want["find_member"]:
        return
    identifier = want["member"]["identifier"]
    found = holders(load_members(client), role["id"])
    if not found:
        return
    ours = next((h for h in found if h.lower() == identifier.lower()), None)
    chosen = ours or found[0]
    others = [h for h in found if h != chosen]
    # API members on the vendor's role, found as such: the role is the vendor's, not someone else's to take over.
    want["holders_found"] = others
    if ours is None:
        want["member"]["identifier"] = chosen
        want["found_member"] = {"identifier": chosen, "others": others,
                                "record": how_to_record(want["vendor"], member_identifier=chosen)}
        want["warnings"].append("API member %s holds role %s: taken as the %s member (the vendor's page only suggests "
                                "the Member ID %s)" % (chosen, role["name"], want["title"], identifier))
    if others:
        want["warnings"].append("role %s is also held by API member(s) %s: %s is judged as the %s member; to judge "
                                "another, give its identifier (cw_vendor_overrides.%s.member.identifier)"
                                % (role["name"], ", ".join(others), chosen, want["title"], want["vendor"]))


def role_id(roles, name):
    return next(r["id"] for r in roles if r.get("name") == name)


def check_takeover(client, wants):
    """A role or a login that is not the integration's own, refused before any write (an audit reports it the same):
    see takeover_problem and login_problem. One read of the members concerned, made only when a role exists already or
    an API member is still to be created."""
    roles = [find_role(client, w["role"]) for w in wants]
    new = [w["member"]["identifier"] for w in wants if find_member(client, w["member"]["identifier"]) is None]
    records = members_at_stake(client, [r["id"] for r in roles if r], new)
    problems = []
    for position, (want, role) in enumerate(zip(wants, roles)):
        identifier = want["member"]["identifier"]
        found = [login_problem(identifier, records)] if identifier in new else []
        if role:
            known = {h.lower() for h in want.get("holders_found") or []}
            others = [h for h in role_holders(client, role["id"], records, identifier) if h.lower() not in known]
            problem, warning = takeover_problem(role, others, want["adopt_role"])
            found.append(problem)
            want["warnings"].extend([warning] if warning else [])
        problems.extend("integrations[%d] (%s): %s" % (position, want["vendor"], p) for p in found if p)
    return problems


def check_references(refs, member, create):
    """Every read the member step will need, made now: an unknown name, or an answer of an unexpected shape, then fails
    before the role is created rather than after."""
    for option in MEMBER_OPTIONS:  # each name a declared reference of resources/members.py takes
        value = member.get(option)
        if option in REFERENCES and value:
            for name in value if is_list(option) else [value]:
                refs.resolve(option, name)
    if not member.get("level"):
        refs.level_one()
    if create and find_member(refs.client, member["identifier"]) is None:
        member_defaults(refs.client)


def check_key(client, key, identifier, will_write):
    source = key.get("source") or "auto"
    if source not in SOURCES:
        raise ValueError("key.source: %r is not one of %s" % (source, ", ".join(SOURCES)))
    pair = (key.get("member_public_key"), key.get("member_private_key"))
    if any(pair) and not all(pair):
        raise ValueError("key.member_public_key and key.member_private_key: give both keys of the pair, or neither")
    if all(pair) and not works(client, pair):
        raise ValueError("key.member_public_key: the given pair does not authenticate on this tenant (HTTP 401); check "
                         "that both keys were copied from the member's API Keys tab and the member is active")
    foreign = owner_problem(client, pair, identifier) if all(pair) else None
    if foreign:
        raise ValueError("key.member_public_key: " + foreign)
    if key.get("dest") and will_write:
        check_writable(key["dest"], identifier)  # before the role is created, not only before a key is issued


def resolves(call):
    try:
        call()
        return True
    except (UnknownName, ValueError):
        return False


def known_only(want, entries, resolve):
    kept = []
    for entry in entries:
        try:
            resolve(entry)
            kept.append(entry)
        except (UnknownName, ValueError) as exc:
            want["skipped"].append(str(exc))
    return kept


def merged_permissions(profile, include_optional, include_temporary):
    rows = [dict(r) for r in profile.get("permissions") or []]
    if include_optional:
        rows += [dict(r) for r in profile.get("optional_permissions") or []]
    if include_temporary:
        rows += [dict(r) for r in profile.get("temporary_permissions") or []]
    return merge_rows(rows)


def merge_rows(rows):
    """A temporary or optional row may add a cell to a row the profile already lists: merge them."""
    merged, order = {}, []
    for row in rows:
        key = (row.get("module"), row.get("function"))
        if key not in merged:
            merged[key] = {"module": row.get("module"), "function": row.get("function")}
            order.append(key)
        merged[key].update({k: v for k, v in row.items() if k not in ("module", "function") and v is not None})
    return [merged[k] for k in order]


def desired(item, check_mode):
    """What this run wants for one integration: the profile with the user's overrides (its ask cells filled in from
    ``levels``; those left are neither set nor judged)."""
    profile = fill_levels(item["profile"], item.get("levels"))
    member = dict(profile.get("member") or {})
    member.update({k: v for k, v in (item.get("member") or {}).items() if v is not None})
    member["identifier"] = member_identifier(profile, item.get("member"))
    given = {k for k, v in (item.get("member") or {}).items() if v is not None}
    # The fields an audit judges: what the vendor's page specifies, and what the operator gives; every other field of
    # the profile is written when the member is created only.
    judged = (set(specified_fields(profile)) | given) - {"identifier"}
    key = dict(item.get("key") or {})
    key["description"] = key_description(profile, key)
    key["kind"] = (profile.get("key") or {}).get("kind") or "permanent"  # what the vendor needs; source: token overrides
    tables = list(profile.get("tables") or [])
    if item.get("include_optional"):
        tables += list(profile.get("optional_tables") or [])
    # Temporary grants (needed during setup only) are applied by onboarding; an audit accepts them either way.
    temporary = bool(item.get("include_temporary")) and not check_mode
    return {
        "vendor": profile["vendor"],
        "title": profile.get("title") or profile["vendor"],
        "role": item.get("role_name") or profile["role"]["name"],
        "permissions": without_asked(merged_permissions(profile, item.get("include_optional"), temporary)),
        "accepted": merged_permissions(profile, True, True),  # an ask cell too: whatever it holds is not an excess grant
        "tables": tables,
        "disallow": list(profile.get("disallowed_tables") or []),
        "member": member,
        "create_only": tuple(option for option in MEMBER_OPTIONS if option not in judged and option != "identifier"),
        "find_member": "identifier" not in specified_fields(profile) and "identifier" not in given,
        "find_role": not role_name_specified(profile) and not item.get("role_name"),
        "found_member": None,
        "holders_found": [],
        "proposal": None,
        "key": key,
        "purge": bool(item.get("purge")),
        "levels_assumed": bool(profile.get("levels_assumed")),
        "status": profile.get("status") or "complete",
        "missing": profile.get("missing"),
        "allow_partial": bool(item.get("allow_partial")),
        "not_judged": asked_cells(profile, optional=bool(item.get("include_optional"))),
        # For the checklist: what the vendor marks optional and this run leaves out, and its steps outside ConnectWise.
        "optional": {} if item.get("include_optional") else {
            "permissions": list(profile.get("optional_permissions") or []), "tables": list(profile.get("optional_tables") or [])},
        "outside": list(profile.get("outside") or []),
        "reassign_role": item.get("reassign_role"),
        "skipped": [],
        "adopt_role": bool(item.get("adopt_role")),
        "warnings": [],
    }


def converge_integration(client, want, state="present", method="auto", settings_writable=None, check_mode=False):
    """Run every step for one (prevalidated) vendor: an IntegrationResult (each step's outcome, the checklist and the
    compliance)."""
    if state == "absent":
        return offboard(client, want, check_mode)
    steps = {}
    role_outcome = converge_role(client, want["role"], "present", check_mode)
    steps["role"] = role_outcome
    role = role_outcome.role
    steps["permissions"] = converge_permissions(
        client, want["role"], want["permissions"], purge=want["purge"], method=method, settings_writable=settings_writable,
        check_mode=check_mode, role=role, accepted=want["accepted"])
    member_params = {option: want["member"].get(option) for option in MEMBER_OPTIONS}
    member_params.update(role=role.name, state="present")
    steps["member"] = converge_member(client, member_params, check_mode, create_only=want["create_only"])
    identifier = want["member"]["identifier"]
    key = want["key"]
    given = (key.get("member_public_key"), key.get("member_private_key")) if key.get("member_public_key") else None
    if given or key.get("dest") or key.get("source") == "ui":
        steps["key"] = converge_key(client, identifier, source=key.get("source") or "auto", dest=key.get("dest"), given=given,
                                    rotate=bool(key.get("rotate")), description=key["description"], check_mode=check_mode,
                                    may_return_secret=False, vault_password=key.get("vault_password"), kind=key["kind"],
                                    handback=key.get("handback") or HANDBACK)
    else:
        # Without dest no key is issued: there is nowhere safe to keep a private key (see key in cw_integration).
        steps["key"] = KeyOutcome("API key of member %s" % identifier)
    pair = held_pair(key, given, steps["key"])
    holder = steps["member"].before.get("role")
    if pair and check_mode and holder and holder.lower() != role.name.lower():
        # The member sees its current role's list; verifying that would report another role's tables as drift.
        steps["member"].warnings.append("Table Setup access not verified: member %s holds role %s, not %s"
                                        % (identifier, holder, role.name))
        pair = None
    if want["tables"] or want["disallow"]:  # purge never empties a list (converge_tables refuses it)
        steps["tables"] = converge_tables(client, role.name, want["tables"], purge=want["purge"] and bool(want["tables"]),
                                          member_keys=pair, member=identifier if pair else None,
                                          disallow=want["disallow"])
    return report(want, steps, check_mode, role)


def held_pair(key, given, key_outcome):
    """The member's working pair, to verify table access as that member (None when none is held yet)."""
    if given:
        return given
    if key.get("dest") and key_outcome.validated:  # also while a UI step replaces a pair that works
        held, _loosened = read_held(key["dest"], key.get("vault_password"))
        if held:
            return held["public_key"], held["private_key"]
    return None


def report(want, steps, check_mode, role):
    checklist, pending, changed = [], [], False
    warnings = want["warnings"] + ["%s profile: skipped, this tenant lacks %s" % (want["vendor"], s) for s in want["skipped"]]
    if want["status"] == "partial":
        warnings.append("%s profile is partial (%s): only its rows are checked" % (want["vendor"], want["missing"]))
    if want["not_judged"]:
        warnings.append("%s profile: %d cell(s) not judged, as the vendor's page names their level without a value (%s); "
                        "set them in cw_vendor_overrides.%s.levels" % (want["vendor"], len(want["not_judged"]),
                                                                       "; ".join(want["not_judged"]), want["vendor"]))
    if check_mode and key_state(steps["key"])[0] == "not_held":
        # The rest of the integration is judged all the same; the report must not let that pass for a working key.
        warnings.append("the API key of member %s was not verified: no key pair is held for it" % want["member"]["identifier"])
    unverified = not_verified(steps, check_mode)
    for name in STEP_ORDER:
        outcome = steps.get(name)
        if outcome is None:
            continue
        warnings.extend(outcome.warnings)
        if name in unverified:  # not verified is said as such (the warning says what verifies it), never a step to do
            continue
        checklist.extend(outcome.manual_steps)
        pending.extend(outcome.pending)
        changed = changed or outcome.reports_change(check_mode)
    return IntegrationResult(
        vendor=want["vendor"], title=want["title"], steps=dict(steps),
        compliance=settled(compliance(want, steps, check_mode), pending, check_mode),
        role=role, member=steps["member"].member, changed=changed, manual_steps=checklist, pending=pending,
        warnings=warnings, differences=differences(steps, unverified), optional=want["optional"], outside=want["outside"],
        unheld_keys=steps["key"].unheld_keys or [])


def not_verified(steps, check_mode):
    """What an audit could not verify without the member's key pair: its Table Setup list (read only as the member)
    and its key, when no pair is held for an existing member. An expired or refused pair is drift, never this; a
    missing member's key is a step to do."""
    if not check_mode or steps["member"].before.get("state") != "present":
        return ()
    found = []
    tables = steps.get("tables")
    if tables is not None and tables.status == "unverified":
        found.append("tables")
    if key_state(steps["key"])[0] == "not_held":
        found.append("key")
    return tuple(found)


def differences(steps, unverified=()):
    """Everything that differs from the profile, whether the API or a person will fix it (the audit's detail)."""
    found = []
    if steps["role"].before.get("state") == "absent":
        found.append({"kind": "role", "role": steps["role"].after.get("name"), "action": "create"})
    found.extend(steps["permissions"].differences)
    tables = steps.get("tables")
    if tables is not None and tables.status == "drift":
        found.extend(tables.pending)
    member = steps["member"]
    for field in sorted(set(member.before) | set(member.after)):
        if member.before.get(field) != member.after.get(field) and field != "identifier":
            found.append({"kind": "member", "member": member.after.get("identifier"), "field": field,
                          "from": member.before.get(field), "to": member.after.get(field)})
    if (steps["key"].pending or not steps["key"].validated) and "key" not in unverified:
        status, expiration = key_state(steps["key"])
        found.append({"kind": "api_key", "member": member.after.get("identifier"), "action": "create", "status": status,
                      "expiration": expiration})
    return found


def settled(found, pending, check_mode):
    """An audit reports what it found; a run that wrote reports what it left, and keeps what it found."""
    if check_mode:
        return replace(found, found=found.status)
    if not pending:
        return replace(found, found=found.status, status="compliant", cells=0)
    if all(p.get("kind") == "table" and not p.get("verified", True) for p in pending):
        return replace(found, found=found.status, status="compliant_unverified", cells=0, unverified=["tables"])
    # Cells, as an audit counts them: a permission step changes several; a table, member or key step is one.
    return replace(found, found=found.status, status="pending_manual_steps",
                   cells=sum(len(p.get("cells") or {}) or 1 for p in pending))


def compliance(want, steps, check_mode):
    """The audit cell: missing_role, missing_member, drift (with the count of differing cells), compliant_unverified
    (compliant in all it could judge; ``unverified`` names what needs the member's key pair: tables, key) or compliant."""
    role_missing = steps["role"].before.get("state") == "absent"
    member_before = steps["member"].before
    member_missing = member_before.get("state") in ("absent", "inactive")
    permission_cells = sum(len(d["cells"]) for d in steps["permissions"].differences)
    member_fields = sorted(k for k in steps["member"].after if member_before.get(k) != steps["member"].after.get(k)
                           and k not in ("state",)) if not member_missing else []
    tables = steps.get("tables")
    table_status = tables.status if tables else "none"
    table_cells = len(tables.pending) if tables and table_status == "drift" else 0
    excess = steps["permissions"].excess
    key_status, key_expiration = key_state(steps["key"])
    key_drift = int(key_status in ("expired", "refused"))  # the integration cannot connect: never compliant
    if role_missing:
        status = "missing_role"
    elif member_missing:
        status = "missing_member"
    elif permission_cells or member_fields or table_cells or key_drift:
        status = "drift"
    elif not_verified(steps, check_mode):
        status = "compliant_unverified"
    else:
        # Grants the vendor did not ask for are listed in excess_grants but leave the verdict compliant: other grants
        # are allowed (purge removes them, and then they are drift).
        status = "compliant"
    return Compliance(
        status=status, permission_cells=permission_cells, member_fields=member_fields, table_status=table_status,
        table_cells=table_cells, excess_grants=excess, cells=permission_cells + len(member_fields) + table_cells + key_drift,
        levels_assumed=want["levels_assumed"], key=key_status, key_expiration=key_expiration,
        permission_rows=len(steps["permissions"].after), member_state=member_before.get("state"),
        tables_required=len(want["tables"]), table_as_member=bool(tables) and tables.as_member,
        table_item_form=tables.item_form if tables else None, profile_status=want["status"],
        profile_missing=want["missing"], not_judged=list(want["not_judged"]), tables_disallowed=len(want["disallow"]),
        unverified=list(not_verified(steps, check_mode)), found_member=want.get("found_member"), proposal=want.get("proposal"),
        tables_not_verified=[{"table": p["table"], "action": p["action"]} for p in (tables.pending if tables else [])
                             if "tables" in not_verified(steps, check_mode)])


def key_state(outcome):
    """The held key's status (keys.key_status: held, expiring, expired, refused, not_held) and its expiration."""
    return outcome.status or "not_held", outcome.expiration


def offboard(client, want, check_mode):
    """Deactivate the member (moved to reassign_role when it holds the vendor's role, so that the role can be deleted),
    delete the role when nobody else uses it, remove the member's key file the collection wrote, and list the keys to
    revoke in the UI."""
    identifier = want["member"]["identifier"]
    roles, members = SecurityRoles(client), ApiMembers(client)
    reassign = roles.find(want["reassign_role"]) if want["reassign_role"] else None
    if want["reassign_role"] and reassign is None:  # before the member is deactivated
        raise ValueError("reassign_role: %r does not exist on this tenant; name an existing role (e.g. one with no rights)"
                         % want["reassign_role"])
    if reassign and reassign.get("adminFlag"):
        # Reactivated in the UI, the vendor's key would then act as an administrator.
        raise ValueError("reassign_role: %r is an admin role (adminFlag); an integration's member is never put on one: name "
                         "a role with no rights" % reassign["name"])
    steps = {"member": converge_member(client, {"identifier": identifier, "state": "absent"}, check_mode)}
    if steps["member"].member is None:
        steps["member"].warnings.append(
            "API member %s does not exist on this tenant: nothing was deactivated. If the integration's member has another "
            "identifier, give it (cw_member_identifier, or member.identifier of the integration) and offboard again"
            % identifier)
    role_outcome = Outcome("security role %s" % want["role"])
    role = roles.find(want["role"])
    role_outcome.before = {"name": role["name"], "state": "present"} if role else {"state": "absent"}
    role_outcome.after = dict(role_outcome.before)
    if role:
        users = [u for u in roles.holders_of(role) if u.lower() != identifier.lower()]
        if users:
            role_outcome.warnings.append("role %s kept: still assigned to %s" % (role["name"], ", ".join(sorted(users, key=str.lower))))
        else:
            member = members.find(identifier)
            if member and member.get("securityRole", {}).get("id") == role["id"]:
                if not want["reassign_role"]:
                    role_outcome.warnings.append(
                        "role %s kept: ConnectWise refuses to delete a role that any member holds, and the deactivated member "
                        "%s still holds it; give reassign_role (e.g. a role with no rights) to move it and delete the role"
                        % (role["name"], identifier))
                    role = None
                else:
                    if not check_mode:
                        members.patch(member, [{"op": "replace", "path": "securityRole", "value": {"id": reassign["id"]}}])
                    role_outcome.wrote()
                    steps["member"].warnings.extend(w for w in [reassign_warning(client, reassign, want, identifier)] if w)
            if role:
                # Nobody else holds it (read above), and the member is moved off it.
                roles.delete(role, check_mode, holders=[])
                role_outcome.after = {"state": "absent"}
                role_outcome.wrote()
    steps["role"] = role_outcome
    key_step = remove_held(client, identifier, want["key"].get("dest"), want["key"].get("vault_password"), check_mode)
    key_step.need("System > Members > API Members > %s > API Keys: delete every key (the API cannot list or revoke them), "
                  "and revoke any key pair the vendor holds" % identifier,
                  {"kind": "api_key", "member": identifier, "action": "revoke"})
    steps["key"] = key_step
    return IntegrationResult(
        vendor=want["vendor"], title=want["title"], steps=steps, compliance=Compliance(status="offboarded", cells=0),
        member=steps["member"].member, changed=any(s.changed for s in steps.values()),
        manual_steps=key_step.manual_steps, pending=key_step.pending,
        warnings=want["warnings"] + [w for name in ("member", "role", "key") for w in steps[name].warnings],
        offboarded=True, removed_key_file=key_step.removed)


def reassign_warning(client, reassign, want, identifier):
    """Why the role a deactivated member is moved to is more than it should be: it can escalate (the functions the
    security review counts as escalation, engine/review.py), or it grants more than the vendor's profile accepts. None
    for a role that does neither (one with no rights, the advice). Reactivated, the member's keys hold these rights."""
    rows = read_settings(client, Role.of(reassign))
    escalations = escalation_rows(rows)
    if escalations:
        return ("reassign_role: role %s can escalate (%s): the deactivated member %s holds it now, and reactivated, the "
                "vendor's key would hold those rights; name a role with no rights"
                % (reassign["name"], "; ".join(line for line, _why in escalations), identifier))
    extra = excess_grants(rows, accepted_cells(rows, want["accepted"]))
    if extra:
        shown = "; ".join(excess_line(row, cells) for row, cells in extra[:3]) + ("; ..." if len(extra) > 3 else "")
        return ("reassign_role: role %s grants %d function(s) beyond what %s's profile needs (%s): the deactivated member "
                "%s holds them now; a role with no rights is the one to name"
                % (reassign["name"], len(extra), want["title"], shown, identifier))
    return None
