"""The Markdown checklists the modules keep: their text, what the administrator's tool reads back, and their files."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest
import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.engine import checklists
from ansible_collections.msp.connectwise.plugins.module_utils.engine import tenant
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import converge_tenant
from simulator import admin
from tests.conftest import REPO

PROFILES = REPO / "roles" / "integration" / "files" / "profiles"


def permission(module, function, target, **cells):
    return {"kind": "permission", "role": "TopLeft", "module": module, "function": function, "target": target,
            "cells": {cell: {"from": before, "to": target[cell]} for cell, before in cells.items()}}


ROWS = {"add": "None", "edit": "None", "delete": "None", "inquire": "All"}
PENDING = [
    permission("Companies", "Contacts", ROWS, inquire="None"),
    permission("Companies", "CRM/Sales Activities", dict(ROWS, edit="All"), edit="None"),
    permission("Finance", "Agreements", ROWS, inquire="My"),
    {"kind": "table", "role": "TopLeft", "table": "Service / Service Board", "action": "allow", "verified": False},
    {"kind": "table", "role": "TopLeft", "table": "Service / Priority", "action": "disallow", "verified": True},
    {"kind": "api_key", "member": "TopLeft", "description": "TopLeft", "action": "create", "status": "not_held"},
]
OUTSIDE = [
    {"kind": "ip_allowlist", "text": "Add our IP addresses to your whitelist.", "addresses": []},
    {"kind": "board_restriction", "text": "You can also restrict service boards."},
    {"kind": "portal", "text": "Submit the credentials", "url": "https://portal.example/welcome/",
     "steps": ["Go to https://portal.example/welcome/ and enter them."]},
    {"kind": "troubleshooting", "text": "Role changes apply late. Try these steps:", "steps": ["Swap the role and back."]},
]


def integration(vendor="topleft", pending=None, **extra):
    pending = PENDING if pending is None else pending
    data = {"vendor": vendor, "title": vendor.title(), "role": {"id": 7, "name": "TopLeft"},
            "member": {"identifier": "TopLeft"}, "pending": list(pending),
            "manual_steps": ["one-line step %d" % n for n in range(len(pending))], "warnings": [], "outside": [],
            "optional": {}, "compliance": {"status": "drift" if pending else "compliant", "cells": len(pending)}}
    data.update(extra)
    return data


def section(text, heading):
    """The lines of one '## ' section, without its heading."""
    lines = text.split("\n")
    start = lines.index(heading) + 1
    end = next((n for n in range(start, len(lines)) if lines[n].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]).strip("\n")


def test_sections_come_in_the_order_an_administrator_works():
    text = checklists.render("acme", integration(outside=OUTSIDE))
    assert text.startswith("# Topleft on acme: steps for the ConnectWise UI\n")
    assert re.findall(r"^## .*$", text, re.MULTILINE) == [
        "## 1. Permission levels of security role TopLeft", "## 2. Table Setup of security role TopLeft",
        "## 3. API member TopLeft and its key", "## 4. Outside ConnectWise", "## What to run next"]
    assert "Compliance when this was written: **drift** (6 cell(s) differ)." in text


def test_permission_rows_are_grouped_by_module_with_the_whole_target_row_and_a_save():
    text = section(checklists.render("acme", integration()), "## 1. Permission levels of security role TopLeft")
    assert text.startswith("- [ ] In ConnectWise, go to **System > Security Roles** and click the role **TopLeft**.")
    assert "\n### Companies\n\n- [ ] Click **Companies** to expand it and set these rows:\n\n" + "\n".join([
        "| Function | Add | Edit | Delete | Inquire |",
        "|---|---|---|---|---|",
        "| Contacts | None | None | None | **All** (now None) |",
        "| CRM/Sales Activities | None | **All** (now None) | None | All |"]) + "\n\n### Finance\n" in text
    assert "| Agreements | None | None | None | **All** (now My) |" in text
    assert text.endswith("- [ ] Click **Save**.")
    assert text.index("### Companies") < text.index("### Finance")


def test_a_row_without_its_target_shows_only_what_changes():
    row = dict(permission("System", "A | B", ROWS, inquire="None"))
    row.pop("target")
    text = checklists.render("acme", integration(pending=[row]))
    assert "| A \\| B | (as is) | (as is) | (as is) | **All** (now None) |" in text


def test_table_setup_lists_what_to_allow_and_disallow_then_save():
    text = section(checklists.render("acme", integration()), "## 2. Table Setup of security role TopLeft")
    assert text.split("\n\n", maxsplit=1)[0] == "\n".join([
        "- [ ] In the role **TopLeft**, expand **System**, find **Table Setup** and click **Customize** in its row.",
        "- [ ] Move these entries to **Allow access to these**:",
        "  - Service / Service Board",
        "- [ ] Move these entries to **Disallow access to these**:",
        "  - Service / Priority",
        "- [ ] Click **Save**."])
    assert "some of these entries may be" in text  # one entry is unverified


def test_the_key_is_made_in_the_ui_and_handed_to_the_operator():
    text = checklists.render("acme", integration(outside=OUTSIDE))
    member = section(text, "## 3. API member TopLeft and its key")
    assert ("**API Keys** tab click **+**, enter the description **TopLeft** and click **Save** (not Save & Close)."
            in member)
    assert "give both to the operator" in member
    assert "Optional, in Topleft's words: You can also restrict service boards." in member
    assert "`ansible-playbook msp.connectwise.key_import -e cw_vendor=topleft`" in section(text, "## What to run next")


def test_the_commands_name_the_tenant_as_the_runs_hand_back_does():
    handback = ("run: ansible-playbook msp.connectwise.key_import -i inventory.yml -l acme -e cw_vendor=topleft (it asks "
                "for both keys)")
    pending = PENDING[:-1] + [dict(PENDING[-1], handback=handback)]
    operator = section(checklists.render("acme", integration(pending=pending)), "## What to run next")
    assert "`ansible-playbook msp.connectwise.key_import -i inventory.yml -l acme -e cw_vendor=topleft`" in operator
    assert "`ansible-playbook msp.connectwise.onboard_topleft -i inventory.yml -l acme`" in operator


def test_outside_connectwise_has_the_vendors_steps_and_advice():
    outside = section(checklists.render("acme", integration(outside=OUTSIDE)), "## 4. Outside ConnectWise")
    assert "\n".join([
        "- [ ] Add our IP addresses to your whitelist.",
        "  - Topleft's page does not list the addresses.",
        "- [ ] Submit the credentials (<https://portal.example/welcome/>)",
        "  1. Go to https://portal.example/welcome/ and enter them."]) in outside
    assert outside.endswith("- Role changes apply late. Try these steps:\n  1. Swap the role and back.")
    assert "restrict service boards" not in outside  # on the member's page, not outside ConnectWise
    listed = [dict(OUTSIDE[0], addresses=["203.0.113.7", "198.51.100.0/24"])]
    assert "  - Addresses: `203.0.113.7`, `198.51.100.0/24`" in checklists.render("acme", integration(outside=listed))
    assert "Nothing: Topleft's profile records no step outside ConnectWise." in checklists.render("acme", integration())


def test_optional_rows_are_named_with_the_variable_that_includes_them():
    optional = {"permissions": [{"module": "Service Desk", "function": "Service Tickets - Finance", "add": "All",
                                 "inquire": "All"}], "tables": ["Service / SLA"]}
    text = checklists.render("acme", integration(optional=optional))
    assert "### Optional rows" in text and "### Optional entries" in text
    assert "| Service Desk | Service Tickets - Finance | All | (as is) | (as is) | All |" in text
    assert "- Service / SLA" in section(text, "## 2. Table Setup of security role TopLeft")
    assert "`-e cw_include_optional=true`" in section(text, "## What to run next")
    plain = checklists.render("acme", integration())
    assert "Optional" not in plain and "cw_include_optional" not in plain


def test_ansible_terms_stay_in_the_operators_section():
    warning = "the pair issued through the tokens endpoint expires; create one in the UI and pass it with source: ui"
    text = checklists.render("acme", integration(warnings=[warning], compliance={"status": "drift", "levels_assumed": True}))
    administrator, operator = text.split("## What to run next")
    assert "source: ui" not in administrator and "ansible" not in administrator.lower()
    assert operator.endswith("Warnings from the run:\n\n- %s\n" % warning)
    assert "`ansible-playbook msp.connectwise.onboard_topleft --limit acme`" in operator
    assert "taken as All here" in administrator


def test_nothing_to_do_is_said_per_section_and_an_unknown_step_still_reaches_the_administrator():
    text = checklists.render("acme", integration(pending=[{"kind": "webhook", "action": "create"}],
                                                 manual_steps=["System > Integrator Login: add the callback"]))
    assert section(text, "## 1. Permission levels of security role TopLeft") == "Nothing to change here."
    assert section(text, "## 2. Table Setup of security role TopLeft") == "Nothing to change here."
    assert section(text, "## Other steps") == "- [ ] System > Integrator Login: add the callback"


def test_an_offboarding_checklist_revokes_the_keys_and_reruns_the_offboarding():
    revoke = {"kind": "api_key", "member": "TopLeft", "action": "revoke"}
    text = checklists.render("acme", integration(pending=[revoke], role=None, compliance={"status": "offboarded"},
                                                 outside=OUTSIDE))
    assert re.findall(r"^## .*$", text, re.MULTILINE) == ["## 3. API member TopLeft and its key", "## What to run next"]
    assert "on its **API Keys** tab delete every key" in text and "restrict service boards" not in text
    assert "msp.connectwise.offboard_topleft --limit acme" in text and "key_import" not in text
    assert admin.parse(text) == {"levels": {}, "tables": {}, "keys": []}


def test_the_administrators_tool_reads_back_exactly_what_to_click():
    optional = {"permissions": [{"module": "Service Desk", "function": "Merge Tickets", "add": "All"}], "tables": ["X / Y"]}
    plan = admin.parse(checklists.render("acme", integration(outside=OUTSIDE, optional=optional)))
    assert plan == {
        "levels": {"TopLeft": [{"module": "Companies", "function": "Contacts", "inquire": "All"},
                               {"module": "Companies", "function": "CRM/Sales Activities", "edit": "All"},
                               {"module": "Finance", "function": "Agreements", "inquire": "All"}]},
        "tables": {"TopLeft": [("Allow", "Service / Service Board"), ("Disallow", "Service / Priority")]},
        "keys": [("TopLeft", "TopLeft")]}


def fresh_run(client, vendor, tmp_path, **item):
    """Onboard ``vendor`` on the simulator's default tenant (it refuses level writes), with its checklist written."""
    profile = yaml.safe_load((PROFILES / (vendor + ".yml")).read_text(encoding="utf-8"))
    key = dict({"source": "ui", "dest": str(tmp_path / ("%s.json" % vendor))}, **item.pop("key", {}))
    result, _diff, _warnings = converge_tenant(client, [dict({"profile": profile, "key": key}, **item)],
                                               checklist_dir=str(tmp_path / "checklists"), name="acme")
    assert not result.get("failed"), result
    path = tmp_path / "checklists" / ("acme-%s.md" % vendor)
    return result["integrations"][0], path.read_text(encoding="utf-8") if path.exists() else None


