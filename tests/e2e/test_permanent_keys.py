"""The permanent key every vendor asks for ("ConnectWise will never show the private key again").

- Onboarding asks for it on the member's API Keys tab, with the one command that hands it back, and issues no token;
  so does cw_api_key by default.
- key_import takes the pair made in the UI (asked for without echo, or from a vault-encrypted file), refuses one that
  does not work, keeps a working one where onboarding reads it; the next onboarding run keeps it and passes.
- Every audit says how the key stands: held (with its expiry), expiring within 14 days (a warning), expired or refused
  (drift, never compliant), not held (the rest still judged, the key said to be unverified).
"""

from __future__ import annotations

import datetime
import json
import os
import pty
import select
import stat
import time
import warnings

import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import ConnectWiseClient
from ansible_collections.msp.connectwise.plugins.module_utils.engine.integration import converge_integration, prevalidate
from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import HANDBACK, converge_key

from .conftest import CLIENT_ID, ansible_environment, playbook_command, run_book, tenant_env
from .helpers import evidence, parse_report, text
from .test_faults import CONVERGE
from .test_integration import profile
from .test_secrets import vaulted_key_file

COMMAND = "ansible-playbook msp.connectwise.key_import -e cw_vendor=topleft"
REFUSED = "is refused by the tenant (deleted or inactive on the member's API Keys tab, or the member is inactive)"


def token_posts(sim):
    return [w for w in sim.writes() if w["path"].lower().endswith("/tokens")]


def held_file(tmp_path):
    """Where onboarding keeps TopLeft's pair for the tenant of the CW_* variables (host localhost)."""
    return tmp_path / "out" / "credentials" / "localhost-topleft.json"


def client(sim):
    return ConnectWiseClient(sim.url, sim.company, sim.public_key, sim.private_key, CLIENT_ID, retries=0)


def onboard_in_process(sim, tmp_path, **key):
    """TopLeft onboarded as the playbook would leave it (the same engine, without a playbook run), the key as given."""
    item = {"profile": profile("topleft"), "key": dict(key, dest=str(held_file(tmp_path)))}
    connection = client(sim)
    [want] = prevalidate(connection, [item], False)
    return converge_integration(connection, want, settings_writable=True)


def audit(sim, tmp_path, **extra):
    """audit.yml for TopLeft: the report's cell for it, and the API key row of its evidence in the HTML report."""
    run = run_book(tmp_path, "audit.yml", env=tenant_env(sim), extra=dict(extra, cw_vendors=["topleft"]), tag="audit")
    assert run.rc == 0, run.output[-3000:]
    reports = tmp_path / "out" / "reports"
    html = parse_report((reports / "audit.html").read_text())
    return json.loads((reports / "audit.json").read_text())["tenants"]["localhost"]["topleft"], \
        evidence(html, "localhost-topleft")["API key"]


def shown(stamp):
    """A UTC time as the HTML report writes it."""
    return stamp.replace("T", " ").replace("Z", " UTC")


def key_import(sim, tmp_path, pair, tag, encrypt=True, vendor="topleft", **extra):
    """key_import.yml given the pair in a key file (vault-encrypted as an operator would, unless encrypt=False)."""
    if encrypt:
        key_file, _password = vaulted_key_file(tmp_path, pair)
    else:
        key_file = tmp_path / "plain-keys.yml"
        key_file.write_text(yaml.safe_dump({"member_public_key": pair["publicKey"], "member_private_key": pair["privateKey"]}))
    env = dict(tenant_env(sim), ANSIBLE_VAULT_PASSWORD_FILE=str(tmp_path / "vault-password"))
    return run_book(tmp_path, "key_import.yml", env=env, extra=dict(extra, cw_vendor=vendor, cw_key_file=str(key_file)),
                    tag=tag, verbosity=4)


