"""The name matcher: every spelling the vendor documents use lands on the one function the tenant reports."""

from __future__ import annotations

import re

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import FunctionIndex, TableIndex, UnknownName, fold
from simulator import catalogue
from tests.conftest import VENDORS_MD

TENANT_ROWS = [{"id": i, "moduleName": row[1], "moduleFunctionName": row[2]} for i, row in enumerate(catalogue.FUNCTIONS)]
TENANT_TABLES = [{"id": row[0], "category": row[1], "name": row[2]} for row in catalogue.SETUP_SCREENS]

# (module as written, function as written) -> the tenant's function; from vendors.md section 1 and the vendor pages.
SPELLINGS = [
    ("Service Desk", "Service Ticket - Dependencies", "Service Ticket - Dependencies"),
    ("Service Desk", "Service Tickets - Dependencies", "Service Ticket - Dependencies"),
    ("Service Desk", "Service Tickets \u2013 Dependencies", "Service Ticket - Dependencies"),
    ("Service Desk", "Service Ticket \u2013 Dependencies", "Service Ticket - Dependencies"),
    ("Service Desk", "Service Ticket- Dependencies", "Service Ticket - Dependencies"),
    ("Service Desk", "Service Tickets \u2013 Finance", "Service Tickets - Finance"),
    ("Service Desk", "Service Tickets - Finance", "Service Tickets - Finance"),
    ("Project", "Project Ticket - Dependancies", "Project Ticket - Dependencies"),
    ("Project", "Project Ticket- Dependencies", "Project Ticket - Dependencies"),
    ("Project", "Project Ticket", "Project Tickets"),
    ("Service Desk", "Service Ticket(s)", "Service Tickets"),
    ("Service Desk", "Close Service Ticket", "Close Service Tickets"),
    ("Project", "Close Project", "Close Projects"),
    ("Companies", "Company / Contact Group Maintenance", "Company/Contact Group Maintenance"),
    ("Companies", "CRM / Sales Activities", "CRM/Sales Activities"),
    ("Companies", "Configuration \u2013 Display Passwords", "Configuration - Display Passwords"),
    ("Companies", "Manage Documents", "Manage Attachments"),
    ("Companies", "Teams Members", "Team Members"),
    ("Time & Expense", "Expense Reimbursement", "Expense Reimbursements"),
    ("Procurement", "Product Entry", "Product Catalog"),
    ("Procurement", "Purchase Orders (Aiso)", "Purchase Orders"),
    ("System", "Security", "Security Roles"),
    ("System", "Table setup", "Table Setup"),
    ("System", "Setup Tables", "Table Setup"),
    ("Time & Expense", "Time Entries", "Time Entry"),
    ("Finance", "invoicing", "Invoicing"),
    ("Time and Expense", "Time Entry", "Time Entry"),
    ("Time & Expenses", "Time Entry Billable Option", "Time Entry Billable Option"),
    ("service desk", "  service   TICKETS ", "Service Tickets"),
    # The pages transcribed as one table (ImmyBot, zofiQ, 1stream, TimeZest, Pia, Sync 365, Barracuda).
    ("Company", "Company Maintenance", "Company Maintenance"),
    ("Company", "Company/ Contact Group Maintenance", "Company/Contact Group Maintenance"),
    ("Companies", "CRM/ Sales Activities", "CRM/Sales Activities"),
    ("Procurement", "Product", "Products"),
    ("Projects", "Project Teams", "Project Teams"),
    ("Companies", "Company maintenance", "Company Maintenance"),
    ("Finance", "Agreement invoicing", "Agreement Invoicing"),
    ("Companies", "User Scenarios", "UserCentric"),
    ("Finance", "Expense Reimbursement", "Expense Reimbursements"),
]

TABLE_SPELLINGS = [
    ("Service / Service Boards", "Service / Service Board"),
    ("Service/ Service Board", "Service / Service Board"),
    ("Project / Project Boards", "Project / Project Board"),
    ("Project / Project Board", "Project / Project Board"),
    ("Opportunities / Opportunity_Rating", "Opportunities / Opportunity Rating"),
    ("Company/Company Status", "Company / Company Status"),
    ("Invoicing / Tax code", "Invoicing / Tax Code"),
    ("General / Workflow_Rules", "General / Workflow Rules"),
    ("Contacts / Communication Type", "Contact / Communication Type"),
    ("General / StsClient", "General / StsClient"),
]


@pytest.mark.parametrize("module, written, expected", SPELLINGS)
def test_vendor_spellings_resolve_to_the_tenant_function(module, written, expected):
    row = FunctionIndex(TENANT_ROWS).resolve(module, written)
    assert row["moduleFunctionName"] == expected


@pytest.mark.parametrize("written, expected", TABLE_SPELLINGS)
def test_table_spellings_resolve(written, expected):
    row = TableIndex(TENANT_TABLES).resolve(written)
    assert "%s / %s" % (row["category"], row["name"]) == expected


def test_folding_never_merges_two_functions_of_one_module():
    keys = {}
    for row in catalogue.FUNCTIONS:
        key = (fold(row[1]), fold(row[2]))
        assert key not in keys, "%s and %s fold alike" % (keys.get(key), row[2])
        keys[key] = row[2]


def test_same_function_name_in_two_modules_stays_apart():
    index = FunctionIndex(TENANT_ROWS)
    assert index.resolve("Sales", "Reports")["moduleName"] == "Sales"
    assert index.resolve("Service Desk", "Reports")["moduleName"] == "Service Desk"


def test_unknown_function_suggests_the_closest_in_its_module():
    with pytest.raises(UnknownName) as caught:
        FunctionIndex(TENANT_ROWS).resolve("Service Desk", "Servce Tickets")
    assert "Service Desk / Service Tickets" in caught.value.suggestions


def test_unknown_module_lists_modules():
    with pytest.raises(UnknownName) as caught:
        FunctionIndex(TENANT_ROWS).resolve("Servic Desk", "Service Tickets")
    assert caught.value.suggestions == ["Service Desk"]


def vendor_rows():
    """Every (module, function) row of every matrix table in vendors.md."""
    rows = []
    for line in VENDORS_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0] not in ("Module", "---", "Vendor") and not cells[0].startswith("-"):
            rows.append((cells[0], cells[1]))
    return rows


def vendor_tables():
    entries = []
    for line in VENDORS_MD.read_text(encoding="utf-8").splitlines():
        if line.lstrip("- ").startswith("Customize") and "`" in line:
            entries.extend(e for e in re.findall(r"`([^`]+/[^`]+)`", line))
    return entries


def test_every_function_in_vendors_md_resolves():
    rows = vendor_rows()
    assert len(rows) > 300
    index = FunctionIndex(TENANT_ROWS)
    unresolved = []
    for module, function in rows:
        try:
            index.resolve(module, function)
        except UnknownName as exc:
            unresolved.append(str(exc))
    assert unresolved == []


def test_every_customize_table_in_vendors_md_resolves():
    entries = vendor_tables()
    assert len(entries) >= 15
    index = TableIndex(TENANT_TABLES)
    for entry in entries:
        index.resolve(entry)
