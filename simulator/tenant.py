"""State of one simulated ConnectWise tenant, kept as a JSON-ready dict (what --state saves).

Private keys are stored only as SHA-256 digests, so neither the state file nor /__sim__/state
holds a usable secret.
"""

import copy
import hashlib
import hmac
import secrets
import string
from datetime import datetime, timedelta, timezone

from . import catalogue

STATE_VERSION = 1
ADMIN_IDENTIFIER = "simadmin"
ADMIN_KEY = "simulator admin key"

# Look-up tables every tenant starts with; level 1's name comes from the tenant options.
_LOCATIONS = [{"id": 1, "name": "Main Office"}, {"id": 2, "name": "Branch - North"}, {"id": 3, "name": "Remote Staff"}]
_DEPARTMENTS = [
    {"id": 10, "identifier": "SVC", "name": "Services"},
    {"id": 11, "identifier": "SLS", "name": "Sales"},
    {"id": 12, "identifier": "ADM", "name": "Administration"},
]
_TIME_ZONES = [
    {"id": 1, "name": "US Eastern", "offset": -5.0, "daylightSavingsFlag": True},
    {"id": 2, "name": "US Central", "offset": -6.0, "daylightSavingsFlag": True},
    {"id": 3, "name": "US Mountain", "offset": -7.0, "daylightSavingsFlag": True},
    {"id": 4, "name": "US Pacific", "offset": -8.0, "daylightSavingsFlag": True},
    {"id": 5, "name": "GMT", "offset": 0.0, "daylightSavingsFlag": False},
]
_BOARDS = [
    {"id": 1, "name": "Help Desk", "inactiveFlag": False},
    {"id": 2, "name": "Professional Services", "inactiveFlag": False},
    {"id": 3, "name": "Alerts", "inactiveFlag": False},
    {"id": 4, "name": "Projects", "inactiveFlag": False},
    {"id": 5, "name": "Old Board", "inactiveFlag": True},
]

# Seed roles besides Admin: {(module, function): (add, edit, delete, inquire)} and Table Setup items.
_TECHNICIAN = {
    ("Companies", "Company Maintenance"): ("All", "All", "None", "All"),
    ("Companies", "Configurations"): ("All", "All", "None", "All"),
    ("Companies", "Contacts"): ("All", "All", "None", "All"),
    ("Companies", "Manage Attachments"): ("My", "My", "My", "All"),
    ("Companies", "Notes"): ("All", "All", "My", "All"),
    ("Companies", "Team Members"): ("None", "None", "None", "All"),
    ("Project", "Close Project Tickets"): ("None", "All", "None", "All"),
    ("Project", "Project Ticket Tasks"): ("All", "All", "All", "All"),
    ("Project", "Project Tickets"): ("All", "All", "None", "All"),
    ("Service Desk", "Close Service Tickets"): ("None", "All", "None", "All"),
    ("Service Desk", "Merge Tickets"): ("All", "None", "None", "All"),
    ("Service Desk", "Resource Scheduling"): ("My", "My", "My", "All"),
    ("Service Desk", "Service Ticket - Dependencies"): ("All", "All", "None", "All"),
    ("Service Desk", "Service Tickets"): ("All", "All", "None", "All"),
    ("System", "Member Maintenance"): ("None", "None", "None", "All"),
    ("System", "My Account"): ("My", "My", "My", "My"),
    ("System", "Table Setup"): ("None", "None", "None", "All"),
    ("Time & Expense", "Expense Report Entry"): ("My", "My", "My", "My"),
    ("Time & Expense", "Time Entry"): ("All", "My", "My", "All"),
}
_TECHNICIAN_TABLES = ["Service / Priority", "Service / Service Board", "Service / SLA", "Time / Work Role", "Time / Work Type"]
_FINANCE = {key: ("All", "All", "All", "All") for key in catalogue.FUNCTION_BY_NAME if key[0] == "Finance"}
_FINANCE.update({
    ("Companies", "Company Maintenance"): ("None", "None", "None", "All"),
    ("Procurement", "Products"): ("None", "None", "None", "All"),
    ("Procurement", "Purchase Orders"): ("None", "None", "None", "All"),
    ("System", "Table Setup"): ("None", "None", "None", "All"),
    ("Time & Expense", "Time Approval"): ("All", "All", "None", "All"),
})
_FINANCE_TABLES = ["Agreements / Agreement Type", "General Ledger / Accounting Package", "Invoicing / Billing Status", "Invoicing / Tax Code"]


def now_iso():
    """UTC time the way ConnectWise writes it."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def hash_key(private_key):
    """Digest stored in place of a private key."""
    return hashlib.sha256(private_key.encode("utf-8")).hexdigest()


def random_key(length=16):
    """A key in ConnectWise's style: letters and digits."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _position in range(length))


class AuthFailure(Exception):
    """Why a key pair was refused (never echoes the key)."""


# How customizeItems may name a Table Setup item: the setupScreen id, "Category / Name", or the name alone.
ITEM_FORMS = ("id", "label", "name")


