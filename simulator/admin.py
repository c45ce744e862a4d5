"""Play the ConnectWise administrator: apply a checklist written by msp.connectwise through the simulator's UI actions.

    python -m simulator.admin --url http://127.0.0.1:8080 apply cw-output/checklists/localhost-topleft.md

Reads the checklist lines exactly as an administrator would and clicks them: permission levels, Table Setup
customize entries, and API keys (a created key pair is written to a 0600 file, never printed).
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

from . import catalogue
from .testing import SimulatorControl

_LEVELS = re.compile(r"(Add|Edit|Delete|Inquire) Level (None|My|All) -> (None|My|All)")
_TABLE = re.compile(r"^System > Security Roles > (?P<role>.+) > System > Table Setup > Customize: move '(?P<table>.+)' to "
                    r"'(?P<where>Allow|Disallow) access to these'$")
_KEY = re.compile(r"^System > Members > API Members > (?P<member>[^>]+) > API Keys: click \+, enter the description '(?P<desc>[^']*)'")
_PERMISSION = re.compile(r"^System > Security Roles > (?P<path>.+): set (?P<cells>.+)$")


def checklist_steps(text):
    """The step lines of a Markdown checklist ('- [ ] ...'), with an optional 'Vendor: ' prefix removed."""
    steps = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("- [ ] "):
            steps.append(line[6:])
    return steps


def role_tables(control, company, role):
    """The role's current Table Setup allow list, as 'Category / Table' names."""
    for tenant in control.state()["tenants"]:
        if tenant["company"].lower() != company.lower():
            continue
        for record in tenant["roles"]:
            if record["name"].lower() == role.lower():
                items = record.get("customize", {}).get(catalogue.TABLE_SETUP, [])
                return [catalogue.screen_label(int(item["itemIdentifier"])) for item in items]
    raise SystemExit("no role %r on tenant %r" % (role, company))


def apply(control, company, steps, keys_dir):
    done = []
    levels, tables = {}, {}
    for step in steps:
        table, key, permission = _TABLE.match(step), _KEY.match(step), _PERMISSION.match(step)
        if table:
            tables.setdefault(table["role"], []).append((table["where"], table["table"]))
        elif key:
            pair = control.ui_create_key(key["member"].strip(), key["desc"], company=company)
            target = Path(keys_dir) / ("%s-ui-key.json" % key["member"].strip())
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                json.dump({"public_key": pair["publicKey"], "private_key": pair["privateKey"]}, stream)
            done.append("created an API key for %s (pair saved to %s)" % (key["member"].strip(), target))
        elif permission:
            role, module, function = permission["path"].rsplit(" > ", 2)
            row = {"module": module, "function": function}
            for cell, _before, after in _LEVELS.findall(permission["cells"]):
                row[cell.lower()] = after
            levels.setdefault(role, []).append(row)
        else:
            done.append("skipped (not a UI step this tool knows): %s" % step)
    for role, rows in levels.items():
        control.ui_set_levels(role, rows, company=company)
        done.append("set %d permission row(s) on role %s" % (len(rows), role))
    for role, moves in tables.items():
        allowed = set(role_tables(control, company, role))
        for where, table in moves:
            if where == "Allow":
                allowed.add(table)
            else:
                allowed.discard(table)
        control.ui_set_customize(role, catalogue.TABLE_SETUP, sorted(allowed), company=company)
        done.append("moved %d Table Setup entr%s on role %s" % (len(moves), "y" if len(moves) == 1 else "ies", role))
    return done


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m simulator.admin", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the simulator's URL")
    parser.add_argument("--company", default="msptest", help="the tenant (default: msptest)")
    parser.add_argument("--keys-dir", default=".", help="where created API key pairs are saved (0600)")
    sub = parser.add_subparsers(dest="command", required=True)
    apply_parser = sub.add_parser("apply", help="apply checklist files")
    apply_parser.add_argument("checklists", nargs="+")
    args = parser.parse_args(argv)
    control = SimulatorControl(args.url, company=args.company)
    for path in args.checklists:
        steps = checklist_steps(Path(path).read_text(encoding="utf-8"))
        for line in apply(control, args.company, steps, args.keys_dir):
            sys.stdout.write("%s: %s\n" % (Path(path).name, line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
