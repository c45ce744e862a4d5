"""Record a real tenant, replay it here: doctor.yml -e cw_capture=true writes a scrubbed capture of every read the
collection makes, and `python -m simulator --capture FILE` serves that tenant back for the playbooks."""

from __future__ import annotations

import json
import re
import stat
import urllib.error

import pytest

from simulator.testing import SimulatorProcess

from .capture_tenant import CLIENT_ID, COMPANY, FIXTURE, PEOPLE, api, customise, run_doctor
from .conftest import run_book, tenant_env
from .helpers import apply_pending, writes

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# The people every simulator tenant starts with (simulator/tenant.py) and the one customise() adds: identifiers and names.
INITIAL_PEOPLE = {"simadmin": ("Sim", "Admin"), "jtech": ("Jo", "Technician"), "fbooks": ("Fran", "Books")}
PEOPLE_IDENTIFIERS = list(INITIAL_PEOPLE) + list(PEOPLE)
FULL_NAMES = ["%s %s" % names for names in INITIAL_PEOPLE.values()] + ["%s %s" % person[:2] for person in PEOPLE.values()]


def run_book_as(name, sim, keys, company, out, check=False, extra=None):
    """playbooks/<name> against ``company`` as ``keys``, writing under ``out``: (Book, result of the module that returned
    integrations)."""
    run = run_book(out, name, out=out, env=tenant_env(sim, company, *keys), check=check, extra=extra,
                   tag="%s-%s" % (name, "check" if check else "run"))
    plans = [r["result"] for r in run.records if "integrations" in r["result"]]
    return run, (plans[-1] if plans else None)


def plan_of(result):
    """What a run plans for each vendor: the parts that are the same wherever the tenant is served."""
    keep = ("vendor", "role", "member", "changed", "differences", "pending", "manual_steps", "warnings", "compliance")
    return {"integrations": [{k: i.get(k) for k in keep} for i in result["integrations"]],
            "pending": result["pending"], "manual_steps": result["manual_steps"]}


def test_doctor_writes_a_scrubbed_capture_0600_in_check_mode(sim, tmp_path):
    caller, others = customise(sim)
    state = next(t for t in sim.state()["tenants"] if t["company"] == COMPANY)
    ids = {m["identifier"]: m["id"] for m in state["members"]}
    sim.clear_requests()
    process, path = run_doctor(sim, caller, COMPANY, tmp_path, check=True)
    assert process.rc == 0, process.stdout[-3000:]
    assert "Capture written to %s (" % path in process.stdout
    assert writes(sim) == []  # check mode, and a capture only reads
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    document = json.loads(path.read_text())
    assert document["format"] == "msp.connectwise.capture" and document["company_id"] == COMPANY
    assert document["errors"] == {}
    answers = document["answers"]
    roles = {r["name"]: r["id"] for r in answers["/system/securityRoles"]}
    assert set(roles) == {"Admin", "Technician", "Finance", "TopLeft"}
    assert set(answers) == {
        "/login/companyinfo/" + COMPANY, "/system/info", "/system/securityRoles", "/system/apiMembers",
        "/system/apiMembers/default", "/system/members", "/system/myCompany/corporateStructure",
        "/system/myCompany/corporateStructureLevels", "/system/locations", "/system/departments", "/system/timeZoneSetups",
        "/service/boards", "/system/setupScreens", "/system/mySecurity", "/system/mySecurity/customizeItems",
    } | {"/system/securityRoles/%d/settings" % i for i in roles.values()}
    # Raw answers: the shapes as the tenant gave them.
    [structure] = answers["/system/myCompany/corporateStructure"]  # a list of one record, as published
    assert structure["level1Name"] == "Head Office"
    assert "Service / Service Board" in [i["itemIdentifier"] for i in answers["/system/mySecurity/customizeItems"]]
    topleft = answers["/system/securityRoles/%d/settings" % roles["TopLeft"]]
    assert {r["inquireLevel"] for r in topleft} == {"None", "My", "All"}
    # Full members: who holds which role, under a pseudonym; API members keep their identifiers.
    members = {m["id"]: m for m in answers["/system/members"]}
    assert all(set(m) <= {"id", "identifier", "licenseClass", "securityRole", "inactiveFlag"} for m in members.values())
    assert members[ids["dscully"]]["identifier"] == "member-%d" % ids["dscully"]
    assert members[ids["Automation"]]["identifier"] == "Automation"
    # Consistent pseudonyms: the notes still name the same people as the member list and the role stamps.
    backup = next(m for m in answers["/system/apiMembers"] if m["identifier"] == "BackupBot")
    assert backup["notes"] == "Ask member-%d (person%d@example.invalid) or member-%d first" % (
        ids["dscully"], ids["dscully"], ids["jtech"])
    assert backup["emailAddress"] == "person%d@example.invalid" % ids["BackupBot"]
    assert answers["/system/securityRoles"][0]["_info"]["updatedBy"] == "member-%d" % ids["simadmin"]

    text = path.read_text()
    for public, private in [caller] + others:
        assert public not in text and private not in text
    assert CLIENT_ID not in text and "Basic " not in text
    assert {address.split("@")[1] for address in EMAIL.findall(text)} == {"example.invalid"}
    for name in FULL_NAMES + [person[1] for person in PEOPLE.values()]:
        assert name.lower() not in text.lower()
    for identifier in PEOPLE_IDENTIFIERS:
        assert not re.search(r"\b%s\b" % identifier, text, re.IGNORECASE), identifier


