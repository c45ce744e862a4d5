"""The collection as its users have it: the Galaxy tarball built from this working tree, installed by
`ansible-galaxy collection install` into an empty collections path, and run from a folder outside the repository
with nothing of the repository on any search path (tests/conftest.py's symlinked tree is for the other tests).

Only the simulator comes from the repository: it is the tenant, a separate process, not part of the collection.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import COLLECTIONS_PATH, REPO

BIN = Path(sys.executable).parent
# The Python environment that runs the tests (a venv, which git ignores, even when it sits in the working tree) and
# the interpreter it was made from: installed software, the only place outside the install a search path may name.
PYTHON_HOMES = tuple(dict.fromkeys(Path(p) for p in (sys.prefix, sys.base_prefix)))
VERSION = yaml.safe_load((REPO / "galaxy.yml").read_text(encoding="utf-8"))["version"]


@dataclass(frozen=True)
class Installed:
    tarball: Path
    root: Path  # the collections path: ANSIBLE_COLLECTIONS_PATH names it and nothing else

    @property
    def collection(self):
        return self.root / "ansible_collections" / "msp" / "connectwise"


def inside(path, folder):
    """Whether ``path`` is ``folder`` or under it (textually, and with symbolic links resolved)."""
    path, folder = Path(path), Path(folder)
    return any(candidate == base or base in candidate.parents
               for candidate in (path, path.resolve()) for base in (folder, folder.resolve()))


def repository_path(path):
    """Whether ``path`` belongs to the repository or the tests' symlinked tree of it (not to the Python environment)."""
    return (inside(path, REPO) or inside(path, COLLECTIONS_PATH)) and not any(inside(path, home) for home in PYTHON_HOMES)


def outside_environment(collections, home, **extra):
    """The environment of a user's shell with the collection installed in ``collections``: none of the developer's
    ANSIBLE_*, CW_* or PYTHON* variables, PATH without the repository (the Python environment's bin first), HOME (so
    no ~/.ansible.cfg, no ~/.ansible/collections) and Ansible's home in ``home``."""
    environment = {k: v for k, v in os.environ.items()
                   if not k.startswith(("ANSIBLE_", "CW_", "PYTHON", "PYTEST_", "VIRTUAL_ENV")) and k not in ("PWD", "OLDPWD")}
    path = [str(BIN)] + [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not repository_path(p)]
    environment.update({"PATH": os.pathsep.join(dict.fromkeys(path)), "ANSIBLE_COLLECTIONS_PATH": str(collections),
                        "HOME": str(home), "ANSIBLE_HOME": str(Path(home) / ".ansible"), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
                        "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_LOCALHOST_WARNING": "0"})
    environment.update(extra)
    return environment


def run(command, cwd, env, timeout=300):
    """``command`` in the folder ``cwd`` (PWD names it, as a shell's would: the playbooks read it)."""
    return subprocess.run([str(c) for c in command], cwd=str(cwd), env=dict(env, PWD=str(cwd)), capture_output=True,
                          text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def installed(tmp_path_factory):
    """The tarball `ansible-galaxy collection build` makes of this tree, installed by `ansible-galaxy collection
    install --offline` into an empty collections path (both run outside the repository)."""
    work = tmp_path_factory.mktemp("installed")
    env = outside_environment(work / "nothing-yet", work / "ansible-home")
    galaxy = BIN / "ansible-galaxy"
    build = run([galaxy, "collection", "build", "--output-path", work / "build", REPO], work, env)
    assert build.returncode == 0, build.stdout + build.stderr
    [tarball] = (work / "build").glob("*.tar.gz")
    assert tarball.name == "msp-connectwise-%s.tar.gz" % VERSION
    root = work / "collections"
    root.mkdir()
    assert not any(root.iterdir())
    install = run([galaxy, "collection", "install", "--offline", "-p", root, tarball], work, env)
    assert install.returncode == 0, install.stdout + install.stderr
    assert "msp.connectwise:%s was installed successfully" % VERSION in install.stdout, install.stdout
    found = Installed(tarball=tarball, root=root)
    assert sorted(p.name for p in (root / "ansible_collections").iterdir()) == ["msp"]
    assert not found.collection.is_symlink() and (found.collection / "MANIFEST.json").is_file()
    return found
