"""Control side: faults, request log, reset, state, tenants, persistence and the CLI options."""

import json
import time

import pytest
import requests

from simulator.testing import SimulatorError, SimulatorProcess


def test_health_and_faults_roundtrip(sim):
    assert sim.control("GET", "health")["status"] == "ok"
    config = sim.set_faults(latency_ms=5, fail_every=7)
    assert config["latency_ms"] == 5 and config["fail_every"] == 7 and config["fail_status"] == 503
    assert sim.control("GET", "faults") == config
    assert sim.clear_faults()["fail_every"] == 0
    with pytest.raises(SimulatorError) as failure:
        sim.set_faults(nonsense=1)
    assert failure.value.status == 400


def test_rate_limit_answers_429_with_retry_after(api, sim):
    sim.set_faults(rate_limit_per_minute=3, retry_after=2)
    statuses = [api.get("/system/info").status_code for _attempt in range(3)]
    throttled = api.get("/system/info")
    assert statuses == [200, 200, 200]
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"
    assert throttled.json()["error"] == "ConnectWiseAPI"
    assert "Too many requests" in throttled.json()["message"]
    # The limit is per tenant.
    sim.create_tenant("othertenant")
    assert api.as_key("othertenant-public", "othertenant-private", company="othertenant").get("/system/info").status_code == 200


def test_rate_window_drains(api, sim):
    sim.set_faults(rate_limit_per_minute=1, rate_window_s=0.3)
    assert api.get("/system/info").status_code == 200
    assert api.get("/system/info").status_code == 429
    time.sleep(0.35)
    assert api.get("/system/info").status_code == 200


def test_fail_every_nth_request(api, sim):
    sim.set_faults(fail_every=3)
    assert [api.get("/system/info").status_code for _attempt in range(6)] == [200, 200, 503, 200, 200, 503]
    sim.set_faults(fail_every=2, fail_status=500)
    assert [api.get("/system/info").status_code for _attempt in range(2)] == [200, 500]


def test_drop_every_nth_request(api, sim):
    sim.set_faults(drop_every=2)
    assert api.get("/system/info").status_code == 200
    with pytest.raises(requests.ConnectionError):
        api.get("/system/info")
    assert api.get("/system/info").status_code == 200
    assert sim.requests()[-2]["dropped"] is True


def test_a_write_applied_then_failed_or_dropped(api, sim):
    """Every Nth applied write (reads and refused writes not counted) is answered 503 or dropped, and stays made."""
    sim.set_faults(fail_after_write_every=2)
    assert api.post("/system/securityroles", json={"name": "First"}).status_code == 201
    assert api.get("/system/info").status_code == 200
    assert api.post("/system/securityroles", json={"name": "First"}).status_code == 400  # refused: not counted
    assert api.post("/system/securityroles", json={"name": "Second"}).status_code == 503
    sim.set_faults(drop_after_write_every=1)
    with pytest.raises(requests.ConnectionError):
        api.post("/system/securityroles", json={"name": "Third"})
    assert sim.requests()[-1]["dropped"] is True
    sim.clear_faults()
    names = [r["name"] for r in api.get("/system/securityroles").json()]
    assert names[-3:] == ["First", "Second", "Third"]


def test_a_write_applied_late_after_its_connection_closed(api, sim):
    """Every Nth write request is closed unanswered at once and applied late_write_ms later: a read in between does not
    find it, a read after does; other writes are answered as usual."""
    sim.set_faults(late_write_every=2, late_write_ms=400)

    def named(name):
        return api.get("/system/securityroles", params={"conditions": 'name="%s"' % name}).json()

    assert api.post("/system/securityroles", json={"name": "First"}).status_code == 201
    with pytest.raises(requests.ConnectionError):
        api.post("/system/securityroles", json={"name": "Late"})
    assert sim.requests()[-1]["dropped"] is True and named("Late") == []
    time.sleep(0.8)
    assert [r["name"] for r in named("Late")] == ["Late"]
    assert api.post("/system/securityroles", json={"name": "Late"}).status_code == 400  # the third write: answered


def test_latency(api, sim):
    sim.set_faults(latency_ms=150)
    started = time.monotonic()
    assert api.get("/system/info").status_code == 200
    assert time.monotonic() - started >= 0.15


def test_request_log_has_no_secrets(api, sim):
    sim.clear_requests()
    api.get("/system/securityroles", params={"conditions": 'name="Admin"', "pageSize": 5})
    api.post("/system/securityroles", json={"name": "Logged"})
    requests.get(api.root + "/system/info", timeout=10)  # no auth, no clientId
    sim.control("GET", "health")                         # control calls are not API traffic
    log = sim.requests()
    assert [entry["seq"] for entry in log] == [1, 2, 3]
    first = log[0]
    assert first["method"] == "GET"
    assert first["path"] == "/v4_6_release/apis/3.0/system/securityroles"
    assert first["resource"] == "/system/securityroles"
    assert first["query"] == {"conditions": 'name="Admin"', "pageSize": "5"}
    assert (first["status"], first["company"], first["member"], first["clientId"]) == (200, "msptest", "simadmin", True)
    assert first["version"] == "2025.8"
    assert log[1]["body"] == {"name": "Logged"} and log[1]["status"] == 201
    assert (log[2]["status"], log[2]["member"], log[2]["clientId"]) == (401, None, False)
    text = json.dumps(log)
    assert sim.private_key not in text and sim.public_key not in text and "Basic" not in text
    assert [e["method"] for e in sim.writes()] == ["POST"]
    assert sim.requests(company="nobody") == []
    sim.clear_requests()
    assert sim.requests() == []


