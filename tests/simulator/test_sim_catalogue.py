"""The catalogue holds every module function and setup table the vendor documents name, once each.

Names are read from the vendor pages in tests/fixtures/vendor_sources (and vendors.md) as printed,
folded the way vendors.md documents, and must resolve to exactly one catalogue entry within their module.
"""

import re

import pytest

from simulator import catalogue
from tests.conftest import VENDOR_SOURCES, VENDORS_MD as VENDORS

MODULES = ("Companies", "Finance", "Marketing", "Procurement", "Project", "Sales", "Service Desk", "System", "Time & Expense")
_MODULE = "|".join(re.escape(m) for m in sorted(MODULES, key=len, reverse=True))
_LEVEL = r"(?:None|My|All)"
PIPE_ROW = re.compile(rf"^\s*\|?\s*({_MODULE})\s*\|\s*([^|]+?)\s*\|")
ARROW_ROW = re.compile(rf"^\s*({_MODULE})\s*>\s*([^>]+?)\s*(?:>.*)?$")
SPACE_ROW = re.compile(rf"^\s*({_MODULE}) (.+?) {_LEVEL} {_LEVEL} {_LEVEL} {_LEVEL}\b")
BARE_ROW = re.compile(rf"^\s*(.+?)\s*\*?\s+{_LEVEL}\s+{_LEVEL}\s+{_LEVEL}\s+{_LEVEL}\s*$")
TABLE_ENTRY = re.compile(r"^\s*(?:[-\u2022*]\s*)?([A-Z][A-Za-z ]*?)\s*/\s*([A-Za-z][A-Za-z_ -]*?)\s*$")

# Renames and misspellings that no mechanical rule covers (vendors.md, section 1).
ALIASES = {
    "product entry": "product catalog", "manage documents": "manage attachments", "security": "security roles",
    "setup tables": "table setup", "teams members": "team members", "time entries": "time entry",
    "purchase orders (aiso)": "purchase orders", "user scenarios": "usercentric", "service ticket(s)": "service tickets",
    "time and expenses": "time and expense",
}


def fold(text):
    """vendors.md's matcher: case, whitespace around / and -, dash kinds, & = and, _ = space, plural Ticket/Board/Entry, aliases."""
    text = text.casefold().replace("\u2013", "-").replace("\u2014", "-").replace("_", " ").replace("&", " and ")
    text = re.sub(r"\s*([/-])\s*", r" \1 ", text)
    text = re.sub(r"\s+", " ", text).strip().replace("dependancies", "dependencies")
    text = ALIASES.get(text, text)
    return re.sub(r"\b(ticket|board|entry)s\b", r"\1", text)


def printed_functions(text):
    """(module, function) pairs as the document prints them, whatever its table layout."""
    found = set()
    current = None
    for line in text.splitlines():
        if line.strip() in MODULES:
            current = line.strip()  # a bare module heading: rows below carry only the function
            continue
        for pattern in (PIPE_ROW, ARROW_ROW) + (() if current else (SPACE_ROW,)):
            match = pattern.match(line)
            if match:
                found.add((match.group(1), match.group(2).strip()))
                break
        else:
            match = BARE_ROW.match(line) if current else None
            if match:
                found.add((current, match.group(1).strip()))
    return found


def printed_tables(text):
    """"Category / Table" customize entries as printed."""
    lines = [line for line in text.splitlines() if not BARE_ROW.match(line)]  # "CRM/Sales Activities None ... All" is a row
    return {f"{m.group(1)} / {m.group(2)}" for m in map(TABLE_ENTRY.match, lines) if m}


def resolve_function(module, function):
    """Catalogue entries a printed (module, function) folds onto."""
    return [row for row in catalogue.FUNCTIONS if fold(row[1]) == fold(module) and fold(row[2]) == fold(function)]


def resolve_table(label):
    """Setup screens a printed "Category / Table" folds onto."""
    category, _slash, table = label.partition("/")
    return [row for row in catalogue.SETUP_SCREENS if fold(row[1]) == fold(category) and fold(row[2]) == fold(table)]


# The five vendor pages with a full matrix (file stem -> rows, customize entries), as vendors.md counts them.
PAGES = {"cw_kanban": (21, 0), "mobius": (15, 4), "topleft": (26, 0), "timesanity": (40, 3), "lifecycle_manager": (20, 16)}


