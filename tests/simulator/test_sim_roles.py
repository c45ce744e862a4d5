"""Security roles, settings rows, settings writes, mySecurity and customize items."""

import pytest

from simulator import catalogue
from simulator.testing import SimulatorError


def role_id(api, name):
    return api.get("/system/securityroles", params={"conditions": f'name="{name}"'}).json()[0]["id"]


def test_a_new_tenant_has_the_three_stock_roles(api):
    roles = {r["name"]: r for r in api.get("/system/securityroles").json()}
    assert set(roles) == {"Admin", "Technician", "Finance"}
    assert roles["Admin"]["adminFlag"] is True
    admin_rows = api.get(f"/system/securityroles/{roles['Admin']['id']}/settings", params={"pageSize": 1000}).json()
    assert {row[cell] for row in admin_rows for cell in catalogue.CELLS} == {"All"}


def test_create_role_gets_every_catalogue_row_all_none(api):
    response = api.post("/system/securityroles", json={"name": "CW Kanban"})
    assert response.status_code == 201
    role = response.json()
    assert role["name"] == "CW Kanban" and role["_info"]["updatedBy"] == "simadmin"
    rows = api.get(f"/system/securityroles/{role['id']}/settings", params={"pageSize": 1000}).json()
    assert len(rows) == len(catalogue.FUNCTIONS)
    assert {(r["moduleName"], r["moduleFunctionName"]) for r in rows} == set(catalogue.FUNCTION_BY_NAME)
    assert {r[cell] for r in rows for cell in catalogue.CELLS} == {"None"}
    table_setup = next(r for r in rows if r["moduleFunctionName"] == "Table Setup")
    assert table_setup["customFlag"] is True
    assert table_setup["moduleFunctionIdentifier"] == catalogue.function_code("System", "Table Setup")
    one = api.get(f"/system/securityroles/{role['id']}/settings/{table_setup['id']}").json()
    assert one == table_setup


def test_role_name_rules(api):
    assert api.post("/system/securityroles", json={"name": "x" * 30}).status_code == 201
    too_long = api.post("/system/securityroles", json={"name": "y" * 31})
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["field"] == "name"
    duplicate = api.post("/system/securityroles", json={"name": "technician"})
    assert duplicate.status_code == 400
    assert duplicate.json()["code"] == "InvalidObject"
    assert duplicate.json()["errors"][0]["code"] == "ObjectExists"
    assert duplicate.json()["errors"][0]["field"] == "name"
    assert api.post("/system/securityroles", json={}).status_code == 400
    assert api.post("/system/securityroles", json={"name": "ok", "adminFlag": "yes"}).status_code == 400


def test_roles_cannot_be_renamed(api):
    for method in ("PUT", "PATCH"):
        response = api.request(method, "/system/securityroles/2", json=[{"op": "replace", "path": "name", "value": "x"}])
        assert response.status_code == 405
        assert response.json()["code"] == "MethodNotAllowed"
        assert set(response.headers["Allow"].split(", ")) == {"GET", "DELETE"}
    assert api.put("/system/securityroles", json={"name": "x"}).status_code == 405


def test_delete_role(api, new_api_member):
    created = api.post("/system/securityroles", json={"name": "Throwaway"}).json()
    assert api.delete(f"/system/securityroles/{created['id']}").status_code == 204
    assert api.get(f"/system/securityroles/{created['id']}").status_code == 404
    # Technician is used by the full member jtech.
    in_use = api.delete(f"/system/securityroles/{role_id(api, 'Technician')}")
    assert in_use.status_code == 400
    assert in_use.json()["errors"][0]["code"] == "ObjectInUse"
    # An API member blocks deletion too.
    used = api.post("/system/securityroles", json={"name": "Used by API"}).json()
    new_api_member("blocker", role="Used by API")
    assert api.delete(f"/system/securityroles/{used['id']}").status_code == 400


def test_settings_are_read_only_by_default(api):
    row = api.get("/system/securityroles/2/settings").json()[0]
    for method in ("PATCH", "PUT"):
        response = api.request(method, f"/system/securityroles/2/settings/{row['id']}",
                               json=[{"op": "replace", "path": "inquireLevel", "value": "All"}])
        assert response.status_code == 405
        assert response.headers["Allow"] == "GET"


def test_settings_patch_on_a_writable_tenant(api, sim):
    sim.create_tenant("writable", settings_writable=True)
    client = api.as_key("writable-public", "writable-private", company="writable")
    new = client.post("/system/securityroles", json={"name": "Converge"}).json()
    rows = client.get(f"/system/securityroles/{new['id']}/settings", params={"conditions": 'moduleFunctionName="Table Setup"'}).json()
    url = f"/system/securityroles/{new['id']}/settings/{rows[0]['id']}"
    patched = client.patch(url, json=[{"op": "replace", "path": "inquireLevel", "value": "All"},
                                      {"op": "replace", "path": "/addLevel", "value": "My"}])
    assert patched.status_code == 200
    assert (patched.json()["addLevel"], patched.json()["inquireLevel"], patched.json()["editLevel"]) == ("My", "All", "None")
    assert client.get(url).json()["inquireLevel"] == "All"
    for bad in ([{"op": "replace", "path": "inquireLevel", "value": "all"}],
                [{"op": "replace", "path": "moduleName", "value": "x"}],
                [{"op": "remove", "path": "inquireLevel"}],
                {"op": "replace", "path": "inquireLevel", "value": "All"}):
        assert client.patch(url, json=bad).status_code == 400, bad
    assert client.put(url, json=patched.json()).status_code == 405
    sim.set_settings_writable(False, company="writable")
    assert client.patch(url, json=[{"op": "replace", "path": "inquireLevel", "value": "None"}]).status_code == 405


