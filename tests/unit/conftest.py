"""Fixtures for client tests: a client for the simulator's administrator, with sleeps recorded."""

from __future__ import annotations

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.api import client as client_module

CLIENT_ID = "5c2e3ad4-6b1e-4f0e-9d8e-1f2a3b4c5d6e"


class SleepRecorder:
    """Stands in for time.sleep: records each wait and can run an action (time "passing")."""

    def __init__(self):
        self.waits = []
        self.on_sleep = None

    def __call__(self, seconds):
        self.waits.append(seconds)
        if self.on_sleep:
            self.on_sleep()


@pytest.fixture(autouse=True)
def _fresh_codebase_cache():
    client_module._CODEBASES.clear()
    yield
    client_module._CODEBASES.clear()


@pytest.fixture
def sleeps():
    return SleepRecorder()


@pytest.fixture
def make_client(sim, sleeps):
    def factory(**overrides):
        options = {
            "site": sim.url, "company_id": sim.company, "public_key": sim.public_key, "private_key": sim.private_key,
            "client_id": CLIENT_ID, "retries": 3, "backoff": 0.01, "timeout": 5, "sleep": sleeps,
        }
        options.update(overrides)
        connection = [options.pop(name) for name in ("site", "company_id", "public_key", "private_key", "client_id")]
        return client_module.ConnectWiseClient(*connection, **options)
    return factory


@pytest.fixture
def client(make_client):
    return make_client()
