"""Play the ConnectWise administrator: apply a checklist written by msp.connectwise through the simulator's UI actions.

    python -m simulator.admin --url http://127.0.0.1:8080 apply cw-output/checklists/localhost-topleft.md

Reads the checklist as an administrator does (plugins/module_utils/engine/checklists.py writes it) and clicks what it asks:
the cells in bold of each module's table, the Table Setup entries to move, and API keys to create (a created key pair is
written to a 0600 file, never printed). Optional rows and the steps outside ConnectWise are left alone, as they are
not required.
"""

import argparse
import json
import os
import re
import sys
from pathlib import Path

from . import catalogue
from .testing import SimulatorControl

_SECTIONS = {
    "permissions": re.compile(r"^## \d+\. Permission levels of security role (?P<name>.+)$"),
    "tables": re.compile(r"^## \d+\. Table Setup of security role (?P<name>.+)$"),
    "member": re.compile(r"^## \d+\. API member (?P<name>.+) and its key$"),
}
_CHANGED = re.compile(r"^\*\*(?P<to>None|My|All)\*\* \(now (?:None|My|All)\)$")
_MOVE = re.compile(r"^- \[ \] Move these entries to \*\*(?P<where>Allow|Disallow) access to these\*\*:$")
_KEY = re.compile(r"^- \[ \] .*\*\*API Keys\*\* tab click \*\*\+\*\*, enter the description \*\*(?P<desc>.*)\*\* and click")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
CELLS = ("add", "edit", "delete", "inquire")


def parse(text):
    """What the checklist asks of the administrator: {'levels': {role: [row]}, 'tables': {role: [(where, table)]},
    'keys': [(member, description)]}. A row holds module, function and only the cells to change."""
    plan = {"levels": {}, "tables": {}, "keys": []}
    section = name = module = where = None
    for line in text.splitlines():
        if line.startswith("## "):
            section, name, module, where = None, None, None, None
            for kind, pattern in _SECTIONS.items():
                match = pattern.match(line)
                if match:
                    section, name = kind, match["name"]
            continue
        if section == "permissions":
            if line.startswith("### "):
                # Optional rows are the operator's choice, not the administrator's work.
                module = None if line.startswith("### Optional") else line[4:]
            elif module and line.startswith("| ") and not line.startswith("| Function |"):
                cells = [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(line.strip())[1:-1]]
                row = {"module": module, "function": cells[0]}
                for cell, value in zip(CELLS, cells[1:]):
                    changed = _CHANGED.match(value)
                    if changed:
                        row[cell] = changed["to"]
                if len(row) > 2:
                    plan["levels"].setdefault(name, []).append(row)
        elif section == "tables":
            move = _MOVE.match(line)
            if move:
                where = move["where"]
            elif where and line.startswith("  - "):
                plan["tables"].setdefault(name, []).append((where, line[4:]))
            else:
                where = None
        elif section == "member":
            key = _KEY.match(line)
            if key:
                plan["keys"].append((name, key["desc"]))
    return plan


def apply(control, company, plan, keys_dir):
    done = []
    for role, rows in plan["levels"].items():
        control.ui_set_levels(role, rows, company=company)
        done.append("set %d permission row(s) on role %s" % (len(rows), role))
    for role, moves in plan["tables"].items():
        control.ui_move_customize(role, catalogue.TABLE_SETUP, allow=[table for where, table in moves if where == "Allow"],
                                  disallow=[table for where, table in moves if where == "Disallow"], company=company)
        done.append("moved %d Table Setup entr%s on role %s" % (len(moves), "y" if len(moves) == 1 else "ies", role))
    for member, description in plan["keys"]:
        pair = control.ui_create_key(member, description, company=company)
        target = Path(keys_dir) / ("%s-ui-key.json" % member)
        target.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump({"public_key": pair["publicKey"], "private_key": pair["privateKey"]}, stream)
        done.append("created an API key for %s (pair saved to %s)" % (member, target))
    return done


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m simulator.admin", description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the simulator's URL")
    parser.add_argument("--company", default="msptest", help="the tenant (default: msptest)")
    # Under the output folder (ignored by git), never the working directory: a clone must not collect key pairs.
    parser.add_argument("--keys-dir", default=os.path.join(os.environ.get("CW_OUTPUT_DIR") or "cw-output", "ui-keys"),
                        help="where created API key pairs are saved (0600; default $CW_OUTPUT_DIR/ui-keys or cw-output/ui-keys)")
    sub = parser.add_subparsers(dest="command", required=True)
    apply_parser = sub.add_parser("apply", help="apply checklist files")
    apply_parser.add_argument("checklists", nargs="+")
    args = parser.parse_args(argv)
    control = SimulatorControl(args.url, company=args.company)
    for path in args.checklists:
        plan = parse(Path(path).read_text(encoding="utf-8"))
        for line in apply(control, args.company, plan, args.keys_dir):
            sys.stdout.write("%s: %s\n" % (Path(path).name, line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