def test_the_shipped_capture_replays_onboarding_then_the_audit(tmp_path):
    with SimulatorProcess(capture=FIXTURE) as replay:
        keys = (replay.public_key, replay.private_key)
        topleft = next(r["id"] for r in json.loads(FIXTURE.read_text())["answers"]["/system/securityRoles"]
                       if r["name"] == "TopLeft")
        tokens = {"cw_key_source": "token"}  # the member's key issued through the API, a POST replayed too
        check, result = run_book_as("onboard_topleft.yml", replay, keys, replay.company, tmp_path, check=True, extra=tokens)
        assert check.rc == 0, check.stdout[-3000:]
        assert writes(replay) == []
        [plan] = result["integrations"]
        # The captured tenant's own role is adopted; its hand-made rows are compared with the profile's.
        assert plan["role"] == {"id": topleft, "name": "TopLeft", "adminFlag": False}
        assert plan["compliance"]["status"] == "missing_member"
        assert plan["compliance"]["excess_grants"] == ["Finance / Invoicing: inquire All"]
        cells = {(d["module"], d["function"]): d["cells"] for d in plan["differences"] if d["kind"] == "permission"}
        assert cells[("Project", "Project Tickets")] == {"edit": {"from": "None", "to": "All"},
                                                         "inquire": {"from": "My", "to": "All"}}
        assert cells[("Service Desk", "Service Tickets")] == {"delete": {"from": "None", "to": "All"}}
        assert cells[("System", "Table Setup")] == {"add": {"from": "None", "to": "All"}}
        assert ("Companies", "Company Maintenance") not in cells and ("Companies", "Contacts") not in cells
        assert len(cells) == 24  # the profile's 26 rows, two already right
        # The member goes to the tenant's level 1, whatever it is called.
        level = {"kind": "member", "member": "TopLeft", "field": "level", "from": None, "to": "Head Office"}
        assert level in plan["differences"]
        assert {"kind": "api_key", "member": "TopLeft", "action": "create", "status": "not_held", "expiration": None} \
            in plan["differences"]

        run, applied = run_book_as("onboard_topleft.yml", replay, keys, replay.company, tmp_path, extra=tokens)
        # The captured tenant refuses API writes to role levels (as tenants do): they are left to a person.
        assert run.rc == 2 and "manual step(s) remain" in run.stdout, run.stdout[-3000:]
        [done] = applied["integrations"]
        assert done["pending"] == plan["pending"] and len(done["pending"]) == 24
        tenant = next(t for t in replay.state()["tenants"] if t["company"] == replay.company)
        member = next(m for m in tenant["members"] if m["identifier"] == "TopLeft")
        level1 = next(level["id"] for level in tenant["lookups"]["structureLevels"] if level["name"] == "Head Office")
        assert (member["securityRole"], member["structureLevel"], member["licenseClass"]) == (topleft, level1, "A")
        assert (tmp_path / "credentials" / "localhost-topleft.json").exists()
        posts = [(w["resource"].rsplit("/", 1)[-1], w["status"]) for w in writes(replay) if w["method"] == "POST"]
        assert posts == [("apiMembers", 201), ("tokens", 201)]

        apply_pending(replay, "TopLeft", done["pending"])  # the administrator works through the checklist
        replay.clear_requests()
        audit, _records = run_book_as("audit.yml", replay, keys, replay.company, tmp_path, extra=dict(tokens, cw_vendors=["topleft"]))
        assert audit.rc == 0, audit.stdout[-3000:]
        assert writes(replay) == []
        report = json.loads((tmp_path / "reports" / "audit.json").read_text())
        cell = report["tenants"]["localhost"]["topleft"]
        # A token works for 24 hours: it works, and the audit says it expires soon.
        # Its hand-made extra grant is listed and leaves the verdict compliant.
        assert cell["status"] == "compliant" and cell["compliance"]["key"] == "expiring", cell
        assert cell["compliance"]["excess_grants"] == ["Finance / Invoicing: inquire All"]


def test_a_capture_replays_with_the_same_onboarding_plan_as_the_tenant_it_was_captured_from(sim, tmp_path):
    caller, _others = customise(sim)
    process, path = run_doctor(sim, caller, COMPANY, tmp_path)
    assert process.rc == 0, process.stdout[-3000:]
    live_run, live = run_book_as("onboard_topleft.yml", sim, caller, COMPANY, tmp_path / "live", check=True)
    assert live_run.rc == 0, live_run.stdout[-3000:]
    with SimulatorProcess(capture=path) as replay:
        keys = (replay.public_key, replay.private_key)
        replay_run, replayed = run_book_as("onboard_topleft.yml", replay, keys, replay.company, tmp_path / "replay", check=True)
        assert replay_run.rc == 0, replay_run.stdout[-3000:]
        assert writes(replay) == []
    assert plan_of(replayed) == plan_of(live)
    assert live["pending"] and live["integrations"][0]["differences"]  # a plan with something in it


