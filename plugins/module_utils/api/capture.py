# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A capture of a tenant: every read the collection makes, each answer kept as the tenant gave it, keyed by its request
path, scrubbed of keys and people, for a bug report. ``python -m simulator --capture FILE`` serves it back.

Read-only. A read the tenant refuses or answers oddly is recorded as such instead of ending the capture: an odd answer
is what a capture is for."""

from __future__ import annotations

import json
import re
import time

from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.storage.files import write_atomic
from ansible_collections.msp.connectwise.plugins.module_utils.api.version import COLLECTION_VERSION

FORMAT = "msp.connectwise.capture"
FORMAT_VERSION = 1
ROLES = "/system/securityRoles"
API_MEMBERS = "/system/apiMembers"
MEMBERS = "/system/members"
# Read as a list (every page), in this order after the roles, their settings and the API members.
LISTS = ("/system/myCompany/corporateStructureLevels", "/system/locations", "/system/departments", "/system/timeZoneSetups",
         "/service/boards", "/system/setupScreens", "/system/mySecurity", "/system/mySecurity/customizeItems")
# Of a full member, only who holds which role is kept.
MEMBER_FIELDS = ("id", "identifier", "licenseClass", "securityRole", "inactiveFlag")
SCRUBBED = "[scrubbed]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_EMAIL_KEY = re.compile(r"(?i)e-?mail")
_SECRET_KEY = re.compile(r"(?i)^(private_?key|public_?key|password|secret|token|access_?token|api_?key|authorization)$")
_NAME_KEY = re.compile(r"(?i)^(first_?name|last_?name|full_?name|middle_?initial|nick_?name)$")
_BY_KEY = re.compile(r"[a-z](By|_by)$")  # updatedBy, enteredBy, closed_by: who did it, a member's identifier
_PSEUDONYM_DOMAIN = "@example.invalid"


class Scrubber:
    """Replaces keys, e-mail addresses and people (full members) with stable pseudonyms: member-<id> for a member,
    person<id>@example.invalid for their address, so that every reference to one person still matches. API members
    keep their identifiers and names: they name integrations, and the collection finds its members by them."""

    def __init__(self, secrets, members, api_members):
        self.secrets = sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True)
        api_ids = {m.get("id") for m in api_members}
        people = [m for m in members if m.get("id") not in api_ids and m.get("licenseClass") != "A"]
        self.api_identifiers = {(m.get("identifier") or "").casefold() for m in api_members + members
                                if m.get("id") in api_ids or m.get("licenseClass") == "A"}
        self.identifiers, self.emails, self.names = {}, {}, {}
        for member in people:
            pseudonym = "member-%s" % member.get("id")
            if member.get("identifier"):
                self.identifiers[member["identifier"].casefold()] = pseudonym
            self._emails_of(member, "person%s%s" % (member.get("id"), _PSEUDONYM_DOMAIN))
            first, last = (member.get("firstName") or "").strip(), (member.get("lastName") or "").strip()
            for full in ("%s %s" % (first, last), "%s, %s" % (last, first)) if first and last else ():
                self.names[full.casefold()] = pseudonym
        for member in api_members:
            self._emails_of(member, "person%s%s" % (member.get("id"), _PSEUDONYM_DOMAIN))
        self._unknown = {"email": 0, "member": 0}
        names = sorted(self.names, key=len, reverse=True)
        self._name_re = re.compile("|".join(r"\b%s\b" % re.escape(n) for n in names), re.IGNORECASE) if names else None

    def _emails_of(self, record, pseudonym):
        for key, value in record.items():
            if _EMAIL_KEY.search(key) and isinstance(value, str) and _EMAIL.fullmatch(value.strip()):
                self.emails.setdefault(value.strip().casefold(), pseudonym)

    def email(self, address):
        if address.casefold().endswith(_PSEUDONYM_DOMAIN):
            return address
        if address.casefold() not in self.emails:
            self._unknown["email"] += 1
            self.emails[address.casefold()] = "someone%d%s" % (self._unknown["email"], _PSEUDONYM_DOMAIN)
        return self.emails[address.casefold()]

    def who(self, identifier):
        """A member's identifier where it names who did something: API members kept, people pseudonymised."""
        key = identifier.casefold()
        if key in self.api_identifiers:
            return identifier
        if key not in self.identifiers:
            # Someone the member list does not show (deleted, or a system actor): a pseudonym all the same.
            self._unknown["member"] += 1
            self.identifiers[key] = "member-x%d" % self._unknown["member"]
        return self.identifiers[key]

    def text(self, value):
        for secret in self.secrets:
            value = value.replace(secret, SCRUBBED)
        value = _EMAIL.sub(lambda m: self.email(m.group(0)), value)
        if self._name_re:
            value = self._name_re.sub(lambda m: self.names.get(m.group(0).casefold(), "person"), value)
        return value

    def scrub(self, data):
        if isinstance(data, list):
            return [self.scrub(item) for item in data]
        if not isinstance(data, dict):
            return self.text(data) if isinstance(data, str) else data
        identifier = data.get("identifier")
        person = self.identifiers.get(identifier.casefold()) if isinstance(identifier, str) else None
        out = {}
        for key, value in data.items():
            if isinstance(value, str) and _SECRET_KEY.match(key):
                out[key] = SCRUBBED
            elif isinstance(value, str) and _NAME_KEY.match(key):
                out[key] = person or "person"
            elif isinstance(value, str) and _BY_KEY.search(key):
                out[key] = self.who(value)
            elif isinstance(value, str) and person and key in ("identifier", "name"):
                # A person, or a reference to one ({"id", "identifier", "name"}): both parts become the pseudonym.
                out[key] = person
            else:
                out[key] = self.scrub(value)
        return out