def test_topleft_on_a_fresh_tenant_then_the_administrator_then_compliant(client, sim, tmp_path):
    found, text = fresh_run(client, "topleft", tmp_path)
    levels = section(text, "## 1. Permission levels of security role TopLeft")
    assert re.findall(r"^### (.+)$", levels, re.MULTILINE) == [
        "Companies", "Finance", "Project", "Sales", "Service Desk", "System", "Time & Expense"]
    assert "| Table Setup | **All** (now None) | None | None | **All** (now None) |" in levels
    assert levels.count("| Function | Add | Edit | Delete | Inquire |") == 7 and levels.endswith("- [ ] Click **Save**.")
    assert section(text, "## 2. Table Setup of security role TopLeft") == "Nothing to change here."
    outside = section(text, "## 4. Outside ConnectWise")
    assert ("- [ ] If you use on-premise ConnectWise behind a firewall filtering access by IP or region, add our IP "
            "addresses to your whitelist.\n  - TopLeft's page does not list the addresses.") in outside
    assert "(<https://customers.topleft.team/welcome/>)" in outside
    assert "restrict any service boards" in section(text, "## 3. API member TopLeft and its key")
    assert "key_import -e cw_vendor=topleft" in section(text, "## What to run next")
    assert found["member"]["identifier"] == "TopLeft"

    done = admin.apply(sim, sim.company, admin.parse(text), str(tmp_path / "keys"))
    assert done[0] == "set 26 permission row(s) on role TopLeft"
    pair = json.loads((tmp_path / "keys" / "TopLeft-ui-key.json").read_text())
    given = {"member_public_key": pair["public_key"], "member_private_key": pair["private_key"]}
    again, left = fresh_run(client, "topleft", tmp_path, key=given)
    assert again["pending"] == [] and again["compliance"]["status"] == "compliant" and left is None