def test_ui_set_levels(api, sim):
    sim.ui_set_levels("technician", [{"module": "System", "function": "Security Roles", "inquire": "All"}])
    rows = api.get("/system/securityroles/2/settings", params={"conditions": 'moduleFunctionName="Security Roles"'}).json()
    assert (rows[0]["addLevel"], rows[0]["inquireLevel"]) == ("None", "All")
    with pytest.raises(SimulatorError) as failure:
        sim.ui_set_levels("Technician", [{"module": "Service Desk", "function": "Service Tickets - Dependencies", "add": "All"}])
    assert failure.value.status == 400
    with pytest.raises(SimulatorError) as failure:
        sim.ui_set_levels("Technician", [{"module": "System", "function": "Table Setup", "add": "Yes"}])
    assert failure.value.status == 400
    with pytest.raises(SimulatorError) as failure:
        sim.ui_set_levels("No Such Role", [])
    assert failure.value.status == 404


def test_my_security_shows_the_callers_role(api, new_api_member, member_api):
    new_api_member("techapi", role="Technician")
    client = member_api("techapi")
    mine = client.get("/system/mySecurity", params={"pageSize": 1000}).json()
    role_rows = api.get("/system/securityroles/2/settings", params={"pageSize": 1000}).json()
    # The role's rows, each naming whose rights they are (the published MySecurity model's member reference).
    assert {row.pop("member")["identifier"] for row in mine} == {"techapi"}
    assert mine == role_rows
    assert client.get("/system/mySecurity/count").json() == {"count": len(catalogue.FUNCTIONS)}
    tickets = client.get("/system/mySecurity", params={"conditions": 'moduleFunctionName="Service Tickets"'}).json()
    assert tickets[0]["addLevel"] == "All" and tickets[0]["deleteLevel"] == "None"


def test_customize_items_after_a_ui_customize(api, sim, new_api_member):
    api.post("/system/securityroles", json={"name": "LCI"})
    new_api_member("lci", role="LCI")
    key = sim.ui_create_key("lci", "LCI key")
    client = api.as_key(key["publicKey"], key["privateKey"])
    assert client.get("/system/mySecurity/customizeItems/").json() == []
    wanted = ["Opportunities / Opportunity Rating", "Service / Service Board"]
    sim.ui_set_customize("LCI", "SystemTableSetup", wanted)
    items = client.get("/system/mySecurity/customizeItems/").json()
    screens = {f"{s['category']} / {s['name']}": s["id"] for s in api.get("/system/setupScreens", params={"pageSize": 1000}).json()}
    assert sorted(i["itemIdentifier"] for i in items) == sorted(str(screens[name]) for name in wanted)
    assert {i["customizeIdentifier"] for i in items} == {"SystemTableSetup"}
    sim.ui_set_customize("LCI", "SystemCustomMenuEntry", ["Mobius"])
    items = client.get("/system/mySecurity/customizeItems", params={"conditions": 'customizeIdentifier="SystemCustomMenuEntry"'}).json()
    assert [i["itemIdentifier"] for i in items] == ["Mobius"]
    for identifier, allow in (("SystemTableSetup", ["Service / Service Boards"]), ("NoSuchList", [])):
        with pytest.raises(SimulatorError) as failure:
            sim.ui_set_customize("LCI", identifier, allow)
        assert failure.value.status == 400


def test_moving_entries_to_disallow_hides_them_from_the_member(api, sim, new_api_member):
    """The arrows of the Customize dialog: an entry moved to "Disallow access to these" leaves the member's
    customizeItems, one moved to "Allow access to these" joins them; the others stay as they were."""
    api.post("/system/securityroles", json={"name": "Ninja"})
    new_api_member("ninja", role="Ninja")
    key = sim.ui_create_key("ninja", "Ninja key")
    client = api.as_key(key["publicKey"], key["privateKey"])
    screens = {s["id"]: f"{s['category']} / {s['name']}" for s in api.get("/system/setupScreens", params={"pageSize": 1000}).json()}

    def seen():
        return sorted(screens[int(i["itemIdentifier"])] for i in client.get("/system/mySecurity/customizeItems").json())

    sim.ui_set_customize("Ninja", "SystemTableSetup", ["Contact / Communication Type", "General / StsClient",
                                                       "Service / Service Board"])
    sim.ui_move_customize("Ninja", "SystemTableSetup", disallow=["Contact / Communication Type", "General / StsClient"],
                          allow=["Service / Priority"])
    assert seen() == ["Service / Priority", "Service / Service Board"]
    sim.ui_move_customize("Ninja", "SystemTableSetup", allow=["General / StsClient", "Service / Priority"])
    assert seen() == ["General / StsClient", "Service / Priority", "Service / Service Board"]
    with pytest.raises(SimulatorError) as failure:
        sim.ui_move_customize("Ninja", "SystemTableSetup", allow=["Service / Priority"], disallow=["Service / Priority"])
    assert failure.value.status == 400


def test_setup_screens(api):
    screens = api.get("/system/setupScreens", params={"pageSize": 1000}).json()
    names = {f"{s['category']} / {s['name']}" for s in screens}
    assert {"Service / Service Board", "Project / Project Board", "General / Auto Sync", "Invoicing / Tax Code"} <= names
    assert len(names) == len(screens) == len(catalogue.SETUP_SCREENS)
    board = api.get("/system/setupScreens", params={"conditions": 'category="Service" and name="Service Board"'}).json()
    assert board[0]["moduleName"] == "Service Desk"
