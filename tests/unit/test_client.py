"""The ConnectWise client against the simulator over real HTTP on loopback."""

from __future__ import annotations

import base64
import math
import time

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.api import conditions
from ansible_collections.msp.connectwise.plugins.module_utils.api.client import ConnectWiseClient, FALLBACK_CODEBASE
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError

from simulator import catalogue

from .conftest import CLIENT_ID


def api_requests(sim, method=None):
    return [r for r in sim.requests() if method is None or r["method"] == method]


def secrets_of(sim):
    token = base64.b64encode(("%s+%s:%s" % (sim.company, sim.public_key, sim.private_key)).encode()).decode()
    return [sim.private_key, sim.public_key, CLIENT_ID, token]


def create_limited_member(client, role_name="Limited", identifier="limited"):
    """An API member whose role has no rights at all, and a token pair that authenticates as it."""
    role = client.post("/system/securityroles", {"name": role_name})
    level = client.get_all("/system/myCompany/corporateStructureLevels")[0]
    location = client.get_all("/system/locations")[0]
    department = client.get_all("/system/departments")[0]
    zone = client.get_all("/system/timeZoneSetups")[0]
    client.post("/system/apiMembers", {
        "identifier": identifier, "name": "Limited API", "securityRole": {"id": role["id"]},
        "structureLevel": {"id": level["id"]}, "defaultLocation": {"id": location["id"]},
        "securityLocation": {"id": location["id"]}, "salesDefaultLocation": {"id": location["id"]},
        "defaultDepartment": {"id": department["id"]}, "timeZone": {"id": zone["id"]},
    })
    token = client.post("/system/members/%s/tokens" % identifier, {}, headers={"x-cw-usertype": "member"})
    return client.as_member(token["publicKey"], token["privateKey"]), token


