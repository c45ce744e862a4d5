# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The schema of a vendor profile (roles/integration/files/profiles/<vendor>.yml, described in docs/vendors.md).

cw_integration and cw_fleet_audit check every profile they are given against it before any request, and the unit tests
check every shipped profile against the same schema: a misspelt key (``tabels``) is an error naming the closest known
key, never a key silently dropped (which would leave a vendor's tables unrequired)."""

from __future__ import annotations

import difflib
import re

from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import CELLS, LEVELS

_VENDOR = re.compile(r"[a-z0-9]+(_[a-z0-9]+)*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
OUTSIDE_KINDS = ("ip_allowlist", "portal", "connect", "board_restriction", "troubleshooting")

# A kind of value: its test, and what to give instead.
KINDS = {
    "text": (lambda v: isinstance(v, str) and bool(v.strip()), "a non-empty string"),
    "text or null": (lambda v: v is None or (isinstance(v, str) and bool(v.strip())), "a non-empty string or null"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "level": (lambda v: v in LEVELS, "a permission level: None, My or All"),
    "vendor": (lambda v: isinstance(v, str) and bool(_VENDOR.fullmatch(v)),
               "a vendor name of lower-case letters, digits and '_' (the file name)"),
    "date": (lambda v: isinstance(v, str) and bool(_DATE.fullmatch(v)), 'a quoted date such as "2026-01-31"'),
    "https url or null": (lambda v: v is None or (isinstance(v, str) and v.startswith("https://")),
                          "an https:// address or null"),
    "table": (lambda v: isinstance(v, str) and "/" in v, "a Table Setup entry written 'Category / Table'"),
    "outside kind": (lambda v: v in OUTSIDE_KINDS, "one of " + ", ".join(OUTSIDE_KINDS)),
    "key kind": (lambda v: v in ("permanent", "token"),
                 "permanent (a key made on the member's API Keys tab) or token (issued through the API; it expires)"),
}

# A mapping is a dict of key -> schema, a list is [schema of each item], anything else a kind.
ROW = dict({"module": "text", "function": "text"}, **{cell: "level" for cell in CELLS})
# A step of the vendor's procedure outside ConnectWise (or one the vendor leaves to the MSP): the checklist's last
# section and the audit report show them; nothing checks them. text and steps are the vendor's own words; url and
# addresses exactly as its page gives them (ip_allowlist: none when the page lists none).
OUTSIDE_STEP = {"kind": "outside kind", "text": "text", "url": "https url or null", "addresses": ["text"], "steps": ["text"]}
SCHEMA = {
    "vendor": "vendor",
    "title": "text",
    "source": {"document": "text", "url": "https url or null", "version": "text or null", "retrieved": "date"},
    "levels_assumed": "bool",
    "role": {"name": "text"},
    "permissions": [ROW],
    "optional_permissions": [ROW],
    "temporary_permissions": [ROW],
    "tables": ["table"],
    "optional_tables": ["table"],
    "member": {"identifier": "text", "name": "text or null", "level": "text or null", "notes": "text or null"},
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
        if schema is ROW and not any(cell in value for cell in CELLS):
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
