"""A vendor role is its vendor's name only: its options are validated once, by the engine role's argument spec, and a
bad one fails before any request with a message naming the option."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("extra, expected", [
    ({"cw_state": "bogus"}, ["cw_state", "present, absent", "bogus"]),
    ({"cw_purge": "maybe"}, ["cw_purge", "maybe"]),
])
def test_a_vendor_role_validates_its_options_through_the_engine(sim, book, tenant_env, extra, expected):
    sim.clear_requests()
    run = book("onboard_topleft.yml", env=tenant_env, extra=extra)
    assert run.rc == 2, run.output[-3000:]
    failure = run.output.split("fatal:")[-1]
    assert all(text in failure for text in expected), run.output[-3000:]
    assert sim.requests() == []