def test_lifecycle_managers_optional_rows_are_named_until_included(client, sim, tmp_path):
    _found, text = fresh_run(client, "lifecycle_manager", tmp_path)
    optional = text.split("### Optional rows")[1].split("## 2.")[0]
    assert "| Service Desk | Service Tickets - Dependencies | All | All | None | All |" in optional
    assert "| Service Desk | Service Tickets - Finance | All | All | None | All |" in optional
    assert "cw_include_optional=true" in section(text, "## What to run next")
    assert "- [ ] Connect in Lifecycle Manager\n  1. In Lifecycle Manager, hover over" in text
    _found, included = fresh_run(client, "lifecycle_manager", tmp_path, include_optional=True)
    assert "Optional" not in included and "cw_include_optional" not in included
    assert "| Service Tickets - Finance | **All** (now None) |" in included


def test_sync_writes_what_is_left_removes_what_is_done_and_rewrites_nothing_unchanged(tmp_path):
    folder = tmp_path / "checklists"
    done = integration("mobius", pending=[])
    first = checklists.sync(str(folder), "acme", [integration(), done])
    assert first == {"written": [str(folder / "acme-topleft.md")], "removed": []}
    assert stat.S_IMODE(os.stat(folder / "acme-topleft.md").st_mode) == 0o644
    assert checklists.sync(str(folder), "acme", [integration(), done]) == {"written": [], "removed": []}
    (folder / "acme-mobius.md").write_text("stale")
    (folder / "other-topleft.md").write_text("another tenant's")
    assert sorted(checklists.sync(str(folder), "acme", [integration(pending=[]), done])["removed"]) == sorted(
        [str(folder / "acme-topleft.md"), str(folder / "acme-mobius.md")])
    assert sorted(p.name for p in folder.iterdir()) == ["other-topleft.md"]
    assert not list(folder.glob(".checklist-*"))


