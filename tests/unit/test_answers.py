"""answers.check: every answer the collection reads must have its published shape before anything uses it.

Consistency with the published spec itself is checked elsewhere (tests/conformance parses the simulator's answers with a
client generated from it); here the checker is held to refusing what the spec never answers, and to saying so clearly.
"""

from __future__ import annotations

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.api.answers import UnexpectedAnswer, check, published


def refused(method, path, data):
    with pytest.raises(UnexpectedAnswer) as caught:
        check(method, path, 200, data)
    return str(caught.value)


@pytest.mark.parametrize("method, path, data", [
    ("GET", "/system/myCompany/corporateStructure", [{"id": 1, "level1Name": "Corporate"}]),
    ("GET", "/system/myCompany/corporateStructure", {"id": 1, "level1Name": "Corporate"}),
    ("GET", "/system/mycompany/corporatestructure/", []),
    ("GET", "/system/securityRoles/12/settings", [{"id": 3, "moduleName": "System", "moduleFunctionName": "Table Setup"}]),
    ("GET", "/system/setupScreens", []),
    ("POST", "/system/members/TopLeft/tokens", {"publicKey": "p", "privateKey": "s", "expiration": "2026-12-02T00:00:00Z"}),
    ("GET", "/system/securityroles/count", {"count": 4}),
    ("GET", "/system/unknown/thing", "anything: the collection does not read it"),
])
def test_published_shapes_pass(method, path, data):
    check(method, path, 200, data)


def test_a_list_where_one_record_is_published_names_the_call_and_both_shapes():
    message = refused("GET", "/system/apiMembers/default", [{"id": 0}])
    assert message.startswith("GET /system/apiMembers/default -> HTTP 200: unexpected answer: expected one ApiMember "
                              "record (a JSON object), got a JSON array")
    assert "cw_capture=true" in message


def test_an_object_where_a_list_is_published():
    assert "expected a list of SetupScreen records (a JSON array of objects), got a JSON object" in refused(
        "GET", "/system/setupScreens", {"id": 1, "category": "Service", "name": "Service Board"})


def test_a_string_where_the_corporate_structure_is_published():
    assert "expected a list of CorporateStructure records (or one record), got a JSON string" in refused(
        "GET", "/system/myCompany/corporateStructure", "Corporate")


def test_missing_fields_and_ids_that_are_not_numbers_are_named():
    assert "record 1 has no usable 'name'" in refused("GET", "/system/securityroles", [{"id": 1, "name": "A"}, {"id": 2}])
    assert "record 0 has no usable 'id'" in refused(
        "GET", "/system/securityRoles/5/settings", [{"id": "F1", "moduleName": "System", "moduleFunctionName": "X"}])
    assert "an array holding something other than objects" in refused("GET", "/system/apiMembers", ["kanban"])


def test_a_refused_token_answer_never_quotes_the_key():
    message = refused("POST", "/system/members/TopLeft/tokens", {"publicKey": "pub-123456", "privateKey": None,
                                                                 "secret": "priv-abcdef"})
    assert "'privateKey'" in message
    assert "pub-123456" not in message and "priv-abcdef" not in message


def test_every_call_the_collection_reads_has_a_published_shape():
    for method, path in [("GET", "/system/info"), ("GET", "/system/mySecurity"), ("GET", "/system/mySecurity/customizeItems"),
                         ("GET", "/system/apiMembers"), ("POST", "/system/apiMembers"), ("PATCH", "/system/apiMembers/7"),
                         ("GET", "/system/members"), ("GET", "/system/locations"), ("GET", "/system/departments"),
                         ("GET", "/system/timeZoneSetups"), ("GET", "/service/boards"), ("POST", "/system/securityroles"),
                         ("GET", "/system/myCompany/corporateStructureLevels"),
                         ("PATCH", "/system/securityRoles/3/settings/44")]:
        assert published(method, path) is not None, (method, path)
    assert published("DELETE", "/system/securityroles/3") is None


@pytest.mark.parametrize("path, record, field", [
    ("/system/securityRoles/5/settings", {"id": 1, "moduleName": 7, "moduleFunctionName": "X"}, "moduleName"),
    ("/system/apiMembers", {"id": 1, "identifier": "x", "securityRole": "Admin"}, "securityRole"),
    ("/system/apiMembers", {"id": 1, "identifier": 12345}, "identifier"),
    ("/system/members", {"id": 1, "identifier": "x", "inactiveFlag": "false"}, "inactiveFlag"),
    ("/system/securityroles", {"id": 1, "name": 42}, "name"),
])
def test_fields_of_another_type_are_odd_answers(path, record, field):
    assert "record 0 has no usable %r" % field in refused("GET", path, [record])
