# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The integration role's variables, declared once, and the one function that builds a tenant's desired state from
them: what cw_integration and cw_fleet_audit take for a tenant.

The declaration also writes the role's argument specs (scripts/vendor_wrappers.py), so a new variable is one entry
here; the cw_member_<option> variables follow from the member fields declared in resources/members.py. Plain Python
on purpose: the cw_tenant action runs it on the controller, and tests run it without Ansible.
"""

from __future__ import annotations

import json
import os
import shlex

from ansible_collections.msp.connectwise.plugins.module_utils.engine.mapping import check_mappings
from ansible_collections.msp.connectwise.plugins.module_utils.engine.profile import key_description, member_identifier, resolve_shared
from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import KEY_OPTIONS
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import MEMBER_FIELDS, MEMBER_OPTIONS
from ansible_collections.msp.connectwise.plugins.module_utils.storage.files import write_atomic

HOW = "in an inventory cw_vendors: [topleft], on the command line -e '{\"cw_vendors\": [\"topleft\"]}'"
HANDBACK = ("run: ansible-playbook msp.connectwise.key_import%s -e cw_vendor=%s (it asks for both keys, checks them as the "
            "member and keeps them for the next run)")
BOOL_TRUE = ("y", "yes", "on", "1", "true", "t")
BOOL_FALSE = ("n", "no", "off", "0", "false", "f")


class Variable:
    """One role variable. ``item``: where its value goes in each integration item ("purge", "member.level"); its
    first part is then a key of cw_vendor_overrides. ``single``: the flat variable applies to single-vendor runs
    only. ``entry_points``: the role entry points whose argument spec lists it (none: internal to the role)."""

    def __init__(self, name, type, description, default=None, choices=None, elements=None, item=None,  # pylint: disable=redefined-builtin
                 single=False, no_log=False, required=False, entry_points=("main", "audit"), omit_unset=False, derived=None):
        self.name, self.type, self.description, self.default = name, type, description, default
        self.choices, self.elements, self.item, self.single = choices, elements, item, single
        self.no_log, self.required, self.entry_points, self.omit_unset = no_log, required, entry_points, omit_unset
        self.derived = derived  # how an unset one is found, when its default is not a constant

    def spec(self):
        """Its entry in a role argument spec."""
        option = {"type": self.type}
        for key in ("elements", "choices", "default", "required", "no_log"):
            value = getattr(self, key)
            if value not in (None, False) or (key == "default" and self.type == "bool" and value is False):
                option[key] = value
        option["description"] = self.description
        return option


V = Variable
ONBOARDING = ("main", "audit", "key_import")
# One cw_member_<option> variable per option an integration's member may hold, as resources/members.py declares it.
MEMBER_VARIABLES = tuple(
    V("cw_member_" + f.option, f.type, f.description + " (single-vendor runs).", elements=f.elements,
      item="member." + f.option, single=True,
      # key_import keeps the pair of the member it names.
      entry_points=ONBOARDING if f.option == "identifier" else ("main", "audit"))
    for f in MEMBER_FIELDS if f.integration)
VARIABLES = (
    V("cw_vendors", "list", "Vendor profile names (topleft, cw_kanban, mobius, timesanity, lifecycle_manager, ...); the "
      "vendor roles set it.", default=[], elements="str"),
    V("cw_state", "str", "V(present) onboards (audits in check mode); V(absent) offboards.", default="present",
      choices=("present", "absent")),
    V("cw_purge", "bool", "Least privilege; functions and tables a vendor does not ask for are set to None or disallowed.",
      default=False, item="purge"),
    V("cw_include_optional", "bool", "Also grant what a vendor marks optional.", default=False, item="include_optional"),
    V("cw_include_temporary", "bool", "Grant cells a vendor needs during setup only.", default=True, item="include_temporary"),
    V("cw_method", "str", "How permission levels are written.", default="auto", choices=("auto", "api", "manual")),
    V("cw_settings_writable", "bool", "Whether the tenant accepts API writes to role settings, when known (unset: what "
      "doctor.yml recorded, else learnt by the first write of a run)."),
    V("cw_key_source", "str", [
        "Where each member's key pair comes from. V(auto) gives the member the kind of key its profile names "
        "(C(key.kind)); every shipped profile names C(permanent), a key an administrator makes on the member's API Keys "
        "tab and hands over with C(playbooks/key_import.yml), as the checklist says.",
        "V(ui) asks for that UI key whatever the profile says; V(token) issues a pair through the API instead, which "
        "expires (its expiry is reported, and a warning within 14 days of it)."],
      default="auto", choices=("auto", "token", "ui"), item="key.source"),
    V("cw_output_dir", "path", "Folder for everything a run writes on the controller; default E(CW_OUTPUT_DIR), else "
      "C(./cw-output).", entry_points=ONBOARDING, derived="CW_OUTPUT_DIR, else cw-output in the current directory"),
    V("cw_credentials_dir", "path", "Folder of the 0600 key files, one per tenant and vendor; default "
      "C(<cw_output_dir>/credentials).", entry_points=ONBOARDING, derived="<cw_output_dir>/credentials"),
    V("cw_key_vault_password", "str", "Keep each credentials file Ansible Vault encrypted with this password (no plain "
      "private key at rest).", no_log=True, item="key.vault_password", omit_unset=True, entry_points=ONBOARDING),
    V("cw_checklist_dir", "path", "Folder of the Markdown checklists, one per tenant and vendor; default "
      "C(<cw_output_dir>/checklists).", derived="<cw_output_dir>/checklists"),
    V("cw_fail_on_pending", "bool", "Outside check mode, fail once at the end while manual steps remain.", default=True),
    V("cw_role_name", "str", "Role name instead of the profile's (single-vendor runs).", item="role_name", single=True),
    V("cw_allow_partial", "bool", "Onboard a vendor whose profile is partial (its vendor's table is known only in part: "
      "onboarding grants only the rows it has); without it such a profile is refused before any request. Audits use a "
      "partial profile's rows either way and mark it partial.", default=False, item="allow_partial"),
    V("cw_levels", "dict", "The levels of the cells a profile marks C(ask) (its vendor's page names the level without a "
      "value), e.g. C({\"Companies / Company Maintenance\": {inquire: All}}) (single-vendor runs; else "
      "C(cw_vendor_overrides.<vendor>.levels)). Onboarding refuses such a profile until each is set.",
      item="levels", single=True),
    *MEMBER_VARIABLES,
    V("cw_vendor_overrides", "dict", "Per-vendor overrides, e.g. C({topleft: {role_name: TL, purge: true, member: "
      "{level: Corporate}}}); the keys are those of an integration item (role_name, member, key, purge, include_optional, "
      "include_temporary, allow_partial, levels, reassign_role, adopt_role).", default={}),
    V("cw_reassign_role", "str", "Offboarding; the role a deactivated member is moved to so that the vendor's role can "
      "be deleted. Give a role with no rights: one that can escalate or grants more than the vendor's profile needs is "
      "used with a warning, an admin role is refused.", item="reassign_role"),
    V("cw_adopt_role", "bool", [
        "Take over an existing role that is not the integration's own (held by another member, or a stock role named "
        "Admin, Technician or Finance), with a warning; without it such a role fails the run before any write.",
        "An admin role (adminFlag) is never taken, not even with V(true); the rule is that of C(adopt_role) in "
        "M(msp.connectwise.cw_integration)."], default=False, item="adopt_role"),
    V("cw_integration_profiles", "dict", "Vendor name to profile, for vendors whose profile is not in the role's "
      "C(files/profiles) (or to replace one); the profile's schema is that of the shipped ones."),
    V("cw_audit_concurrency", "int", "Tenants audited at once, each over its own connection.", default=20,
      entry_points=("audit",)),
    V("cw_history_dir", "path", "Folder of the snapshots each audit keeps per tenant (the levels of every role, or of the roles it audits (cw_history_roles), "
      "the Table Setup lists it verified as a member, API members and their roles),"
      " C(<cw_history_dir>/<host>/<UTC timestamp>.json); default C(<cw_output_dir>/history).",
      entry_points=("audit",), derived="<cw_output_dir>/history"),
    V("cw_history_roles", "str", "Whose levels each audit's snapshot holds: V(all), every role (one request, pageSize 1000, "
      "per role the audit does not judge: the evidence of every role's settings over time), or V(audited), only the roles it "
      "audits (no request of its own; the others are recorded as not read, and the security review then snapshots every role).",
      default="all", choices=("audited", "all"), entry_points=("audit",)),
    V("cw_history_retention_days", "int", "Snapshots older than this many days are deleted (the newest is always kept).",
      default=400, entry_points=("audit",)),
    V("cw_vendor", "str", "The vendor whose member the pair belongs to (a profile name, e.g. C(topleft)).",
      required=True, entry_points=("key_import",)),
    V("cw_key_file", "path", "A vars file encrypted with C(ansible-vault encrypt) holding C(member_public_key) and "
      "C(member_private_key), instead of the prompts (for runs without a terminal). Give the vault password as for "
      "any vaulted file (C(--ask-vault-pass), C(--vault-password-file)).", entry_points=("key_import",)),
    # The tenant's connection: host variables, else the CW_* environment the modules read.
    V("cw_site", "str", "", entry_points=()),
    V("cw_company_id", "str", "", entry_points=()),
    V("cw_public_key", "str", "", no_log=True, entry_points=()),
    V("cw_private_key", "str", "", no_log=True, entry_points=()),
    V("cw_client_id", "str", "", entry_points=()),
)
BY_NAME = {variable.name: variable for variable in VARIABLES}
CONNECTION = ("site", "company_id", "public_key", "private_key", "client_id")
# The keys of a cw_vendor_overrides entry: those of the integration item the variables fill.
OVERRIDE_KEYS = tuple(dict.fromkeys(v.item.split(".")[0] for v in VARIABLES if v.item))
BOOL_ITEMS = tuple(v.item for v in VARIABLES if v.item and v.type == "bool")


def to_bool(name, value):
    """As Ansible's bool filter reads a value (so that -e cw_purge=true is true); anything else is refused."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).lower() if isinstance(value, (str, int, float)) else None
    if text in BOOL_TRUE:
        return True
    if text in BOOL_FALSE:
        return False
    raise ValueError("%s: %r is not a boolean; use true or false" % (name, value))