def test_nothing_is_written_without_a_folder_or_without_steps(tmp_path):
    assert checklists.sync(None, "acme", [integration()]) == {"written": [], "removed": []}
    checklists.sync(str(tmp_path / "never"), "acme", [integration(pending=[])])
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


def test_a_partial_profile_and_cells_not_judged_are_said_at_the_top_and_what_to_run_next():
    compliance = {"status": "compliant", "profile_status": "partial", "profile_missing": "the table is cut in Finance",
                  "not_judged": ["Finance / Agreements: edit", "Finance / Agreements: inquire"]}
    text = checklists.render("acme", integration(vendor="phin_security", compliance=compliance))
    administrator, operator = text.split("## What to run next")
    assert administrator.split("\n")[5] == (
        "Compliance when this was written: **compliant**. The vendor profile is **partial** (the table is cut in "
        "Finance): only its rows are checked, and this list may not be all the integration needs. Not judged, as the "
        "vendor's page names their level without a value: Finance / Agreements: edit; Finance / Agreements: inquire; "
        "the operator gives their levels.")
    assert "cw_" not in administrator
    assert ("- Phin_Security's profile is partial: onboarding grants only the rows it has, and runs only with "
            "`-e cw_allow_partial=true` (or `cw_allow_partial: true` for this tenant).") in operator
    assert ("`-e '{\"cw_vendor_overrides\": {\"phin_security\": {\"levels\": {\"Finance / Agreements\": {\"edit\": "
            "\"All\"}}}}}'`") in operator
    complete = checklists.render("acme", integration())
    assert "partial" not in complete and "Not judged" not in complete
