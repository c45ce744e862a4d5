"""A simulator tenant that differs from the simulator's initial one the way a real tenant might, captured with doctor.yml.

Regenerate the shipped fixture (tests/fixtures/captures/head_office.json) from the repository root with:

    .venv/bin/python -m tests.e2e.capture_tenant
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.conftest import REPO
from tests.e2e.conftest import CLIENT_ID, run_book, tenant_env

COMPANY = "contoso"
FIXTURE = REPO / "tests" / "fixtures" / "captures" / "head_office.json"
# People added besides the initial ones (simulator/tenant.py: Sim Admin, Jo Technician, Fran Books): none may be in a capture.
PEOPLE = {"dscully": ("Dana", "Scully", "dana.scully@contoso.example")}
# TopLeft's role as someone began it by hand: some rows right, some short of the profile, one above it.
TOPLEFT_PARTIAL = [
    {"module": "Companies", "function": "Company Maintenance", "inquire": "All"},
    {"module": "Companies", "function": "Contacts", "inquire": "All"},
    {"module": "Service Desk", "function": "Service Tickets", "add": "All", "edit": "All", "delete": "None",
     "inquire": "All"},
    {"module": "Project", "function": "Project Tickets", "inquire": "My"},
    {"module": "System", "function": "Table Setup", "inquire": "All"},
    {"module": "Finance", "function": "Invoicing", "inquire": "All"},
]


def api(sim, keys, company, method, path, body=None, headers=None):
    """One API call as the member holding ``keys``; the decoded answer."""
    public, private = keys
    token = base64.b64encode(f"{company}+{public}:{private}".encode()).decode()
    request = urllib.request.Request(
        f"{sim.url}/v4_6_release/apis/3.0{path}", method=method, data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Basic " + token, "clientId": CLIENT_ID, "Content-Type": "application/json",
                 **(headers or {})})
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


def customise(sim, company=COMPANY):
    """Create the tenant and make it unlike the initial default; returns the caller's keys (an API member holding Admin,
    as a real tenant's automation account would) and every other key pair of the tenant (its administrator's, a UI key
    and a token of BackupBot)."""
    created = sim.create_tenant(company=company, level1_name="Head Office", customize_item_form="label")
    admin = (created["public_key"], created["private_key"])

    def call(method, path, body=None, headers=None):
        return api(sim, admin, company, method, path, body, headers)

    roles = {r["name"]: r["id"] for r in call("GET", "/system/securityroles")}
    call("POST", "/system/securityroles", {"name": "TopLeft"})
    sim.ui_set_levels("TopLeft", TOPLEFT_PARTIAL, company=company)
    sim.ui_set_customize("TopLeft", "SystemTableSetup", ["Service / Service Board"], company=company)
    for identifier, (first, last, email) in PEOPLE.items():
        call("POST", "/system/members", {"identifier": identifier, "firstName": first, "lastName": last,
                                         "officeEmail": email, "securityRole": {"id": roles["Technician"]}})
    # An unrelated integration, its notes naming a person and an address as real notes do.
    call("POST", "/system/apiMembers", {
        "identifier": "BackupBot", "name": "Backup Bot", "emailAddress": "backup-alerts@contoso.example",
        "securityRole": {"id": roles["Technician"]}, "structureLevel": {"id": 1}, "securityLocation": {"id": 2},
        "defaultLocation": {"id": 2}, "notes": "Ask Dana Scully (dana.scully@contoso.example) or Jo Technician first"})
    call("POST", "/system/apiMembers", {"identifier": "Automation", "name": "Ansible automation",
                                        "securityRole": {"id": roles["Admin"]}})
    caller = sim.ui_create_key("Automation", "ansible", company=company)
    backup = sim.ui_create_key("BackupBot", "backups", company=company)
    token = call("POST", "/system/members/BackupBot/tokens", {}, {"x-cw-usertype": "member"})
    issued = [admin, (backup["publicKey"], backup["privateKey"]), (token["publicKey"], token["privateKey"])]
    return (caller["publicKey"], caller["privateKey"]), issued


def run_doctor(sim, keys, company, output_dir, check=False):
    """doctor.yml -e cw_capture=true against ``company`` as ``keys``, writing under ``output_dir``: (Book, path of the
    capture)."""
    run = run_book(output_dir, "doctor.yml", out=output_dir, env=tenant_env(sim, company, *keys), check=check,
                   extra={"cw_capture": True}, tag="doctor")
    return run, Path(output_dir) / "captures" / "localhost.json"


def main():
    from simulator.testing import SimulatorProcess  # after tests.conftest set the paths up

    with SimulatorProcess() as sim, tempfile.TemporaryDirectory() as folder:
        caller, _issued = customise(sim)
        run, path = run_doctor(sim, caller, COMPANY, folder)
        if run.rc != 0:
            sys.exit(run.output)
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, FIXTURE)
    sys.stdout.write(f"wrote {FIXTURE.relative_to(REPO)}\n")


if __name__ == "__main__":
    main()
