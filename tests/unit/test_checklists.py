"""The Markdown checklists the modules keep: their text, what the administrator's tool reads back, and their files."""

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils import checklists
from ansible_collections.msp.connectwise.plugins.module_utils import tenant
from ansible_collections.msp.connectwise.plugins.module_utils.tenant import converge_tenant
from simulator.admin import checklist_steps

STEPS = ["System > Security Roles > TopLeft > Companies > Contacts: set Inquire Level None -> All",
         "System > Security Roles > TopLeft > Table Setup > Customize: allow Service / Service Board"]


def integration(vendor="topleft", steps=None, **compliance):
    steps = STEPS if steps is None else steps
    return {"vendor": vendor, "title": vendor.title(), "manual_steps": list(steps), "warnings": [],
            "compliance": dict({"status": "drift" if steps else "compliant", "cells": len(steps)}, **compliance)}


def test_the_text_names_tenant_and_vendor_and_lists_every_step_for_the_administrator():
    text = checklists.render("acme", dict(integration(levels_assumed=True), warnings=["a function this tenant lacks"]))
    assert text.startswith("# Topleft on acme: steps for the ConnectWise UI\n")
    assert checklist_steps(text) == STEPS
    assert "Compliance when this was written: **drift** (2 cell(s) differ)." in text
    assert "this profile assumes All for them" in text and "Warnings:\n- a function this tenant lacks\n" in text
    plain = checklists.render("acme", integration(cells=0))
    assert "**drift**." in plain and "Warnings" not in plain and "assumes All" not in plain


def test_sync_writes_what_is_left_removes_what_is_done_and_rewrites_nothing_unchanged(tmp_path):
    folder = tmp_path / "checklists"
    done = integration("mobius", steps=[])
    first = checklists.sync(str(folder), "acme", [integration(), done])
    assert first == {"written": [str(folder / "acme-topleft.md")], "removed": []}
    assert stat.S_IMODE(os.stat(folder / "acme-topleft.md").st_mode) == 0o644
    assert checklists.sync(str(folder), "acme", [integration(), done]) == {"written": [], "removed": []}
    (folder / "acme-mobius.md").write_text("stale")
    (folder / "other-topleft.md").write_text("another tenant's")
    assert sorted(checklists.sync(str(folder), "acme", [integration(steps=[]), done])["removed"]) == sorted(
        [str(folder / "acme-topleft.md"), str(folder / "acme-mobius.md")])
    assert sorted(p.name for p in folder.iterdir()) == ["other-topleft.md"]
    assert not list(folder.glob(".checklist-*"))


def test_nothing_is_written_without_a_folder_or_without_steps(tmp_path):
    assert checklists.sync(None, "acme", [integration()]) == {"written": [], "removed": []}
    checklists.sync(str(tmp_path / "never"), "acme", [integration(steps=[])])
    assert not (tmp_path / "never").exists()


def test_a_host_name_cannot_escape_the_folder(tmp_path):
    checklists.sync(str(tmp_path), "../evil/acme", [integration()])
    assert [p.name for p in tmp_path.iterdir()] == [".._evil_acme-topleft.md"]


def test_an_unwritable_folder_fails_the_tenant_with_the_option_to_fix(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OSError):  # a folder that cannot be made, even as root
        checklists.sync(str(blocker / "checklists"), "acme", [integration()])

    def refuse(*_args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(checklists, "sync", refuse)
    monkeypatch.setattr(tenant, "prevalidate", lambda *args: [])
    result, _diff, _warnings = converge_tenant(FakeClient(), [], checklist_dir="/var/locked", name="acme")
    assert result["failed"] and result["msg"] == (
        "checklist_dir: cannot write the checklists to /var/locked (Permission denied); give a writable folder")


class FakeClient:  # pylint: disable=too-few-public-methods
    company_id, requests_sent, retries_taken, codebase, cache = "acme", 0, 0, None, {}

    def use_recorded_codebase(self, codebase):
        pass
