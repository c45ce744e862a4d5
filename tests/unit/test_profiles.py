"""The vendor profiles (roles/integration/files/profiles): their schema, and their rows against the sources.

Every profile is checked row by row against where it came from: a vendor page in tests/fixtures/vendor_sources (parsed
from the page's own text, or from its transcription as one table) or the vendor's matrix in vendors.md; and the
counts of vendors.md's profiles against its summary table.
"""

from __future__ import annotations

import datetime
import functools
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import (
    FunctionIndex, TableIndex, function_key, module_key, table_key)
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import check_member_input
from ansible_collections.msp.connectwise.plugins.module_utils.engine.profile import (
    SCHEMA, TABLE_KEYS, problems as profile_problems, role_name_specified, specified_fields, resolve_shared)
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import check_role_name
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import converge_tenant
from simulator import catalogue
from tests.conftest import REPO, VENDOR_SOURCES, VENDORS_MD
from tests.unit import profile_sources as sources

PROFILES = REPO / "roles" / "integration" / "files" / "profiles"
PROFILE_FILES = sorted(PROFILES.glob("*.yml"))

TENANT_ROWS = [{"id": i, "moduleName": row[1], "moduleFunctionName": row[2]} for i, row in enumerate(catalogue.FUNCTIONS)]
TENANT_TABLES = [{"id": row[0], "category": row[1], "name": row[2]} for row in catalogue.SETUP_SCREENS]

# profile -> (its vendor page in tests/fixtures/vendor_sources, the page's parser, summary row in vendors.md section 5).
# The profile cites the page itself (source.document, source.url); this map is the tests' own.
PAGE_PROFILES = {
    "cw_kanban": ("cw_kanban.txt", sources.parse_space_rows, "CW Kanban (page)"),
    "mobius": ("mobius.txt", sources.parse_prose, "Mobius (page)"),
    "topleft": ("topleft.txt", sources.parse_pipe_rows, "TopLeft (page)"),
    "timesanity": ("timesanity.txt", sources.parse_inquire_rows, "TimeSanity (page)"),
    "lifecycle_manager": ("lifecycle_manager.txt", sources.parse_indented_rows, "ScalePad Lifecycle Manager (page)"),
}

# profile -> (its vendor page in tests/fixtures/vendor_sources, transcribed as one table (profile_sources.parse_table),
# the version of the page it follows where the page has several, and its status). A shared table (Perimeters:
# WatchGuard CloudDR's) is checked as the role resolves it, against the vendor's own page.
TABLE_PAGES = {
    "axcient_x360recover": ("axcient_x360recover.txt", None, "complete"),
    "barracuda_intronis": ("barracuda_intronis.txt", None, "partial"),
    "barracuda_msp_app": ("barracuda_msp_app.txt", None, "partial"),
    "blackpoint": ("blackpoint.txt", None, "partial"),
    "bvoip_1stream": ("bvoip_1stream.txt", None, "complete"),
    "cloudblue": ("cloudblue.txt", "21.0", "complete"),
    "cyberfox_autoelevate": ("cyberfox_autoelevate.txt", None, "partial"),
    "datto_rmm": ("datto_rmm.txt", None, "complete"),
    "dropsuite": ("dropsuite.txt", None, "complete"),
    "easydmarc": ("easydmarc.txt", None, "complete"),
    "evo_security": ("evo_security.txt", None, "partial"),
    "hatz_ai": ("hatz_ai.txt", None, "complete"),
    "heyhappy": ("heyhappy.txt", None, "complete"),
    "huntress": ("huntress.txt", None, "partial"),
    "immybot": ("immybot.txt", None, "complete"),
    "infima": ("infima.txt", None, "complete"),
    "ingram_micro": ("ingram_micro.txt", None, "complete"),
    "liongard": ("liongard.txt", None, "partial"),
    "mailprotector": ("mailprotector.txt", None, "partial"),
    "ninjaone": ("ninjaone.txt", None, "complete"),
    "perimeters": ("perimeters.txt", None, "complete"),
    "phin_security": ("phin_security.txt", None, "complete"),
    "pia": ("pia.txt", None, "partial"),
    "sherweb": ("sherweb.txt", None, "complete"),
    "sophos_central": ("sophos_central.txt", None, "partial"),
    "strategy_overview": ("strategy_overview.txt", None, "complete"),
    "sync365": ("sync365.txt", None, "partial"),
    "thread": ("thread.txt", None, "partial"),
    "timezest": ("timezest.txt", None, "partial"),
    "watchguard_cloud": ("watchguard_cloud.txt", None, "complete"),
    "watchguard_clouddr": ("watchguard_clouddr.txt", None, "complete"),
    "wise_sync": ("wise_sync.txt", "newer", "partial"),
    "zofiq": ("zofiq.txt", None, "partial"),
}

