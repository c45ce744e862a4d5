"""No key the operator does not hold, and onboarding that converges when its writes fail.

- A dest that cannot be written fails before any key is issued.
- A tokens request whose answer is lost is recorded beside dest; every later run (cw_api_key, the onboarding playbook)
  and the audit (audit.yml's report, cw_fleet_audit's result) report it until the operator deletes the record.
- Two runs at once for one member issue one key.
- A role or member create applied and then answered 503 (or never answered) is read back, not repeated; one applied
  only after that read back (the create sent again is answered ObjectExists) is recognised as ours; onboarding
  converges under a 503 every 3rd or 5th request and after applied writes.
- A host name with '../' never moves a credentials file out of its folder, and a 0755 credentials folder becomes 0700.
"""

from __future__ import annotations

import json
import os
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import ConnectWiseClient
from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import converge_key

from .conftest import CLIENT_ID, run_book, tenant_env
from .helpers import by_id, parse_report, task, text
from .test_api_key import prepare, token_posts
from .test_faults import CONVERGE, integration_task

REVOKE = "a key may exist that nobody holds: revoke it in System > Members > API Members > TopLeft > API Keys"


def key(name="key", **options):
    """cw_api_key issuing through the tokens endpoint: the custody of keys nobody else made."""
    return task("cw_api_key", _name=name, member="TopLeft", source="token", **options)


def issued_keys(sim, identifier="TopLeft"):
    """The keys the simulator issued to a member, whether anyone received them or not."""
    tenant = sim.state()["tenants"][0]
    member_id = [m["id"] for m in tenant["members"] if m["identifier"] == identifier][0]
    return [k for k in tenant["keys"] if k["memberId"] == member_id]


def only(sim, kind, name):
    tenant = [t for t in sim.state()["tenants"] if t["company"].lower() == sim.company.lower()][0]
    field = "name" if kind == "roles" else "identifier"
    return [r for r in tenant[kind] if r[field].lower() == name.lower()]


def test_a_dest_that_cannot_be_written_fails_before_any_key_is_issued(sim, playbook, tmp_path):
    prepare(playbook)
    folder = tmp_path / "topleft.json"
    folder.mkdir()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file\n")
    sim.clear_requests()
    run = playbook([dict(key("folder", dest=str(folder)), ignore_errors=True),
                    dict(key("under a file", dest=str(blocker / "topleft.json")), ignore_errors=True)])
    assert run.result("folder")["msg"] == ("dest: %s is a folder; give the path of a file in it (e.g. %s): no key was issued"
                                           % (folder, folder / "TopLeft.json"))
    assert run.result("under a file")["msg"] == ("dest: %s cannot be written (%s is not a folder); give a path in a folder "
                                                 "this user can write: no key was issued" % (blocker / "topleft.json", blocker))
    assert token_posts(sim) == [] and issued_keys(sim) == []


def test_a_lost_token_answer_is_recorded_and_reported_until_cleared(sim, playbook, tmp_path):
    prepare(playbook)
    dest = tmp_path / "credentials" / "topleft.json"
    record = tmp_path / "credentials" / "topleft.json.unheld-keys.yml"
    sim.set_faults(drop_after_write_every=1)  # the tokens POST issues a key, and its answer never comes
    run = playbook([key(dest=str(dest))], env={"CW_RETRIES": "0"}, expect_rc=2)
    message = run.result("key")["msg"]
    assert REVOKE in message and "then delete %s" % record in message
    assert len(token_posts(sim)) == 1 and len(issued_keys(sim)) == 1 and not dest.exists()
    entries = yaml.safe_load(record.read_text())
    assert [(e["member"], e["company_id"]) for e in entries] == [("TopLeft", sim.company)]
    assert "the connection to %s was closed before it answered" % sim.url in entries[0]["why"] and entries[0]["time"]
    assert stat.S_IMODE(record.stat().st_mode) == 0o600

    # The next run issues a key and holds it, and reports the one nobody holds; so does a run that changes nothing.
    sim.clear_faults()
    for changed in (True, False):
        run = playbook([key(dest=str(dest))], expect_rc=0)
        result = run.result("key")
        assert result["changed"] is changed and result["validated"] is True
        assert [(k["member"], k["record"]) for k in result["unheld_keys"]] == [("TopLeft", str(record))]
        assert REVOKE in " ".join(run.output.split())
    assert len(issued_keys(sim)) == 2

    # Revoked in the UI, the record deleted: no more reports.
    record.unlink()
    run = playbook([key(dest=str(dest))], expect_rc=0)
    assert run.result("key")["unheld_keys"] == [] and "nobody holds" not in run.output