def output_dir(environ, cwd=None):
    """Where a run writes when cw_output_dir is not given: $CW_OUTPUT_DIR, else cw-output in the process's current
    directory (never $PWD, which a parent process may have left stale); the playbooks' ``'cw-output' | realpath``."""
    return environ.get("CW_OUTPUT_DIR") or os.path.realpath(os.path.join(cwd or os.getcwd(), "cw-output"))


def resolve(variables, environ, cwd=None):
    """Every declared variable's value: given (None counts as unset where the role had a null default), else its
    default; booleans coerced and choices checked. ``cwd``: the current directory (default the process's). Raises
    ValueError naming the variable and the fix."""
    values = {}
    for variable in VARIABLES:
        value = variables.get(variable.name)
        if value is None:
            value = variable.default
        if variable.type == "bool" and value is not None:
            value = to_bool(variable.name, value)
        if variable.choices and value not in variable.choices:
            raise ValueError("%s: %r is not one of %s" % (variable.name, value, ", ".join(variable.choices)))
        values[variable.name] = value
    if not values["cw_output_dir"]:
        values["cw_output_dir"] = output_dir(environ, cwd)
    for name, folder in (("cw_credentials_dir", "credentials"), ("cw_checklist_dir", "checklists"), ("cw_history_dir", "history")):
        values[name] = values[name] or "%s/%s" % (values["cw_output_dir"], folder)
    return values