# profile -> (its vendors.md heading, heading whose matrix it uses, summary row). Team GPS and ChatStyle
# publish "the same table as" SmileBack and CloudRadial Chat.
MD_PROFILES = {
    "rewst": ("Rewst", "Rewst", "Rewst"),
    "cloudradial_chat": ("CloudRadial Chat", "CloudRadial Chat", "CloudRadial Chat"),
    "chatstyle": ("ChatStyle", "CloudRadial Chat", "ChatStyle"),
    "hudu": ("Hudu", "Hudu", "Hudu"),
    "smileback": ("SmileBack", "SmileBack", "SmileBack"),
    "team_gps": ("Team GPS", "SmileBack", "Team GPS"),
    "signl4": ("SIGNL4", "SIGNL4", "SIGNL4"),
    "crushbank": ("CrushBank", "CrushBank", "CrushBank"),
    "nable_ncentral": ("N-able N-central", "N-able N-central", "N-able N-central"),
    "nable_nsight": ("N-able N-sight RMM", "N-able N-sight RMM", "N-able N-sight RMM"),
    "datto_bcdr": ("Datto BCDR / Partner Portal", "Datto BCDR / Partner Portal", "Datto BCDR / Partner Portal"),
    "kaseya_quote_manager": ("Kaseya Quote Manager", "Kaseya Quote Manager", "Kaseya Quote Manager"),
    "unitrends": ("Unitrends UniView", "Unitrends UniView", "Unitrends UniView"),
    "msp360": ("MSP360", "MSP360", "MSP360"),
    "cisco_umbrella": ("Cisco Umbrella MSP", "Cisco Umbrella MSP", "Cisco Umbrella MSP"),
    "lifecycle_insights": ("Lifecycle Insights", "Lifecycle Insights", "Lifecycle Insights"),
    "visionary360": ("Visionary360 Accounting Sync", "Visionary360 Accounting Sync", "Visionary360 Accounting Sync"),
    "gradient": ("Gradient MSP", "Gradient MSP", "Gradient MSP"),
    "cloud_im": ("Cloud.im", "Cloud.im", "Cloud.im"),
    "commvault": ("Commvault", "Commvault", "Commvault"),
    "cyberdrain_cow": ("CyberDrain CoW", "CyberDrain CoW", "CyberDrain CoW"),
    "bitdefender": ("Bitdefender", "Bitdefender", "Bitdefender"),
    "guardz": ("Guardz", "Guardz", "Guardz"),
    "cyrisma": ("CYRISMA", "CYRISMA", "CYRISMA"),
    "check_point": ("Check Point Harmony SASE", "Check Point Harmony SASE", "Check Point Harmony SASE"),
    "helpdesk_buttons": ("Helpdesk Buttons / Tier2Tickets", "Helpdesk Buttons / Tier2Tickets", "Helpdesk Buttons / Tier2Tickets"),
    "manageengine": ("ManageEngine Endpoint Central MSP", "ManageEngine Endpoint Central MSP", "ManageEngine Endpoint Central MSP"),
    "password_boss": ("Password Boss", "Password Boss", "Password Boss"),
    "lastpass": ("LastPass", "LastPass", "LastPass"),
    "mspcfo": ("MSPCFO", "MSPCFO", "MSPCFO"),
    "presh_marketing": ("Presh Marketing", "Presh Marketing", "Presh Marketing"),
    "nable_passportal": ("N-able Passportal", "N-able Passportal", "N-able Passportal"),
    # PARTIAL in vendors.md, whose rows before the cut they hold.
    "brightgauge": ("BrightGauge", "BrightGauge", "BrightGauge"),
    "cloudradial_csa": ("CloudRadial CSA", "CloudRadial CSA", "CloudRadial CSA"),
}
# A profile whose Table Setup entries come from another page of its vendor than its rows (the rows' page names none).
TABLE_SETUP_PAGES = {"gradient": "gradient.txt"}

# Rows the vendor calls optional whose levels vendors.md records (its prose says which; the tables cannot).
MD_OPTIONAL = {
    "nable_ncentral": {("Finance", "Agreements"), ("Finance", "Billing View Time")},
    "commvault": {("Service Desk", "Service Tickets")},
}

# Vendors whose pages publish no usable permission row (a customize catalogue only, the Admin role, a screenshot, or a
# section not in the text): no profile, as an empty one would audit nothing (docs/vendors.md lists them).
NO_PROFILE = {"quoter", "quotewerks", "connectsecure", "blumira", "heimdal", "threatlocker", "ceojuice", "audit",
              "itglue", "auvik", "addigy", "assurestor", "spambrella", "att_cybersecurity", "cytracom"}


def load(path):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def profile(name):
    return load(PROFILES / (name + ".yml"))


def resolved(name):
    """The profile as the integration role takes it: a shared table (same_as) filled in."""
    return resolve_shared(profile(name), profile)


def role_rows(data):
    return list(data["permissions"]) + list(data["optional_permissions"])


def cells_of(rows):
    """(module, function) -> its cells, exactly as a profile section writes them."""
    found = {}
    for row in rows:
        key = (row["module"], row["function"])
        assert key not in found, "%s / %s is written twice" % key
        found[key] = {cell: row[cell] for cell in sources.CELLS if cell in row}
    return found


def as_source(data):
    """A profile's rows in the shape the parsers return, spelled exactly as the profile writes them."""
    rows, optional, temporary = {}, set(), {}
    for section in ("permissions", "optional_permissions"):
        for row in data[section]:
            key = (row["module"], row["function"])
            assert key not in rows, "%s / %s is written twice" % key
            rows[key] = {cell: row[cell] for cell in sources.CELLS if cell in row}
            if section == "optional_permissions":
                optional.add(key)
    for row in data["temporary_permissions"]:
        temporary[(row["module"], row["function"])] = {cell: row[cell] for cell in sources.CELLS if cell in row}
    return rows, optional, temporary


def test_there_are_profiles():
    assert len(PROFILE_FILES) >= 55
    statuses = [resolved(p.stem)["status"] for p in PROFILE_FILES]
    assert (statuses.count("complete"), statuses.count("partial")) == (55, 17)


def test_every_profile_is_checked_against_a_source():
    stems = {p.stem for p in PROFILE_FILES}
    checked = set(PAGE_PROFILES) | set(MD_PROFILES) | set(TABLE_PAGES)
    assert stems == checked, "profiles with no source check: %s; checks without a profile: %s" % (
        stems - checked, checked - stems)
    assert not set(PAGE_PROFILES) & set(MD_PROFILES) | set(PAGE_PROFILES) & set(TABLE_PAGES) | set(MD_PROFILES) & set(TABLE_PAGES)


def test_no_profile_for_partial_or_unrecorded_vendors():
    assert not {p.stem for p in PROFILE_FILES} & NO_PROFILE


