"""Conformance: the simulator checked against an outside oracle, not against itself.

The simulator and the collection were written from the same notes, so the collection's tests passing against it
proves only that the two agree. These tests hold the simulator to truth nobody here wrote: pyconnectwise 0.6.1.2, a
client generated from ConnectWise's published OpenAPI spec. Every endpoint the collection calls is driven through
pyconnectwise's ConnectWiseManageAPIClient; each answer is parsed by pyconnectwise itself (its lax pydantic
`model_validate`) and then validated strictly against the same published model (oracle.conforms: exact JSON types,
every required field, no undeclared field); errors must surface as pyconnectwise's own exception classes.

Where pyconnectwise itself is at fault, only the tests' use of it is adapted, with the reason where it happens.
When an answer here does not conform, fix the simulator, not the test.
"""

import pytest
from pyconnectwise import ConnectWiseManageAPIClient
from pyconnectwise.endpoints.manage.SystemMycompanyCorporatestructureEndpoint import SystemMycompanyCorporatestructureEndpoint
from pyconnectwise.endpoints.manage.SystemMycompanyCorporatestructurelevelsEndpoint import (
    SystemMycompanyCorporatestructurelevelsEndpoint,
)
from pyconnectwise.endpoints.manage.SystemSecurityrolesIdSettingsEndpoint import SystemSecurityrolesIdSettingsEndpoint
from pyconnectwise.exceptions import (
    AuthenticationFailedException,
    MalformedRequestException,
    MethodNotAllowedException,
    NotFoundException,
    ObjectExistsError,
    PermissionsFailedException,
)
from pyconnectwise.models.manage import (
    ApiMember,
    Board,
    CorporateStructure,
    CorporateStructureLevel,
    Count,
    Department,
    ErrorResponseMessage,
    Info,
    Location,
    Member,
    MySecurity,
    MySecurityCustomizeItem,
    SecurityRole,
    SecurityRoleSetting,
    SetupScreen,
    TimeZoneSetup,
    Token,
)
from pydantic import ValidationError

from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import ROW_FIELDS
from pyconnectwise.types import ConnectWiseManageRequestParams
from tests.conformance.oracle import CLIENT_ID, conforms

ALL = {"pageSize": 1000}


def _role_id(cw, name):
    return cw.system.security_roles.get(params={"conditions": f'name="{name}"'})[0].id


def _settings(cw, role_id):
    # pyconnectwise never registers `settings` under SystemSecurityrolesIdEndpoint (its generator files the child under
    # "securityRoles", the parent under "securityroles"): build it on the id endpoint as the generator meant to.
    return SystemSecurityrolesIdSettingsEndpoint(cw, parent_endpoint=cw.system.security_roles.id(role_id))


def _token_headers(cw, monkeypatch):
    # pyconnectwise's tokens.post() cannot send headers, and ConnectWise issues member tokens only with
    # `x-cw-usertype: member`: add that one header to what the client sends anyway.
    headers = cw._get_headers()  # pylint: disable=protected-access
    monkeypatch.setattr(cw, "_get_headers", lambda: {**headers, "x-cw-usertype": "member"})


def test_the_oracle_rejects_wrong_shapes():
    """The strict check is not a rubber stamp: a missing required field, a wrong JSON type, an unknown level and an
    undeclared field each fail."""
    for model, text in ((SecurityRole, '{"id": 1}'), (SecurityRole, '{"id": "1", "name": "x"}'),
                        (SecurityRoleSetting, '{"id": 1, "addLevel": "Some"}')):
        with pytest.raises(ValidationError):
            conforms(model, text)
    with pytest.raises(AssertionError, match="inactiveflag"):
        conforms(SecurityRole, '{"id": 1, "name": "x", "inactiveflag": false}')
    # the one field allowed by name (oracle.OTHER_RELEASES) is allowed because pyconnectwise's model really lacks it
    assert "roleType" not in {field.alias for field in SecurityRole.model_fields.values()}


def test_companyinfo_gives_pyconnectwise_its_codebase(cw, wire, sim):
    assert cw.codebase == "v2025_1/"
    assert [(r["method"], r["path"]) for r in sim.requests()] == [("GET", f"/login/companyinfo/{sim.company}")]
    assert wire.last.json()["Codebase"] == cw.codebase


def test_system_info(cw, wire):
    info = cw.system.info.get()
    conforms(Info, wire.last.text)
    assert info.version and info.is_cloud is False


