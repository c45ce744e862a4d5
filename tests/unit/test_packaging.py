# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""galaxy.yml build_ignore keeps the simulator and local artefacts out of the Galaxy tarball.

A quick check without building (scripts/test.sh builds the tarball and inspects it too): the patterns
are matched the way `ansible-galaxy collection build` matches them, with fnmatch against each
directory's and file's path relative to the collection root.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
# What ansible-galaxy always ignores, besides build_ignore (ansible.galaxy.collection).
DEFAULT_IGNORES = ["MANIFEST.json", "FILES.json", "galaxy.yml", "galaxy.yaml", ".git", "*.pyc", "*.retry", "tests/output"]


def galaxy():
    with open(REPO / "galaxy.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def build_ignore():
    return list(galaxy().get("build_ignore") or [])


def test_build_ignore_is_what_the_build_reads():
    """With a `manifest` key ansible-galaxy ignores build_ignore: these checks would then prove nothing."""
    assert "manifest" not in galaxy()


def ignored(relative):
    """Whether the build skips ``relative``: it or one of its parent directories matches a pattern."""
    patterns = DEFAULT_IGNORES + build_ignore()
    parts = relative.split("/")
    return any(fnmatch.fnmatch("/".join(parts[:depth]), pattern)
               for depth in range(1, len(parts) + 1) for pattern in patterns)


@pytest.mark.parametrize("path", [
    "simulator",
    "simulator/__init__.py",
    # The virtual environments scripts/bootstrap.sh makes, and pytest's cache at the repository root.
    ".venv/bin/python",
    ".venv-py312/bin/python",
    ".pytest_cache/README.md",
    "tests/output/junit/sanity.xml",
])
def test_not_shipped(path):
    assert ignored(path), "galaxy.yml build_ignore lets %s into the collection tarball" % path


@pytest.mark.parametrize("path", [
    "meta/runtime.yml",
    "plugins/modules/cw_system_info.py",
    "plugins/module_utils/api/client.py",
    "plugins/doc_fragments/connection.py",
    "changelogs/changelog.yaml",
])
def test_shipped(path):
    assert not ignored(path), "galaxy.yml build_ignore keeps %s out of the collection tarball" % path
