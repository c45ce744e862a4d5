"""Fixed data of the simulated ConnectWise release: module functions, setup tables, customize lists.

One canonical spelling per function (the form ConnectWise's UI shows); vendor variants such as
"Service Tickets - Dependencies" or "Product Entry" are not entries: the collection folds them.
Identifiers are opaque codes from a fixed table, never derived from names, so that no client can
guess them and must match on moduleName + moduleFunctionName instead.
"""

LEVELS = ("None", "My", "All")
CELLS = ("addLevel", "editLevel", "deleteLevel", "inquireLevel")

# (identifier, name, description) in the order the UI lists them.
MODULES = (
    ("M4", "Companies", "Companies, contacts, configurations and CRM"),
    ("M9", "Finance", "Agreements, invoicing and accounting"),
    ("M2", "Marketing", "Marketing groups and campaigns"),
    ("M7", "Procurement", "Products, catalog, purchasing and inventory"),
    ("M5", "Project", "Projects, phases, project tickets"),
    ("M1", "Sales", "Opportunities and sales orders"),
    ("M8", "Service Desk", "Service tickets and scheduling"),
    ("M6", "System", "Members, security, setup tables"),
    ("M3", "Time & Expense", "Time entries, approvals and expenses"),
)

# (identifier, module, function, description, myAllFlag, customizeIdentifier, reportFlag, restrictFlag)
# customFlag is true exactly where the function has a customize list (docs/connectwise-api.md lists them).
FUNCTIONS = (
    ("F3038", "Companies", "Company Maintenance", "Add, edit and view companies", False, None, False, False),
    ("F6860", "Companies", "Company/Contact Group Maintenance", "Company and contact groups", False, None, False, False),
    ("F6839", "Companies", "Configurations", "Configuration records", False, "CompanyConfigurations", False, False),
    ("F2317", "Companies", "Configuration - Display Passwords", "Show configuration passwords", False, None, False, True),
    ("F4676", "Companies", "Contacts", "Contact records", False, None, False, False),
    ("F2772", "Companies", "CRM/Sales Activities", "Activities on companies and contacts", True, None, False, False),
    ("F7031", "Companies", "Import Contacts", "Import contacts from a file", False, None, False, False),
    ("F3850", "Companies", "Manage Attachments", "Documents attached to records", True, None, False, False),
    ("F0700", "Companies", "Management", "Management solutions and IT reports", False, None, False, False),
    ("F6286", "Companies", "Notes", "Company and contact notes", True, None, False, False),
    ("F5866", "Companies", "Reports", "Company reports", False, "CompanyReports", True, False),
    ("F6902", "Companies", "Surveys", "Customer surveys", False, None, False, False),
    ("F6020", "Companies", "Team Members", "Company team members", False, None, False, False),
    ("F2205", "Companies", "Tracks", "Company and contact tracks", False, None, False, False),
    ("F5628", "Companies", "UserCentric", "UserCentric scenarios (named User Scenarios before)", False, None, False, False),
    ("F5544", "Finance", "Accounting Interface", "Export batches to accounting", False, None, False, False),
    ("F4445", "Finance", "Agreement Invoicing", "Invoice agreements", False, None, False, False),
    ("F7144", "Finance", "Agreement Sales", "Sales figures of agreements", False, None, False, False),
    ("F6895", "Finance", "Agreements", "Agreements and additions", False, "FinanceAgreements", False, False),
    ("F4270", "Finance", "Billing Rate Maintenance", "Billing rates", False, None, False, False),
    ("F7259", "Finance", "Billing Reconciliation", "Reconcile billing", False, None, False, False),
    ("F4403", "Finance", "Billing View Time", "Billing view of time entries", False, None, False, False),
    ("F3633", "Finance", "Company Finance", "Finance data of companies", False, None, False, False),
    ("F7362", "Finance", "Expense Reimbursements", "Reimburse expenses", False, None, False, False),
    ("F7418", "Finance", "Financial Dashboard", "Financial dashboard", False, None, False, False),
    ("F7523", "Finance", "Invoice Approval", "Approve invoices", False, None, False, False),
    ("F1673", "Finance", "Invoicing", "Invoices", False, None, False, False),
    ("F2709", "Finance", "Reports", "Finance reports", False, "FinanceReports", True, False),
    ("F6125", "Marketing", "Campaigns", "Marketing campaigns", True, None, False, False),
    ("F6153", "Marketing", "Marketing Groups", "Marketing groups", False, None, False, False),
    ("F2114", "Marketing", "Reports", "Marketing reports", False, "MarketingReports", True, False),
    ("F5579", "Procurement", "Inventory Adjustments", "Inventory adjustments", False, None, False, False),
    ("F4669", "Procurement", "Inventory Transfers", "Inventory transfers", False, None, False, False),
    ("F0952", "Procurement", "Product Billable Option", "Billable option on products", False, None, False, False),
    ("F1596", "Procurement", "Product Catalog", "Catalog items (named Product Entry before 2017.5)", False, None, False, False),
    ("F5404", "Procurement", "Products", "Products on tickets, projects and agreements", False, None, False, False),
    ("F3920", "Procurement", "Purchase Orders", "Purchase orders", False, None, False, False),
    ("F1827", "Procurement", "Purchasing Demand", "Purchasing demand", False, None, False, False),
    ("F4025", "Procurement", "Reports", "Procurement reports", False, "ProcurementReports", True, False),
    ("F2422", "Project", "Close Project Tickets", "Close project tickets", True, None, False, False),
    ("F2660", "Project", "Close Projects", "Close projects", True, None, False, False),
    ("F3234", "Project", "Project Contacts", "Project contacts", True, None, False, False),
    ("F3143", "Project", "Project Finance", "Project financials", True, None, False, False),
    ("F3514", "Project", "Project Headers", "Project headers", True, None, False, False),
    ("F5782", "Project", "Project Management", "Project management", True, None, False, False),
    ("F3227", "Project", "Project Notes", "Project notes", True, None, False, False),
    ("F3136", "Project", "Project Phase", "Project phases", True, None, False, False),
    ("F1036", "Project", "Project Product", "Products on projects", True, None, False, False),
    ("F6643", "Project", "Project Scheduling", "Project schedule entries", True, "ProjectScheduling", False, False),
    ("F3381", "Project", "Project Teams", "Project team members", True, None, False, False),
    ("F4452", "Project", "Project Templates", "Project templates", False, None, False, False),
    ("F4172", "Project", "Project Ticket - Dependencies", "Predecessors of project tickets", True, None, False, False),
    ("F6055", "Project", "Project Ticket Tasks", "Tasks on project tickets", True, None, False, False),
    ("F5523", "Project", "Project Tickets", "Project tickets", True, None, False, False),
    ("F4634", "Project", "Reports", "Project reports", False, "ProjectReports", True, False),
    ("F1071", "Sales", "Closed Opportunity", "Closed opportunities", True, None, False, False),
    ("F3479", "Sales", "Opportunity", "Opportunities", True, None, False, False),
    ("F4200", "Sales", "Opportunity Finance", "Financials of opportunities", True, None, False, False),
    ("F2548", "Sales", "Reports", "Sales reports", False, "SalesReports", True, False),
    ("F1890", "Sales", "Sales Dashboard", "Sales dashboard", True, None, False, False),
    ("F1134", "Sales", "Sales Funnel", "Sales funnel", True, None, False, False),
    ("F1862", "Sales", "Sales Order Finance", "Financials of sales orders", True, None, False, False),
    ("F4823", "Sales", "Sales Orders", "Sales orders", True, None, False, False),
    ("F1925", "Service Desk", "Close Service Tickets", "Close service tickets", True, None, False, False),
    ("F7607", "Service Desk", "Cloud Console", "Cloud console", False, None, False, False),
    ("F7719", "Service Desk", "Knowledge Base Approver", "Approve knowledge base articles", False, None, False, False),
    ("F7821", "Service Desk", "Knowledge Base Creator", "Write knowledge base articles", False, None, False, False),
    ("F7936", "Service Desk", "Launch Remote Access", "Launch remote access from a ticket", True, None, False, False),
    ("F2121", "Service Desk", "Merge Tickets", "Merge service tickets", True, None, False, False),
    ("F8042", "Service Desk", "Print Service Signoff", "Print the service sign-off", True, None, False, False),
    ("F8157", "Service Desk", "Reporting", "Service desk reporting (listed beside Reports)", False, None, False, False),
    ("F3409", "Service Desk", "Reports", "Service reports", False, "ServiceReports", True, False),
    ("F3437", "Service Desk", "Resource Scheduling", "Dispatch and schedule entries", True, "ServiceResourceScheduling", False, False),
    ("F2730", "Service Desk", "Service Ticket - Dependencies", "Predecessors of service tickets", True, None, False, False),
    ("F3990", "Service Desk", "Service Tickets", "Service tickets", True, None, False, False),
    ("F6706", "Service Desk", "Service Tickets - Finance", "Finance tab of service tickets", True, None, False, False),
    ("F6552", "Service Desk", "SLA Dashboard", "SLA dashboard", False, None, False, False),
    ("F1484", "Service Desk", "Ticket Templates", "Ticket templates", False, None, False, False),
    ("F0973", "System", "API Reports", "Reports and screens through the API", False, None, True, False),
    ("F4263", "System", "Custom Menu Entry", "Custom menu entries and embedded tabs", False, "SystemCustomMenuEntry", False, False),
    ("F6027", "System", "Data Import", "Data import", False, None, False, False),
    ("F3122", "System", "Manage Hosted API", "Hosted API screens", False, "SystemManageHostedApi", False, False),
    ("F6342", "System", "Mass Maintenance", "Mass maintenance", False, "SystemMassMaintenance", False, False),
    ("F1645", "System", "Member Maintenance", "Members and API members", False, None, False, False),
    ("F6790", "System", "My Account", "The member's own account", True, "SystemMyAccount", False, False),
    ("F5642", "System", "My Company", "Company setup, territories, structure levels", False, None, False, False),
    ("F2177", "System", "Security Roles", "Security roles", False, None, False, False),
    ("F4844", "System", "System Reports", "System reports", False, "SystemReports", True, False),
    ("F3276", "System", "Table Setup", "Setup tables", False, "SystemTableSetup", False, False),
    ("F1155", "Time & Expense", "Expense Reimbursements", "Expense reimbursements", True, None, False, False),
    ("F4900", "Time & Expense", "Expense Report Entry", "Expense reports", True, None, False, False),
    ("F2429", "Time & Expense", "Reports", "Time and expense reports", False, "TimeAndExpenseReports", True, False),
    ("F6272", "Time & Expense", "Time Approval", "Approve time sheets", True, None, False, False),
    ("F3570", "Time & Expense", "Time Entry", "Time entries", True, None, False, False),
    ("F3115", "Time & Expense", "Time Entry Billable Option", "Billable option on time entries", True, None, False, False),
)