def test_security_roles_list_post_get_count_delete(cw, wire):
    roles = cw.system.security_roles.get(params=ALL)
    conforms(SecurityRole, wire.last.text, many=True)
    assert {"Admin", "Technician", "Finance"} <= {role.name for role in roles}
    created = cw.system.security_roles.post(data={"name": "Conformance", "roleType": "Custom"})
    assert wire.last.status_code == 201
    conforms(SecurityRole, wire.last.text)
    fetched = cw.system.security_roles.id(created.id).get()
    conforms(SecurityRole, wire.last.text)
    assert (fetched.name, fetched.admin_flag, fetched.inactive_flag) == ("Conformance", False, False)
    assert cw.system.security_roles.count.get().count == len(roles) + 1
    conforms(Count, wire.last.text)
    cw.system.security_roles.id(created.id).delete()
    assert wire.last.status_code == 204 and not wire.last.content
    with pytest.raises(NotFoundException):
        cw.system.security_roles.id(created.id).get()
    conforms(ErrorResponseMessage, wire.last.text)


def test_role_settings_list_one_count_and_pages(cw, wire):
    settings = _settings(cw, _role_id(cw, "Technician"))
    rows = settings.get(params=ALL)
    conforms(SecurityRoleSetting, wire.last.text, many=True)
    assert len(rows) > 80 and all(row.module_name and row.module_function_name for row in rows)
    one = settings.id(rows[0].id).get()
    conforms(SecurityRoleSetting, wire.last.text)
    assert one == rows[0]
    assert settings.count.get().count == len(rows)
    conforms(Count, wire.last.text)
    # pyconnectwise pages by the Link header (it reads page=N right before '>'): all pages, each row once
    paged = [row.id for row in settings.paginated(1, 40).all()]
    assert sorted(paged) == sorted(row.id for row in rows)


def test_settings_trimmed_to_the_fields_an_audit_reads(cw, wire):
    """The fields the collection asks of each settings row are fields of the published model, and `fields` is a
    published parameter (pyconnectwise's generated request parameters); trimmed rows still conform."""
    published = {info.alias or name for name, info in SecurityRoleSetting.model_fields.items()}
    assert set(ROW_FIELDS) <= published, sorted(set(ROW_FIELDS) - published)
    assert "fields" in ConnectWiseManageRequestParams.__annotations__
    settings = _settings(cw, _role_id(cw, "Technician"))
    whole = settings.get(params=ALL)
    size = len(wire.last.content)
    trimmed = settings.get(params=dict(ALL, fields=",".join(ROW_FIELDS)))
    conforms(SecurityRoleSetting, wire.last.text, many=True)
    assert {frozenset(row) for row in wire.last.json()} == {frozenset(ROW_FIELDS)}
    assert [(r.id, r.add_level, r.edit_level, r.delete_level, r.inquire_level) for r in trimmed] == [
        (r.id, r.add_level, r.edit_level, r.delete_level, r.inquire_level) for r in whole]
    assert len(wire.last.content) * 2 < size  # less than half the bytes


def test_my_security_and_customize_items(cw, wire):
    rows = cw.system.my_security.get(params=ALL)
    conforms(MySecurity, wire.last.text, many=True)
    assert {row.inquire_level for row in rows} == {"All"}  # the admin key's role
    # Published as /system/mySecurity/customizeItems/ with Array<MySecurityCustomizeItem>; pyconnectwise 0.6.1.2 emits
    # the endpoint class without a method (its generator drops the trailing-slash path), so the request goes through
    # that class's own _make_request and the answer is validated with the published model.
    response = cw.system.my_security.customize_items._make_request("GET", params=ALL)  # pylint: disable=protected-access
    items = conforms(MySecurityCustomizeItem, response.text, many=True)
    assert items and {item.customize_identifier for item in items} == {"SystemTableSetup"}


def test_setup_screens(cw, wire):
    screens = cw.system.setup_screens.get(params=ALL)
    conforms(SetupScreen, wire.last.text, many=True)
    assert cw.system.setup_screens.id(screens[0].id).get() == screens[0]
    conforms(SetupScreen, wire.last.text)
    assert cw.system.setup_screens.count.get().count == len(screens)


def test_corporate_structure_and_levels(cw, wire):
    # Neither endpoint is registered under SystemMycompanyEndpoint (the generator's casing again): build them on it.
    structure = SystemMycompanyCorporatestructureEndpoint(cw, parent_endpoint=cw.system.my_company).get()
    conforms(CorporateStructure, wire.last.text, many=True)
    assert structure[0].level1_name == "Corporate"
    levels = SystemMycompanyCorporatestructurelevelsEndpoint(cw, parent_endpoint=cw.system.my_company).get()
    conforms(CorporateStructureLevel, wire.last.text, many=True)
    assert [level.name for level in levels][:1] == ["Corporate"]