def check_vendors(vendors, overrides, known, host):
    """The checks of cw_vendors, cw_vendor_overrides and the host name, each message naming the field and the fix."""
    if isinstance(vendors, (str, bytes)) or not isinstance(vendors, (list, tuple)) or not all(isinstance(v, str) for v in vendors):
        raise ValueError("cw_vendors must be a list of vendor names (%s)." % HOW)
    if not isinstance(overrides, dict) or not all(isinstance(extra, dict) for extra in overrides.values()):
        raise ValueError("cw_vendor_overrides must be a mapping of vendor -> mapping whose keys are %s." % ", ".join(OVERRIDE_KEYS))
    unknown_keys = ["%s (under %s)" % (key, vendor) for vendor, extra in overrides.items() for key in extra if key not in OVERRIDE_KEYS]
    if unknown_keys:
        raise ValueError("cw_vendor_overrides must be a mapping of vendor -> mapping whose keys are %s; unknown: %s."
                         % (", ".join(OVERRIDE_KEYS), ", ".join(unknown_keys)))
    for vendor, extra in overrides.items():
        for name, allowed in (("member", MEMBER_OPTIONS), ("key", KEY_OPTIONS)):
            if extra.get(name) is None:
                continue
            if not isinstance(extra[name], dict):
                raise ValueError("cw_vendor_overrides.%s.%s must be a mapping (e.g. {%s: {...}})" % (vendor, name, name))
            unknown = sorted(set(extra[name]) - set(allowed))
            if unknown:
                raise ValueError("cw_vendor_overrides.%s.%s: unknown key(s) %s; use %s"
                                 % (vendor, name, ", ".join(unknown), ", ".join(allowed)))
    tail = "known vendors: %s. To add one, add files/profiles/<vendor>.yml (see docs/vendors.md)." % ", ".join(known)
    # Overrides of a vendor not in this run are kept for the runs that name it (one inventory, several playbooks); of
    # a vendor no profile names they are a typo, which would leave them unapplied without a word.
    strangers = [vendor for vendor in overrides if vendor not in known]
    if strangers:
        raise ValueError("cw_vendor_overrides: %s is not a known vendor, so its overrides would never apply; %s"
                         % (", ".join(strangers), tail))
    if not vendors:
        raise ValueError("cw_vendors is empty: name the vendors to act on (%s); %s" % (HOW, tail))
    unknown = [vendor for vendor in vendors if vendor not in known]
    if unknown:
        raise ValueError("cw_vendors: %s is not a known vendor; %s" % (", ".join(unknown), tail))
    # Refused rather than deduplicated: a vendor listed twice is more often a typo for another vendor than a wish.
    twice = list(dict.fromkeys(vendor for vendor in vendors if vendors.count(vendor) > 1))
    if twice:
        raise ValueError("cw_vendors: %s listed more than once; list each vendor once: [%s]."
                         % (", ".join(twice), ", ".join(dict.fromkeys(vendors))))
    # The host names files under cw_output_dir: a '/' (e.g. '../') would put a key pair outside its folder.
    if "/" in host:
        raise ValueError("inventory host %s contains a '/': the key pair, checklists and records of a tenant are files "
                         "named after its host, which must stay in their folders under cw_output_dir. Rename the host in "
                         "the inventory (e.g. acme or acme.example.com) and keep the tenant's address in cw_site."
                         % _json_string(host))


