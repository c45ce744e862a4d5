"""The published ConnectWise Manage endpoint catalogue, derived from pyconnectwise's generated endpoint classes.

pyconnectwise generates one class per path of ConnectWise's published OpenAPI spec. The catalogue is read from
their source with `ast` rather than by importing them: some of the 1800 modules do not import in 0.6.1.2 (they name
models the package lacks), and about a hundred classes (among them securityRoles/{id}/settings and
myCompany/corporateStructure*) are never registered under their parent because the generator's casing differs, so
walking the client's tree would miss them. A class's path is the one its generated docstrings state ("Performs a
GET request against the /system/securityRoles/{id}/settings endpoint"); its methods are the IGettable / IPostable /
IPuttable / IPatchable / IDeleteable interfaces it implements plus the verb methods it defines (the generator
defines `delete` on ~280 classes without listing IDeleteable). ConnectWise paths are case-insensitive, so paths are
compared lower-cased; every path parameter is `{id}` in pyconnectwise and matches any one segment.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pyconnectwise

ENDPOINTS = Path(pyconnectwise.__file__).parent / "endpoints" / "manage"
VERBS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
INTERFACES = {"IGettable": "GET", "IPostable": "POST", "IPuttable": "PUT", "IPatchable": "PATCH", "IDeleteable": "DELETE"}
_DOC_PATH = re.compile(r"against the (/\S+) endpoint")
_OTHER_CODEBASE = re.compile(r"/[^/]+/apis/3\.0(/.*)?", re.I)
_COMPANYINFO = re.compile(r"/login/companyinfo/[^/]+/?", re.I)

# Requests the collection sends that pyconnectwise's catalogue lacks, each with why it is nonetheless allowed.
NOT_IN_PYCONNECTWISE = {
    ("PATCH", "/system/securityroles/{id}/settings/{id}"):
        "the settings write probe (cw_settings_probe, doctor): no published spec has it, the probe asks whether the "
        "tenant answers it anyway",
    ("GET", "/system/mysecurity/customizeitems"):
        "published as /system/mySecurity/customizeItems/ (trailing slash; model MySecurityCustomizeItem); "
        "pyconnectwise 0.6.1.2's generator emits the class for that path without any method",
}


def _endpoint_class(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == path.stem)


def _methods_and_path(cls):
    methods = set()
    for base in cls.bases:
        if isinstance(base, ast.Subscript) and isinstance(base.value, ast.Name) and base.value.id in INTERFACES:
            methods.add(INTERFACES[base.value.id])
    paths = set()
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name in VERBS:
            methods.add(VERBS[node.name])
            match = _DOC_PATH.search(ast.get_docstring(node) or "")
            if match:
                paths.add(match.group(1))
    return methods, paths


@functools.lru_cache(maxsize=None)
def catalogue():
    """{lower-cased path template: frozenset of methods} for every ConnectWise Manage endpoint pyconnectwise knows."""
    found = {}
    for source in sorted(ENDPOINTS.glob("*Endpoint.py")):
        methods, paths = _methods_and_path(_endpoint_class(source))
        if not methods:
            continue
        if len(paths) != 1:  # the derivation would be guessing: make the catalogue fail loudly instead
            raise AssertionError(f"{source.name}: expected one documented path, found {sorted(paths)}")
        key = normalise(paths.pop())
        found[key] = found.get(key, frozenset()) | frozenset(methods)
    return found


def normalise(path):
    """/system/securityRoles/{id}/settings/ -> /system/securityroles/{id}/settings (no query, no trailing slash)."""
    return "/" + "/".join(segment.lower() for segment in path.split("?", 1)[0].split("/") if segment)


def _matches(template, segments):
    parts = template.split("/")[1:]
    return len(parts) == len(segments) and all(want in ("{id}", got) for want, got in zip(parts, segments))


def published(method, resource):
    """True when `method resource` (a path after /apis/3.0, query allowed) is a published endpoint."""
    segments = normalise(resource).split("/")[1:]
    return any(method.upper() in methods and _matches(template, segments) for template, methods in catalogue().items())


def allowed(method, resource):
    """Published, or one of the NOT_IN_PYCONNECTWISE exceptions."""
    segments = normalise(resource).split("/")[1:]
    exceptions = any(method.upper() == m and _matches(t, segments) for m, t in NOT_IN_PYCONNECTWISE)
    return exceptions or published(method, resource)


def unpublished(log):
    """Entries of a simulator request log whose (method, path) is neither published nor an allowed exception.

    The simulator logs `resource` (the path after /apis/3.0) only on the codebases it serves; on another codebase
    (a stale record after an upgrade: a 404 there is the point) it is read from the path, since the published surface
    is the same. Outside /apis/3.0 only GET /login/companyinfo/{company} is allowed (no auth, how the codebase is
    learnt)."""
    bad = []
    for entry in log:
        resource = entry["resource"]
        if resource is None:
            api = _OTHER_CODEBASE.fullmatch(entry["path"])
            if api:
                resource = api.group(1) or "/"
            elif entry["method"] == "GET" and _COMPANYINFO.fullmatch(entry["path"]):
                continue
        if resource is None or not allowed(entry["method"], resource):
            bad.append(entry)
    return bad
