# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What ConnectWise's published API answers on each call the collection makes, checked before any answer is used.

A tenant that answers otherwise (another release, a proxy, a different model version) then fails with a message that
names the call and what was expected, as that tenant's error: never a traceback, never a write after it.
"""

from __future__ import annotations

import re

from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError

RECORD = "record"          # a JSON object
RECORDS = "records"        # a JSON array of objects
EITHER = "either"          # published as an array; some generated clients read one object: both accepted

# (method, path pattern after /apis/3.0, case-insensitive) -> (kind, published model, fields the collection relies on)
_PUBLISHED = (
    ("GET", r"/system/info", RECORD, "Info", ()),
    ("GET", r"/.+/count", RECORD, "Count", ("count",)),
    ("GET", r"/system/securityroles", RECORDS, "SecurityRole", ("id", "name")),
    ("POST", r"/system/securityroles", RECORD, "SecurityRole", ("id", "name")),
    ("GET", r"/system/securityroles/\d+/settings", RECORDS, "SecurityRoleSetting", ("id", "moduleName", "moduleFunctionName")),
    ("PATCH", r"/system/securityroles/\d+/settings/\d+", RECORD, "SecurityRoleSetting", ("id",)),
    ("GET", r"/system/mysecurity", RECORDS, "MySecurity", ("moduleName", "moduleFunctionName")),
    ("GET", r"/system/mysecurity/customizeitems", RECORDS, "MySecurityCustomizeItem", ("customizeIdentifier",)),
    ("GET", r"/system/setupscreens", RECORDS, "SetupScreen", ("id", "category", "name")),
    ("GET", r"/system/apimembers", RECORDS, "ApiMember", ("id", "identifier")),
    ("GET", r"/system/apimembers/default", RECORD, "ApiMember", ()),
    ("POST", r"/system/apimembers", RECORD, "ApiMember", ("id", "identifier")),
    ("PATCH", r"/system/apimembers/\d+", RECORD, "ApiMember", ("id", "identifier")),
    ("GET", r"/system/members", RECORDS, "Member", ("id", "identifier")),
    ("POST", r"/system/members/[^/]+/tokens", RECORD, "Token", ("publicKey", "privateKey")),
    ("GET", r"/system/mycompany/corporatestructure", EITHER, "CorporateStructure", ()),
    ("GET", r"/system/mycompany/corporatestructurelevels", RECORDS, "CorporateStructureLevel", ("id", "name")),
    ("GET", r"/system/(locations|departments|timezonesetups)", RECORDS, "reference", ("id", "name")),
    ("GET", r"/service/boards", RECORDS, "Board", ("id", "name")),
)
_COMPILED = [(method, re.compile(pattern + r"/?", re.IGNORECASE), kind, model, fields)
             for method, pattern, kind, model, fields in _PUBLISHED]
# Fields the collection reads as text, as references or as flags, wherever they appear: another type is an odd answer.
_TEXT = ("name", "identifier", "moduleName", "moduleFunctionName", "category", "customizeIdentifier", "level1Name")
_REFERENCE = ("securityRole", "structureLevel")
_FLAG = ("adminFlag", "inactiveFlag")
_KINDS = {RECORD: "one %s record (a JSON object)", RECORDS: "a list of %s records (a JSON array of objects)",
          EITHER: "a list of %s records (or one record)"}


class UnexpectedAnswer(ConnectWiseError):
    """A successful answer whose shape is not the published one."""


def published(method, path):
    """(kind, model, fields) the published API answers for this call, or None when the collection does not read it."""
    for verb, pattern, kind, model, fields in _COMPILED:
        if verb == method and pattern.fullmatch(path):
            return kind, model, fields
    return None


def _what(value):
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, dict):
        return "a JSON object"
    return "no JSON data" if value is None else "a JSON %s" % type(value).__name__.replace("str", "string")


def check(method, path, status, data):
    """Raise UnexpectedAnswer unless ``data`` has the published shape of ``method path``. Values are never quoted
    (an answer may carry a key)."""
    expected = published(method, path)
    if expected is None or status == 204:
        return
    kind, model, fields = expected
    records = data if isinstance(data, list) else [data]
    shape_ok = {RECORD: isinstance(data, dict), RECORDS: isinstance(data, list),
                EITHER: isinstance(data, (list, dict))}[kind]
    problem = None
    if not shape_ok or not all(isinstance(r, dict) for r in records):
        problem = "got %s" % (_what(data) if not shape_ok else "an array holding something other than objects")
    else:
        for position, record in enumerate(records):
            missing = [f for f in fields if record.get(f) is None or (f == "id" and not isinstance(record[f], int))]
            missing += [f for f in _TEXT if record.get(f) is not None and not isinstance(record[f], str) and f not in missing]
            missing += [f for f in _REFERENCE if record.get(f) is not None and not isinstance(record[f], dict)]
            missing += [f for f in _FLAG if record.get(f) is not None and not isinstance(record[f], bool)]
            if missing:
                where = "the record" if kind == RECORD else "record %d" % position
                problem = "%s has no usable %s" % (where, ", ".join(repr(f) for f in missing))
                break
    if problem:
        raise UnexpectedAnswer(
            "unexpected answer: expected %s, %s" % (_KINDS[kind] % model, problem), method=method, path=path, status=status,
            hint="this tenant answers differently from ConnectWise's published API, so nothing more was sent to it; "
                 "record it with `ansible-playbook msp.connectwise.doctor -e cw_capture=true` and attach the capture "
                 "to a bug report")
