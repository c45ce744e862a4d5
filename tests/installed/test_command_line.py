# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The installed collection on the command line, as its README tells a user to run it: the tarball built from this
tree installed with ansible-galaxy into an empty collections path, `ansible-playbook msp.connectwise.<playbook>` run
from a folder outside the repository against a (simulated) tenant named by the CW_* variables.

Checks our own collection as packaged, through ansible-core's and ansible-galaxy's collection loading (software we did
not write): that Ansible finds the collection at the installed path only, that every playbook, task file and module
it runs comes from there, and that doctor, onboarding (check mode, then for real) and the audit work from it.
"""

from __future__ import annotations

import json
import re
import stat

from tests.conftest import COLLECTIONS_PATH, REPO
from tests.published import unpublished

from .conftest import BIN, PYTHON_HOMES, VERSION, inside, outside_environment, repository_path, run

CLIENT_ID = "8d3c4f9e-2b7a-4e51-9c0d-6a1b2c3d4e5f"
TENANT, PUBLIC, PRIVATE = "installedtenant", "instpublic3f8a", "instprivate6d2b"
TOKENS = {"cw_key_source": "token"}  # the member's key issued through the API, so that onboarding completes


def repository_mentions(text):
    """Every path in ``text`` that starts in the repository or the tests' tree of it."""
    found = []
    for base in (str(REPO), COLLECTIONS_PATH):
        found += re.findall(re.escape(base) + r"[^\s'\",:;)\]}]*", text)
    return found


def test_ansible_finds_the_collection_only_where_it_was_installed(installed, tmp_path):
    shell = tmp_path / "shell"
    shell.mkdir()
    env = outside_environment(installed.root, tmp_path / "ansible-home")
    assert not repository_path(shell)
    for name, value in env.items():
        for entry in value.split(":"):
            assert not (entry.startswith("/") and repository_path(entry)), (name, value)

    listed = run([BIN / "ansible-galaxy", "collection", "list", "--format", "json"], shell, env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    listing = json.loads(listed.stdout)
    ours = {path: found.pop("msp.connectwise") for path, found in listing.items() if "msp.connectwise" in found}
    assert ours == {str(installed.root / "ansible_collections"): {"version": VERSION}}
    # Besides it, only what ansible-core carries inside itself (2.19's ansible._protomatter, for one).
    assert [path for path, found in listing.items() if found and not any(inside(path, home) for home in PYTHON_HOMES)] == []

    version = run([BIN / "ansible-playbook", "--version"], shell, env)
    assert version.returncode == 0, version.stdout + version.stderr
    assert "  ansible collection location = %s\n" % installed.root in version.stdout, version.stdout

    # The search path of the interpreter ansible-playbook runs on, in this environment: the Python installation only
    # (no PYTHONPATH, no .pth file naming the repository); '' is -c's working folder, here the shell's folder.
    probe = run([BIN / "python", "-c", "import json, sys; print(json.dumps(sys.path))"], shell, env)
    assert probe.returncode == 0, probe.stderr
    search_path = json.loads(probe.stdout)
    assert search_path[0] == ""
    outside = [entry for entry in search_path[1:] if not any(inside(entry, home) for home in PYTHON_HOMES)]
    assert outside == [], outside


def lines_after(prefix, text):
    return [line.split(prefix, 1)[1].strip() for line in text.splitlines() if prefix in line]


def test_doctor_onboarding_and_audit_run_from_the_installed_collection(sim, installed, tmp_path):
    sim.create_tenant(TENANT, public_key=PUBLIC, private_key=PRIVATE, settings_writable=True)
    shell, out = tmp_path / "shell", tmp_path / "cw-output"
    shell.mkdir()
    env = outside_environment(installed.root, tmp_path / "ansible-home", CW_SITE=sim.url, CW_COMPANY_ID=TENANT,
                              CW_PUBLIC_KEY=PUBLIC, CW_PRIVATE_KEY=PRIVATE, CW_CLIENT_ID=CLIENT_ID, CW_OUTPUT_DIR=str(out))

    def playbook(name, *args):
        process = run([BIN / "ansible-playbook", "msp.connectwise." + name, "-vvv"] + list(args), shell, env)
        output = process.stdout + process.stderr
        # Every playbook and task file from the install, every module from the install or ansible-core's own.
        task_paths = lines_after("task path: ", process.stdout)
        assert task_paths and all(inside(p.rsplit(":", 1)[0], installed.collection) for p in task_paths), task_paths
        modules = lines_after("Using module file ", process.stdout)
        ours = [m for m in modules if inside(m, installed.collection / "plugins" / "modules")]
        # audit.yml starts no module process of the collection: its audit is the cw_fleet_audit action, in the worker.
        assert (ours or name == "audit") and all(m in ours or any(inside(m, home) for home in PYTHON_HOMES) for m in modules), modules
        assert [p for p in repository_mentions(output) if not any(inside(p, home) for home in PYTHON_HOMES)] == []
        assert PRIVATE not in output and PUBLIC not in output
        return process

    sim.clear_requests()
    doctor = playbook("doctor")
    assert doctor.returncode == 0, doctor.stdout[-3000:]
    assert "Keys and clientId: accepted" in doctor.stdout
    assert "Using module file %s\n" % (installed.collection / "plugins" / "modules" / "cw_system_info.py") in doctor.stdout
    assert (out / "tenants" / "localhost.yml").is_file()
    assert sim.writes(company=TENANT) == []

    check = playbook("onboard_topleft", "--check", "--diff", "-e", json.dumps(TOKENS))
    assert check.returncode == 0, check.stdout[-3000:]
    # The plan: one task reports the tenant differs (changed), none fails; nothing is written.
    recap = dict(pair.split("=") for pair in check.stdout.split("PLAY RECAP")[-1].split(":", 1)[1].split())
    assert (recap["changed"], recap["failed"], recap["unreachable"]) == ("1", "0", "0"), check.stdout[-1500:]
    assert sim.writes(company=TENANT) == []

    onboard = playbook("onboard_topleft", "--diff", "-e", json.dumps(TOKENS))
    assert onboard.returncode == 0, onboard.stdout[-3000:]
    assert sim.writes(company=TENANT) != []
    issued = out / "credentials" / "localhost-topleft.json"
    assert stat.S_IMODE(issued.stat().st_mode) == 0o600
    member_private = json.loads(issued.read_text(encoding="utf-8"))["private_key"]
    assert member_private not in onboard.stdout + onboard.stderr

    sim.clear_requests()
    audit = playbook("audit", "-e", json.dumps(dict(TOKENS, cw_vendors=["topleft"])))
    assert audit.returncode == 0, audit.stdout[-3000:]
    assert sim.writes(company=TENANT) == []
    report = json.loads((out / "reports" / "audit.json").read_text(encoding="utf-8"))
    assert report["summary"] == {"compliant": 1}
    assert report["tenants"]["localhost"]["topleft"]["status"] == "compliant"
    assert member_private not in audit.stdout + audit.stderr
    assert unpublished(sim.requests()) == []
