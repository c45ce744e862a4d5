# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown checklist per tenant and vendor: what an administrator clicks in the UI while the API cannot write it.

Written by the module that found the steps (cw_integration, cw_fleet_audit) rather than by a template task per tenant
and vendor, which would start a module process for each file: the cost of a fleet audit with drift."""

from __future__ import annotations

import os
import re

from ansible_collections.msp.connectwise.plugins.module_utils.files import write_atomic

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]")


def file_name(tenant, vendor):
    """``<tenant>-<vendor>.md``, with anything that is not safe in a file name replaced."""
    return "%s-%s.md" % (_UNSAFE.sub("_", tenant), _UNSAFE.sub("_", vendor))


def render(tenant, integration):
    compliance = integration.get("compliance") or {}
    lines = ["# %s on %s: steps for the ConnectWise UI" % (integration["title"], tenant), "",
             "The ConnectWise API cannot make these changes. Apply them in order as a ConnectWise administrator, then run the",
             "same playbook again: it verifies each one and passes when nothing remains.", ""]
    lines += ["- [ ] %s" % step for step in integration["manual_steps"]]
    cells = compliance.get("cells") or 0
    lines += ["", "Compliance when this was written: **%s**%s." % (compliance.get("status"), " (%d cell(s) differ)" % cells if cells else "")]
    if compliance.get("levels_assumed"):
        lines += ["", "Note: the vendor publishes some rights without a level; this profile assumes All for them."]
    if integration.get("warnings"):
        lines += ["", "Warnings:"] + ["- %s" % warning for warning in integration["warnings"]]
    return "\n".join(lines) + "\n"


def _write(path, text):
    """Atomically, and only when the text differs (a re-run that finds the same steps touches nothing)."""
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except OSError:
        pass
    write_atomic(path, text, mode=0o644, prefix=".checklist-")
    return True


def sync(directory, tenant, integrations):
    """Write the checklist of each vendor with steps left; remove the one of each vendor without (a stale file would
    send an administrator to redo finished work). Returns the paths written and removed."""
    written, removed = [], []
    if not directory:
        return {"written": written, "removed": removed}
    if any(i["manual_steps"] for i in integrations):
        os.makedirs(directory, mode=0o755, exist_ok=True)
    for integration in integrations:
        path = os.path.join(directory, file_name(tenant, integration["vendor"]))
        if integration["manual_steps"]:
            if _write(path, render(tenant, integration)):
                written.append(path)
        elif os.path.exists(path):
            os.unlink(path)
            removed.append(path)
    return {"written": written, "removed": removed}
