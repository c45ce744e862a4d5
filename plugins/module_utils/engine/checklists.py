# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown checklist per tenant and vendor: what an administrator clicks in the UI while the API cannot write it.

Shaped like the vendor's own page, in the order an administrator works: the role's modules (each function's whole
target row, the cells to change in bold), Save, Table Setup, the API member and its key, the vendor's steps outside
ConnectWise; then, for the operator, what to run next. It is rendered from the machine-readable ``pending`` items (and
the profile's ``outside`` steps), never from the one-line ``manual_steps``; simulator/admin.py reads it back.

Written by the module that found the steps (cw_integration, cw_fleet_audit) rather than by a template task per tenant
and vendor, which would start a module process for each file: the cost of a fleet audit with drift."""

from __future__ import annotations

import os
import re

from ansible_collections.msp.connectwise.plugins.module_utils.storage.files import write_atomic
from ansible_collections.msp.connectwise.plugins.module_utils.resources.levels import CELLS

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@-]")
_HANDBACK = re.compile(r"ansible-playbook msp\.connectwise\.key_import(?P<target>.*?) -e cw_vendor=")

# The section headings simulator/admin.py finds its way by: change them together.
PERMISSIONS = "## 1. Permission levels of security role %s"
TABLES = "## 2. Table Setup of security role %s"
MEMBER = "## 3. API member %s and its key"
OUTSIDE = "## 4. Outside ConnectWise"
NEXT = "## What to run next"
OPTIONAL = "### Optional rows"
HEADER = "| Function | Add | Edit | Delete | Inquire |"
PLACES = {"allow": "Allow access to these", "disallow": "Disallow access to these"}
# Where the vendor's own steps go: firewall and vendor portal steps outside ConnectWise; the board restriction is a
# choice on the member's page; troubleshooting is advice for later.
OUTSIDE_STEPS = ("ip_allowlist", "portal", "connect")
# Why a key is to be made again (the api_key item's status, keys.py); a member without a key needs no reason.
KEY_WHY = {"expiring": "the one it uses expires within days", "expired": "the one it used has expired",
           "refused": "ConnectWise refuses the one it used (deleted or inactive)"}


def file_name(tenant, vendor):
    """``<tenant>-<vendor>.md``, with anything that is not safe in a file name replaced."""
    return "%s-%s.md" % (_UNSAFE.sub("_", tenant), _UNSAFE.sub("_", vendor))


def cell_text(text):
    """A Markdown table cell: a '|' in a name would end the cell."""
    return str(text).replace("|", "\\|")


def render(tenant, integration):
    pending = integration.get("pending") or []
    steps = integration.get("manual_steps") or []
    kinds = {}
    for item, step in zip(pending, steps):
        kinds.setdefault(item.get("kind"), []).append((item, step))
    role = next((item["role"] for item in pending if item.get("role")), None) or (integration.get("role") or {}).get("name")
    member = next((item["member"] for item in pending if item.get("member")), None) or (integration.get("member") or {}).get(
        "identifier")
    outside = integration.get("outside") or []
    optional = integration.get("optional") or {}
    lines = ["# %s on %s: steps for the ConnectWise UI" % (integration["title"], tenant), "",
             "For a ConnectWise administrator: the ConnectWise API cannot make these changes. Work through them in order;",
             "then the operator runs the playbook again (\"What to run next\"), which checks each one.", ""]
    lines += [compliance_line(integration.get("compliance") or {}), ""]
    # Offboarding leaves no role to set up and nothing to submit to the vendor: only the member's keys to revoke.
    onboarding = (integration.get("compliance") or {}).get("status") != "offboarded"
    if onboarding:
        lines += permissions_section(role, [item for item, _step in kinds.pop("permission", [])], optional.get("permissions"))
        lines += tables_section(role, [item for item, _step in kinds.pop("table", [])], optional.get("tables"))
    lines += member_section(member, integration["title"], [item for item, _step in kinds.pop("api_key", [])],
                            [s for s in outside if s.get("kind") == "board_restriction"] if onboarding else [])
    # A kind this module does not know yet still reaches the administrator, in its one-line form.
    others = [step for found in kinds.values() for _item, step in found]
    if others:
        lines += ["## Other steps", ""] + ["- [ ] %s" % step for step in others] + [""]
    if onboarding:
        lines += outside_section(integration["title"], outside)
    lines += next_section(tenant, integration, pending, optional, outside)
    return "\n".join(lines).rstrip("\n") + "\n"


def compliance_line(compliance):
    cells = compliance.get("cells") or 0
    line = "Compliance when this was written: **%s**%s." % (
        (compliance.get("status") or "unknown").replace("_", " "), " (%d cell(s) differ)" % cells if cells else "")
    if compliance.get("levels_assumed"):
        line += " The vendor publishes some rights without a level; they are taken as All here."
    if compliance.get("profile_status") == "partial":
        line += (" The vendor profile is **partial** (%s): only its rows are checked, and this list may not be all the"
                 " integration needs." % compliance.get("profile_missing"))
    if compliance.get("not_judged"):
        line += (" Not judged, as the vendor's page names their level without a value: %s; the operator gives their"
                 " levels." % "; ".join(compliance["not_judged"]))
    return line


def permissions_section(role, items, optional):
    lines = [PERMISSIONS % role, ""]
    if items:
        lines += ["- [ ] In ConnectWise, go to **System > Security Roles** and click the role **%s**." % role, "",
                  "Each table is a module's rows as they must end up. Change the cells in bold (\"now\" is the level the",
                  "role has today); the other cells are right already. Functions not listed stay as they are.", ""]
        modules = {}
        for item in items:  # in the tenant's order (module, then the function's place in it): the order on screen
            modules.setdefault(item["module"], []).append(item)
        for module, rows in modules.items():
            lines += ["### %s" % module, "", "- [ ] Click **%s** to expand it and set these rows:" % module, "", HEADER,
                      "|---|---|---|---|---|"]
            lines += ["| %s | %s |" % (cell_text(row["function"]), " | ".join(target_cells(row))) for row in rows]
            lines += [""]
        lines += ["- [ ] Click **Save**.", ""]
    else:
        lines += ["Nothing to change here.", ""]
    if optional:
        lines += [OPTIONAL, "",
                  "The vendor marks these rows optional. They are not required and nothing checks them; the operator can",
                  "include them (\"What to run next\"), and they then appear in the tables above.", "",
                  "| Module | Function | Add | Edit | Delete | Inquire |", "|---|---|---|---|---|---|"]
        lines += ["| %s | %s | %s |" % (cell_text(row["module"]), cell_text(row["function"]),
                                        " | ".join(row.get(cell) or "(as is)" for cell in CELLS)) for row in optional]
        lines += [""]
    return lines


def target_cells(item):
    """Each cell of the row as it must end up; a changed one in bold with the level it has now."""
    target, changes = item.get("target") or {}, item.get("cells") or {}
    found = []
    for cell in CELLS:
        if cell in changes:
            found.append("**%s** (now %s)" % (changes[cell]["to"], changes[cell]["from"]))
        else:
            found.append(target.get(cell) or "(as is)")
    return found


def tables_section(role, items, optional):
    lines = [TABLES % role, ""]
    if items:
        lines += ["- [ ] In the role **%s**, expand **System**, find **Table Setup** and click **Customize** in its row." % role]
        for action in ("allow", "disallow"):
            names = [item["table"] for item in items if item.get("action") == action]
            if names:
                lines += ["- [ ] Move these entries to **%s**:" % PLACES[action]] + ["  - %s" % name for name in names]
        lines += ["- [ ] Click **Save**.", ""]
        if not all(item.get("verified", True) for item in items):
            lines += ["The playbook cannot read the role's list until it holds the member's key: some of these entries may be",
                      "allowed already.", ""]
    else:
        lines += ["Nothing to change here.", ""]
    if optional:
        lines += ["### Optional entries", "",
                  "The vendor marks these entries optional; they are not required and nothing checks them:", ""]
        lines += ["- %s" % name for name in optional] + [""]
    return lines


def member_section(member, title, keys, boards):
    lines = [MEMBER % member, ""]
    for key in keys:
        where = "go to **System > Members**, open the **API Members** tab and click **%s**" % key["member"]
        if key.get("action") == "revoke":
            lines += ["- [ ] In ConnectWise, %s; on its **API Keys** tab delete every key (the API cannot list or revoke"
                      " them), and have %s stop using its key pair." % (where, title)]
        else:
            if KEY_WHY.get(key.get("status")):
                lines += ["%s needs a new key: %s." % (title, KEY_WHY[key["status"]])]
            lines += ["- [ ] In ConnectWise, %s; on its **API Keys** tab click **+**, enter the description **%s** and click"
                      " **Save** (not Save & Close)." % (where, key.get("description") or title),
                      "- [ ] Copy the public and the private key (ConnectWise never shows the private key again) and give both"
                      " to the operator, by a safe channel."]
            if key.get("replaces"):
                lines += ["- [ ] Once %s uses the new key, mark the old one (public key `%s`) inactive and delete it."
                          % (title, key["replaces"])]
    if not keys:
        lines += ["Nothing to do here: the playbook creates the member and its key through the API."]
    for step in boards:
        lines += ["", "Optional, in %s's words: %s The operator can also have the playbook keep the boards excluded (\"What to"
                  " run next\")." % (title, step["text"])]
    return lines + [""]


def outside_section(title, outside):
    lines = [OUTSIDE, ""]
    found = [s for s in outside if s.get("kind") in OUTSIDE_STEPS]
    if found:
        lines += ["%s's page asks for these too, in its words; the playbook can neither do nor check them." % title, ""]
        for step in found:
            lines += ["- [ ] %s%s" % (step["text"], " (<%s>)" % step["url"] if step.get("url") else "")]
            if step.get("kind") == "ip_allowlist":
                addresses = step.get("addresses") or []
                lines += ["  - Addresses: %s" % ", ".join("`%s`" % a for a in addresses) if addresses
                          else "  - %s's page does not list the addresses." % title]
            lines += ["  %d. %s" % (n, text) for n, text in enumerate(step.get("steps") or [], 1)]
    else:
        lines += ["Nothing: %s's profile records no step outside ConnectWise." % title]
    advice = [s for s in outside if s.get("kind") == "troubleshooting"]
    if advice:
        lines += ["", "### If the integration does not work", "", "%s's advice:" % title, ""]
        for step in advice:
            lines += ["- %s" % step["text"]] + ["  %d. %s" % (n, text) for n, text in enumerate(step.get("steps") or [], 1)]
    return lines + [""]


def next_section(tenant, integration, pending, optional, outside):
    vendor = integration["vendor"]
    offboarded = (integration.get("compliance") or {}).get("status") == "offboarded"
    playbook = "msp.connectwise.%s_%s" % ("offboard" if offboarded else "onboard", vendor)
    lines = [NEXT, "", "For the operator, once the administrator has done the steps above:", ""]
    keys = [item for item in pending if item.get("kind") == "api_key" and item.get("action") != "revoke"]
    # The role words the key item's hand-back as the one command for this tenant (its inventory and host): used as is.
    given = _HANDBACK.search(keys[0].get("handback") or "") if keys else None
    target = given["target"] if given else " --limit %s" % tenant
    if keys:
        lines += ["- Hand the key pair the administrator made to the playbook (it asks for both keys): `ansible-playbook "
                  "msp.connectwise.key_import%s -e cw_vendor=%s`" % (given["target"] if given else "", vendor)]
    lines += ["- Run the same playbook again; it checks every step and passes when nothing remains: "
              "`ansible-playbook %s%s`" % (playbook, target)]
    if optional.get("permissions") or optional.get("tables"):
        lines += ["- To grant what the vendor marks optional as well (and have audits require it), add "
                  "`-e cw_include_optional=true` (or set `cw_include_optional: true` for this tenant)."]
    compliance = integration.get("compliance") or {}
    if compliance.get("profile_status") == "partial" and not offboarded:
        lines += ["- %s's profile is partial: onboarding grants only the rows it has, and runs only with "
                  "`-e cw_allow_partial=true` (or `cw_allow_partial: true` for this tenant)." % integration["title"]]
    if compliance.get("not_judged") and not offboarded:
        first = compliance["not_judged"][0].rsplit(": ", 1)
        lines += ["- Give the levels the vendor's page leaves without a value (each None, My or All), so that they are "
                  "set and judged too, e.g. `-e '{\"cw_vendor_overrides\": {\"%s\": {\"levels\": {\"%s\": {\"%s\": "
                  "\"All\"}}}}}'`." % (vendor, first[0], first[1])]
    if any(s.get("kind") == "board_restriction" for s in outside):
        lines += ["- To keep the member off some service boards, name them: "
                  "`-e '{\"cw_member_excluded_boards\": [\"Board name\"]}'`."]
    if integration.get("warnings"):
        lines += ["", "Warnings from the run:", ""] + ["- %s" % warning for warning in integration["warnings"]]
    return lines


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