def _page_texts():
    """{file stem: text} of the five pages kept as their own text; a missing page is an error. (The other pages are kept
    transcribed as one table each, and tests/unit/test_profiles.py resolves every row they print on this catalogue.)"""
    assert set(PAGES) <= {path.stem for path in VENDOR_SOURCES.glob("*.txt")}
    return {stem: (VENDOR_SOURCES / (stem + ".txt")).read_text(encoding="utf-8") for stem in PAGES}


def test_every_function_a_vendor_page_prints_is_in_the_catalogue_once():
    counts = {}
    for name, text in _page_texts().items():
        functions = printed_functions(text)
        counts[name] = len(functions)
        for module, function in sorted(functions):
            assert len(resolve_function(module, function)) == 1, f"{name}: {module} / {function}"
    # The parser must really have read the tables: the documented row counts per page.
    assert counts == {stem: rows for stem, (rows, _tables) in PAGES.items()}


def test_every_table_setup_entry_a_vendor_page_prints_is_a_setup_screen_once():
    counts = {}
    for name, text in _page_texts().items():
        tables = printed_tables(text)
        counts[name] = len(tables)
        for label in sorted(tables):
            assert len(resolve_table(label)) == 1, f"{name}: {label}"
    assert counts == {stem: tables for stem, (_rows, tables) in PAGES.items()}


def test_vendor_matrices_resolve():
    text = VENDORS.read_text(encoding="utf-8")
    rows = {(m.group(1), m.group(2)) for m in map(PIPE_ROW.match, text.splitlines()) if m}
    assert len(rows) > 80
    unresolved = [row for row in sorted(rows) if len(resolve_function(*row)) != 1]
    assert not unresolved
    for label in set(re.findall(r"`([A-Z][A-Za-z ]*/ ?[A-Za-z_ -]+)`", text)) - {"N/A"}:
        assert len(resolve_table(label)) == 1, label


def test_catalogue_is_consistent():
    codes = [row[0] for row in catalogue.FUNCTIONS]
    assert len(codes) == len(set(codes))
    folded = [(fold(row[1]), fold(row[2])) for row in catalogue.FUNCTIONS]
    assert len(folded) == len(set(folded)), "two functions fold to the same name"
    assert {row[1] for row in catalogue.FUNCTIONS} == set(MODULES) == {row[1] for row in catalogue.MODULES}
    assert set(catalogue.CUSTOMIZE_IDENTIFIERS) == {
        "CompanyReports", "FinanceReports", "MarketingReports", "ProcurementReports", "ProjectReports", "SalesReports",
        "ServiceReports", "SystemReports", "TimeAndExpenseReports", "CompanyConfigurations", "FinanceAgreements",
        "ProjectScheduling", "ServiceResourceScheduling", "SystemManageHostedApi", "SystemMyAccount",
        "SystemCustomMenuEntry", "SystemMassMaintenance", "SystemTableSetup"}
    ids = [row[0] for row in catalogue.SETUP_SCREENS]
    labels = [(fold(row[1]), fold(row[2])) for row in catalogue.SETUP_SCREENS]
    assert len(ids) == len(set(ids)) and len(labels) == len(set(labels))
    for code in codes:  # identifiers are opaque: never spelled from the name
        name = catalogue.FUNCTION_BY_CODE[code][2]
        assert re.fullmatch(r"F\d{4}", code) and name.lower() not in code.lower()


@pytest.mark.parametrize("printed, canonical", [
    (("Service Desk", "Service Tickets \u2013 Dependencies"), "Service Ticket - Dependencies"),
    (("Service Desk", "Service Ticket- Dependencies"), "Service Ticket - Dependencies"),
    (("Project", "Project Ticket - Dependancies"), "Project Ticket - Dependencies"),
    (("Procurement", "Product Entry"), "Product Catalog"),
    (("Companies", "Manage Documents"), "Manage Attachments"),
    (("System", "Setup Tables"), "Table Setup"),
    (("Time and Expense", "Time Entries"), "Time Entry"),
    (("Companies", "Company / Contact Group Maintenance"), "Company/Contact Group Maintenance"),
])
def test_documented_variants_fold_onto_one_entry(printed, canonical):
    assert [row[2] for row in resolve_function(*printed)] == [canonical]


def test_reports_exist_per_module():
    modules = {row[1] for row in catalogue.FUNCTIONS if row[2] == "Reports"}
    assert {"Companies", "Finance", "Procurement", "Sales", "Service Desk"} <= modules
    assert len(resolve_function("Sales", "Reports")) == 1