@pytest.mark.parametrize("shape", ["object", "list"])
def test_a_replayed_tenant_answers_in_the_captured_shape(tmp_path, shape):
    document = json.loads(FIXTURE.read_text())
    answers = document["answers"]
    structure = answers["/system/myCompany/corporateStructure"]
    answers["/system/myCompany/corporateStructure"] = structure[0] if shape == "object" else structure
    items = answers["/system/mySecurity/customizeItems"]
    answers["/system/mySecurity/customizeItems"] = [dict(item, itemIdentifier=1000 + n) for n, item in enumerate(items)]
    path = tmp_path / "capture.json"
    path.write_text(json.dumps(document))
    with SimulatorProcess(capture=path) as replay:
        process, _records = run_book_as("doctor.yml", replay, (replay.public_key, replay.private_key), replay.company,
                                        tmp_path, extra={"cw_capture": True})
        assert process.rc == 0, process.stdout[-3000:]
    again = json.loads((tmp_path / "captures" / "localhost.json").read_text())["answers"]
    assert again["/system/myCompany/corporateStructure"] == answers["/system/myCompany/corporateStructure"]
    assert [i["itemIdentifier"] for i in again["/system/mySecurity/customizeItems"]] == list(range(1000, 1000 + len(items)))
    assert "Level 1 of the corporate structure: Head Office" in process.stdout


def test_a_replayed_tenant_has_the_captured_functions_rights_and_keeps_writes_in_its_state(tmp_path):
    document = json.loads(FIXTURE.read_text())
    answers = document["answers"]
    roles = {r["name"]: r["id"] for r in answers["/system/securityRoles"]}
    # A release the simulator's catalogue does not know: one function renamed, one it lacks, opaque identifiers.
    for path in [p for p in answers if p.endswith("/settings")] + ["/system/mySecurity"]:
        for row in answers[path]:
            if row["moduleFunctionName"] == "Time Entry":
                row["moduleFunctionName"] = "Time Entries"
            row["moduleFunctionIdentifier"] = "fn-%s" % row["moduleFunctionIdentifier"]
        extra = dict(answers[path][0], id=90000 + len(answers[path]), moduleFunctionName="Billing Reconciliation",
                     moduleFunctionIdentifier="fn-billrec", inquireLevel="All")
        answers[path].append(extra)
    path, state = tmp_path / "capture.json", tmp_path / "state.json"
    path.write_text(json.dumps(document))

    with SimulatorProcess("--state", state, capture=path) as replay:
        keys = (replay.public_key, replay.private_key)
        created = api(replay, keys, replay.company, "POST", "/system/securityRoles", {"name": "Fresh"})
        rows = api(replay, keys, replay.company, "GET", "/system/securityRoles/%d/settings?pageSize=1000" % created["id"])
        names = {(r["moduleName"], r["moduleFunctionName"]) for r in rows}
        assert len(rows) == len(answers["/system/securityRoles/%d/settings" % roles["Admin"]])
        assert ("Companies", "Billing Reconciliation") in names and ("Time & Expense", "Time Entries") in names
        assert ("Time & Expense", "Time Entry") not in names
        assert {r["inquireLevel"] for r in rows} == {"None"}
        replay.ui_set_levels("Fresh", [{"module": "Time & Expense", "function": "Time Entries", "inquire": "All"}])
    # Restarted on its state: the writes are kept, and the keys still act as the captured caller.
    with SimulatorProcess("--state", state, capture=path) as replay:
        keys = (replay.public_key, replay.private_key)
        rows = api(replay, keys, replay.company, "GET", "/system/securityRoles/%d/settings?pageSize=1000" % created["id"])
        assert [r["inquireLevel"] for r in rows if r["moduleFunctionName"] == "Time Entries"] == ["All"]
        assert replay.requests()[-1]["member"] == "Automation"

    # The keys act with the captured caller's rights: here a Technician's, who may not read roles.
    answers["/system/mySecurity"] = answers["/system/securityRoles/%d/settings" % roles["Technician"]]
    path.write_text(json.dumps(document))
    with SimulatorProcess(capture=path) as replay:
        keys = (replay.public_key, replay.private_key)
        with pytest.raises(urllib.error.HTTPError) as refused:
            api(replay, keys, replay.company, "GET", "/system/securityRoles")
        assert refused.value.code == 403
        assert api(replay, keys, replay.company, "GET", "/system/mySecurity?pageSize=1000") == answers["/system/mySecurity"]
        assert replay.requests()[-1]["member"] == "BackupBot"
