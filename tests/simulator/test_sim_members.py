"""API members, members, look-ups, tokens and persistent keys."""

import pytest


def test_create_api_member_resolves_references(api, new_api_member):
    member = new_api_member("TopLeft", name="TopLeft API", structureLevel={"id": 1}, defaultLocation={"name": "main office"},
                            defaultDepartment={"identifier": "svc"}, timeZone={"id": 2}, excludedServiceBoardIds=[3, 3, 5])
    assert member["securityRole"]["name"] == "Technician"
    assert member["structureLevel"]["name"] == "Corporate"
    assert member["defaultLocation"] == {**member["defaultLocation"], "id": 1, "name": "Main Office"}
    assert member["defaultDepartment"]["name"] == "Services"
    assert member["excludedServiceBoardIds"] == [3, 5]
    assert member["inactiveFlag"] is False
    assert "securityLocation" not in member  # null properties are left out
    assert api.get(f"/system/apiMembers/{member['id']}").json() == member
    listed = {m["identifier"]: m for m in api.get("/system/members").json()}
    assert listed["TopLeft"]["licenseClass"] == "A"
    assert listed["simadmin"]["licenseClass"] == "F"
    assert [m["identifier"] for m in api.get("/system/apiMembers").json()] == ["TopLeft"]
    assert api.get("/system/apiMembers/count").json() == {"count": 1}
    # A full member is not an API member.
    assert api.get(f"/system/apiMembers/{listed['simadmin']['id']}").status_code == 404


@pytest.mark.parametrize("identifier, code", [
    ("a" * 16, "InvalidField"), ("has space", "InvalidField"), ("semi;colon", "InvalidField"), ("SIMADMIN", "ObjectExists"), ("", "Required"),
])
def test_identifier_rules(api, identifier, code):
    response = api.post("/system/apiMembers", json={"identifier": identifier, "securityRole": {"id": 2}})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == ("identifier", code)


def test_identifier_limits_that_pass(new_api_member):
    assert new_api_member("a" * 15)["identifier"] == "a" * 15
    assert new_api_member("lc_api.v-2")["identifier"] == "lc_api.v-2"


