"""Every vendor profile has its thin role and playbooks, generated and up to date."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

# The five vendors whose pages give every level.
FULL_MATRIX_VENDORS = ("cw_kanban", "mobius", "topleft", "timesanity", "lifecycle_manager")


def test_wrappers_are_generated_and_current():
    process = subprocess.run([sys.executable, "scripts/vendor_wrappers.py", "--check"], cwd=REPO, capture_output=True, text=True,
                             check=False)
    assert process.returncode == 0, "run python scripts/vendor_wrappers.py:\n" + process.stdout + process.stderr


def test_every_profile_has_its_role_and_playbooks():
    profiles = sorted(p.stem for p in (REPO / "roles" / "integration" / "files" / "profiles").glob("*.yml"))
    assert len(profiles) >= 20 and set(FULL_MATRIX_VENDORS) <= set(profiles)
    for vendor in profiles:
        for path in ("roles/%s/tasks/main.yml" % vendor, "roles/%s/meta/main.yml" % vendor,
                     "playbooks/onboard_%s.yml" % vendor, "playbooks/offboard_%s.yml" % vendor):
            assert (REPO / path).is_file(), path
        # Arguments are validated once, by the engine role's argument spec.
        assert not (REPO / "roles" / vendor / "meta" / "argument_specs.yml").exists(), vendor
    for playbook in ("onboard.yml", "audit.yml", "offboard.yml", "doctor.yml"):
        assert (REPO / "playbooks" / playbook).is_file()


def test_no_role_copies_the_engine_tasks():
    """Vendor roles only include the engine: one task each."""
    for tasks in (REPO / "roles").glob("*/tasks/main.yml"):
        if tasks.parent.parent.name == "integration":
            continue
        text = tasks.read_text()
        assert text.count("- name:") == 1 and "msp.connectwise.integration" in text, tasks
