"""Small helpers shared by the end-to-end tests."""

from __future__ import annotations

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def writes(sim):
    return [r for r in sim.requests() if r["method"] in WRITE_METHODS]


def task(module, _name=None, _register="out", **options):
    """One task of msp.connectwise.<module>, named so that its result can be looked up."""
    return {"name": _name or module, "msp.connectwise." + module: options, "register": _register}


def settings_reads(sim):
    return [r for r in sim.requests() if r["method"] == "GET" and r["path"].lower().rstrip("/").endswith("/settings")]


def apply_pending(sim, role, pending):
    """Play the administrator: click every pending permission row into the role through the simulator's UI."""
    rows = []
    for item in pending:
        row = {"module": item["module"], "function": item["function"]}
        row.update({cell: change["to"] for cell, change in item["cells"].items()})
        rows.append(row)
    sim.ui_set_levels(role, rows)