def test_reset_restores_the_start_state(api, sim):
    api.post("/system/securityroles", json={"name": "Temporary"})
    sim.set_faults(fail_every=100)
    sim.create_tenant("resetme")
    sim.reset()
    assert [r["name"] for r in api.get("/system/securityroles").json()] == ["Admin", "Technician", "Finance"]
    assert sim.control("GET", "faults")["fail_every"] == 0
    assert "resetme" not in sim.control("GET", "tenants")
    assert len(sim.requests()) == 1


def test_state_has_digests_not_keys(sim):
    state = sim.state()
    tenant = state["tenants"][0]
    assert tenant["company"] == "msptest"
    assert sim.private_key not in json.dumps(state)
    assert {"roles", "members", "keys", "lookups"} <= set(tenant)


def test_tenant_control(sim):
    created = sim.create_tenant("acme", public_key="pub", private_key="priv", settings_writable=True)
    assert created["settings_writable"] is True
    with pytest.raises(SimulatorError) as failure:
        sim.create_tenant("ACME")
    assert failure.value.status == 409
    assert sim.set_settings_writable(False, company="acme")["settings_writable"] is False
    with pytest.raises(SimulatorError) as failure:
        sim.set_settings_writable(True, company="nobody")
    assert failure.value.status == 404


def test_a_tenant_copied_to_others_keeps_its_state_with_their_own_admin_keys(api, sim):
    api.post("/system/securityroles", json={"name": "Copied"})
    sim.create_tenant("copy1")
    assert sim.copy_tenant(["copy1", "copy2"]) == {"source": "msptest", "companies": ["copy1", "copy2"]}
    for company in ("copy1", "copy2"):
        copy = api.as_key(company + "-public", company + "-private", company=company)
        assert [r["name"] for r in copy.get("/system/securityroles").json()] == ["Admin", "Technician", "Finance", "Copied"]
        # The source's admin key is not a key of the copies.
        assert api.as_key(sim.public_key, sim.private_key, company=company).get("/system/securityroles").status_code == 401
    assert [t["company"] for t in sim.state()["tenants"]] == ["msptest", "copy1", "copy2"]
    with pytest.raises(SimulatorError) as failure:
        sim.copy_tenant(["bad name"])
    assert failure.value.status == 400


def test_state_persists_across_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with SimulatorProcess("--state", state_file) as first:
        api = _admin(first)
        assert api.post(f"{first.api_url}/system/securityroles", json={"name": "Survivor"}).status_code == 201
        key = first.ui_create_key("jtech", "kept")
    saved = state_file.read_text(encoding="utf-8")
    assert "Survivor" in saved and key["privateKey"] not in saved
    with SimulatorProcess("--state", state_file) as second:
        api = _admin(second)
        names = [r["name"] for r in api.get(f"{second.api_url}/system/securityroles").json()]
        assert "Survivor" in names
        member = _admin(second, key["publicKey"], key["privateKey"])
        assert member.get(f"{second.api_url}/system/info").status_code == 200


def test_cli_options():
    args = ("--company", "fleet", "--public-key", "pk", "--private-key", "sk", "--tenants", "3", "--settings-writable",
            "--fail-every", "4", "--retry-after", "3")
    with SimulatorProcess(*args) as fleet:
        assert (fleet.company, fleet.public_key, fleet.private_key) == ("fleet", "pk", "sk")
        assert fleet.control("GET", "tenants") == ["fleet", "fleet001", "fleet002", "fleet003"]
        tenants = {t["company"]: t for t in fleet.state()["tenants"]}
        assert tenants["fleet"]["settingsWritable"] is True and tenants["fleet002"]["settingsWritable"] is False
        client = _admin(fleet, "fleet003-public", "fleet003-private", "fleet003")
        assert [client.get(f"{fleet.api_url}/system/info").status_code for _attempt in range(4)] == [200, 200, 200, 503]
        fleet.clear_faults()
        fleet.reset()
        assert fleet.control("GET", "faults")["fail_every"] == 4  # reset restores the start-up faults
        assert fleet.control("GET", "faults")["retry_after"] == 3


def _admin(process, public_key=None, private_key=None, company=None):
    session = requests.Session()
    session.auth = (f"{company or process.company}+{public_key or process.public_key}", private_key or process.private_key)
    session.headers["clientId"] = "test"
    return session


def test_customize_item_form_names_table_setup_items_each_way(api, sim):
    """customizeItems names a Table Setup item by the setupScreen id (default), "Category / Name" or the name alone."""
    def table_items():
        items = api.get("/system/mySecurity/customizeItems", params={"pageSize": 1000}).json()
        return sorted(i["itemIdentifier"] for i in items if i["customizeIdentifier"] == "SystemTableSetup")
    screens = api.get("/system/setupScreens", params={"pageSize": 1000}).json()
    assert table_items() == sorted(str(s["id"]) for s in screens)
    assert sim.set_customize_item_form("label")["customize_item_form"] == "label"
    assert table_items() == sorted("%s / %s" % (s["category"], s["name"]) for s in screens)
    sim.set_customize_item_form("name")
    assert table_items() == sorted(s["name"] for s in screens)
    with pytest.raises(SimulatorError):
        sim.set_customize_item_form("guid")


def test_a_fixed_answer_replaces_one_call_until_cleared(api, sim):
    structure = api.get("/system/myCompany/corporateStructure").json()
    levels = api.get("/system/myCompany/corporateStructureLevels").json()
    sim.set_answer("/system/myCompany/corporateStructure", {"level1Name": "Odd"})
    assert api.get("/system/mycompany/corporatestructure/").json() == {"level1Name": "Odd"}
    assert api.get("/system/myCompany/corporateStructureLevels").json() == levels  # other calls untouched
    sim.clear_answers()
    assert api.get("/system/myCompany/corporateStructure").json() == structure