def answer_key(method, resource):
    """How a fixed answer is keyed: 'GET /system/mycompany/corporatestructure' (paths are case-insensitive)."""
    return "%s /%s" % (method.upper(), resource.strip("/").lower())


class Tenant:
    """Wraps one tenant's dict with the operations handlers need."""

    def __init__(self, data):
        self.data = data

    # --- creation -------------------------------------------------------------------------
    @classmethod
    def create(cls, company, public_key, private_key, settings_writable=False, level1_name="Corporate", company_name=None,
               customize_item_form="id"):
        """A seeded tenant: Admin, Technician and Finance roles, full member simadmin holding the admin key."""
        level1_name = level1_name or "Corporate"
        tenant = cls({
            "version": STATE_VERSION,
            "company": company,
            "companyName": company_name or f"{company} (simulated)",
            "settingsWritable": bool(settings_writable),
            "customizeItemForm": customize_item_form or "id",
            "counters": {"role": 0, "member": 138, "setting": 1000, "item": 0},
            "roles": [],
            "members": [],
            "keys": [],
            "lookups": {
                "structureLevels": [{"id": 1, "name": level1_name}, {"id": 2, "name": "Location"}, {"id": 3, "name": "Business Unit"}],
                "corporateStructure": {
                    "level1Name": level1_name, "level2Name": "Location", "level3Name": "Business Unit",
                    "level4Name": "Department", "level5Name": "Team",
                },
                "locations": copy.deepcopy(_LOCATIONS),
                "departments": copy.deepcopy(_DEPARTMENTS),
                "timeZones": copy.deepcopy(_TIME_ZONES),
                "boards": copy.deepcopy(_BOARDS),
            },
        })
        admin = tenant.add_role("Admin", ADMIN_IDENTIFIER, admin=True, fill="All")
        admin["customize"][catalogue.TABLE_SETUP] = [tenant.new_item(str(row[0])) for row in catalogue.SETUP_SCREENS]
        for name, matrix, tables in (("Technician", _TECHNICIAN, _TECHNICIAN_TABLES), ("Finance", _FINANCE, _FINANCE_TABLES)):
            role = tenant.add_role(name, ADMIN_IDENTIFIER)
            for (module, function), levels in matrix.items():
                tenant.set_levels(role, catalogue.function_code(module, function), levels, ADMIN_IDENTIFIER)
            items = [str(catalogue.SCREEN_BY_NAME[label][0]) for label in tables]
            role["customize"][catalogue.TABLE_SETUP] = [tenant.new_item(item) for item in items]
        seeds = ((ADMIN_IDENTIFIER, "Sim", "Admin", admin), ("jtech", "Jo", "Technician", tenant.role_named("Technician")),
                 ("fbooks", "Fran", "Books", tenant.role_named("Finance")))
        for identifier, first, last, role in seeds:
            member = tenant.add_member({
                "identifier": identifier, "firstName": first, "lastName": last, "licenseClass": "F",
                "emailAddress": f"{identifier}@{company}.example", "securityRole": role["id"], "structureLevel": 1,
                "securityLocation": 1, "defaultLocation": 1, "salesDefaultLocation": 1, "defaultDepartment": 10,
                "timeZone": 1, "serviceDefaultBoard": 1,
            }, ADMIN_IDENTIFIER)
            if identifier == ADMIN_IDENTIFIER:
                tenant.add_key(member["id"], ADMIN_KEY, public_key=public_key, private_key=private_key)
        return tenant

    # --- plain properties ---------------------------------------------------------------
    @property
    def company(self):
        """Company id as created (look-ups ignore case)."""
        return self.data["company"]

    @property
    def settings_writable(self):
        """Whether PATCH on role settings is accepted."""
        return self.data["settingsWritable"]

    def fixed_answer(self, method, resource):
        """The body set for this call through /__sim__/tenants/{company}/answers (200 with it), or None."""
        return (self.data.get("answers") or {}).get(answer_key(method, resource))

    @property
    def customize_item_form(self):
        """How customizeItems names a Table Setup item (unknown on a real tenant): "id", "label" or "name"."""
        return self.data.get("customizeItemForm") or "id"

    def lookup(self, kind):
        """A look-up table: structureLevels, locations, departments, timeZones, boards."""
        return self.data["lookups"][kind]

    def next_id(self, kind):
        """Next id from a per-tenant counter."""
        self.data["counters"][kind] += 1
        return self.data["counters"][kind]

    def new_item(self, item):
        """A customize item record."""
        return {"id": self.next_id("item"), "item": item}

    # --- roles ------------------------------------------------------------------------------
    @property
    def roles(self):
        """All roles."""
        return self.data["roles"]

    def role(self, role_id):
        """Role by id, or None."""
        return next((r for r in self.roles if r["id"] == role_id), None)

    def role_named(self, name):
        """Role by name, case-insensitively, or None."""
        return next((r for r in self.roles if r["name"].casefold() == name.casefold()), None)

    def add_role(self, name, by, role_type=None, admin=False, inactive=False, fill="None"):
        """A role with one settings row per catalogue function, every cell `fill`."""
        stamp = {"lastUpdated": now_iso(), "updatedBy": by}
        role = {
            "id": self.next_id("role"), "name": name, "roleType": role_type, "adminFlag": admin, "inactiveFlag": inactive,
            "info": stamp,
            "settings": [{"id": self.next_id("setting"), "function": code, "levels": [fill] * 4, "info": dict(stamp)}
                         for code in self.function_codes()],
            "customize": {},
        }
        self.roles.append(role)
        return role

    def function_codes(self):
        """Every module function's code, in order: a replayed tenant's own (simulator/capture.py), else the catalogue's."""
        return list(self.data["catalogue"]) if self.data.get("catalogue") else [row[0] for row in catalogue.FUNCTIONS]

    def function_code(self, module, function):
        """Code of a module function given by its exact names, or None (a replayed tenant: its own names)."""
        if not self.data.get("catalogue"):
            return catalogue.function_code(module, function)
        return next((code for code, row in self.data["catalogue"].items()
                     if (row.get("moduleName"), row.get("moduleFunctionName")) == (module, function)), None)

    def set_levels(self, role, code, levels, by):
        """Replace a row's cells; None in `levels` keeps that cell."""
        row = next(r for r in role["settings"] if r["function"] == code)
        row["levels"] = [old if new is None else new for old, new in zip(row["levels"], levels)]
        row["info"] = {"lastUpdated": now_iso(), "updatedBy": by}
        return row

    def role_in_use(self, role_id):
        """Members (full or API) whose role this is."""
        return [m for m in self.members if m["securityRole"] == role_id]

    def level(self, member, module, function, cell):
        """The member's level in one cell (index into catalogue.CELLS) of a function."""
        role = self.role(member["securityRole"])
        code = self.function_code(module, function)
        if role is None or code is None:
            return "None"
        return next(r["levels"][cell] for r in role["settings"] if r["function"] == code)

    # --- members ------------------------------------------------------------------------
    @property
    def members(self):
        """All members, full and API."""
        return self.data["members"]

    def member(self, member_id):
        """Member by id, or None."""
        return next((m for m in self.members if m["id"] == member_id), None)

    def member_by_identifier(self, identifier):
        """Member by identifier, case-insensitively, or None."""
        return next((m for m in self.members if m["identifier"].casefold() == identifier.casefold()), None)

    def add_member(self, fields, by):
        """Store a validated member; returns it."""
        member = blank_member()
        member.update(fields)
        member["id"] = self.next_id("member")
        member["info"] = {"lastUpdated": now_iso(), "updatedBy": by}
        self.members.append(member)
        return member

    # --- keys -------------------------------------------------------------------------------
    def add_key(self, member_id, description, expires=None, public_key=None, private_key=None):
        """Store a key pair for a member; returns (public, private). Only the digest is kept."""
        public_key = public_key or random_key()
        private_key = private_key or random_key()
        self.data["keys"].append({
            "publicKey": public_key, "privateKeyHash": hash_key(private_key), "memberId": member_id,
            "description": description, "expires": expires, "created": now_iso(),
        })
        return public_key, private_key

    @property
    def token_lifetime_s(self):
        """How long an issued token works: 24 h unless the control endpoint set it (tests of expiry)."""
        return self.data.get("tokenLifetimeS", 24 * 3600)

    def issue_token(self, member_id):
        """An expiring impersonation pair; returns (public, private, expiration)."""
        expires = datetime.now(timezone.utc) + timedelta(seconds=self.token_lifetime_s)
        expiration = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
        public_key, private_key = self.add_key(member_id, "token", expires=expiration)
        return public_key, private_key, expiration

    def authenticate(self, public_key, private_key):
        """The member a key pair belongs to; raises AuthFailure."""
        digest = hash_key(private_key)
        key = next((k for k in self.data["keys"] if k["publicKey"] == public_key), None)
        if key is None or not hmac.compare_digest(key["privateKeyHash"], digest):
            raise AuthFailure("The public or private key is invalid")
        if key["expires"] and key["expires"] < now_iso():
            raise AuthFailure("The key pair has expired")
        member = self.member(key["memberId"])
        if member is None or member["inactiveFlag"]:
            raise AuthFailure("The member is inactive")
        return member


def blank_member():
    """Every stored member field at its reset value (what PUT leaves for omitted fields)."""
    return {
        "identifier": None, "firstName": None, "lastName": None, "licenseClass": "A", "emailAddress": None,
        "securityRole": None, "structureLevel": None, "securityLocation": None, "defaultLocation": None,
        "salesDefaultLocation": None, "defaultDepartment": None, "timeZone": None, "serviceDefaultBoard": None,
        "excludedServiceBoardIds": [], "blockPriceFlag": False, "blockCostFlag": False, "inactiveFlag": False,
        "notes": None,
    }
