# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection ships speaks of the product only.

Every file the Galaxy build includes (galaxy.yml build_ignore and ansible-galaxy's own ignores, as
tests/unit/test_packaging.py reads them) is searched for words that belong to no product: tracker numbers
("issue 6"), the maintainers' working files a profile was once transcribed from ("seed", "NNN_vendor.txt", the
vendor-source folder kept beside the tests, a bare "vendors.md" that is not docs/vendors.md) and notes about a
working session. A profile cites the vendor's page (source.document, url, version, retrieved), nothing else.

The tests are shipped too, and searched the same way, with precise allowances (ALLOWED): this file spells the words it
looks for; tests/unit/test_profiles.py proves that a profile's source.seed key is refused; and the tests that read the
vendors' pages kept beside them may name that folder and its vendors.md, which the build leaves out.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.unit.test_packaging import ignored

REPO = Path(__file__).resolve().parents[2]

# Each pattern with what it catches; matched case-insensitively, line by line.
PATTERNS = {
    "a tracker number": r"\b(?:issue|pr|pull request)s?\s*#?\d+\b",
    "a working file's name (seed)": r"(?<![a-z])seed(?:s|ed|ing)?(?![a-z])",
    "a numbered source file": r"\b\d{3}_\w+\.txt\b",
    "the vendor-source folder of the tests": r"vendor_sources",
    "a bare vendors.md (not docs/vendors.md)": r"(?<![\w/(.-])vendors\.md",
    "a working session": r"\b(?:this|that|previous|earlier|next|later|last|current|working|chat|review)\s+session\b",
    "a note left for later": r"(?-i:\b(?:TODO|FIXME|TBD)\b)",
}
COMPILED = {what: re.compile(pattern, re.IGNORECASE) for what, pattern in PATTERNS.items()}
# Not text: nothing to read.
BINARY = (".png", ".jpg", ".jpeg", ".gif", ".ico", ".gz", ".zip", ".pyc")
# The vendors' pages the profile tests read, kept beside the tests and out of the build (galaxy.yml build_ignore).
PAGES_FOLDER = "tests/fixtures/vendor_sources"
# What a shipped file may say all the same: (its path, or a folder ending in "/"; what, None: anything; a pattern the
# line must also match, None: any line).
ALLOWED = (
    # This file: its patterns, and the examples each is proved to catch.
    ("tests/unit/test_product_words.py", None, None),
    # The profile schema refuses a source.seed key (the name of a working file): the test gives one.
    ("tests/unit/test_profiles.py", "a working file's name (seed)", r'source\.seed\b|\.update\(seed="'),
    # The tests that read the vendors' pages name their folder and its vendors.md (tests/conftest.py, VENDOR_SOURCES).
    ("tests/", "the vendor-source folder of the tests", r"vendor_sources"),
    ("tests/", "a bare vendors.md (not docs/vendors.md)", r"vendors\.md"),
)


def shipped_files():
    """Every file `ansible-galaxy collection build` would put in the tarball (relative paths)."""
    found = []
    for root, dirs, files in os.walk(REPO):
        relative_root = Path(root).relative_to(REPO).as_posix()
        prefix = "" if relative_root == "." else relative_root + "/"
        dirs[:] = sorted(d for d in dirs if not ignored(prefix + d) and d != "__pycache__")
        found += [prefix + name for name in sorted(files) if not ignored(prefix + name) and not name.endswith(BINARY)]
    return found


def allowed(relative, what, line):
    for path, kind, pattern in ALLOWED:
        if (relative == path or path.endswith("/") and relative.startswith(path)) and kind in (None, what) \
                and (pattern is None or re.search(pattern, line, re.IGNORECASE)):
            return True
    return False


def offences(text):
    """(line number, what, the words) for every match in ``text``."""
    return [(number, what, match.group(0))
            for number, line in enumerate(text.splitlines(), 1)
            for what, pattern in COMPILED.items()
            for match in pattern.finditer(line)]


