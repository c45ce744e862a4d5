"""The vendor profiles (roles/integration/files/profiles): their schema, and their rows against the sources.

Every profile is checked row by row against where it came from: the five vendor pages in tests/fixtures/vendor_sources
(parsed from the pages' own text) or the vendor's matrix in vendors.md; and its counts against vendors.md's summary table.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.resources.names import (
    FunctionIndex, TableIndex, function_key, module_key, table_key)
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import check_member_input
from ansible_collections.msp.connectwise.plugins.module_utils.engine.profile import (
    SCHEMA, TABLE_KEYS, problems as profile_problems, resolve_shared)
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
    "sherweb": ("Sherweb Office Protect", "Sherweb Office Protect", "Sherweb Office Protect"),
    "password_boss": ("Password Boss", "Password Boss", "Password Boss"),
    "lastpass": ("LastPass", "LastPass", "LastPass"),
    "mspcfo": ("MSPCFO", "MSPCFO", "MSPCFO"),
    "presh_marketing": ("Presh Marketing", "Presh Marketing", "Presh Marketing"),
    "nable_passportal": ("N-able Passportal", "N-able Passportal", "N-able Passportal"),
}

# Rows the vendor calls optional whose levels vendors.md records (its prose says which; the tables cannot).
MD_OPTIONAL = {
    "nable_ncentral": {("Finance", "Agreements"), ("Finance", "Billing View Time")},
    "commvault": {("Service Desk", "Service Tickets")},
}

# PARTIAL matrices, or levels not recorded: vendors.md's rule is that these get no profile.
NO_PROFILE = {"cloudradial_csa", "cloudradial", "thread", "datto_rmm", "huntress", "liongard", "brightgauge",
              "wise_sync", "quoter", "cyberfox", "cyberfox_autoelevate", "perimeters", "hatz_ai", "hatz"}


def load(path):
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def profile(name):
    return load(PROFILES / (name + ".yml"))


def resolved(name):
    """The profile as the integration role takes it: a shared table (same_as) filled in."""
    return resolve_shared(profile(name), profile)


def role_rows(data):
    return list(data["permissions"]) + list(data["optional_permissions"])


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
    assert len(PROFILE_FILES) >= 20


def test_every_profile_is_checked_against_a_source():
    stems = {p.stem for p in PROFILE_FILES}
    assert stems <= set(PAGE_PROFILES) | set(MD_PROFILES), "profiles with no source check: %s" % (
        stems - set(PAGE_PROFILES) - set(MD_PROFILES))
    assert set(PAGE_PROFILES) <= stems


def test_no_profile_for_partial_or_unrecorded_vendors():
    assert not {p.stem for p in PROFILE_FILES} & NO_PROFILE


# --- schema -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.stem)
def test_schema(path):
    """Every shipped profile against the schema the modules check at run time (plugins/module_utils/engine/profile.py)."""
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    data = yaml.safe_load(text)
    assert profile_problems(data) == []
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
    (lambda data: data.update(member="TopLeft"), "p.member: expected a mapping with identifier, name, level, notes"),
    (lambda data: data.update(levels_assumed="no"), "p.levels_assumed: 'no' is not true or false"),
    (lambda data: data["source"].update(retrieved=datetime.date(2026, 1, 31)),
     "p.source.retrieved: datetime.date(2026, 1, 31) is not a quoted date such as \"2026-01-31\""),
    (lambda data: data.update(vendor="Top Left"),
     "p.vendor: 'Top Left' is not a vendor name of lower-case letters, digits and '_' (the file name)"),
    # A profile cites the vendor's page, never a test fixture.
    (lambda data: data["source"].update(seed="lifecycle_manager.txt"),
     "p.source.seed: unknown key; known keys: document, url, version, retrieved"),
], ids=["level", "level-case", "temporary-cell", "cell", "row-without-level", "row-without-module", "tables-string",
        "table-without-category", "no-identifier", "member-string", "bool", "unquoted-date", "vendor", "fixture-file"])
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
    data = load(path)
    keys = [function_key(r["module"], r["function"]) for r in role_rows(data)]
    assert len(keys) == len(set(keys)), "a function is listed twice (after folding)"
    temporary = [function_key(r["module"], r["function"]) for r in data["temporary_permissions"]]
    assert len(temporary) == len(set(temporary))
    tables = [table_key(t) for t in data["tables"] + data.get("optional_tables", [])]
    assert len(tables) == len(set(tables)), "a table is listed twice (after folding)"


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.stem)
def test_temporary_cells_are_not_also_permanent(path):
    data = load(path)
    permanent = {function_key(r["module"], r["function"]): r for r in role_rows(data)}
    for row in data["temporary_permissions"]:
        other = permanent.get(function_key(row["module"], row["function"]), {})
        overlap = [cell for cell in sources.CELLS if cell in row and cell in other]
        assert not overlap, "%s / %s: %s both temporary and permanent" % (row["module"], row["function"], overlap)


@pytest.mark.parametrize("path", PROFILE_FILES, ids=lambda p: p.stem)
def test_every_name_resolves_on_the_catalogue(path):
    data = load(path)
    functions, tables = FunctionIndex(TENANT_ROWS), TableIndex(TENANT_TABLES)
    for row in role_rows(data) + list(data["temporary_permissions"]):
        functions.resolve(row["module"], row["function"])
    for entry in data["tables"] + data.get("optional_tables", []):
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
    assert "PARTIAL" not in own_heading
    if matrix != own:
        assert any("Same table" in line and matrix in line for line in own_lines), "%s does not share %s's table" % (own, matrix)
    _matrix_heading, matrix_lines = sources.md_section(sections, matrix)
    expected = sources.parse_md_matrix(matrix_lines)
    data = profile(name)
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
    assert completeness.startswith("complete"), "%s is %s in vendors.md" % (vendor, completeness)
    data = profile(name)
    permanent, optional = len(data["permissions"]), len(data["optional_permissions"])

    match = re.match(r"^(\d+)(?: \((\+)?(\d+) optional\))?", functions)
    assert match, functions
    total, extra, n_optional = int(match.group(1)), match.group(2), int(match.group(3) or 0)
    if extra:  # "24 (+1 optional)": optional rights beyond the count, whose levels vendors.md does not record
        assert permanent + optional == total and optional == 0
    else:
        assert permanent + optional == total
        if match.group(3):  # "20 (2 optional)"
            assert optional == n_optional

    tables, optional_tables = data["tables"], data.get("optional_tables", [])
    match = re.match(r"^yes, (\d+)( \(optional\))?", customize)
    if match:
        assert len(optional_tables if match.group(2) else tables) == int(match.group(1))
        assert not (tables if match.group(2) else optional_tables)
    else:
        assert tables == [] and optional_tables == [], "vendors.md names no entries: %s" % customize
    if name in PAGE_PROFILES:
        assert data["source"]["url"] is None or data["source"]["url"] in text


# --- the vendor's steps outside ConnectWise ------------------------------------------------------------------

def collapsed(text):
    return " ".join(text.split())


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
