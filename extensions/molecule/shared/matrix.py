"""Compare a role as the simulator holds it with a vendor profile: every profile cell exactly, every other row None.

    python matrix.py URL COMPANY ROLE PROFILE.yml   (run from the repository root; prints what differs, exit 1 if any)
"""

import importlib.util
import json
import sys
import urllib.request
from pathlib import Path

import yaml

sys.path.insert(0, str(Path.cwd()))  # run from the repository root: the simulator package is there
from simulator import catalogue  # noqa: E402

CELLS = ("add", "edit", "delete", "inquire")


def load_names():
    spec = importlib.util.spec_from_file_location("names", Path("plugins/module_utils/resources/names.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(url, company, role_name, profile_path):
    names = load_names()
    with urllib.request.urlopen(url + "/__sim__/state") as response:
        state = json.load(response)
    tenant = next(t for t in state["tenants"] if t["company"] == company)
    role = next(r for r in tenant["roles"] if r["name"] == role_name)
    held = {}
    for row in role["settings"]:
        code = catalogue.FUNCTION_BY_CODE[row["function"]]
        held[names.function_key(code[1], code[2])] = ("%s / %s" % (code[1], code[2]), dict(zip(CELLS, row["levels"])))
    profile = yaml.safe_load(Path(profile_path).read_text())
    wanted = {}
    for row in profile["permissions"] + (profile.get("optional_permissions") or []):
        wanted[names.function_key(row["module"], row["function"])] = {c: row[c] for c in CELLS if row.get(c)}
    problems = []
    for key, (label, levels) in sorted(held.items()):
        expected = wanted.get(key, dict.fromkeys(CELLS, "None"))
        for cell, level in expected.items():
            if levels[cell] != level:
                problems.append("%s %s: %s, profile %s" % (label, cell, levels[cell], level))
    missing = set(wanted) - set(held)
    problems.extend("profile row missing on the tenant: %s" % " / ".join(k) for k in sorted(missing))
    print("\n".join(problems) or "the role equals the profile: %d rows as asked, every other row None" % len(wanted))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