def _json_string(text):
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')


def integration_item(vendor, profile, values, extra, single, key_dest, handback):
    """One integration item: the profile, then the flat variables (a single-vendor one only when one vendor is run),
    then this vendor's cw_vendor_overrides entry (member and key merged key by key)."""
    item = {"profile": profile, "role_name": None, "member": {}, "key": {"source": None, "dest": key_dest, "handback": handback}}
    for variable in VARIABLES:
        if not variable.item:
            continue
        value = values[variable.name] if single or not variable.single else None
        if variable.omit_unset and not value:
            continue
        if "." in variable.item:
            part, key = variable.item.split(".")
            item.setdefault(part, {})[key] = value
        else:
            item[variable.item] = value
    for name, value in extra.items():
        item[name] = dict(item[name], **(value or {})) if name in ("member", "key") else value
    for name in BOOL_ITEMS:
        item[name] = to_bool("cw_vendor_overrides.%s.%s" % (vendor, name) if name in extra else "cw_" + name, item[name])
    return item


def apply_mappings(items, vendors, mappings):
    """The role and member a tenant's record maps to each vendor (doctor.yml cw_record_mapping, engine/mapping.py),
    where the variables name none: a variable (cw_role_name, cw_member_identifier, cw_vendor_overrides) has the last
    word."""
    for vendor, item in zip(vendors, items):
        mapping = mappings.get(vendor) or {}
        if mapping.get("role_name") and not item.get("role_name"):
            item["role_name"] = mapping["role_name"]
        if mapping.get("member_identifier") and not (item.get("member") or {}).get("identifier"):
            item["member"] = dict(item.get("member") or {}, identifier=mapping["member_identifier"])


def recorded_facts(recorded, company):
    """What doctor.yml recorded of this tenant, unless it was recorded for another company under the same host name
    (localhost runs with other CW_* variables)."""
    recorded = recorded or {}
    if not isinstance(recorded, dict):
        raise ValueError("the doctor record of this tenant is not a mapping: delete it, or run doctor.yml again")
    if "cw_company_id" in recorded and str(recorded["cw_company_id"]).lower() != str(company).lower():
        return {}
    return recorded


def record_path(values, host):
    return "%s/tenants/%s.yml" % (values["cw_output_dir"], host)


RECORD_HEADER = """\
---
# Recorded by msp.connectwise (what a run learnt of this tenant); read by the integration role. Run doctor.yml to
# record the codebase and the name of level 1 too, and again after the tenant's upgrade or a rename of its level 1.
"""


def record_value(text):
    """A value of the record as doctor.yml writes it (JSON), else the text without quotes."""
    try:
        return json.loads(text)
    except ValueError:
        return text.strip().strip("'\"")