def test_onboarding_asks_for_the_permanent_key_and_key_import_hands_it_over(sim, tmp_path):
    sim.set_settings_writable(True)
    env = tenant_env(sim)
    run = run_book(tmp_path, "onboard_topleft.yml", env=env)
    assert run.rc == 2 and "manual step(s) remain" in run.output, run.output[-3000:]
    # The run fails in one line, saying what remains, where it is written down and how to go on; the steps themselves
    # are in the result and the checklist, not in the fatal message.
    checklist = tmp_path / "out" / "checklists" / "localhost-topleft.md"
    [fatal] = [line for line in run.stdout.splitlines() if line.startswith("fatal: [localhost]: FAILED! => ")]
    assert json.loads(fatal.split(" => ", 1)[1]) == {"changed": False, "msg": (
        "1 manual step(s) remain on localhost (TopLeft: 1): the ConnectWise API cannot make them. Work through the "
        "checklist %s, then run again to verify; or set allow_pending: true (the roles: cw_fail_on_pending: false) to "
        "collect them without failing" % checklist)}
    assert run.status("Stop while manual steps remain") == "failed" and run.status(CONVERGE) == "ok"
    assert run.result(CONVERGE)["steps_remain"] is True and run.result(CONVERGE)["stats"]["cw_pending"] == {
        "localhost": {"topleft": 1}}
    assert token_posts(sim) == [] and not held_file(tmp_path).exists()
    [vendor] = run.result(CONVERGE)["integrations"]
    assert vendor["manual_steps"] == [
        "System > Members > API Members > TopLeft > API Keys: click +, enter the description 'TopLeft', click Save (not "
        "Save & Close), copy the public and private key (ConnectWise never shows the private key again), and run: "
        + COMMAND + " (it asks for both keys, checks them as the member and keeps them for the next run)"]
    assert [(p["kind"], p["member"], p["action"], p["status"]) for p in vendor["pending"]] == [
        ("api_key", "TopLeft", "create", "not_held")]
    assert COMMAND in (tmp_path / "out" / "checklists" / "localhost-topleft.md").read_text()

    pair = sim.ui_create_key("TopLeft", "TopLeft")
    # A pair the tenant refuses, and a key file nobody encrypted, are refused; nothing is kept.
    wrong = key_import(sim, tmp_path, dict(pair, privateKey="not-the-private-key"), tag="wrong")
    assert wrong.rc == 2 and "the given pair does not authenticate on this tenant" in wrong.output, wrong.output[-3000:]
    plain = key_import(sim, tmp_path, pair, tag="plain", encrypt=False)
    assert plain.rc == 2 and "is not encrypted: a private key is never kept in plain text" in plain.output
    assert not held_file(tmp_path).exists()

    imported = key_import(sim, tmp_path, pair, tag="import")
    assert imported.rc == 0, imported.output[-3000:]
    assert pair["privateKey"] not in imported.output + imported.record.read_text()
    held = json.loads(held_file(tmp_path).read_text())
    assert (held["public_key"], held["private_key"], held["source"], held["expiration"]) == (
        pair["publicKey"], pair["privateKey"], "ui", None)
    assert stat.S_IMODE(held_file(tmp_path).stat().st_mode) == 0o600

    sim.clear_requests()
    run = run_book(tmp_path, "onboard_topleft.yml", env=env, tag="again")
    assert run.rc == 0, run.output[-3000:]
    [vendor] = run.result(CONVERGE)["integrations"]
    assert vendor["manual_steps"] == [] and vendor["compliance"]["status"] == "compliant"
    assert (vendor["compliance"]["key"], vendor["compliance"]["key_expiration"]) == ("held", None)
    assert sim.writes() == [] and json.loads(held_file(tmp_path).read_text()) == held