@pytest.mark.parametrize("field, value", [
    ("securityRole", {"id": 999}), ("securityRole", None), ("structureLevel", {"id": 9}), ("defaultLocation", {"name": "Atlantis"}),
    ("salesDefaultLocation", 1), ("defaultDepartment", {"id": 1}), ("timeZone", {"id": 77}), ("serviceDefaultBoard", {"id": 42}),
    ("excludedServiceBoardIds", [1, 99]), ("inactiveFlag", "no"), ("name", "n" * 31),
])
def test_bad_fields_name_the_field(api, field, value):
    body = {"identifier": "badref", "securityRole": {"id": 2}, field: value}
    response = api.post("/system/apiMembers", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_patch_api_member(api, new_api_member):
    member = new_api_member("patchme", timeZone={"id": 1}, notes="keep")
    url = f"/system/apiMembers/{member['id']}"
    finance = api.get("/system/securityroles", params={"conditions": 'name="Finance"'}).json()[0]["id"]
    response = api.patch(url, json=[{"op": "replace", "path": "name", "value": "Renamed"},
                                    {"op": "replace", "path": "securityRole", "value": {"id": finance}}])
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"
    assert response.json()["securityRole"]["name"] == "Finance"
    assert response.json()["notes"] == "keep"
    # Documented quirk: a nested path answers 200 and changes nothing.
    quirk = api.patch(url, json=[{"op": "replace", "path": "securityRole/id", "value": 2}])
    assert quirk.status_code == 200 and quirk.json()["securityRole"]["id"] == finance
    removed = api.patch(url, json=[{"op": "remove", "path": "timeZone"}])
    assert "timeZone" not in removed.json()
    assert api.patch(url, json={"op": "replace", "path": "name", "value": "x"}).status_code == 400
    assert api.patch(url, json=[{"op": "replace", "path": "nosuch", "value": 1}]).status_code == 400
    assert api.patch(url, json=[{"op": "move", "path": "name", "value": 1}]).status_code == 400
    assert api.patch(url, json=[{"op": "replace", "path": "securityRole", "value": {"id": 999}}]).status_code == 400


def test_put_resets_omitted_fields(api, new_api_member):
    member = new_api_member("putme", timeZone={"id": 1}, notes="gone soon", blockPriceFlag=True)
    response = api.put(f"/system/apiMembers/{member['id']}", json={"identifier": "putme", "securityRole": {"id": 2}})
    assert response.status_code == 200
    record = response.json()
    assert "timeZone" not in record and "notes" not in record and "name" not in record
    assert record["blockPriceFlag"] is False
    assert api.put(f"/system/apiMembers/{member['id']}", json={"identifier": "putme"}).status_code == 400


def test_there_is_no_delete(api, new_api_member):
    member = new_api_member("nodelete")
    for resource in (f"/system/apiMembers/{member['id']}", f"/system/members/{member['id']}"):
        response = api.delete(resource)
        assert response.status_code == 405
        assert "DELETE" not in response.headers["Allow"]


def test_deactivate_and_keys_of_inactive_members(api, sim, new_api_member):
    member = new_api_member("retire")
    key = sim.ui_create_key("retire", "Retire key")
    client = api.as_key(key["publicKey"], key["privateKey"])
    assert client.get("/system/info").status_code == 200
    response = api.post(f"/system/members/{member['id']}/deactivate", json={})
    assert response.status_code == 201
    assert api.get(f"/system/apiMembers/{member['id']}").json()["inactiveFlag"] is True
    assert client.get("/system/info").status_code == 401
    token = api.post("/system/members/retire/tokens", headers={"x-cw-usertype": "member"})
    assert token.status_code == 400


def test_default_template_and_level_names(api, sim):
    template = api.get("/system/apiMembers/default").json()
    assert template["structureLevel"]["name"] == "Corporate"
    assert "securityRole" not in template
    sim.create_tenant("headoffice", level1_name="Head Office")
    other = api.as_key("headoffice-public", "headoffice-private", company="headoffice")
    assert other.get("/system/apiMembers/default").json()["structureLevel"]["name"] == "Head Office"
    levels = other.get("/system/myCompany/corporateStructureLevels").json()
    assert [(lv["id"], lv["name"]) for lv in levels] == [(1, "Head Office"), (2, "Location"), (3, "Business Unit")]
    # The published shape: Array<CorporateStructure>, one record on a tenant.
    assert [r["level1Name"] for r in other.get("/system/myCompany/corporateStructure").json()] == ["Head Office"]


def test_lookups(api):
    for resource in ("/system/locations", "/system/departments", "/system/timeZoneSetups", "/service/boards",
                     "/system/myCompany/corporateStructureLevels"):
        records = api.get(resource).json()
        assert records and all({"id", "name"} <= set(r) for r in records), resource
        first = records[0]
        assert api.get(f"{resource}/{first['id']}").json()["name"] == first["name"]
        assert api.get(f"{resource}/count").json() == {"count": len(records)}
    main = api.get("/system/locations", params={"conditions": 'name like "main%"'}).json()
    assert [r["name"] for r in main] == ["Main Office"]
    assert api.get("/system/departments", params={"conditions": 'identifier="SLS"'}).json()[0]["name"] == "Sales"


def test_members_create_and_patch(api):
    body = {"identifier": "newtech", "firstName": "New", "lastName": "Tech", "licenseClass": "F", "securityRole": {"id": 2}}
    created = api.post("/system/members", json=body)
    assert created.status_code == 201
    member = created.json()
    assert member["licenseClass"] == "F"
    patched = api.patch(f"/system/members/{member['id']}", json=[{"op": "replace", "path": "lastName", "value": "Lead"}])
    assert patched.json()["lastName"] == "Lead"
    assert api.post("/system/members", json={**body, "identifier": "other", "licenseClass": "Z"}).status_code == 400


def test_token_authenticates_as_the_member_with_its_rights(new_api_member, member_api, sim):
    new_api_member("kanban", role="Technician")
    client = member_api("kanban")
    assert client.get("/system/info").status_code == 200
    assert client.get("/system/apiMembers").status_code == 200      # Member Maintenance inquire All
    denied = client.get("/system/securityroles")                   # Security Roles: None
    assert denied.status_code == 403
    assert denied.json()["message"] == "You do not have security permission to perform this action"
    assert client.post("/system/apiMembers", json={"identifier": "x", "securityRole": {"id": 2}}).status_code == 403
    # Technician lacks Member Maintenance add/edit All, so it cannot issue tokens.
    assert client.post("/system/members/simadmin/tokens", headers={"x-cw-usertype": "member"}).status_code == 403
    log = sim.requests()
    assert log[-1]["member"] == "kanban" and log[-1]["status"] == 403


def test_token_errors(api, sim):
    response = api.post("/system/members/simadmin/tokens")
    assert response.status_code == 400
    assert api.post("/system/members/ghost/tokens", headers={"x-cw-usertype": "member"}).status_code == 404
    token = api.post("/system/members/jtech/tokens", headers={"x-cw-usertype": "member"}).json()
    assert set(token) == {"publicKey", "privateKey", "expiration"}
    assert token["expiration"].endswith("Z")
    assert token["privateKey"] not in str(sim.state())


def test_lookups_need_table_setup_or_my_company(api, sim, new_api_member, member_api):
    api.post("/system/securityroles", json={"name": "Bare"})
    new_api_member("bare", role="Bare")
    client = member_api("bare")
    assert client.get("/system/locations").status_code == 403
    assert client.get("/system/mySecurity").status_code == 200
    sim.ui_set_levels("Bare", [{"module": "System", "function": "My Company", "inquire": "All"}])
    assert client.get("/system/locations").status_code == 200