# Customize identifiers reported by /system/mySecurity/customizeItems (docs/connectwise-api.md).
CUSTOMIZE_IDENTIFIERS = tuple(sorted({row[5] for row in FUNCTIONS if row[5]}))
TABLE_SETUP = "SystemTableSetup"

# Table Setup entries: (id, category, table, moduleName). Ids are fixed and not sequential.
SETUP_SCREENS = (
    (384, "Activities", "Activity Status-CRM", "Companies"),
    (54, "Activities", "Activity Type", "Companies"),
    (322, "Agreements", "Agreement Type", "Finance"),
    (207, "Agreements", "Batch", "Finance"),
    (8, "Company", "Address Formats", "Companies"),
    (284, "Company", "Company Status", "Companies"),
    (84, "Company", "Company Type", "Companies"),
    (376, "Company", "Configuration", "Companies"),
    (373, "Company", "Configuration Status", "Companies"),
    (375, "Company", "Country", "Companies"),
    (91, "Company", "Currency", "Companies"),
    (147, "Company", "Managed Devices Integration", "Companies"),
    (235, "Company", "Management", "Companies"),
    (49, "Company", "Management Backup", "Companies"),
    (165, "Company", "Management IT", "Companies"),
    (278, "Company", "Management Network Security", "Companies"),
    (80, "Company", "Market Description", "Companies"),
    (277, "Company", "Note Type", "Companies"),
    (116, "Company", "Ownership Type", "Companies"),
    (94, "Company", "State", "Companies"),
    (302, "Company", "Team Role", "Companies"),
    (251, "Company", "Time Zone", "Companies"),
    (288, "Contact", "Contact Type", "Companies"),
    (338, "Contact", "Communication Type", "Companies"),
    (175, "General", "Auto Sync", "System"),
    (5, "General", "Custom Fields", "System"),
    (61, "General", "StsClient", "System"),
    (386, "General", "Email Connector", "System"),
    (392, "General", "Manage Hosted API", "System"),
    (393, "General", "Workflow Rules", "System"),
    (217, "General Ledger", "Accounting Package", "Finance"),
    (246, "Invoicing", "Billing Status", "Finance"),
    (157, "Invoicing", "Billing Cycle", "Finance"),
    (19, "Invoicing", "Tax Code", "Finance"),
    (237, "Marketing", "Campaign Type", "Marketing"),
    (121, "Opportunities", "Opportunity Rating", "Sales"),
    (193, "Opportunities", "Opportunity Status", "Sales"),
    (247, "Opportunities", "Opportunity Type", "Sales"),
    (109, "Opportunities", "Quote Link", "Sales"),
    (149, "Opportunities", "Sales Probability", "Sales"),
    (14, "Opportunities", "Sales Stage", "Sales"),
    (281, "Products", "UOM", "Procurement"),
    (200, "Products", "Warehouse", "Procurement"),
    (328, "Project", "Project Board", "Project"),
    (390, "Service", "Priority", "Service Desk"),
    (374, "Service", "Service Board", "Service Desk"),
    (83, "Service", "SLA", "Service Desk"),
    (13, "Service", "Source", "Service Desk"),
    (185, "Service", "Surveys - Service", "Service Desk"),
    (245, "Time", "Holiday List", "Time & Expense"),
    (279, "Time", "Work Role", "Time & Expense"),
    (47, "Time", "Work Type", "Time & Expense"),
)

MODULE_BY_NAME = {row[1]: row for row in MODULES}
FUNCTION_BY_CODE = {row[0]: row for row in FUNCTIONS}
SORT_ORDER = {row[0]: index + 1 for index, row in enumerate(FUNCTIONS)}
FUNCTION_BY_NAME = {(row[1], row[2]): row for row in FUNCTIONS}
SCREEN_BY_NAME = {f"{row[1]} / {row[2]}": row for row in SETUP_SCREENS}
SCREEN_BY_ID = {row[0]: row for row in SETUP_SCREENS}


def function_code(module, function):
    """Code of a module function given by its exact canonical names, or None."""
    row = FUNCTION_BY_NAME.get((module, function))
    return row[0] if row else None


def screen_label(screen_id):
    """The "Category / Table" label of a setup screen id."""
    row = SCREEN_BY_ID[screen_id]
    return f"{row[1]} / {row[2]}"
