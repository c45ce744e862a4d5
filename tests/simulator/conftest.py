"""Fixtures for the simulator's own tests: one simulator per session, reset before each test."""

import base64
import sys
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from simulator.testing import SimulatorProcess  # noqa: E402  pylint: disable=wrong-import-position

CLIENT_ID = "00000000-0000-4000-8000-00000000c11e"


class Api:
    """A requests session bound to one tenant and key pair, speaking like a ConnectWise client."""

    def __init__(self, base_url, company, public_key, private_key, codebase="v4_6_release/"):
        self.base_url = base_url
        self.company = company
        self.root = f"{base_url}/{codebase}apis/3.0"
        self.session = requests.Session()
        token = base64.b64encode(f"{company}+{public_key}:{private_key}".encode()).decode()
        self.session.headers.update({
            "Authorization": f"Basic {token}", "clientId": CLIENT_ID,
            "Accept": "application/vnd.connectwise.com+json; version=2025.8",
        })

    def request(self, method, resource, **kwargs):
        """One call; `resource` is the part after /apis/3.0 (or a full URL)."""
        url = resource if resource.startswith("http") else self.root + resource
        return self.session.request(method, url, timeout=30, **kwargs)

    def get(self, resource, **kwargs):
        """GET"""
        return self.request("GET", resource, **kwargs)

    def post(self, resource, **kwargs):
        """POST"""
        return self.request("POST", resource, **kwargs)

    def put(self, resource, **kwargs):
        """PUT"""
        return self.request("PUT", resource, **kwargs)

    def patch(self, resource, **kwargs):
        """PATCH"""
        return self.request("PATCH", resource, **kwargs)

    def delete(self, resource, **kwargs):
        """DELETE"""
        return self.request("DELETE", resource, **kwargs)

    def as_key(self, public_key, private_key, company=None):
        """The same server, another key pair."""
        return Api(self.base_url, company or self.company, public_key, private_key)

    def all(self, resource, **params):
        """Every record of a list, following Link rel="next"."""
        records = []
        response = self.get(resource, params=params)
        while True:
            assert response.status_code == 200, response.text
            records += response.json()
            nxt = response.links.get("next")
            if not nxt:
                return records
            response = self.get(nxt["url"])


@pytest.fixture(name="sim", scope="session")
def fixture_sim():
    """The shared simulator process (default tenant, not settings-writable)."""
    with SimulatorProcess() as process:
        yield process


@pytest.fixture(autouse=True)
def _fresh_state(request):
    # Only tests that use the simulator pay for a reset; pure unit tests never start it.
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").reset()


@pytest.fixture(name="api")
def fixture_api(sim):
    """Client for the default tenant's admin key (member simadmin, role Admin)."""
    return Api(sim.url, sim.company, sim.public_key, sim.private_key)


@pytest.fixture(name="new_api_member")
def fixture_new_api_member(api):
    """Factory: create an API member with a role (by name) and return its record."""
    def create(identifier, role="Technician", **fields):
        role_id = api.get("/system/securityroles", params={"conditions": f'name="{role}"'}).json()[0]["id"]
        body = {"identifier": identifier, "name": fields.pop("name", identifier), "securityRole": {"id": role_id}}
        body.update(fields)
        response = api.post("/system/apiMembers", json=body)
        assert response.status_code == 201, response.text
        return response.json()
    return create


@pytest.fixture(name="member_api")
def fixture_member_api(api):
    """Factory: a client authenticated as a member through a token the admin issues."""
    def login(identifier):
        response = api.post(f"/system/members/{identifier}/tokens", headers={"x-cw-usertype": "member"})
        assert response.status_code == 201, response.text
        token = response.json()
        return api.as_key(token["publicKey"], token["privateKey"])
    return login
