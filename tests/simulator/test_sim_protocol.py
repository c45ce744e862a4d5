"""Protocol: company info, codebases, auth, clientId, media types, paging, Link headers, counts."""

import requests

from simulator import catalogue
from simulator.context import Context
from simulator.listing import page

ROLE_ROWS = len(catalogue.FUNCTIONS)


def test_companyinfo_needs_no_auth_and_ignores_case(sim):
    response = requests.get(f"{sim.url}/login/companyinfo/MspTest", timeout=10)
    assert response.status_code == 200
    info = response.json()
    assert info["Codebase"] == "v2025_1/"
    assert info["VersionCode"] == "v2025.1"
    assert info["IsCloud"] is False
    assert info["CompanyID"] == "msptest"
    missing = requests.get(f"{sim.url}/login/companyinfo/nosuchco", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotFound"


def test_both_codebases_work_and_others_are_404(api, sim):
    for codebase in ("v2025_1/", "v4_6_release/"):
        response = api.get(f"{sim.url}/{codebase}apis/3.0/system/info")
        assert response.status_code == 200, codebase
        assert response.json()["isCloud"] is False
    for path in ("/v2024_1/apis/3.0/system/info", "/apis/3.0/system/info", "/v4_6_release/apis/2.0/system/info"):
        response = api.get(sim.url + path)
        assert response.status_code == 404
        assert response.json()["code"] == "NotFound"


def test_bad_or_missing_keys_are_401(api, sim):
    assert api.as_key(sim.public_key, "wrong").get("/system/info").status_code == 401
    assert api.as_key(sim.public_key, sim.private_key, company="othercompany").get("/system/info").status_code == 401
    response = requests.get(api.root + "/system/info", headers={"clientId": "x"}, timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "Unauthorized"
    # The company part of the credentials ignores case.
    assert api.as_key(sim.public_key, sim.private_key, company="MSPTEST").get("/system/info").status_code == 200


def test_client_id_is_required(api):
    response = api.get("/system/info", headers={"clientId": ""})
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"
    assert "clientId" in response.json()["message"]


def test_paths_ignore_case_and_tolerate_trailing_slash(api):
    for resource in ("/system/securityRoles", "/SYSTEM/SECURITYROLES/", "/system/securityroles/1/Settings/"):
        assert api.get(resource).status_code == 200, resource
    assert api.get("/system/nothing").status_code == 404


def test_bodies_must_be_json(api):
    response = api.post("/system/securityroles", data="name=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    response = api.post("/system/securityroles", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidObject"


def test_default_page_size_and_link_header(api):
    response = api.get("/system/securityroles/1/settings")
    assert response.status_code == 200
    assert len(response.json()) == 25
    assert set(response.links) == {"next", "last"}
    assert "page=2" in response.links["next"]["url"]
    assert response.links["next"]["url"].startswith("http://")
    last_page = -(-ROLE_ROWS // 25)
    assert f"page={last_page}" in response.links["last"]["url"]
    final = api.get("/system/securityroles/1/settings", params={"page": last_page})
    assert len(final.json()) == ROLE_ROWS - 25 * (last_page - 1)
    assert "next" not in final.links and "last" not in final.links


def test_following_next_keeps_other_parameters(api):
    pages = []
    response = api.get("/system/securityroles/1/settings", params={"pageSize": 10, "conditions": 'inquireLevel="All"'})
    while True:
        pages.append(response.json())
        nxt = response.links.get("next")
        if not nxt:
            break
        assert "pageSize=10" in nxt["url"] and "conditions=" in nxt["url"]
        response = api.get(nxt["url"])
    assert len(pages) >= 3
    ids = [row["id"] for chunk in pages for row in chunk]
    assert len(ids) == len(set(ids)) == ROLE_ROWS


def test_page_size_is_capped_at_1000():
    records = [{"id": n} for n in range(1, 1501)]
    ctx = Context("GET", "/v4_6_release/apis/3.0/x?pageSize=5000", {}, b"", "h:1")
    chunk, headers = page(ctx, records, ("id",))
    assert len(chunk) == 1000
    assert 'rel="next"' in headers["Link"] and "pageSize=5000" in headers["Link"]


def test_bad_paging_parameters_are_400(api):
    assert api.get("/system/securityroles", params={"page": "x"}).status_code == 400
    assert api.get("/system/securityroles", params={"pageSize": 0}).status_code == 400


def test_count_endpoints_honour_conditions(api):
    assert api.get("/system/securityroles/1/settings/count").json() == {"count": ROLE_ROWS}
    system = sum(1 for row in catalogue.FUNCTIONS if row[1] == "System")
    response = api.get("/system/securityroles/1/settings/count", params={"conditions": 'moduleName="system"'})
    assert response.json() == {"count": system}
    assert api.get("/system/securityroles/count").json() == {"count": 3}


def test_order_by(api):
    names = [r["name"] for r in api.get("/system/securityroles", params={"orderBy": "name desc"}).json()]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert api.get("/system/securityroles", params={"orderBy": "nosuchfield asc"}).status_code == 400


def test_forward_only_paging(api):
    headers = {"pagination-type": "forward-only"}
    seen = []
    response = api.get("/system/securityroles/1/settings", params={"pageSize": 40}, headers=headers)
    while True:
        seen += [row["id"] for row in response.json()]
        nxt = response.links.get("next")
        if not nxt:
            break
        assert "pageId=" in nxt["url"]
        response = api.get(nxt["url"], headers=headers)
    assert seen == sorted(seen) and len(seen) == ROLE_ROWS


def test_every_record_has_info(api):
    role = api.get("/system/securityroles/1").json()
    assert {"lastUpdated", "updatedBy", "settings_href"} <= set(role["_info"])
    assert api.get(role["_info"]["settings_href"]).status_code == 200


def test_fields_trims_each_record(api):
    whole = api.get("/system/securityroles/1/settings", params={"pageSize": 1000}).json()
    trimmed = api.get("/system/securityroles/1/settings", params={"pageSize": 1000, "fields": "ID,moduleName, addlevel,noSuchField"})
    assert trimmed.status_code == 200
    assert trimmed.json() == [{"id": r["id"], "moduleName": r["moduleName"], "addLevel": r["addLevel"]} for r in whole]
    # "/" names a field of a nested object: the rest of that object is left out
    rows = api.get("/system/securityroles/1/settings", params={"fields": "id,_info/lastUpdated"}).json()
    assert rows and all(set(r) == {"id", "_info"} and set(r["_info"]) == {"lastUpdated"} for r in rows)