def test_the_shipped_files_are_found():
    files = shipped_files()
    for expected in ("README.md", "docs/vendors.md", "roles/integration/files/profiles/topleft.yml",
                     "plugins/modules/cw_integration.py", "changelogs/changelog.yaml", "meta/runtime.yml"):
        assert expected in files
    assert "tests/unit/test_profiles.py" in files and "tests/e2e/test_playbooks.py" in files
    assert not [path for path in files if path.startswith(("tests/output/", "tests/fixtures/vendor_sources/",
                                                           "tests/fixtures/captures/", "benchmarks/", "simulator/", "scripts/"))]


@pytest.mark.parametrize("relative, line, expected", [
    ("tests/unit/test_profiles.py", '(lambda data: data["source"].update(seed="lifecycle_manager.txt"),', True),
    ("tests/unit/test_profiles.py", '"p.source.seed: unknown key; known keys: document, url, version, retrieved"),', True),
    ("tests/unit/test_profiles.py", "# the seed matrix", False),
    ("tests/e2e/test_molecule.py", "SEED_VENDORS = []", False),
    ("tests/conftest.py", 'VENDORS_MD = VENDOR_SOURCES / "vendors.md"', True),
    ("tests/unit/test_names.py", "# TODO: check vendors.md", False),
    ("README.md", "the vendor's matrix in vendors.md", False),
    ("plugins/modules/cw_integration.py", "tests/fixtures/vendor_sources", False),
], ids=["profiles-seed-key", "profiles-seed-message", "profiles-other-seed", "e2e-seed", "tests-fixture", "tests-todo",
        "readme-fixture", "plugin-fixture"])
def test_the_allowances_are_precise(relative, line, expected):
    assert all(allowed(relative, what, line) for _number, what, _words in offences(line)) is expected


def test_the_allowed_fixtures_are_left_out_of_the_build():
    """Naming the vendors' pages is allowed in the tests only because the build leaves them out."""
    assert ignored(PAGES_FOLDER) and ignored(PAGES_FOLDER + "/vendors.md")
    assert (REPO / PAGES_FOLDER / "vendors.md").is_file()


def test_shipped_files_use_product_words_only():
    found = []
    for relative in shipped_files():
        text = (REPO / relative).read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines()
        found += ["%s:%d: %s (%r)" % (relative, number, what, words) for number, what, words in offences(text)
                  if not allowed(relative, what, lines[number - 1])]
    assert not found, "words that belong to no product in shipped files:\n" + "\n".join(found)


@pytest.mark.parametrize("text", [
    "Fleet benchmark (issue 6; results in docs/performance.md).",
    "The targets of Issue #12.",
    "see PR 31",
    "The seed's office e-mail and phone are placeholders.",
    "Seed = the middle of three versions of the page.",
    "The ``source.seed`` key is gone.",
    "the five SEED_VENDORS",
    "as transcribed from 014_topleft.txt",
    "tests/fixtures/vendor_sources/mobius.txt",
    "the vendor's matrix as recorded in vendors.md (section 3).",
    "agreed in the previous session",
    "TODO: check the page",
])
def test_the_patterns_catch(text):
    assert offences(text), text


@pytest.mark.parametrize("text", [
    "A lock beside dest makes two runs for one member issue one key.",
    "create API members and issue their keys",
    "Service Tickets, Service Ticket - Dependencies, Project Ticket Tasks",
    "One tenant, one API member's keys, one keep-alive session.",
    "self.session = requests.Session()",
    "every profile, its source, and how to add a vendor: [docs/vendors.md](docs/vendors.md)",
    "(profile names, [docs/vendors.md](vendors.md))",
    "See ../vendors.md and `docs/vendors.md`.",
    "GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)",
    "requirements.txt and requirements-dev.txt",
    "Product Catalog was named Product Entry before release 2017.5.",
    "Datto BCDR: ConnectWise security permissions (KB370000000027)",
    "The office e-mail and phone are placeholders (example domain, 000).",
    "Todo lists and a fixme-free page",
])
def test_the_patterns_spare(text):
    assert not offences(text), offences(text)