def test_a_lost_token_answer_is_reported_by_onboarding_and_the_audit(sim, tmp_path):
    sim.set_settings_writable(True)
    env = tenant_env(sim)
    out = tmp_path / "out"
    record = out / "credentials" / "localhost-topleft.json.unheld-keys.yml"
    tokens = {"cw_key_source": "token"}
    assert run_book(tmp_path, "onboard_topleft.yml", env=env, extra=tokens).rc == 0
    # A rotation whose tokens answer is lost: the only write of this run.
    sim.set_faults(drop_after_write_every=1)
    run = run_book(tmp_path, "onboard_topleft.yml", env=dict(env, CW_RETRIES="0"),
                   extra=dict(tokens, cw_vendor_overrides={"topleft": {"key": {"rotate": True}}}))
    sim.clear_faults()
    assert run.rc == 2 and REVOKE in run.result(CONVERGE)["msg"]
    assert [e["member"] for e in yaml.safe_load(record.read_text())] == ["TopLeft"]

    run = run_book(tmp_path, "onboard_topleft.yml", env=env, extra=tokens)
    assert run.rc == 0, run.output[-3000:]
    vendor = run.result(CONVERGE)["integrations"][0]
    assert [k["member"] for k in vendor["unheld_keys"]] == ["TopLeft"]
    assert any(REVOKE in w for w in vendor["warnings"])

    def audited():
        audit = run_book(tmp_path, "audit.yml", env=env, extra=dict(tokens, cw_vendors=["topleft"]), tag="audit")
        assert audit.rc == 0, audit.output[-3000:]
        fleet = audit.result("Audit every tenant of the play")["tenants"]["localhost"]["integrations"][0]
        report = json.loads((out / "reports" / "audit.json").read_text())["tenants"]["localhost"]["topleft"]
        cell = by_id(parse_report((out / "reports" / "audit.html").read_text()))["localhost-topleft"]
        return fleet, report, cell

    fleet, report, cell = audited()
    assert [k["member"] for k in fleet["unheld_keys"]] == ["TopLeft"]
    assert [k["member"] for k in report["unheld_keys"]] == ["TopLeft"] and any(REVOKE in w for w in report["warnings"])
    assert [text(h) for h in cell.iter("h4")] == ["Keys that may exist and nobody holds"]
    [unheld] = [e for e in cell.iter("li") if e.find("code") is not None and text(e).startswith("member TopLeft,")]
    assert [c.text for c in unheld.iter("code")] == ["TopLeft", str(record)]

    record.unlink()
    fleet, report, cell = audited()
    assert fleet["unheld_keys"] == [] and report["unheld_keys"] == [] and list(cell.iter("h4")) == []


def test_two_runs_at_once_for_one_member_issue_one_key(sim, playbook, tmp_path):
    prepare(playbook)
    dest = tmp_path / "credentials" / "topleft.json"
    # Each request takes 0.3 s, so both runs are between reading dest and writing it at once unless one waits.
    sim.set_faults(latency_ms=300)
    sim.clear_requests()

    def run():
        client = ConnectWiseClient(sim.url, sim.company, sim.public_key, sim.private_key, CLIENT_ID, retries=0)
        return converge_key(client, "TopLeft", source="token", dest=str(dest))

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = [future.result() for future in [pool.submit(run) for _run in range(2)]]
    assert len(token_posts(sim)) == 1 and len(issued_keys(sim)) == 1
    assert sorted(o.changed for o in outcomes) == [False, True]
    assert {o.public_key for o in outcomes} == {json.loads(dest.read_text())["public_key"]}