@pytest.mark.parametrize("endpoint, model", [
    ("locations", Location), ("departments", Department), ("time_zone_setups", TimeZoneSetup),
])
def test_system_lookups(cw, wire, endpoint, model):
    records = getattr(cw.system, endpoint).get(params=ALL)
    conforms(model, wire.last.text, many=True)
    assert records and getattr(cw.system, endpoint).id(records[0].id).get() == records[0]
    conforms(model, wire.last.text)


def test_service_boards(cw, wire):
    boards = cw.service.boards.get(params=ALL)
    conforms(Board, wire.last.text, many=True)
    assert cw.service.boards.id(boards[0].id).get() == boards[0]
    conforms(Board, wire.last.text)


def test_api_members_default_post_get_patch_list(cw, wire):
    default = cw.system.api_members.default.get()
    conforms(ApiMember, wire.last.text)
    body = {key: value for key, value in wire.last.json().items() if key not in ("id", "_info")}
    body.update(identifier="conformbot", name="Conform Bot", securityRole={"id": _role_id(cw, "Technician")})
    created = cw.system.api_members.post(data=body)
    assert wire.last.status_code == 201
    conforms(ApiMember, wire.last.text)
    assert created.time_zone == default.time_zone and created.security_role.name == "Technician"
    assert cw.system.api_members.id(created.id).get() == created
    conforms(ApiMember, wire.last.text)
    patched = cw.system.api_members.id(created.id).patch(data=[{"op": "replace", "path": "inactiveFlag", "value": True}])
    conforms(ApiMember, wire.last.text)
    assert patched.inactive_flag is True
    listed = cw.system.api_members.get(params={"conditions": 'identifier="conformbot"'})
    conforms(ApiMember, wire.last.text, many=True)
    assert [member.id for member in listed] == [created.id]


def test_members_and_a_member_token(cw, wire, sim, monkeypatch):
    members = cw.system.members.get(params=ALL)
    conforms(Member, wire.last.text, many=True)
    assert {"simadmin", "jtech", "fbooks"} <= {member.identifier for member in members}
    _token_headers(cw, monkeypatch)
    # The published path is /system/members/{memberIdentifier}/tokens; pyconnectwise names every parameter {id}
    # and substitutes whatever it is given, so the identifier goes through id().
    token = cw.system.members.id("jtech").tokens.post()
    assert wire.last.status_code == 201
    conforms(Token, wire.last.text)
    as_jtech = ConnectWiseManageAPIClient(sim.company, f"{sim.host}:{sim.port}", CLIENT_ID, token.public_key,
                                          token.private_key)
    assert as_jtech.system.info.get().version
    # jtech's role (Technician) has no Security Roles right: 403 as pyconnectwise's PermissionsFailedException
    with pytest.raises(PermissionsFailedException):
        as_jtech.system.security_roles.get()
    conforms(ErrorResponseMessage, wire.last.text)


def test_errors_map_to_pyconnectwise_exceptions(cw, wire, sim):
    with pytest.raises(NotFoundException):
        _settings(cw, 99999).get()
    with pytest.raises(MalformedRequestException):
        cw.system.security_roles.get(params={"conditions": "nosuchfield = 1"})
    conforms(ErrorResponseMessage, wire.last.text)
    with pytest.raises(MalformedRequestException):
        cw.system.security_roles.get(params={"conditions": 'name = "unterminated'})
    with pytest.raises(ObjectExistsError):  # pyconnectwise reads errors[].code == "ObjectExists" on a 400
        cw.system.security_roles.post(data={"name": "Admin"})
    conforms(ErrorResponseMessage, wire.last.text)
    with pytest.raises(MethodNotAllowedException):  # no PUT on roles: pyconnectwise has no put() to call
        cw.system.security_roles.id(1)._make_request("PUT", data={"name": "x"})  # pylint: disable=protected-access
    wrong = ConnectWiseManageAPIClient(sim.company, f"{sim.host}:{sim.port}", CLIENT_ID, sim.public_key, "wrong-private")
    with pytest.raises(AuthenticationFailedException):
        wrong.system.info.get()
    conforms(ErrorResponseMessage, wire.last.text)
