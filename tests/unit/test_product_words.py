# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the collection ships speaks of the product only.

Every file the Galaxy build includes (galaxy.yml build_ignore and ansible-galaxy's own ignores, as
tests/unit/test_packaging.py reads them) is searched for words that belong to no product: tracker numbers
("issue 6"), the maintainers' working files a profile was once transcribed from ("seed", "NNN_vendor.txt", the
vendor-source folder kept beside the tests, a bare "vendors.md" that is not docs/vendors.md) and notes about a
working session. A profile cites the vendor's page (source.document, url, version, retrieved), nothing else.

tests/ is not searched: the tests may name their own fixtures (tests/fixtures/vendor_sources, kept out of the build).
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


def shipped_files():
    """Every file `ansible-galaxy collection build` would put in the tarball, tests/ apart (relative paths)."""
    found = []
    for root, dirs, files in os.walk(REPO):
        relative_root = Path(root).relative_to(REPO).as_posix()
        prefix = "" if relative_root == "." else relative_root + "/"
        dirs[:] = sorted(d for d in dirs if not ignored(prefix + d) and prefix + d != "tests" and d != "__pycache__")
        found += [prefix + name for name in sorted(files) if not ignored(prefix + name) and not name.endswith(BINARY)]
    return found


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
    assert not [path for path in files if path.startswith(("tests/", "benchmarks/", "simulator/", "scripts/"))]


def test_shipped_files_use_product_words_only():
    found = []
    for relative in shipped_files():
        text = (REPO / relative).read_text(encoding="utf-8", errors="replace")
        found += ["%s:%d: %s (%r)" % (relative, number, what, words) for number, what, words in offences(text)]
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