@pytest.mark.parametrize("fault", ["fail_after_write_every", "drop_after_write_every"])
def test_a_create_applied_then_lost_is_read_back_not_repeated(sim, playbook, fault):
    sim.set_faults(**{fault: 1})  # every create is made, then answered 503 (or not at all)
    run = playbook([task("cw_security_role", _name="role", name="TopLeft"),
                    task("cw_api_member", _name="member", identifier="TopLeft", role="TopLeft")], expect_rc=0)
    assert run.result("role")["changed"] is True and run.result("member")["changed"] is True
    assert run.result("member")["member"]["role"] == "TopLeft"
    assert len(only(sim, "roles", "TopLeft")) == 1 and len(only(sim, "members", "TopLeft")) == 1
    assert [r["method"] for r in sim.writes()] == ["POST", "POST"]
    assert "yet it exists on reading back" in " ".join(run.output.split())


def test_our_own_create_made_after_its_read_back_is_recovered_not_taken_for_someone_elses(sim, playbook):
    """The create's connection closes unanswered and the tenant makes it only after the read back that followed: the
    create sent again is answered ObjectExists, and the record holding what ours sent is ours, reported as created."""
    # Every 2nd write: the role's create and the member's create, each made 250 ms later; the first role is a decoy.
    sim.set_faults(late_write_every=2, late_write_ms=250)
    run = playbook([task("cw_security_role", _name="spare", name="Spare"),
                    task("cw_security_role", _name="role", name="TopLeft"),
                    task("cw_api_member", _name="member", identifier="TopLeft", role="TopLeft")], expect_rc=0)
    sim.clear_faults()
    assert [(r["status"], (r["body"] or {}).get("name")) for r in sim.writes()] == [
        (201, "Spare"), (None, "TopLeft"), (400, "TopLeft"), (None, "TopLeft"), (400, "TopLeft")]
    assert run.result("role")["changed"] is True and run.result("member")["changed"] is True
    assert run.result("member")["member"]["role"] == "TopLeft"
    assert len(only(sim, "roles", "TopLeft")) == 1 and len(only(sim, "members", "TopLeft")) == 1
    shown = " ".join(run.output.split())
    assert "role TopLeft: the create got no answer, yet it exists on reading back; it is used" in shown
    assert "member TopLeft: the create got no answer, yet it exists on reading back; it is converged" in shown
    assert "someone else" not in shown


@pytest.mark.parametrize("faults", [{"fail_every": 3}, {"fail_every": 5}, {"fail_after_write_every": 2}],
                         ids=["503-every-3rd", "503-every-5th", "503-after-every-2nd-write"])
def test_onboarding_converges_under_faults_on_its_writes(sim, playbook, tmp_path, faults):
    """The cw_integration module as onboard_topleft.yml runs it, the faults on throughout: each failed or unanswered
    create is read back and sent again only if absent, so the first run completes (well within the three runs asked
    for), and a re-run under the same faults has nothing left to write."""
    sim.set_settings_writable(True)
    held = tmp_path / "credentials" / "topleft.json"
    sim.set_faults(**faults)
    run = playbook([integration_task(held)], diff=False)
    assert run.rc == 0, run.result("integration").get("msg")
    assert run.result("integration")["integrations"][0]["compliance"]["key"] == "expiring"  # a token: it works 24 h
    assert len(only(sim, "roles", "TopLeft")) == 1 and len(only(sim, "members", "TopLeft")) == 1
    assert json.loads(held.read_text())["public_key"] in {k["publicKey"] for k in issued_keys(sim)}
    sim.clear_requests()
    run = playbook([integration_task(held)], diff=False)
    assert run.rc == 0 and run.result("integration")["changed"] is False and sim.writes() == [], run.output[-3000:]


def test_the_credentials_folder_is_private_and_a_host_name_cannot_leave_it(sim, tmp_path):
    sim.set_settings_writable(True)
    env = tenant_env(sim)
    credentials = tmp_path / "out" / "credentials"
    credentials.mkdir(parents=True)
    os.chmod(credentials, 0o755)
    run = run_book(tmp_path, "onboard_topleft.yml", env=env, inventory={"cw_tenants": {"hosts": {"../escape": {}}}})
    assert run.rc == 2
    assert ("inventory host \"../escape\" contains a '/'" in run.output
            and "Rename the host in the inventory" in run.output), run.output[-3000:]
    assert sim.writes() == [] and list(tmp_path.rglob("*escape*")) == []

    run = run_book(tmp_path, "onboard_topleft.yml", env=env, extra={"cw_key_source": "token"})
    assert run.rc == 0, run.output[-3000:]
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o700
    assert stat.S_IMODE((credentials / "localhost-topleft.json").stat().st_mode) == 0o600