# --- schema -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.stem)
def test_schema(path):
    """Every shipped profile against the schema the modules check at run time (plugins/module_utils/engine/profile.py)."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    data = yaml.safe_load(text)
    # A shared table is filled in by the role (resolve_shared) before the run's check; so here.
    assert profile_problems(resolved(path.stem) if data.get("same_as") else data) == []
    # A shipped profile writes every key (null or [] where the vendor says nothing), so that each was considered;
    # optional_tables only where the vendor marks tables optional, disallowed_tables where it names tables to disallow
    # (both checked against the sources below); missing only in a partial profile; same_as only where the vendor's page
    # publishes another's table, and then none of the table's keys; outside where the vendor's page was read for it
    # (the pages kept beside the tests; vendors.md records no such steps).
    optional_keys = {"optional_tables", "disallowed_tables", "missing", "same_as"}
    if data.get("same_as"):
        optional_keys |= set(TABLE_KEYS)
    assert set(SCHEMA) - set(data) <= optional_keys | ({"outside"} if path.stem not in PAGE_PROFILES else set())
    assert ("missing" in data) == (data.get("status") == "partial")
    assert "status" in data or data.get("same_as")
    for section in ("source", "role", "member", "key"):
        assert set(data[section]) == set(SCHEMA[section]), section
    assert data["vendor"] == path.stem
    data = resolved(path.stem)
    assert data["permissions"] or data["status"] == "partial" and data["optional_permissions"]
    check_role_name(data["role"]["name"], "role.name")
    check_member_input(data["member"])
    if data["levels_assumed"]:
        assert data["source"]["url"], "a profile with assumed levels must say where to confirm them"
    assert "yourdomain" not in text, "placeholder e-mail addresses are not data"


def misspelt(data):
    data["tabels"] = data.pop("tables")
    data["optinal_permissions"] = data.pop("optional_permissions")
    data["member"]["levle"] = data["member"].pop("level")
    return data


def test_a_misspelt_key_is_named_with_the_closest_known_key():
    data = misspelt(profile("topleft"))
    data["colour"] = "red"
    assert sorted(profile_problems(data, "p")) == [
        "p.colour: unknown key; known keys: " + ", ".join(SCHEMA),
        "p.member.levle: unknown key; the closest known key is level",
        "p.optinal_permissions: unknown key; the closest known key is optional_permissions",
        "p.tabels: unknown key; the closest known key is tables"]


def _set(section, position, **values):
    return lambda data: data[section][position].update(values)


@pytest.mark.parametrize("change, message", [
    (_set("permissions", 0, inquire="Full"), "p.permissions[0].inquire: 'Full' is not a permission level: None, My or All "
     "(or ask: the vendor's page names the level without its value)"),
    (_set("permissions", 0, inquire="all"), "p.permissions[0].inquire: 'all' is not a permission level: None, My or All "
     "(or ask: the vendor's page names the level without its value)"),
    (lambda data: data["temporary_permissions"].append({"module": "System", "function": "Table Setup", "ad": "All",
                                                        "inquire": "All"}),
     "p.temporary_permissions[0].ad: unknown key; the closest known key is add"),
    (_set("optional_permissions", 1, inquiry="All"),
     "p.optional_permissions[1].inquiry: unknown key; the closest known key is inquire"),
    (lambda data: data["permissions"].append({"module": "Companies", "function": "Contacts"}),
     "p.permissions[18]: no level given; give at least one of add, edit, delete, inquire"),
    (lambda data: data["optional_permissions"].append({"function": "Contacts", "inquire": "All"}),
     "p.optional_permissions[2].module: missing from the profile"),
    (lambda data: data.update(tables="Service / Service Board"),
     "p.tables: 'Service / Service Board' is not a list; give a list (or [] for none)"),
    (lambda data: data.update(tables=["Service Board"]),
     "p.tables[0]: 'Service Board' is not a Table Setup entry written 'Category / Table'"),
    (lambda data: data["member"].pop("identifier"), "p.member.identifier: missing from the profile"),
    (lambda data: data.update(member="TopLeft"), "p.member: expected a mapping with identifier, name, level, notes, specified"),
    (lambda data: data.update(levels_assumed="no"), "p.levels_assumed: 'no' is not true or false"),
    (lambda data: data["source"].update(retrieved=datetime.date(2026, 1, 31)),
     "p.source.retrieved: datetime.date(2026, 1, 31) is not a quoted date such as \"2026-01-31\""),
    (lambda data: data.update(vendor="Top Left"),
     "p.vendor: 'Top Left' is not a vendor name of lower-case letters, digits and '_' (the file name)"),
    # A profile cites the vendor's page, never a test fixture.
    (lambda data: data["source"].update(seed="lifecycle_manager.txt"),
     "p.source.seed: unknown key; known keys: document, url, version, retrieved"),
    # A checklist step a person copies into a firewall: an address printed incomplete is never one of its addresses.
    (lambda data: data.update(outside=[{"kind": "ip_allowlist", "text": "Allow our addresses.",
                                        "addresses": ["3.23.117.12", "3.138.54"]}]),
     "p.outside[0].addresses[1]: '3.138.54' is not an IP address or network such as 203.0.113.7 or 203.0.113.0/24 (an "
     "address a page prints incomplete belongs in the step's text, to confirm with the vendor)"),
], ids=["level", "level-case", "temporary-cell", "cell", "row-without-level", "row-without-module", "tables-string",
        "table-without-category", "no-identifier", "member-string", "bool", "unquoted-date", "vendor", "fixture-file",
        "incomplete-address"])
def test_each_value_is_checked(change, message):
    data = profile("lifecycle_manager")  # 18 rows, 2 optional ones, no temporary one, 16 tables
    change(data)
    assert profile_problems(data, "p") == [message]


def test_a_run_needs_only_what_it_uses():
    minimal = {"vendor": "x", "role": {"name": "X"}, "permissions": [], "member": {"identifier": "X"}}
    assert profile_problems(minimal, "p") == []
    assert profile_problems({"vendor": "x"}, "p") == [
        "p.role: missing from the profile", "p.permissions: missing from the profile", "p.member: missing from the profile"]
    assert profile_problems(["vendor"], "p") == ["p: a vendor profile (mapping) is required"]


def test_a_profile_off_its_schema_fails_before_any_request(client, sim):
    """cw_integration and cw_fleet_audit (converge_tenant): before this check, the misspelt keys were dropped."""
    result, _diff, _warnings = converge_tenant(client, [{"profile": misspelt(profile("topleft")), "key": {}}])
    assert result["failed"] is True and result["integrations"] == []
    assert "integrations[0].profile.tabels: unknown key; the closest known key is tables" in result["msg"]
    assert sim.requests() == []


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.stem)
def test_no_duplicates_after_folding(path):
    data = resolved(path.stem)
    for section in ("permissions", "optional_permissions", "temporary_permissions"):
        keys = [function_key(r["module"], r["function"]) for r in data[section]]
        assert len(keys) == len(set(keys)), "a function is listed twice in %s (after folding)" % section
    # A function may be in both the required and the optional rows when the vendor marks some of its cells optional
    # (CyberFox's Technician Mode Ticketing cells): never the same cell twice.
    required = {function_key(r["module"], r["function"]): r for r in data["permissions"]}
    for row in data["optional_permissions"]:
        other = required.get(function_key(row["module"], row["function"]), {})
        assert not [cell for cell in sources.CELLS if cell in row and cell in other], row
    tables = [table_key(t) for t in data["tables"] + data.get("optional_tables", []) + data.get("disallowed_tables", [])]
    assert len(tables) == len(set(tables)), "a table is listed twice (after folding)"


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.stem)
def test_temporary_cells_are_not_also_permanent(path):
    data = resolved(path.stem)
    permanent = {function_key(r["module"], r["function"]): r for r in role_rows(data)}
    for row in data["temporary_permissions"]:
        other = permanent.get(function_key(row["module"], row["function"]), {})
        overlap = [cell for cell in sources.CELLS if cell in row and cell in other]
        assert not overlap, "%s / %s: %s both temporary and permanent" % (row["module"], row["function"], overlap)


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.stem)
def test_every_name_resolves_on_the_catalogue(path):
    data = resolved(path.stem)
    functions, tables = FunctionIndex(TENANT_ROWS), TableIndex(TENANT_TABLES)
    for row in role_rows(data) + list(data["temporary_permissions"]):
        functions.resolve(row["module"], row["function"])
    for entry in data["tables"] + data.get("optional_tables", []) + data.get("disallowed_tables", []):
        tables.resolve(entry)


# --- the vendor pages, row by row ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(PAGE_PROFILES))
def test_page_profile_matches_its_page(name):
    """Cell for cell: a level the page gives is in the profile, and a cell the page names no level for is absent."""
    page, parse, _profile = PAGE_PROFILES[name]
    expected = parse((VENDOR_SOURCES / page).read_text(encoding="utf-8"))
    data = profile(name)
    rows, optional, temporary = as_source(data)
    assert set(rows) == set(expected.rows), "rows only in the profile: %s; only in the page: %s" % (
        sorted(set(rows) - set(expected.rows)), sorted(set(expected.rows) - set(rows)))
    for key, levels in expected.rows.items():
        assert rows[key] == levels, "%s / %s" % key
    assert optional == expected.optional
    assert temporary == {}
    assert data["tables"] == expected.tables
    assert data.get("optional_tables", []) == []
    assert data["levels_assumed"] is False


def test_page_parsers_read_every_row():
    """The parsers themselves: counts and a few cells that differ between the pages."""
    read = {name: parse((VENDOR_SOURCES / page).read_text(encoding="utf-8")) for name, (page, parse, _profile) in PAGE_PROFILES.items()}
    assert {name: len(src.rows) for name, src in read.items()} == {
        "cw_kanban": 21, "mobius": 15, "topleft": 26, "timesanity": 40, "lifecycle_manager": 20}
    assert read["cw_kanban"].rows[("Service Desk", "Service Ticket - Dependencies")] == {
        "add": "All", "edit": "None", "delete": "None", "inquire": "All"}
    assert read["cw_kanban"].rows[("Time & Expense", "Time Entry Billable Option")]["add"] == "All"
    # A table with a None column gives None; prose naming some cells, or a page leaving columns out, gives those only.
    assert read["topleft"].rows[("Companies", "Company Maintenance")] == {
        "add": "None", "edit": "None", "delete": "None", "inquire": "All"}
    assert read["mobius"].rows[("Finance", "Invoicing")] == {"edit": "All", "delete": "All", "inquire": "All"}
    assert read["mobius"].rows[("Companies", "Company Maintenance")] == {"inquire": "All"}
    assert read["timesanity"].rows[("Companies", "Company Maintenance")] == {"inquire": "All"}
    assert read["mobius"].tables == ["General Ledger / Accounting Package", "Invoicing / Billing Status",
                                     "Invoicing / Tax code", "Products / UOM"]
    assert read["timesanity"].tables == ["General / Auto Sync", "Project / Project Boards", "Service / Service Boards"]
    assert read["lifecycle_manager"].optional == {("Service Desk", "Service Tickets - Dependencies"),
                                                  ("Service Desk", "Service Tickets - Finance")}
    assert ("Finance", "invoicing") in read["lifecycle_manager"].rows
    assert len(read["lifecycle_manager"].tables) == 16


def test_a_wrong_cell_is_caught(tmp_path):
    """A profile that differs from its page in one cell no longer matches."""
    data = profile("topleft")
    data["permissions"][0] = dict(data["permissions"][0], inquire="My")
    expected = sources.parse_pipe_rows((VENDOR_SOURCES / PAGE_PROFILES["topleft"][0]).read_text(encoding="utf-8"))
    rows, _tables, _optional = as_source(data)
    assert rows != expected.rows


def test_a_none_the_page_does_not_give_is_caught():
    """A None filled into a cell the page leaves unnamed (the old Mobius profile's add: None) no longer matches."""
    data = profile("mobius")
    assert data["permissions"][0] == {"module": "Companies", "function": "Company Maintenance", "inquire": "All"}
    data["permissions"][0] = dict(data["permissions"][0], add="None")
    expected = sources.parse_prose((VENDOR_SOURCES / PAGE_PROFILES["mobius"][0]).read_text(encoding="utf-8"))
    rows, _tables, _optional = as_source(data)
    assert rows[("Companies", "Company Maintenance")] != expected.rows[("Companies", "Company Maintenance")]


def test_a_blank_vendors_md_cell_is_absent_not_none():
    src = sources.parse_md_matrix(["| Companies | Company Maintenance | | N/A | | \u2713 |"])
    assert src.rows == {("Companies", "Company Maintenance"): {"inquire": "All"}} and src.assumed


# --- the vendor pages transcribed as one table, cell by cell -----------------------------------------------------

@functools.lru_cache(maxsize=None)
def table_page(name):
    page, version, _status = TABLE_PAGES[name]
    return sources.parse_table((VENDOR_SOURCES / page).read_text(encoding="utf-8"), version)


def collapsed(text):
    return " ".join(text.split())


@pytest.mark.parametrize("name", sorted(TABLE_PAGES))
def test_table_page_profile_matches_its_page_cell_for_cell(name):
    """Every cell the page gives is in the profile with its level (ask where the page names a level without a value),
    every cell it leaves blank is absent (left alone), optional rows and cells are optional, and the Table Setup
    entries to allow and to disallow are the page's."""
    expected = table_page(name)
    data = resolved(name)
    required = {key: levels for key, levels in expected.rows.items() if key not in expected.optional}
    optional = {key: expected.rows[key] for key in expected.optional}
    optional.update(expected.optional_cells)
    for found, wanted, section in ((cells_of(data["permissions"]), required, "permissions"),
                                   (cells_of(data["optional_permissions"]), optional, "optional_permissions")):
        assert set(found) == set(wanted), "%s: rows only in the profile: %s; only in the page: %s" % (
            section, sorted(set(found) - set(wanted)), sorted(set(wanted) - set(found)))
        for key, levels in wanted.items():
            assert found[key] == levels, "%s / %s" % key
    assert data["temporary_permissions"] == []
    assert data["tables"] == expected.tables and "optional_tables" not in data
    assert data.get("disallowed_tables", []) == expected.disallow
    assert ("disallowed_tables" in data) == bool(expected.disallow)
    assert data["levels_assumed"] is False


@pytest.mark.parametrize("name", sorted(TABLE_PAGES))
def test_table_page_profile_cites_its_page_and_is_partial_where_the_page_is(name):
    expected, status = table_page(name), TABLE_PAGES[name][2]
    data = resolved(name)
    own = profile(name)  # a shared table's profile cites its own vendor's page
    assert (own["source"]["document"], own["source"]["url"], own["source"]["retrieved"]) == (
        expected.header["Vendor page"], expected.header["Address"], expected.header["Retrieved"])
    assert data["status"] == status
    # A page cut off, or one whose cells cannot be placed, is partial; a complete page has neither.
    if expected.cut or expected.suspect:
        assert status == "partial", "%s: %s" % (expected.cut, expected.suspect)
    if status == "complete":
        assert "partial" not in expected.header["Completeness"]
    else:
        assert data["missing"]


@pytest.mark.parametrize("name", sorted(TABLE_PAGES))
def test_table_page_outside_steps_are_the_pages_own_words(name):
    page = collapsed((VENDOR_SOURCES / TABLE_PAGES[name][0]).read_text(encoding="utf-8"))
    data = profile(name)
    for step in data["outside"]:
        for text in [step["text"]] + step.get("steps", []) + step.get("addresses", []):
            assert collapsed(text) in page, "%s: %r is not on the page" % (name, text)
        if step.get("url"):
            assert step["url"] in page
        if step["kind"] == "ip_allowlist" and not step["addresses"]:
            assert not re.search(r"\b\d{1,3}(\.\d{1,3}){3}\b", page), "the page lists addresses the profile lacks"
    assert data["member"]["notes"] is None


@pytest.mark.parametrize("name", sorted(TABLE_PAGES))
def test_every_row_a_table_page_prints_is_a_catalogue_function(name):
    """Also the rows the profile leaves out (a suspect row, a row listed without levels)."""
    expected = table_page(name)
    functions, tables = FunctionIndex(TENANT_ROWS), TableIndex(TENANT_TABLES)
    for module, function in list(expected.rows) + list(expected.optional_cells) + expected.suspect + expected.unlevelled:
        functions.resolve(module, function)
    for entry in expected.tables + expected.disallow:
        tables.resolve(entry)


def test_the_table_parser_reads_each_notation():
    """The transcriptions' notation (README.md), cell by cell where it matters."""
    rows = {name: table_page(name).rows for name in TABLE_PAGES}
    assert {name: len(found) for name, found in rows.items()} == {
        "axcient_x360recover": 5, "barracuda_intronis": 31, "barracuda_msp_app": 17, "blackpoint": 2, "bvoip_1stream": 18,
        "cloudblue": 6, "cyberfox_autoelevate": 6, "datto_rmm": 12, "dropsuite": 13, "easydmarc": 6, "evo_security": 8,
        "hatz_ai": 4, "heyhappy": 12, "huntress": 2, "immybot": 5, "infima": 3, "ingram_micro": 7, "liongard": 2,
        "mailprotector": 3, "ninjaone": 10, "perimeters": 10, "phin_security": 3, "pia": 9, "sherweb": 4,
        "sophos_central": 1, "strategy_overview": 8, "sync365": 8, "thread": 7, "timezest": 2, "watchguard_cloud": 12,
        "watchguard_clouddr": 10, "wise_sync": 8, "zofiq": 19}
    # ✓: named without a value; blank: absent, not None.
    assert rows["dropsuite"][("Companies", "Company Maintenance")] == {"add": "ask", "inquire": "ask"}
    assert rows["phin_security"][("Finance", "Agreements")] == {"edit": "ask", "inquire": "ask"}
    # "-" is None; a bracketed module is the page's missing one; annotations leave the function's name.
    assert rows["strategy_overview"][("Companies", "Configurations")] == {
        "add": "None", "edit": "All", "delete": "None", "inquire": "All"}
    assert rows["easydmarc"][("System", "Table Setup")] == {"inquire": "All"}
    assert ("Procurement", "Product") in rows["immybot"] and ("Finance", "Agreements") in rows["infima"]
    assert ("System", "Setup Tables") in rows["hatz_ai"] and ("System", "Table Setup") in rows["ninjaone"]
    # Upper and lower case levels as the page writes them.
    assert rows["zofiq"][("Company", "Manage Attachments")] == {"add": "All", "edit": "All", "delete": "My", "inquire": "All"}
    assert rows["sync365"][("System", "Table Setup")] == {"edit": "All", "inquire": "All"}
    # No Delete column (CyberFox): Delete absent; † cells optional; a row with two cells; suspect rows left out.
    cyberfox = table_page("cyberfox_autoelevate")
    assert cyberfox.rows[("Service Desk", "Service Tickets")] == {"add": "My", "edit": "All", "inquire": "All"}
    assert cyberfox.rows[("Time & Expense", "Time Entry Billable Option")] == {"add": "All", "edit": "All"}
    assert cyberfox.optional_cells == {("Finance", "Billing View Time"): {"add": "All"}, ("Finance", "Agreements"): {"add": "All"},
                                       ("Service Desk", "Close Service Tickets"): {"add": "All", "edit": "All"},
                                       ("Time & Expense", "Time Entry"): {"edit": "All"}}
    assert cyberfox.suspect == [("Companies", "Company Maintenance"), ("Companies", "Configurations"),
                                ("System", "Member Maintenance"), ("System", "My Company")]
    # Versions: CloudBlue 21.0 (Invoicing is 20.5's only, API Reports 21.0's; Product Catalog Edit 21.0's).
    assert ("Finance", "Invoicing") not in rows["cloudblue"] and ("System", "API Reports") in rows["cloudblue"]
    assert rows["cloudblue"][("Procurement", "Product Catalog")] == {"add": "All", "edit": "All", "inquire": "All"}
    assert sources.parse_table((VENDOR_SOURCES / "cloudblue.txt").read_text(encoding="utf-8"), "20.5").rows[
        ("Procurement", "Product Catalog")] == {"add": "All", "inquire": "All"}
    assert rows["wise_sync"][("Finance", "Invoicing")] == {"add": "All", "edit": "All", "delete": "All", "inquire": "All"}
    # A cut cell or row: what comes before it is known, the rest is not.
    assert rows["evo_security"][("System", "Manage Hosted API")] == {"add": "All", "edit": "All", "delete": "All"}
    assert rows["barracuda_intronis"][("Project", "Project Contacts")] == {"add": "None", "edit": "None", "delete": "None"}
    assert rows["barracuda_msp_app"][("Finance", "Invoicing")] == {"add": "All"}
    assert table_page("huntress").cut == ["Service Desk / (cut)", "System / (not reached)"]
    assert ("Finance", "Agreements") not in rows["sophos_central"] and table_page("sophos_central").cut == ["Finance / Agreements"]
    # Rows the page lists with every cell empty (Pia) are left alone; optional rows by the page's Status column.
    assert len(table_page("pia").unlevelled) == 16 and ("Companies", "Configurations") not in rows["pia"]
    assert table_page("sherweb").optional == {("System", "Table Setup"), ("System", "Member Maintenance")}
    # Table Setup entries, to allow and to disallow.
    assert table_page("ninjaone").disallow == ["Contacts / Communication Type", "General / StsClient"]
    assert table_page("ninjaone").tables == []
    assert table_page("cyberfox_autoelevate").tables == ["General / Manage Hosted API", "Service / Service Board"]
    assert table_page("axcient_x360recover").tables == ["Service / Priority", "Service / Service Board"]


@pytest.mark.parametrize("line, message", [
    ("| Companies | Contacts | Full | | | All |", "unreadable cell 'Full'"),
    ("| Companies | Contacts | All (20.5 only) | | | All |", "cell 'All (20.5 only)' names versions: give the version the profile follows"),
], ids=["level", "version"])
def test_the_table_parser_refuses_what_it_cannot_read(line, message):
    text = "| Module | Function | Add | Edit | Delete | Inquire |\n|---|---|---|---|---|---|\n" + line + "\n"
    with pytest.raises(ValueError) as raised:
        sources.parse_table(text)
    assert str(raised.value) == message


def test_a_wrong_or_filled_in_cell_of_a_table_page_is_caught():
    """The comparison parses the page: a level changed, or a None filled into a blank cell, no longer matches."""
    expected = table_page("bvoip_1stream")
    data = resolved("bvoip_1stream")
    assert cells_of(data["permissions"]) == expected.rows
    data["permissions"][0] = dict(data["permissions"][0], delete="None")
    assert cells_of(data["permissions"]) != expected.rows
    data = resolved("dropsuite")
    data["permissions"][0] = dict(data["permissions"][0], add="All")
    assert cells_of(data["permissions"]) != table_page("dropsuite").rows


def test_a_shared_table_is_one_profile_referenced_by_both_vendors():
    """Perimeters' page publishes WatchGuard CloudDR's table: one table in the catalogue, both pages checked against it."""
    own = profile("perimeters")
    assert own["same_as"] == "watchguard_clouddr" and not set(own) & set(TABLE_KEYS)
    assert table_page("perimeters").rows == table_page("watchguard_clouddr").rows
    perimeters, clouddr = resolved("perimeters"), profile("watchguard_clouddr")
    assert {key: perimeters[key] for key in TABLE_KEYS if key in clouddr} == {key: clouddr[key] for key in TABLE_KEYS if key in clouddr}
    assert (perimeters["role"]["name"], perimeters["member"]["identifier"]) == ("Perimeters", "perimeters")
    assert [vendor for vendor in (p.stem for p in PROFILE_FILES) if profile(vendor).get("same_as")] == ["perimeters"]


def test_table_setup_entries_from_another_page_of_the_vendor():
    """Gradient's troubleshooting page (its rows) names no entry; its integration page does."""
    for name, page in TABLE_SETUP_PAGES.items():
        text = (VENDOR_SOURCES / page).read_text(encoding="utf-8")
        entries = [e for line in text.splitlines() if "Table Setup" in line for e in re.findall(r"`([^`]+ / [^`]+)`", line)]
        assert profile(name)["tables"] == entries
        for step in profile(name)["outside"]:
            assert all(address in text for address in step.get("addresses", []))


def md_named(lines):
    """A vendors.md matrix read leniently: (module, function) -> {cell: level, or "named" for ✓}, "?" cells skipped."""
    found = {}
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 6 or cells[0] in ("Module", "---"):
            continue
        found[(cells[0], cells[1])] = {cell: "named" if value == "\u2713" else value
                                       for cell, value in zip(sources.CELLS, cells[2:]) if value not in ("", "?", "N/A")}
    return found


# vendors.md sections of vendors whose profile is built from another page now: what vendors.md records agrees with it.
MD_ALSO = {"Datto RMM": "datto_rmm", "Thread": "thread", "Huntress": "huntress", "Liongard": "liongard",
           "Wise-Sync": "wise_sync", "CyberFox AutoElevate": "cyberfox_autoelevate", "Perimeters": "perimeters",
           "Hatz AI": "hatz_ai", "Sherweb Office Protect": "sherweb"}


@pytest.mark.parametrize("heading", sorted(MD_ALSO))
def test_what_vendors_md_records_agrees_with_the_profile_built_from_the_page(md, heading):
    """Each row vendors.md records that the profile has names the same cells (✓: some level; a level: that level);
    vendors.md's rows a partial profile lacks are past the page's cut."""
    _text, sections, _summary = md
    _heading, lines = sources.md_section(sections, heading)
    data = resolved(MD_ALSO[heading])
    rows = {function_key(m, f): cells for (m, f), cells in cells_of(data["permissions"] + [
        r for r in data["optional_permissions"] if function_key(r["module"], r["function"]) not in
        {function_key(p["module"], p["function"]) for p in data["permissions"]}]).items()}
    for row in data["optional_permissions"]:  # optional cells of a required row count too
        rows[function_key(row["module"], row["function"])].update({c: row[c] for c in sources.CELLS if c in row})
    for (module, function), named in md_named(lines).items():
        found = rows.get(function_key(module, function))
        if found is None:
            assert data["status"] == "partial", "%s / %s is not in the complete %s profile" % (module, function, heading)
            continue
        for cell, level in named.items():
            assert cell in found, "%s / %s: vendors.md names %s" % (module, function, cell)
            assert level == "named" or found[cell] == level, "%s / %s %s" % (module, function, cell)


# --- vendors.md, row by row ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def md():
    text = VENDORS_MD.read_text(encoding="utf-8")
    return text, sources.md_sections(text), sources.md_summary(text)


@pytest.mark.parametrize("name", sorted(MD_PROFILES))
def test_vendors_md_profile_matches_its_matrix(md, name):
    _text, sections, _summary = md
    own, matrix, _extra = MD_PROFILES[name]
    own_heading, own_lines = sources.md_section(sections, own)
    data = profile(name)
    # A PARTIAL matrix gives a partial profile of the rows before its cut (the row the cut falls in is left out).
    assert ("PARTIAL" in own_heading) == (data["status"] == "partial")
    if matrix != own:
        assert any("Same table" in line and matrix in line for line in own_lines), "%s does not share %s's table" % (own, matrix)
    _matrix_heading, matrix_lines = sources.md_section(sections, matrix)
    expected = sources.parse_md_matrix(matrix_lines, partial=data["status"] == "partial")
    rows, optional, temporary = as_source(data)

    # modules: vendors.md writes ConnectWise's names and notes the vendor's own (CrushBank "Time and Expense");
    # functions: exactly as written.
    folded = {(module_key(m), f): v for (m, f), v in rows.items()}
    expected_rows = {(module_key(m), f): v for (m, f), v in expected.rows.items()}
    assert set(folded) == set(expected_rows), "only in the profile: %s; only in vendors.md: %s" % (
        sorted(set(folded) - set(expected_rows)), sorted(set(expected_rows) - set(folded)))
    for key, levels in expected_rows.items():
        assert folded[key] == levels, "%s / %s" % key
    assert {(module_key(m), f) for m, f in optional} == {(module_key(m), f) for m, f in MD_OPTIONAL.get(name, set())}
    assert {(module_key(m), f): v for (m, f), v in temporary.items()} == {
        (module_key(m), f): v for (m, f), v in expected.temporary.items()}
    if name not in TABLE_SETUP_PAGES:
        assert data["tables"] == expected.tables
    assert data.get("optional_tables", []) == expected.optional_tables
    assert ("optional_tables" in data) == bool(expected.optional_tables)
    assert data["levels_assumed"] is expected.assumed

    urls = sources.md_urls(own_lines)
    assert data["source"]["url"] in urls, "%r is not among the section's sources %s" % (data["source"]["url"], urls)


@pytest.mark.parametrize("name", sorted(set(PAGE_PROFILES) | set(MD_PROFILES)))
def test_counts_match_the_summary_table(md, name):
    text, _sections, summary = md
    vendor = PAGE_PROFILES[name][2] if name in PAGE_PROFILES else MD_PROFILES[name][2]
    completeness, functions, customize = summary[vendor]
    data = profile(name)
    assert completeness.startswith("complete" if data["status"] == "complete" else "PARTIAL"), "%s is %s in vendors.md" % (
        vendor, completeness)
    permanent, optional = len(data["permissions"]), len(data["optional_permissions"])

    match = re.match(r"^(\d+)(?: \((\+)?(\d+) optional\))?", functions)
    assert match, functions
    total, extra, n_optional = int(match.group(1)), match.group(2), int(match.group(3) or 0)
    if functions.endswith("(last row cut)"):  # counted, but its levels are not known
        total -= 1
    if extra:  # "24 (+1 optional)": optional rights beyond the count, whose levels vendors.md does not record
        assert permanent + optional == total and optional == 0
    else:
        assert permanent + optional == total
        if match.group(3):  # "20 (2 optional)"
            assert optional == n_optional

    tables, optional_tables = data["tables"], data.get("optional_tables", [])
    match = re.match(r"^yes, (\d+)( \(optional\))?", customize)
    if name in TABLE_SETUP_PAGES:
        assert customize == "mentioned, entries not recorded"  # the entries are on another page of the vendor's
    elif match:
        assert len(optional_tables if match.group(2) else tables) == int(match.group(1))
        assert not (tables if match.group(2) else optional_tables)
    else:
        assert tables == [] and optional_tables == [], "vendors.md names no entries: %s" % customize
    if name in PAGE_PROFILES:
        assert data["source"]["url"] is None or data["source"]["url"] in text


# --- the vendor's steps outside ConnectWise ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAGE_PROFILES))
def test_outside_steps_are_the_pages_own_words(name):
    """Every text, address and link of a profile's outside steps is on its page, and every link on the page (where to
    submit the keys) is in one of its steps; nothing goes into the member's Notes field, which no page asks for."""
    page = (VENDOR_SOURCES / PAGE_PROFILES[name][0]).read_text(encoding="utf-8")
    data = profile(name)
    for step in data["outside"]:
        for text in [step["text"]] + step.get("steps", []) + step.get("addresses", []):
            assert collapsed(text) in collapsed(page), "%s: %r is not on the page" % (name, text)
        if step["kind"] == "ip_allowlist":
            assert "addresses" in step, "say which addresses the page gives, [] for none"
            if not step["addresses"]:
                assert not re.search(r"\b\d{1,3}(\.\d{1,3}){3}\b", page), "the page lists addresses the profile lacks"
    assert sorted(s["url"] for s in data["outside"] if s.get("url")) == sorted(set(re.findall(r"https://[^\s]+", page)))
    assert any(s["kind"] == "ip_allowlist" for s in data["outside"]) == ("add our IP addresses" in page)
    assert data["member"]["notes"] is None


def test_the_pages_steps_outside_connectwise_are_recorded():
    kinds = {name: [s["kind"] for s in profile(name)["outside"]] for name in PAGE_PROFILES}
    assert kinds == {"cw_kanban": ["ip_allowlist", "portal", "troubleshooting"],
                     "lifecycle_manager": ["connect", "troubleshooting"], "mobius": [], "timesanity": [],
                     "topleft": ["ip_allowlist", "board_restriction", "portal", "troubleshooting"]}
    assert profile("topleft")["outside"][2]["url"] == "https://customers.topleft.team/welcome/"
    assert profile("cw_kanban")["outside"][1]["url"] == "https://portal.cwkanban.com/clientarea.php?action=details"


@pytest.mark.parametrize("step, message", [
    ({"kind": "firewall", "text": "x"},
     "p.outside[0].kind: 'firewall' is not one of ip_allowlist, portal, connect, board_restriction, troubleshooting"),
    ({"kind": "portal", "text": "x", "url": "http://portal.example"}, "p.outside[0].url: 'http://portal.example' is not an "
     "https:// address or null"),
    ({"kind": "portal"}, "p.outside[0].text: missing from the profile"),
    ({"kind": "ip_allowlist", "text": "x", "adresses": []},
     "p.outside[0].adresses: unknown key; the closest known key is addresses"),
], ids=["kind", "url", "no-text", "misspelt"])
def test_each_outside_step_is_checked(step, message):
    data = profile("topleft")
    data["outside"] = [step]
    assert profile_problems(data, "p") == [message]


@pytest.mark.parametrize("change, message", [
    (lambda data: data["member"].update(specified=["nmae"]),
     "p.member.specified[0]: 'nmae' is not a member field: identifier, name, email, level, location, department, "
     "time_zone, excluded_boards, notes"),
    (lambda data: data["member"].update(specified="level"), "p.member.specified: 'level' is not a list; give a list (or [] for none)"),
    (lambda data: data["member"].update(specified=["level", "level"]),
     "p.member.specified: level listed more than once; list each member field once"),
    (lambda data: data["role"].update(name_specified="no"), "p.role.name_specified: 'no' is not true or false"),
], ids=["unknown-field", "not-a-list", "twice", "name-specified"])
def test_what_a_page_specifies_of_the_member_is_checked(change, message):
    data = profile("lifecycle_manager")
    change(data)
    assert profile_problems(data, "p") == [message]


# What each of the five pages with a whole table asks of the member: Corporate (level 1) on three; the Member ID and
# the role name are suggestions on all five ("recommended, or follow an existing pattern", "e.g.", none given).
@pytest.mark.parametrize("vendor, fields", [
    ("cw_kanban", ("level",)), ("topleft", ("level",)), ("timesanity", ("level",)), ("mobius", ()),
    ("lifecycle_manager", ()),
])
def test_the_five_full_pages_specify_only_what_they_ask(vendor, fields):
    data = profile(vendor)
    assert specified_fields(data) == fields
    assert role_name_specified(data) is False


def test_a_profile_without_specified_judges_what_it_sets():
    data = profile("mobius")
    del data["member"]["specified"]
    del data["role"]["name_specified"]
    assert specified_fields(data) == ("identifier", "level", "name")
    assert role_name_specified(data) is True
