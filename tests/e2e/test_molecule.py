"""The molecule scenario of each of the five vendors whose pages give every level (extensions/molecule/<vendor>): check
mode, onboarding on a tenant that accepts level writes (state equals the vendor's published matrix), idempotence, a
clean audit, injected drift reported exactly and fixed, and a default tenant ending with the checklist that, once
applied, passes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

from .conftest import ansible_environment

# The five vendors whose pages give every level: each has a molecule scenario.
FULL_MATRIX_VENDORS = ["cw_kanban", "lifecycle_manager", "mobius", "timesanity", "topleft"]


@pytest.mark.parametrize("vendor", FULL_MATRIX_VENDORS)
def test_molecule_scenario(vendor, tmp_path):
    assert (REPO / "extensions" / "molecule" / vendor / "molecule.yml").is_file()
    bin_dir = str(Path(sys.executable).parent)
    # The ansible-playbook environment of every end-to-end test; the scenario names its tenant and folders itself.
    env = ansible_environment(tmp_path, env={"CW_OUTPUT_DIR": None, "CW_CLIENT_ID": None, "CW_RETRIES": None,
                                             "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
                                             "MOLECULE_NO_LOG": "false", "NO_COLOR": "1"})
    process = subprocess.run([os.path.join(bin_dir, "molecule"), "test", "-s", vendor], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=600, check=False)
    output = process.stdout + process.stderr
    assert process.returncode == 0, output[-6000:]
    recap = re.search(r"^%s\s+: actions=(\d+)\s+successful=(\d+)\s+disabled=0\s+skipped=0\s+missing=0\s+failed=0" % vendor,
                      output, re.MULTILINE)
    assert recap and recap.group(1) == recap.group(2) == "7", output[-3000:]