def test_key_import_for_a_profile_without_a_key_section(sim, tmp_path):
    """A vendor of cw_integration_profiles whose profile has no key section and names no title: the pair is kept for
    the member the profile names, described as onboarding describes the key (the vendor's name)."""
    own = {"vendor": "own_sync", "role": {"name": "Own Sync"}, "member": {"identifier": "OwnSync"},
           "permissions": [{"module": "Companies", "function": "Contacts", "inquire": "All"}]}
    sim.set_settings_writable(True)
    dest = tmp_path / "out" / "credentials" / "localhost-own_sync.json"
    connection = client(sim)
    [want] = prevalidate(connection, [{"profile": own, "key": {"dest": str(dest)}}], False)
    [step] = converge_integration(connection, want, settings_writable=True).manual_steps
    assert step.startswith("System > Members > API Members > OwnSync > API Keys: click +, enter the description 'own_sync', ")
    pair = sim.ui_create_key("OwnSync", "own_sync")
    run = key_import(sim, tmp_path, pair, tag="own", vendor="own_sync", cw_integration_profiles={"own_sync": own})
    assert run.rc == 0, run.output[-3000:]
    held = json.loads(dest.read_text())
    assert (held["member"], held["description"], held["public_key"], held["source"]) == (
        "OwnSync", "own_sync", pair["publicKey"], "ui")
    assert "The pair of API member OwnSync works and is kept in %s" % dest in " ".join(run.stdout.split())


def test_cw_api_key_plans_the_ui_step_by_default(sim, tmp_path):
    outcome = converge_key(client(sim), "TopLeft", dest=str(tmp_path / "topleft.json"))
    assert [p["kind"] for p in outcome.pending] == ["api_key"] and outcome.manual_steps[0].endswith(HANDBACK)
    assert outcome.status == "not_held" and sim.requests() == []


def run_in_terminal(command, env, cwd, answers, timeout=240):
    """command with a terminal (a pty) of its own, as an operator runs it; each answer is typed once its prompt shows.
    Returns the exit code and all the terminal showed."""
    with warnings.catch_warnings():
        # Python 3.12 warns of forkpty() in a threaded process; the child runs no Python code before exec.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid, terminal = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execve(command[0], command, env)
    shown, pending = b"", list(answers)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.2)[0]:
                try:
                    chunk = os.read(terminal, 65536)
                except OSError:  # the process has closed the terminal
                    break
                if not chunk:
                    break
                shown += chunk
            if pending and pending[0][0].encode() in shown:
                # The prompt discards what was typed ahead of it: answer once it is reading.
                time.sleep(1)
                os.write(terminal, pending.pop(0)[1].encode() + b"\r")
        else:
            os.kill(pid, 9)
    finally:
        os.close(terminal)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), shown.decode("utf-8", "replace")


def test_key_import_asks_for_both_keys_without_showing_them(sim, tmp_path):
    sim.set_settings_writable(True)
    onboard_in_process(sim, tmp_path)  # the role and the member; the key is the administrator's to make
    pair = sim.ui_create_key("TopLeft", "TopLeft")
    env = ansible_environment(tmp_path, env=dict(tenant_env(sim), TERM="dumb"))
    command = playbook_command("key_import.yml", verbosity=4, extra={"cw_vendor": "topleft"})
    code, shown = run_in_terminal(command, env, tmp_path, [
        ("Public key of the pair made on the API Keys tab of API member TopLeft", pair["publicKey"]),
        ("Private key of the same pair", pair["privateKey"])])
    assert code == 0, shown[-3000:]
    assert pair["privateKey"] not in shown and pair["publicKey"] not in shown
    held = json.loads(held_file(tmp_path).read_text())
    assert (held["public_key"], held["private_key"]) == (pair["publicKey"], pair["privateKey"])