class TestConnection:
    def test_codebase_is_discovered_once_then_used_for_every_call(self, sim, client, make_client):
        assert client.get("/system/info")["version"]
        assert client.base_url == "%s/v2025_1/apis/3.0" % sim.url
        paths = [r["path"] for r in api_requests(sim)]
        assert paths == ["/login/companyinfo/%s" % sim.company, "/v2025_1/apis/3.0/system/info"]
        # A second client in the same process reuses the discovered codebase instead of asking again.
        other = make_client()
        other.get("/system/info")
        assert other.codebase == "v2025_1/"
        assert [r["path"] for r in api_requests(sim)].count("/login/companyinfo/%s" % sim.company) == 1

    def test_a_recorded_codebase_saves_the_discovery(self, sim, client):
        client.use_recorded_codebase("v2025_1")
        assert client.get("/system/info")["version"]
        assert [r["path"] for r in api_requests(sim)] == ["/v2025_1/apis/3.0/system/info"]

    def test_a_stale_recorded_codebase_is_rediscovered_once_on_its_first_404(self, sim, client):
        client.use_recorded_codebase("v2019_3/")
        assert client.get("/system/info")["version"]
        assert [(r["path"], r["status"]) for r in api_requests(sim)] == [
            ("/v2019_3/apis/3.0/system/info", 404), ("/login/companyinfo/%s" % sim.company, 200),
            ("/v2025_1/apis/3.0/system/info", 200)]
        # A real 404 later is an error, not another discovery.
        sim.clear_requests()
        with pytest.raises(ConnectWiseError) as caught:
            client.get("/system/securityroles/987654")
        assert caught.value.status == 404 and len(api_requests(sim)) == 1

    def test_a_right_recorded_codebase_costs_one_request_more_on_a_real_404_only(self, sim, client):
        client.use_recorded_codebase("v2025_1/")
        with pytest.raises(ConnectWiseError) as caught:
            client.get("/system/securityroles/987654")
        assert caught.value.status == 404
        # Rediscovery found the same codebase: the request is not sent twice.
        assert [r["path"] for r in api_requests(sim)] == [
            "/v2025_1/apis/3.0/system/securityroles/987654", "/login/companyinfo/%s" % sim.company]

    def test_fallback_codebase_when_company_info_has_none(self, sim, make_client):
        stranger = make_client(company_id="no-such-company")
        assert stranger.discover() == FALLBACK_CODEBASE
        with pytest.raises(ConnectWiseError) as caught:
            stranger.get("/system/info")
        assert caught.value.status == 401

    def test_fallback_codebase_also_works_for_a_real_tenant(self, sim, client):
        client.codebase = FALLBACK_CODEBASE
        assert client.get("/system/info")["version"]
        assert api_requests(sim)[-1]["path"].startswith("/v4_6_release/apis/3.0/")

    def test_headers_auth_client_id_and_version(self, sim, client):
        headers = client.session.headers
        expected = base64.b64encode(("%s+%s:%s" % (sim.company, sim.public_key, sim.private_key)).encode()).decode()
        assert headers["Authorization"] == "Basic " + expected
        assert headers["clientId"] == CLIENT_ID
        assert headers["Accept"] == "application/vnd.connectwise.com+json; version=2025.8"
        assert headers["User-Agent"].startswith("msp.connectwise/")
        client.get("/system/info")
        logged = api_requests(sim)[-1]
        assert logged["status"] == 200 and logged.get("client_id_present", True)

    def test_wrong_private_key_is_401_with_a_hint_and_no_secret(self, sim, make_client):
        bad = make_client(private_key="not-the-right-key")
        with pytest.raises(ConnectWiseError) as caught:
            bad.get("/system/info")
        error = caught.value
        assert error.status == 401 and error.retries == 0
        assert "company_id" in error.hint and "private_key" in error.hint
        assert "not-the-right-key" not in str(error)

    @pytest.mark.parametrize("site", ["http://example.com", "http://10.1.2.3:8080", "http://cw.example.net/"])
    def test_plain_http_to_a_remote_host_is_refused_before_any_request(self, site):
        with pytest.raises(ConfigurationError) as caught:
            ConnectWiseClient(site, "c", "pub", "priv", CLIENT_ID)
        assert caught.value.field == "site"
        assert "plain http" in str(caught.value) and "https://" in str(caught.value)

    @pytest.mark.parametrize("site, expected", [
        ("api-na.myconnectwise.net", "https://api-na.myconnectwise.net"),
        ("https://cw.example.com/", "https://cw.example.com"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ])
    def test_sites_accepted(self, site, expected):
        assert ConnectWiseClient(site, "c", "pub", "priv", CLIENT_ID).site == expected

    @pytest.mark.parametrize("field, overrides", [
        ("company_id", {"company_id": ""}),
        ("public_key", {"public_key": ""}),
        ("private_key", {"private_key": None}),
        ("client_id", {"client_id": ""}),
        ("api_version", {"api_version": "latest"}),
        ("site", {"site": "ftp://cw.example.com"}),
    ])
    def test_missing_or_bad_options_name_the_field(self, field, overrides):
        options = {"site": "api-na.myconnectwise.net", "company_id": "c", "public_key": "p", "private_key": "k",
                   "client_id": CLIENT_ID}
        options.update(overrides)
        with pytest.raises(ConfigurationError) as caught:
            connection = [options.pop(name) for name in ("site", "company_id", "public_key", "private_key", "client_id")]
            ConnectWiseClient(*connection, **options)
        assert caught.value.field == field


class TestPagingAndConditions:
    def test_get_all_reads_every_page_following_links(self, sim, client):
        role = client.get_one("/system/securityroles", conditions.eq("name", "Admin"))
        path = "/system/securityroles/%d/settings" % role["id"]
        total = client.count(path)
        page_size = max(1, total // 3)
        sim.clear_requests()
        rows = client.get_all(path, page_size=page_size)
        pages = math.ceil(total / page_size)
        assert pages >= 3
        assert len(rows) == total and len({r["id"] for r in rows}) == total
        gets = api_requests(sim, "GET")
        assert len(gets) == pages
        assert all(r["status"] == 200 for r in gets)

    def test_default_page_size_is_1000_in_one_request(self, sim, client):
        role = client.get_one("/system/securityroles", conditions.eq("name", "Admin"))
        sim.clear_requests()
        rows = client.get_all("/system/securityroles/%d/settings" % role["id"])
        assert len(rows) == len(catalogue.FUNCTIONS)  # one row per module function of the simulator's tenant
        [request] = api_requests(sim)
        assert request["query"] == {"page": "1", "pageSize": "1000"}

    def test_a_name_with_quotes_and_backslashes_matches_exactly(self, sim, client):
        tricky = 'Tech "Lead" \\ x'
        client.post("/system/securityroles", {"name": tricky})
        client.post("/system/securityroles", {"name": "Tech"})
        found = client.get_one("/system/securityroles", conditions.eq("name", tricky))
        assert found["name"] == tricky

    def test_a_value_cannot_inject_conditions(self, sim, client):
        injected = 'x" or name like "%'
        assert client.get_one("/system/securityroles", conditions.eq("name", injected)) is None
        assert client.get_all("/system/securityroles", conditions.eq("name", injected)) == []

    def test_count_honours_conditions(self, sim, client):
        assert client.count("/system/securityroles", conditions.eq("name", "Admin")) == 1


class TestWrites:
    def test_patch_sends_a_json_patch_array_and_changes_only_that_field(self, sim, client):
        limited, _token = create_limited_member(client)
        member = client.get_one("/system/apiMembers", conditions.eq("identifier", "limited"))
        updated = client.patch("/system/apiMembers/%d" % member["id"], [{"op": "replace", "path": "name", "value": "Renamed"}])
        assert updated["name"] == "Renamed"
        assert updated["securityRole"]["id"] == member["securityRole"]["id"]
        assert api_requests(sim, "PATCH")[-1]["status"] == 200
        assert not api_requests(sim, "PUT")

    def test_patch_refuses_an_empty_operation_list(self, client):
        with pytest.raises(ValueError):
            client.patch("/system/apiMembers/1", [])

    def test_405_names_the_verb(self, sim, client):
        role = client.post("/system/securityroles", {"name": "No Rename"})
        with pytest.raises(ConnectWiseError) as caught:
            client.patch("/system/securityroles/%d" % role["id"], [{"op": "replace", "path": "name", "value": "x"}])
        assert caught.value.status == 405
        assert "does not allow PATCH" in caught.value.hint

    def test_403_names_the_module_function(self, sim, client):
        limited, token = create_limited_member(client)
        with pytest.raises(ConnectWiseError) as caught:
            limited.get_all("/system/securityroles")
        assert caught.value.status == 403
        assert "System / Security Roles (Inquire level)" in caught.value.hint
        assert token["privateKey"] not in str(caught.value)

    def test_400_is_not_retried_and_carries_the_errors_list(self, sim, client, sleeps):
        client.post("/system/securityroles", {"name": "Twice"})
        sim.clear_requests()
        with pytest.raises(ConnectWiseError) as caught:
            client.post("/system/securityroles", {"name": "Twice"})
        assert caught.value.status == 400
        assert any(e.get("code") == "ObjectExists" for e in caught.value.errors)
        assert "ObjectExists" in str(caught.value)
        assert len(api_requests(sim)) == 1 and sleeps.waits == []


class TestRetries:
    def test_429_waits_for_retry_after_then_succeeds(self, sim, client, sleeps):
        client.discover()
        sim.set_faults(rate_limit_per_minute=1, retry_after=7)
        client.get("/system/info")
        sleeps.on_sleep = sim.clear_faults
        assert client.get("/system/info")["version"]
        assert sleeps.waits == [7.0]
        assert client.retries_taken == 1
        statuses = [r["status"] for r in api_requests(sim)]
        assert statuses[-3:] == [200, 429, 200]

    def test_429_on_post_is_retried_because_nothing_was_processed(self, sim, client, sleeps):
        client.discover()
        sim.set_faults(rate_limit_per_minute=1, retry_after=2)
        client.get("/system/info")
        sleeps.on_sleep = sim.clear_faults
        client.post("/system/securityroles", {"name": "After Throttle"})
        assert sleeps.waits == [2.0]
        assert client.count("/system/securityroles", conditions.eq("name", "After Throttle")) == 1

    def test_503_backs_off_exponentially_with_jitter(self, sim, make_client, sleeps):
        client = make_client(backoff=1.0, retries=3)
        client.discover()
        sim.set_faults(fail_every=1)
        with pytest.raises(ConnectWiseError) as caught:
            client.get("/system/info")
        assert caught.value.status == 503 and caught.value.retries == 3
        assert "after 3 retries" in str(caught.value)
        assert len(sleeps.waits) == 3
        for attempt, wait in enumerate(sleeps.waits):
            assert 0.5 * 2 ** attempt <= wait <= 2 ** attempt
        assert len([r for r in api_requests(sim) if "/apis/3.0/" in r["path"]]) == 4

    def test_503_on_get_recovers(self, sim, client, sleeps):
        client.discover()
        sim.set_faults(fail_every=1)
        sleeps.on_sleep = sim.clear_faults
        assert client.get("/system/info")["version"]
        assert client.retries_taken == 1

    def test_503_on_post_is_not_retried(self, sim, client, sleeps):
        client.discover()
        sim.set_faults(fail_every=1)
        with pytest.raises(ConnectWiseError) as caught:
            client.post("/system/securityroles", {"name": "Maybe"})
        assert caught.value.status == 503 and sleeps.waits == []

    def test_timeout_on_get_is_retried(self, sim, make_client, sleeps):
        client = make_client(timeout=0.5)
        client.discover()
        sim.set_faults(spike_every=1, spike_ms=1500)
        sleeps.on_sleep = sim.clear_faults
        assert client.get("/system/info")["version"]
        assert client.retries_taken == 1

    def test_timeout_on_post_is_not_retried_and_says_why(self, sim, make_client, sleeps):
        client = make_client(timeout=0.5)
        client.discover()
        sim.set_faults(spike_every=1, spike_ms=1500)
        with pytest.raises(ConnectWiseError) as caught:
            client.post("/system/securityroles", {"name": "Slow"})
        assert "may have been processed" in str(caught.value) and sleeps.waits == []
        sim.clear_faults()
        for _attempt in range(30):  # the server logs the slow POST once it has answered it
            if api_requests(sim, "POST"):
                break
            time.sleep(0.1)
        assert len(api_requests(sim, "POST")) == 1

    def test_dropped_connection_on_get_is_retried(self, sim, client, sleeps):
        client.discover()
        sim.set_faults(drop_every=1)
        sleeps.on_sleep = sim.clear_faults
        assert client.get("/system/info")["version"]
        assert client.retries_taken == 1

    def test_unreachable_site_retries_then_names_the_site(self, make_client, sleeps):
        client = make_client(site="http://127.0.0.1:9", retries=2)
        with pytest.raises(ConnectWiseError) as caught:
            client.get("/system/info")
        assert "cannot reach http://127.0.0.1:9" in str(caught.value)
        assert len(sleeps.waits) == 2


class TestSecrets:
    def test_no_error_string_carries_a_secret(self, sim, client, make_client, sleeps):
        errors = []
        for call in (
            lambda: make_client(private_key=sim.private_key + "x").get("/system/info"),
            lambda: client.patch("/system/securityroles/1", [{"op": "replace", "path": "name", "value": "x"}]),
            lambda: client.get("/system/securityroles/999999"),
            lambda: client.post("/system/securityroles", {"name": "x" * 31}),
            lambda: make_client(site="http://127.0.0.1:9", retries=0).get("/system/info"),
        ):
            with pytest.raises(ConnectWiseError) as caught:
                call()
            errors.append(caught.value)
        for error in errors:
            text = str(error) + repr(error.as_dict())
            for secret in secrets_of(sim):
                assert secret not in text
