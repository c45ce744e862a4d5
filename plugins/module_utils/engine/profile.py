# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The schema of a vendor profile (roles/integration/files/profiles/<vendor>.yml, described in docs/vendors.md).

cw_integration and cw_fleet_audit check every profile they are given against it before any request, and the unit tests
check every shipped profile against the same schema: a misspelt key (``tabels``) is an error naming the closest known
key, never a key silently dropped (which would leave a vendor's tables unrequired).

Beyond the levels None, My and All, a cell may be ``ask``: the vendor's page names the level without its value. Such a
profile is converged only once the operator has set each of those cells (``levels``, see fill_levels); an audit checks
every other cell and reports them as not judged. A profile of ``status: partial`` (its vendor's table is known only in
part, ``missing`` says what) is audited for the rows it has and onboarded only with ``allow_partial``. A vendor whose
page publishes another vendor's table names that profile in ``same_as`` and takes its table from it (resolve_shared)."""

from __future__ import annotations

import copy
import difflib
import ipaddress
import re

from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import CELLS, LEVELS
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import MEMBER_OPTIONS
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import function_key, table_key

_VENDOR = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
OUTSIDE_KINDS = ("ip_allowlist", "portal", "connect", "board_restriction", "troubleshooting")
# A cell whose level the vendor's page names without a value ("Add, Edit, Inquire"): set by the operator (fill_levels).
ASK = "ask"
STATUSES = ("complete", "partial")


def _is_address(value):
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


# A kind of value: its test, and what to give instead.
KINDS = {
    "text": (lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string"),
    "text or null": (lambda v: v is None or (isinstance(v, str) and bool(v.strip())), "a non-empty string or null"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "level": (lambda v: v in LEVELS, "a permission level: None, My or All"),
    "level or ask": (lambda v: v in LEVELS or v == ASK,
                     "a permission level: None, My or All (or ask: the vendor's page names the level without its value)"),
    "status": (lambda v: v in STATUSES, "complete or partial (the vendor's table is known only in part)"),
    "vendor": (lambda v: isinstance(v, str) and bool(_VENDOR.fullmatch(v)),
               "a vendor name of lower-case letters, digits and '_' (the file name)"),
    "date": (lambda v: isinstance(v, str) and bool(_DATE.fullmatch(v)), 'a quoted date such as "2026-01-31"'),
    "https url or null": (lambda v: v is None or (isinstance(v, str) and v.startswith("https://")),
                          "an https:// address or null"),
    "table": (lambda v: isinstance(v, str) and "/" in v, "a Table Setup entry written 'Category / Table'"),
    # An address a person will type into a firewall: a whole IPv4/IPv6 address or network, never a fragment of one.
    "address": (lambda v: isinstance(v, str) and _is_address(v),
                "an IP address or network such as 203.0.113.7 or 203.0.113.0/24 (an address a page prints incomplete "
                "belongs in the step's text, to confirm with the vendor)"),
    "outside kind": (lambda v: v in OUTSIDE_KINDS, "one of " + ", ".join(OUTSIDE_KINDS)),
    "member field": (lambda v: v in MEMBER_OPTIONS, "a member field: " + ", ".join(MEMBER_OPTIONS)),
    "key kind": (lambda v: v in ("permanent", "token"),
                 "permanent (a key made on the member's API Keys tab) or token (issued through the API; it expires)"),
}

# A mapping is a dict of key -> schema, a list is [schema of each item], anything else a kind.
ROW = dict({"module": "text", "function": "text"}, **{cell: "level or ask" for cell in CELLS})
# Cells granted during setup only: always a level the vendor gives.
TEMPORARY_ROW = dict({"module": "text", "function": "text"}, **{cell: "level" for cell in CELLS})
# A step of the vendor's procedure outside ConnectWise (or one the vendor leaves to the MSP): the checklist's last
# section and the audit report show them; nothing checks them. text and steps are the vendor's own words; url and
# addresses exactly as its page gives them (ip_allowlist: none when the page lists none).
OUTSIDE_STEP = {"kind": "outside kind", "text": "text", "url": "https url or null", "addresses": ["address"], "steps": ["text"]}
SCHEMA = {
    "vendor": "vendor",
    "title": "text",
    "source": {"document": "text", "url": "https url or null", "version": "text or null", "retrieved": "date"},
    "status": "status",
    "missing": "text or null",
    "same_as": "vendor",
    "levels_assumed": "bool",
    # name_specified: false when the page gives the role name as a suggestion ("or follow an existing pattern"): an
    # audit then finds the vendor's role by its settings when no role has the name (see engine/mapping.py).
    "role": {"name": "text", "name_specified": "bool"},
    "permissions": [ROW],
    "optional_permissions": [ROW],
    "temporary_permissions": [TEMPORARY_ROW],
    "tables": ["table"],
    "optional_tables": ["table"],
    "disallowed_tables": ["table"],
    # specified: the member fields the vendor's page requires; an audit judges only these (and the member's role and
    # licence class API, always). A field the page leaves open is set when the member is created, never judged; an
    # identifier not listed is only a suggestion, so an audit finds the API member that holds the vendor's role.
    "member": {"identifier": "text", "name": "text or null", "level": "text or null", "notes": "text or null",
               "specified": ["member field"]},
    "key": {"description": "text", "kind": "key kind"},
    "outside": [OUTSIDE_STEP],
    "notes": ["text"],
}
# What a run cannot do without, by path ("[]": every item of a list); every other key has a default (no tables, no
# optional rows, the vendor as title, ...). Shipped profiles write every key (tests/unit/test_profiles.py).
REQUIRED = {"vendor", "role", "role.name", "permissions", "member", "member.identifier",
            "permissions[].module", "permissions[].function", "optional_permissions[].module",
            "optional_permissions[].function", "temporary_permissions[].module", "temporary_permissions[].function",
            "outside[].kind", "outside[].text"}


def problems(profile, where="profile"):
    """Every way ``profile`` differs from SCHEMA, each naming its path under ``where``; [] when it conforms."""
    if not isinstance(profile, dict):
        return ["%s: a vendor profile (mapping) is required" % where]
    found = []
    _check(profile, SCHEMA, where, "", found)
    if profile.get("same_as") and "permissions" not in profile:
        found.append("%s.same_as: the table of %s is not filled in; the integration role takes it from that profile "
                     "(files/profiles), or give the profile with its table" % (where, profile["same_as"]))
    if not found:
        found.extend(_consistency(profile, where))
    return found


def _consistency(profile, where):
    """What the schema of each value cannot say: a partial profile says what is missing, a complete one does not; a
    table is not both allowed and disallowed; a shared table is filled in."""
    found = []
    status = profile.get("status") or "complete"
    if status == "partial" and not profile.get("missing"):
        found.append("%s.missing: a partial profile says what its vendor's table leaves unknown" % where)
    if status == "complete" and profile.get("missing"):
        found.append("%s.missing: only a partial profile leaves something unknown; set status: partial or remove missing"
                     % where)
    specified = (profile.get("member") or {}).get("specified") or []
    twice = sorted({field for field in specified if specified.count(field) > 1})
    if twice:
        found.append("%s.member.specified: %s listed more than once; list each member field once" % (where, ", ".join(twice)))
    allowed = {table_key(t) for t in (profile.get("tables") or []) + (profile.get("optional_tables") or [])}
    for position, entry in enumerate(profile.get("disallowed_tables") or []):
        if table_key(entry) in allowed:
            found.append("%s.disallowed_tables[%d]: %r is also in tables; a table is either allowed or disallowed"
                         % (where, position, entry))
    for section in ("permissions", "optional_permissions"):
        if any(row.get(cell) == ASK for row in profile.get(section) or [] for cell in CELLS) and profile.get("levels_assumed"):
            found.append("%s.levels_assumed: a profile with ask cells takes no level for granted; set it to false" % where)
            break
    return found


# The keys of a profile that make up its table: what a profile with same_as takes from the one it names.
TABLE_KEYS = ("status", "missing", "levels_assumed", "permissions", "optional_permissions", "temporary_permissions",
              "tables", "optional_tables", "disallowed_tables")


def resolve_shared(profile, load):
    """A profile that names another in ``same_as`` (its vendor's page publishes that vendor's table), with the table
    keys of that one; any other profile as it is. ``load(vendor)`` gives a profile by name. The result keeps
    ``same_as`` (reports say whose table it is) and its own title, source, role, member, key and notes."""
    if not isinstance(profile, dict) or not profile.get("same_as"):
        return profile
    vendor, other = profile.get("vendor"), profile["same_as"]
    own = [key for key in TABLE_KEYS if key in profile]
    if own:
        raise ValueError("%s profile: same_as %s takes its table from that profile; remove %s" % (vendor, other, ", ".join(own)))
    try:
        shared = load(other)
    except KeyError:
        raise ValueError("%s profile: same_as %r names no known profile" % (vendor, other)) from None
    if not isinstance(shared, dict) or shared.get("same_as"):
        raise ValueError("%s profile: same_as %s names a profile that is itself shared; name the profile with the table"
                         % (vendor, other))
    resolved = dict(profile)
    resolved.update({key: copy.deepcopy(shared[key]) for key in TABLE_KEYS if key in shared})
    return resolved


def row_label(row):
    return "%s / %s" % (row.get("module"), row.get("function"))


def asked_cells(profile, optional=True):
    """'Module / Function: cell' for every cell the profile marks ask, in order: of its required rows, and of its
    optional rows unless ``optional`` is false (a run that leaves them out neither sets nor judges them)."""
    sections = ("permissions", "optional_permissions") if optional else ("permissions",)
    return ["%s: %s" % (row_label(row), cell) for section in sections
            for row in profile.get(section) or [] for cell in CELLS if row.get(cell) == ASK]


def fill_levels(profile, levels, where="levels"):
    """The profile with the operator's levels in its ask cells. ``levels``: "Module / Function" -> {cell: level}, the
    name spelt as the profile or the tenant writes it. A key or cell that is not an ask cell of the profile, or a value
    that is not a level, is a ValueError naming it."""
    if not levels:
        return profile
    if not isinstance(levels, dict):
        raise ValueError("%s: expected a mapping of \"Module / Function\" -> {cell: level}, e.g. {\"Companies / Company "
                         "Maintenance\": {inquire: All}}" % where)
    profile = copy.deepcopy(profile)
    rows = {}
    for section in ("permissions", "optional_permissions"):
        for row in profile.get(section) or []:
            rows.setdefault(function_key(row["module"], row["function"]), []).append(row)
    problems = []
    for name, cells in levels.items():
        here = "%s[%r]" % (where, name)
        module, slash, function = str(name).partition("/")
        found = rows.get(function_key(module.strip(), function.strip())) if slash else None
        asked = [cell for row in found or [] for cell in CELLS if row.get(cell) == ASK]
        if not asked:
            problems.append("%s: not a row of the %s profile with a level to set; those rows are: %s" % (
                here, profile.get("vendor"), ", ".join(sorted({c.split(": ")[0] for c in asked_cells(profile)})) or "none"))
            continue
        if not isinstance(cells, dict):
            problems.append("%s: expected a mapping of cell -> level, e.g. {%s: All}" % (here, asked[0]))
            continue
        for cell, level in cells.items():
            if cell not in asked:
                problems.append("%s.%s: not a cell whose level the vendor's page leaves unset; set %s" % (
                    here, cell, ", ".join(asked)))
            elif level not in LEVELS:
                problems.append("%s.%s: %r is not a permission level: None, My or All" % (here, cell, level))
            else:
                for row in found:
                    if row.get(cell) == ASK:
                        row[cell] = level
    if problems:
        raise ValueError("; ".join(problems))
    return profile


def without_asked(rows):
    """Rows with their ask cells left out, and rows left with no cell dropped: what a run can judge or set."""
    kept = []
    for row in rows:
        trimmed = {key: value for key, value in row.items() if value != ASK}
        if any(cell in trimmed for cell in CELLS):
            kept.append(trimmed)
    return kept


def onboarding_problems(profile, unset, allow_partial):
    """Why a profile may not be converged (onboarding outside check mode), each naming what to set; [] when it may."""
    vendor = profile.get("vendor")
    found = []
    if (profile.get("status") or "complete") == "partial" and not allow_partial:
        found.append("the %s profile is partial (%s): onboarding would grant only the rows it has, and nothing was "
                     "written. To onboard it all the same, set cw_allow_partial: true (or allow_partial: true under "
                     "cw_vendor_overrides.%s, or on the integration)" % (vendor, profile.get("missing"), vendor))
    if unset:
        by_row = {}
        for label in unset:
            name, cell = label.rsplit(": ", 1)
            by_row.setdefault(name, []).append(cell)
        example = next(iter(by_row.items()))
        found.append("the %s profile names %d level(s) without a value (the vendor's page gives none), so it is not "
                     "converged until you set each, and nothing was written: %s. Set them, each None, My or All, in "
                     "cw_vendor_overrides, e.g. {%s: {levels: {\"%s\": {%s}}}} (cw_levels in a single-vendor run, "
                     "levels on the integration)" % (
                         vendor, len(unset), "; ".join("%s: %s" % (name, ", ".join(cells)) for name, cells in by_row.items()),
                         vendor, example[0], ", ".join("%s: All" % cell for cell in example[1])))
    return found


def _check(value, schema, where, path, found):
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            found.append("%s: expected a mapping with %s" % (where, ", ".join(schema)))
            return
        found.extend("%s.%s: missing from the profile" % (where, key) for key in schema
                     if key not in value and _join(path, key) in REQUIRED)
        for key in value:
            if key not in schema:
                found.append("%s.%s: %s" % (where, key, unknown_key(key, schema)))
            else:
                _check(value[key], schema[key], "%s.%s" % (where, key), _join(path, key), found)
        if any(schema is row for row in (ROW, TEMPORARY_ROW)) and not any(cell in value for cell in CELLS):
            found.append("%s: no level given; give at least one of %s" % (where, ", ".join(CELLS)))
    elif isinstance(schema, list):
        if not isinstance(value, list):
            found.append("%s: %r is not a list; give a list (or [] for none)" % (where, value))
            return
        for position, item in enumerate(value):
            _check(item, schema[0], "%s[%d]" % (where, position), path + "[]", found)
    else:
        test, expected = KINDS[schema]
        if not test(value):
            found.append("%s: %r is not %s" % (where, value, expected))


def _join(path, key):
    return "%s.%s" % (path, key) if path else key


def unknown_key(key, schema):
    """'unknown key; the closest known key is tables', or the known keys when none is close."""
    close = difflib.get_close_matches(str(key), list(schema), n=1)
    if close:
        return "unknown key; the closest known key is %s" % close[0]
    return "unknown key; known keys: %s" % ", ".join(schema)


# -- what a run takes from a profile where the integration gives nothing: one function each, for every caller ---------

def _mapping(value):
    """``value`` when it is a mapping, else {}: these run on profiles the schema has not checked yet (the tenant is
    built before any check), so a malformed part reads as absent rather than failing here."""
    return value if isinstance(value, dict) else {}


def member_identifier(profile, member=None):
    """The identifier of an integration's API member: its own (the item's ``member.identifier``: cw_member_identifier,
    cw_vendor_overrides), else the profile's; None with neither."""
    return _mapping(member).get("identifier") or _mapping(_mapping(profile).get("member")).get("identifier") or None


def key_description(profile, key=None):
    """The description of an integration's API key: its own (the item's ``key.description``), else the profile's
    ``key.description``, else its title, else the vendor name."""
    profile = _mapping(profile)
    return (_mapping(key).get("description") or _mapping(profile.get("key")).get("description") or profile.get("title")
            or profile.get("vendor"))


def specified_fields(profile):
    """The member fields the vendor's page requires (``member.specified``). A profile without the key (one written
    before it) keeps the former rule: the identifier, the level and every field it gives a value."""
    member = _mapping(_mapping(profile).get("member"))
    if isinstance(member.get("specified"), list):
        return tuple(member["specified"])
    given = [k for k, v in member.items() if k in MEMBER_OPTIONS and v is not None]
    return tuple(dict.fromkeys(["identifier", "level"] + given))


def role_name_specified(profile):
    """Whether the vendor's page fixes the role's name (``role.name_specified``, default true)."""
    return _mapping(_mapping(profile).get("role")).get("name_specified") is not False
