"""Shared pytest set-up: the collection importable as ansible_collections.msp.connectwise, and a simulator."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The vendors' published pages the profiles are checked against (a missing file is an error, never a skip).
VENDOR_SOURCES = REPO / "tests" / "fixtures" / "vendor_sources"
VENDORS_MD = VENDOR_SOURCES / "vendors.md"

# ansible-core only finds a collection under an ansible_collections/<namespace>/<name> tree: lay one out
# with a symlink so that tests import (and ansible-playbook runs) the working tree itself.
_TREE = Path(tempfile.mkdtemp(prefix="msp-connectwise-tests-"))
(_TREE / "ansible_collections" / "msp").mkdir(parents=True)
(_TREE / "ansible_collections" / "msp" / "connectwise").symlink_to(REPO, target_is_directory=True)
COLLECTIONS_PATH = str(_TREE)
for entry in (str(REPO), COLLECTIONS_PATH):
    if entry not in sys.path:
        sys.path.insert(0, entry)
os.environ["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS_PATH

from simulator.testing import SimulatorProcess  # noqa: E402  (needs the path set above)

# Under CI=true a skipped or xfail test fails the run (tests/ci_gate.py, with its allow-list).
pytest_plugins = ["tests.ci_gate"]


@pytest.fixture(scope="session")
def sim_server():
    """One simulator process for the whole run; tests reset it through the `sim` fixture."""
    server = SimulatorProcess()
    yield server
    server.stop()


@pytest.fixture
def sim(sim_server):
    """The simulator, reset to its initial tenants with an empty request log and no faults."""
    sim_server.reset()
    yield sim_server
    sim_server.clear_faults()
