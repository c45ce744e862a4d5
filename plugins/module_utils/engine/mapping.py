# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An integration as an administrator built it by hand: the API member that holds the vendor's role (when the vendor's
page only suggests a Member ID), and the tenant's role whose levels match the vendor's table best (when the page only
suggests the role's name and no role has it).

Reads only. What is found is reported with how to record it for the tenant, one of:

- a variable: ``cw_vendor_overrides: {<vendor>: {role_name: <role>, member: {identifier: <member>}}}``;
- a line of the tenant's doctor record, written by doctor.yml
  (``-e '{"cw_record_mapping": {"<vendor>": {"role_name": "<role>", "member_identifier": "<member>"}}}'``):
  ``cw_vendor_mappings: {"<vendor>": {"role_name": "<role>", "member_identifier": "<member>"}}``.

Recording a mapping never renames nor rewrites anything in the tenant: later runs take that role and that member as the
integration's own (an audit judges them, onboarding converges them instead of creating others)."""

from __future__ import annotations

import json

from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import CELLS, FIELDS
from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import FunctionIndex, UnknownName

# A role is proposed only when it holds at least this share of the vendor's cells: a cell at None matches any role that
# never granted it, so a stock role would otherwise be proposed for every vendor.
MINIMUM_SCORE = 0.8
# The keys of a recorded mapping (cw_vendor_mappings in the doctor record), each an override it stands for.
MAPPING_KEYS = ("role_name", "member_identifier")


def match_score(rows, permissions):
    """(matching, required): of the cells ``permissions`` (profile rows, ask cells left out) give a level, how many the
    role's settings ``rows`` hold at exactly that level. A row the tenant lacks matches none of its cells."""
    index = FunctionIndex(rows)
    matching = required = 0
    for wanted in permissions:
        try:
            row = index.resolve(wanted["module"], wanted["function"])
        except (UnknownName, ValueError):
            row = None
        for cell in CELLS:
            if wanted.get(cell) is None:
                continue
            required += 1
            if row is not None and (row.get(FIELDS[cell]) or "None") == wanted[cell]:
                matching += 1
    return matching, required


def good_enough(matching, required, minimum=MINIMUM_SCORE):
    return matching > 0 and matching >= minimum * required


def best_role(scored, minimum=MINIMUM_SCORE):
    """The best of ``scored`` ((name, matching, required) of each candidate): the most cells matching, then the name
    (case-folded), so that the same tenant always gives the same answer. None when no role holds ``minimum`` of the
    cells."""
    ranked = sorted((s for s in scored if good_enough(s[1], s[2], minimum)), key=lambda s: (-s[1], s[0].lower(), s[0]))
    return ranked[0] if ranked else None


def propose_role(roles, settings_of, permissions, vendor):
    """The proposal of the tenant's role that matches ``permissions`` best: {"role", "matching", "required", "score",
    "others" (the next best, at most three), "record"}; None when no role holds MINIMUM_SCORE of the cells. ``roles``: the tenant's roles
    (an admin role is never proposed: no integration is put on one); ``settings_of(role)``: its settings rows."""
    scored = []
    for role in roles:
        if role.get("adminFlag"):
            continue
        matching, required = match_score(settings_of(role), permissions)
        scored.append((role["name"], matching, required))
    best = best_role(scored)
    if best is None:
        return None
    name, matching, required = best
    others = sorted((s for s in scored if s[0] != name and good_enough(s[1], s[2])), key=lambda s: (-s[1], s[0].lower()))[:3]
    return {"role": name, "matching": matching, "required": required, "score": "%d/%d" % (matching, required),
            "others": [{"role": n, "score": "%d/%d" % (m, r)} for n, m, r in others],
            "record": how_to_record(vendor, role_name=name)}


def holders(members, role_id):
    """The identifiers of the active API members holding the role, sorted (case-folded)."""
    return sorted((m["identifier"] for m in members if (m.get("securityRole") or {}).get("id") == role_id
                   and not m.get("inactiveFlag") and m.get("identifier")), key=lambda i: (i.lower(), i))


def how_to_record(vendor, role_name=None, member_identifier=None):
    """How to record a mapping for the tenant: the variable, and the doctor.yml run that writes it to the record."""
    override, mapping = {}, {}
    if role_name:
        override["role_name"] = mapping["role_name"] = role_name
    if member_identifier:
        override["member"] = {"identifier": member_identifier}
        mapping["member_identifier"] = member_identifier
    return {"variable": {"cw_vendor_overrides": {vendor: override}},
            "doctor": "ansible-playbook msp.connectwise.doctor -e '%s'" % json.dumps({"cw_record_mapping": {vendor: mapping}})}


def check_mappings(mappings, where="cw_vendor_mappings"):
    """A recorded mapping, checked: vendor -> {role_name, member_identifier}, each a non-empty string."""
    if mappings is None:
        return {}
    if not isinstance(mappings, dict) or not all(isinstance(m, dict) for m in mappings.values()):
        raise ValueError("%s: expected a mapping of vendor -> {role_name: ..., member_identifier: ...}; run doctor.yml "
                         "with cw_record_mapping again, or correct the tenant's record" % where)
    for vendor, mapping in mappings.items():
        for key, value in mapping.items():
            if key not in MAPPING_KEYS:
                raise ValueError("%s.%s.%s: unknown key; use %s" % (where, vendor, key, ", ".join(MAPPING_KEYS)))
            if not isinstance(value, str) or not value.strip():
                raise ValueError("%s.%s.%s: %r is not a name" % (where, vendor, key, value))
    return mappings