def remember_fact(path, company, name, value):
    """Set ``name: value`` in the doctor record of a tenant (``path``), as doctor.yml writes it (one ``key: JSON`` a
    line), so that later runs need not learn it again: created with the company's id when missing, left alone when it
    was recorded for another company (localhost runs with other CW_* variables). Returns whether it was written."""
    lines = []
    if os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    facts = {line.split(":", 1)[0]: record_value(line.split(":", 1)[1]) for line in lines
             if ":" in line and line[:1].isalpha()}
    if "cw_company_id" in facts and str(facts["cw_company_id"]).lower() != str(company).lower():
        return False
    entry = "%s: %s" % (name, json.dumps(value))
    if not lines:
        lines = RECORD_HEADER.splitlines() + ["cw_company_id: %s" % json.dumps(str(company))]
    kept = [line for line in lines if not line.startswith(name + ":")]
    write_atomic(path, "\n".join(kept + [entry]) + "\n", mode=0o644, prefix=".cw-record-")
    return True


def build_tenant(variables, profiles, read_record, host="localhost", inventory_sources=None, environ=None, cwd=None,
                 controller_job=False):
    """The tenant as cw_integration and cw_fleet_audit take it, and the resolved role variables.

    ``variables``: the role variables given (templated); ``profiles``: vendor name -> profile (a mapping that may
    load lazily; its keys are the known vendors); ``read_record(path)``: the parsed doctor record at path, or None;
    ``inventory_sources``: the inventory's sources when the host is in one (the key hand-back command names them),
    else None; ``environ``: the controller's environment; ``cwd``: its current directory (default the process's);
    ``controller_job``: the run is an AWX / Automation Platform job. Returns {"tenant", "vars" (without secrets),
    "vendors" (vendor -> its member's identifier and its key's description, as the engine resolves them), "record" (the
    doctor record's path), "allow_pending"}. Raises ValueError with a message naming the variable and the fix."""
    environ = {} if environ is None else environ
    values = resolve(variables, environ, cwd)
    vendors, overrides = values["cw_vendors"], values["cw_vendor_overrides"]
    given = values["cw_integration_profiles"] or {}
    if not isinstance(given, dict):
        raise ValueError("cw_integration_profiles must be a mapping of vendor name -> profile")
    check_vendors(vendors, overrides, sorted(set(profiles) | set(given)), host)
    if inventory_sources is None:
        target = ""
    elif controller_job:
        # A job's inventory is a script in its private data directory, gone when the job ends (and inside its
        # container while it runs): the command names the host alone, and the folder the job keeps key pairs in, for
        # a shell with the tenant's CW_* variables where that folder is mounted.
        target = " -i %s -e %s" % (shlex.quote(host + ","), shlex.quote("cw_credentials_dir=" + values["cw_credentials_dir"]))
    else:
        target = " -i %s -l %s" % (" -i ".join(shlex.quote(str(source)) for source in inventory_sources), shlex.quote(host))

    def lookup(vendor):
        return given[vendor] if vendor in given else profiles[vendor]

    # A vendor whose page publishes another's table (same_as) takes that profile's table.
    items = [integration_item(vendor, resolve_shared(lookup(vendor), lookup), values, overrides.get(vendor) or {},
                              len(vendors) == 1, "%s/%s-%s.json" % (values["cw_credentials_dir"], host, vendor),
                              HANDBACK % (target, vendor))
             for vendor in vendors]
    company = variables["cw_company_id"] if "cw_company_id" in variables else environ.get("CW_COMPANY_ID", "")
    recorded = recorded_facts(read_record(record_path(values, host)), company)
    apply_mappings(items, vendors, check_mappings(recorded.get("cw_vendor_mappings"),
                                                  "cw_vendor_mappings (in %s)" % record_path(values, host)))
    writable = values["cw_settings_writable"]
    if writable is None and recorded.get("cw_settings_writable") is not None:
        writable = to_bool("cw_settings_writable (recorded by doctor.yml)", recorded["cw_settings_writable"])
    tenant = {"name": host, "integrations": items, "state": values["cw_state"], "method": values["cw_method"],
              "settings_writable": writable,
              "tenant_facts": {"codebase": recorded.get("cw_codebase"), "level1_name": recorded.get("cw_level1_name")}}
    for option in CONNECTION:
        if values["cw_" + option] is not None:
            tenant[option] = values["cw_" + option]
    # What the engine will take for each vendor's member and key, for the tasks that hand a key over (key_import.yml):
    # the same functions as the engine's, so that the pair goes to the member the run converges, described as it is.
    resolved = {vendor: {"member": member_identifier(item["profile"], item["member"]),
                         "key_description": key_description(item["profile"], item["key"])}
                for vendor, item in zip(vendors, items)}
    # Offboarding always leaves the member's keys to revoke in the UI: only onboarding fails on remaining steps.
    return {"tenant": tenant, "vars": {name: value for name, value in values.items() if not BY_NAME[name].no_log},
            "vendors": resolved, "record": record_path(values, host), "allow_pending": values["cw_state"] == "absent" or not values["cw_fail_on_pending"]}