def test_an_audit_reports_a_refused_key_as_drift_and_one_not_held_as_unverified(sim, tmp_path):
    sim.set_settings_writable(True)
    onboard_in_process(sim, tmp_path)
    pair = sim.ui_create_key("TopLeft", "TopLeft")
    assert onboard_in_process(sim, tmp_path, member_public_key=pair["publicKey"], member_private_key=pair["privateKey"],
                              source="ui").compliance.status == "compliant"
    cell, key = audit(sim, tmp_path)
    assert (cell["status"], cell["key"], cell["key_expiration"]) == ("compliant", "held", None)
    assert text(key) == "Held: it works."

    # The credentials file holds a pair the tenant refuses (as after the key was deleted in the UI).
    dest = held_file(tmp_path)
    dest.write_text(json.dumps(dict(json.loads(dest.read_text()), private_key="not-the-private-key")))
    cell, key = audit(sim, tmp_path)
    assert (cell["status"], cell["key"], cell["cells"]) == ("drift", "refused", 1), cell
    assert {"kind": "api_key", "member": "TopLeft", "action": "create", "status": "refused", "expiration": None} \
        in cell["differences"]
    assert "the API key of member TopLeft held in %s %s" % (dest, REFUSED) in " ".join(cell["warnings"])
    assert text(key) == "Refused by the tenant: the integration cannot connect."

    # No credentials file: the rest of the integration is judged all the same, and the key is said to be unverified:
    # compliant but unverified, neither a step to do nor a difference.
    dest.unlink()
    cell, key = audit(sim, tmp_path)
    assert (cell["status"], cell["key"], cell["compliance"]["unverified"]) == ("compliant_unverified", "not_held", ["key"]), cell
    assert (cell["differences"], cell["manual_steps"]) == ([], [])
    assert "the API key of member TopLeft was not verified: no key pair is held for it" in cell["warnings"]
    assert text(key) == ("Not verified: no key pair is held. To verify it (and the role's Table Setup list), hand the "
                         "member's key pair to the audit (cw_vendor_overrides.topleft.key.member_public_key and "
                         "member_private_key, or key_import.yml).")


def expiration(cell_or_compliance):
    return datetime.datetime.strptime(cell_or_compliance["key_expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc)


def test_a_token_shows_its_expiry_warns_within_14_days_and_is_drift_once_expired(sim, tmp_path):
    sim.set_settings_writable(True)
    tokens = {"cw_key_source": "token"}  # asked for: tokens stay available, their expiry always shown
    now = datetime.datetime.now(datetime.timezone.utc)
    sim.set_token_lifetime(30 * 86400)
    run = run_book(tmp_path, "onboard_topleft.yml", env=tenant_env(sim), extra=tokens)
    assert run.rc == 0, run.output[-3000:]
    [vendor] = run.result(CONVERGE)["integrations"]
    assert vendor["compliance"]["key"] == "held" and len(token_posts(sim)) == 1
    assert datetime.timedelta(days=29) < expiration(vendor["compliance"]) - now < datetime.timedelta(days=31)
    cell, key = audit(sim, tmp_path, **tokens)
    assert (cell["status"], cell["key"], cell["key_expiration"]) == ("compliant", "held", vendor["compliance"]["key_expiration"])
    assert not [w for w in cell["warnings"] if "expire" in w]
    assert text(key) == "Held: it works; expires %s." % shown(cell["key_expiration"])
    assert key.find("time").get("datetime") == cell["key_expiration"]

    sim.set_token_lifetime(7 * 86400)
    onboard_in_process(sim, tmp_path, source="token", rotate=True)
    cell, key = audit(sim, tmp_path, **tokens)
    assert (cell["status"], cell["key"]) == ("compliant", "expiring"), cell
    assert "the API key of member TopLeft held in %s expires at %s (within 14 days): the integration stops working then " \
           "unless it is given a new key" % (held_file(tmp_path), cell["key_expiration"]) in cell["warnings"]
    assert text(key) == ("Expiring: works, but expires within 14 days; expires %s. Give the integration a new key "
                         "before then." % shown(cell["key_expiration"]))
    assert key.get("class") == "warn"

    sim.set_token_lifetime(2)
    onboard_in_process(sim, tmp_path, source="token", rotate=True)
    expires = json.loads(held_file(tmp_path).read_text())["expiration"]
    while datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") <= expires:
        time.sleep(0.5)
    cell, key = audit(sim, tmp_path, **tokens)
    assert (cell["status"], cell["key"], cell["key_expiration"]) == ("drift", "expired", expires), cell
    assert "the API key of member TopLeft held in %s expired at %s: the integration cannot connect" % (
        held_file(tmp_path), expires) in cell["warnings"]
    assert text(key) == "Expired: the integration cannot connect; expired %s." % shown(expires)
    assert key.find("time").get("datetime") == expires
