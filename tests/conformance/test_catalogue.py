"""The published-endpoint catalogue (tests/published.py) behind the e2e check: it must reject what is not published,
accept what is, and agree with pyconnectwise's own endpoint chains, or the check could silently pass everything."""

import pytest
from pyconnectwise import ConnectWiseManageAPIClient

from tests.published import NOT_IN_PYCONNECTWISE, allowed, catalogue, normalise, published, unpublished

# Every (method, path) the collection sends, as the brief of the e2e check lists them.
USED = [
    ("GET", "/system/securityroles"), ("POST", "/system/securityroles"), ("GET", "/system/securityroles/5"),
    ("DELETE", "/system/securityroles/5"), ("GET", "/system/securityRoles/5/settings"),
    ("GET", "/system/securityRoles/5/settings/1001"), ("GET", "/system/securityRoles/5/settings/count"),
    ("GET", "/system/apiMembers"), ("POST", "/system/apiMembers"), ("GET", "/system/apiMembers/140"),
    ("PATCH", "/system/apiMembers/140"), ("GET", "/system/apiMembers/default"), ("GET", "/system/members"),
    ("POST", "/system/members/jtech/tokens"), ("GET", "/system/mySecurity"), ("GET", "/system/setupScreens"),
    ("GET", "/system/myCompany/corporateStructure"), ("GET", "/system/myCompany/corporateStructureLevels"),
    ("GET", "/system/locations"), ("GET", "/system/departments"), ("GET", "/system/timeZoneSetups"),
    ("GET", "/service/boards"), ("GET", "/system/info"),
]


def _entry(method, path, resource):
    return {"method": method, "path": path, "resource": resource, "status": 200}


@pytest.mark.parametrize("method, resource", [
    ("PUT", "/system/securityroles/5"), ("GET", "/system/securityRoles/5/customize"), ("PATCH", "/system/securityroles/5"),
    ("POST", "/system/securityRoles/5/settings"), ("PUT", "/system/securityRoles/5/settings/1001"),
    ("DELETE", "/system/apiMembers/140"), ("GET", "/system/nosuchthing"), ("GET", "/system"), ("GET", "/"),
])
def test_rejects_what_is_not_published(method, resource):
    assert not allowed(method, resource)
    assert unpublished([_entry(method, "/v4_6_release/apis/3.0" + resource, resource)])


@pytest.mark.parametrize("method, resource", USED + [
    ("GET", "/system/securityroles/5/settings?pageSize=1000&page=2"), ("GET", "/System/SecurityRoles/5/Settings/"),
])
def test_accepts_what_the_collection_uses(method, resource):
    assert allowed(method, resource)
    assert not unpublished([_entry(method, "/v2025_1/apis/3.0" + resource.split("?")[0], resource)])


def test_each_exception_is_needed_and_the_only_way_in():
    """The listed exceptions are exactly what pyconnectwise lacks: were it to publish one, drop it from the list."""
    for method, template in NOT_IN_PYCONNECTWISE:
        path = template.replace("{id}", "7")
        assert allowed(method, path) and not published(method, path)
    assert not allowed("PUT", "/system/securityroles/7/settings/7")
    assert not allowed("POST", "/system/mySecurity/customizeItems")


def test_outside_apis_only_companyinfo_and_other_codebases_by_their_path():
    assert not unpublished([_entry("GET", "/login/companyinfo/msptest", None)])
    assert not unpublished([_entry("GET", "/v2019_3/apis/3.0/system/securityroles", None)])
    for method, path in (("POST", "/login/companyinfo/msptest"), ("GET", "/login/other"),
                         ("GET", "/v4_6_release/apis/2.0/system/info"), ("PUT", "/v2019_3/apis/3.0/system/securityroles/5")):
        assert unpublished([_entry(method, path, None)])


def test_catalogue_agrees_with_pyconnectwise_endpoint_chains():
    """Paths come from the generated docstrings; where pyconnectwise's client tree reaches a class, the chain of
    endpoint segments must name the same path with the same methods."""
    client = ConnectWiseManageAPIClient("c", "host", "client", "public", "private", codebase="v4_6_release/")
    checked = 0

    def walk(endpoint, prefix):
        nonlocal checked
        path = f"{prefix}/{endpoint.endpoint_base}"
        verbs = {verb.upper() for verb in ("get", "post", "put", "patch", "delete") if verb in type(endpoint).__dict__}
        if verbs:
            assert verbs <= catalogue()[normalise(path)], path
            checked += 1
        for child in endpoint._child_endpoints:  # pylint: disable=protected-access
            walk(child, path)
        if "id" in type(endpoint).__dict__:
            walk(endpoint.id(1), path)

    walk(client.system, "")
    walk(client.service, "")
    assert checked > 300 and len(catalogue()) > 1500
