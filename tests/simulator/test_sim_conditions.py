"""The conditions parser on its own, then through the API."""

import pytest

from simulator.conditions import ConditionError, compile_conditions

FIELDS = ("id", "name", "inactiveFlag", "lastUpdated", "securityRole/id", "securityRole/name")
RECORDS = [
    {"id": 1, "name": 'Say "Hi"', "inactiveFlag": False, "lastUpdated": "2024-01-01T00:00:00Z", "securityRole": {"id": 5, "name": "Admin"}},
    {"id": 2, "name": "back\\slash", "inactiveFlag": True, "lastUpdated": "2025-06-01T00:00:00Z", "securityRole": {"id": 7, "name": "Tech"}},
    {"id": 3, "name": "TopLeft API", "inactiveFlag": False, "lastUpdated": "2025-01-01T00:00:00Z"},
]


def ids(expression):
    keep = compile_conditions(expression, FIELDS)
    return [r["id"] for r in RECORDS if keep(r)]


@pytest.mark.parametrize("expression, expected", [
    ('name="Say \\"Hi\\""', [1]),
    ('name="back\\\\slash"', [2]),
    ('name="topleft api"', [3]),
    ('name like "top%"', [3]),
    ('name like "%a%"', [1, 2, 3]),
    ('name like "%slash"', [2]),
    ('name not like "top%"', [1, 2]),
    ('name contains "LEFT"', [3]),
    ("id > 1 and inactiveFlag = false", [3]),
    ("id = 1 or (id >= 2 and inactiveFlag = true)", [1, 2]),
    ("id in (1, 3)", [1, 3]),
    ("id not in (1, 3)", [2]),
    ("securityRole/id = 5", [1]),
    ('securityRole/name = "tech"', [2]),
    ("securityRole/id = null", [3]),
    ("securityRole/id != null", [1, 2]),
    ("lastUpdated > [2024-12-31T00:00:00Z]", [2, 3]),
    ("lastUpdated < [2024-06-01]", [1]),
    ("ID=2", [2]),
])
def test_expressions(expression, expected):
    assert ids(expression) == expected


@pytest.mark.parametrize("expression", [
    "", "name", 'name=', 'name="unterminated', "name=bare", "id = 1 and", "(id = 1", "id = 1)", "id == 1",
    'name like 5', "nosuch = 1", 'name="x\\q"', "id in 1", "lastUpdated > [not a date]", "id = 1 id = 2", "id ~ 1",
])
def test_malformed_expressions_are_refused(expression):
    with pytest.raises(ConditionError):
        ids(expression)


def test_type_mismatch_is_refused():
    with pytest.raises(ConditionError):
        ids('id = "1"')
    with pytest.raises(ConditionError):
        ids("name > 3")


def test_conditions_through_the_api(api, new_api_member):
    assert api.post("/system/securityroles", json={"name": 'Say "Hi"'}).status_code == 201
    found = api.get("/system/securityroles", params={"conditions": 'name="say \\"hi\\""'}).json()
    assert [r["name"] for r in found] == ['Say "Hi"']
    tech = api.get("/system/securityroles", params={"conditions": 'name like "tech%" or name = "Finance"'}).json()
    assert sorted(r["name"] for r in tech) == ["Finance", "Technician"]
    new_api_member("cond_one", role="Technician")
    new_api_member("cond_two", role="Finance")
    by_ref = api.get("/system/apiMembers", params={"conditions": 'securityRole/name="finance"'}).json()
    assert [m["identifier"] for m in by_ref] == ["cond_two"]
    role_id = by_ref[0]["securityRole"]["id"]
    by_id = api.get("/system/apiMembers", params={"conditions": f"securityRole/id={role_id} and inactiveFlag=false"}).json()
    assert [m["identifier"] for m in by_id] == ["cond_two"]


@pytest.mark.parametrize("expression", ['name="open', "nosuchfield=1", "name = Admin"])
def test_malformed_conditions_are_400(api, expression):
    response = api.get("/system/securityroles", params={"conditions": expression})
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"
    assert "conditions" in response.json()["message"]