def _error(exc):
    return {"status": exc.status, "code": exc.code, "message": str(exc)}


def capture_tenant(client, secrets=()):
    """Every read the collection makes of the tenant, scrubbed: the capture document. ``secrets`` (the keys and
    clientId in use) are blanked wherever they appear. /system/info must answer (it proves the keys work); any other
    read that fails is recorded under ``errors`` and the capture goes on."""
    answers, errors = {}, {}

    def read(path, many=True):
        try:
            answers[path] = client.get_all(path) if many else client.request("GET", path, raw=True).data
        except ConnectWiseError as exc:
            errors[path] = _error(exc)
            if exc.status and exc.status < 300:
                # Answered, in a shape the collection does not expect: keep that answer as it came (one page).
                answers[path] = client.request("GET", path, params={"pageSize": 1000} if many else None, raw=True).data
        return answers.get(path)

    answers["/system/info"] = client.request("GET", "/system/info", raw=True).data
    if client.codebase is None:
        client.discover()
    answers["/login/companyinfo/%s" % client.company_id] = client.company_info
    roles = read(ROLES)
    for role in roles if isinstance(roles, list) else []:
        if isinstance(role, dict) and isinstance(role.get("id"), int):
            read("%s/%d/settings" % (ROLES, role["id"]))
    api_members = read(API_MEMBERS)
    read(API_MEMBERS + "/default", many=False)
    members = read(MEMBERS)
    read("/system/myCompany/corporateStructure", many=False)
    for path in LISTS:
        read(path)
    authorization = client.session.headers.get("Authorization") or ""
    scrubber = Scrubber(list(secrets) + [authorization, authorization.partition(" ")[2]],
                        [m for m in members or [] if isinstance(m, dict)],
                        [m for m in api_members or [] if isinstance(m, dict)])
    if isinstance(members, list):
        answers[MEMBERS] = [{k: m[k] for k in MEMBER_FIELDS if k in m} if isinstance(m, dict) else m for m in members]
    return {
        "format": FORMAT, "format_version": FORMAT_VERSION, "collection_version": COLLECTION_VERSION,
        "captured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "company_id": client.company_id, "codebase": client.codebase, "api_version": client.api_version,
        "scrubbed": "keys, tokens and the Authorization header; e-mail addresses (personN@example.invalid); full "
                    "members' names and identifiers, also where they recorded a change (member-N); of full members only "
                    "id, identifier, licenseClass, securityRole and inactiveFlag are kept",
        "answers": scrubber.scrub(answers), "errors": scrubber.scrub(errors),
    }


def write_capture(dest, document):
    """Written 0600 in a folder created 0700: a capture shows how a tenant is secured."""
    write_atomic(dest, json.dumps(document, indent=1) + "\n", prefix=".cw-capture-")
