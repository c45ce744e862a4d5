"""A pyconnectwise ConnectWiseManageAPIClient bound to the simulator's default tenant (the `sim` fixture resets it)."""

import pytest
from pyconnectwise import ConnectWiseManageAPIClient
from pyconnectwise.clients import connectwise_client

from tests.conformance.oracle import CLIENT_ID, PlainHttp


@pytest.fixture(name="wire")
def fixture_wire(sim, monkeypatch):
    """pyconnectwise's HTTP calls, scheme-adapted for the simulator (see PlainHttp); `.last` is the last response."""
    transport = PlainHttp(f"{sim.host}:{sim.port}")
    monkeypatch.setattr(connectwise_client, "requests", transport)
    return transport


@pytest.fixture(name="cw")
def fixture_cw(sim, wire):  # pylint: disable=unused-argument
    """The client as its users build it: no codebase given, so it first asks /login/companyinfo/{company}."""
    return ConnectWiseManageAPIClient(sim.company, f"{sim.host}:{sim.port}", CLIENT_ID, sim.public_key, sim.private_key)
