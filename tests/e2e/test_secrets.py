"""Secrets audit: every playbook at -vvvv with --diff (onboard, onboard.yml over an inventory, audit, doctor, offboard,
key_import), including failures (401, manual steps remaining, a bad UI pair) and retries (429/503): no private key — the
CW administrator's, a tenant's own from an inventory, a key the collection issued, a key created in the UI (handed to a
module or to key_import) or the vault password of a key file — appears in
stdout, stderr, the task results callbacks see, the JSON or HTML report, the checklists, or any file under
CW_OUTPUT_DIR other than the 0600 credentials files (in a 0700 folder). Credentials never go over plain http to a
non-loopback host, and certificates are checked unless validate_certs is turned off.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import os
import ssl
import stat
import threading

import pytest
import requests
import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.api import client as client_module
from ansible_collections.msp.connectwise.plugins.module_utils.module import CONNECTION_ARGSPEC
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError

from .conftest import CLIENT_ID, finish_book, run_book, start_book, tenant_env
from .helpers import task
from .test_faults import CONVERGE, PROFILES

ACME = {"company": "acme", "public_key": "acme-public-7d1f", "private_key": "acme-private-5c9e2b71f0"}
WRONG_PRIVATE = "wrong-private-0b6a93d2"


def basic_token(company, public_key, private_key):
    return base64.b64encode(("%s+%s:%s" % (company, public_key, private_key)).encode()).decode()


def held_private_keys(out):
    """Every private key kept in a credentials file so far."""
    keys = set()
    for path in (out / "credentials").glob("*.json") if (out / "credentials").is_dir() else []:
        held = json.loads(path.read_text())
        if held.get("private_key"):
            keys.add(held["private_key"])
    return keys


def inventory(sim, vendors=("topleft",), broken=False):
    hosts = {
        "main": {"cw_site": sim.url, "cw_company_id": sim.company, "cw_public_key": sim.public_key,
                 "cw_private_key": sim.private_key, "cw_client_id": CLIENT_ID, "cw_vendors": list(vendors)},
        "acme": {"cw_site": sim.url, "cw_company_id": ACME["company"], "cw_public_key": ACME["public_key"],
                 "cw_private_key": ACME["private_key"], "cw_client_id": CLIENT_ID, "cw_vendors": ["topleft", "cw_kanban"]},
    }
    if broken:
        hosts["broken"] = dict(hosts["acme"], cw_private_key=WRONG_PRIVATE)
    return {"cw_tenants": {"hosts": hosts}}


class Audit:
    """Every run's output, every secret met, and the checks at the end."""

    def __init__(self, sim, out):
        self.out = out
        self.texts = {}
        self.secrets = {sim.private_key, ACME["private_key"], WRONG_PRIVATE,
                        basic_token(sim.company, sim.public_key, sim.private_key),
                        basic_token(ACME["company"], ACME["public_key"], ACME["private_key"]),
                        basic_token(ACME["company"], ACME["public_key"], WRONG_PRIVATE)}
        self.issued = set()

    def add(self, name, run):
        self.texts[name + " stdout"] = run.stdout
        self.texts[name + " stderr"] = run.stderr
        self.texts[name + " task results"] = run.record.read_text() if run.record.exists() else ""
        self.issued |= held_private_keys(self.out)
        return run

    def check(self):
        secrets = self.secrets | self.issued
        leaks = ["%s holds %s...%s" % (where, s[:3], s[-2:]) for where, text in self.texts.items() for s in secrets if s in text]
        assert not leaks, leaks
        kept = []
        for root, folders, files in os.walk(self.out):
            for name in folders + files:
                assert not name.startswith(".cw-key-"), "a temporary key file was left behind: %s" % os.path.join(root, name)
            for name in files:
                path = os.path.join(root, name)
                with open(path, "rb") as handle:
                    data = handle.read()
                found = [s for s in secrets if s.encode() in data]
                in_credentials = os.path.dirname(path) == str(self.out / "credentials")
                if in_credentials:
                    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
                if found:
                    assert in_credentials, "%s holds a private key" % path
                    assert stat.S_IMODE(os.stat(root).st_mode) == 0o700, root
                    kept.append(path)
        return kept


@pytest.fixture
def audit(sim, tmp_path):
    sim.set_settings_writable(True)
    sim.create_tenant(**ACME)
    return Audit(sim, tmp_path / "out")


def test_no_private_key_in_any_output_or_file(sim, tmp_path, audit):
    env = tenant_env(sim)
    loud = {"verbosity": 4, "diff": True}
    tokens = {"cw_key_source": "token"}

    # Onboarding issues a key (0600 file); a second run meets 429s and 503s and retries them.
    run = audit.add("onboard", run_book(tmp_path, "onboard_topleft.yml", env=env, extra=tokens, **loud))
    assert run.rc == 0, run.stdout[-3000:]
    sim.set_faults(rate_limit_per_minute=4, rate_window_s=1, retry_after=0.3, fail_every=4)
    run = audit.add("onboard with retries", run_book(tmp_path, "onboard_topleft.yml", env=dict(env, CW_RETRIES="8"),
                                                     extra=tokens, **loud))
    sim.clear_faults()
    # How many requests meet the rate limit depends on when each falls in its one-second window: at least one retry.
    assert run.rc == 0 and run.result(CONVERGE)["api"]["retries"] > 0, run.stdout[-3000:]

    # An inventory of tenants with their own keys: acme refuses level writes, so its run fails with manual steps left.
    run = audit.add("onboard.yml", run_book(tmp_path, "onboard.yml", inventory=inventory(sim), extra=tokens, **loud))
    assert run.rc == 2 and "manual step(s) remain on acme" in run.stdout, run.stdout[-3000:]

    # At once: a UI-created pair handed to the modules (and a wrong one) in a play of their own; another handed over
    # with key_import from a vault-encrypted file; the audit (one tenant with a wrong key: 401 in the report); doctor
    # with the write probe.
    pair = sim.ui_create_key("TopLeft", "secrets audit")
    wrong = sim.ui_create_key("jtech", "not TopLeft's")
    imported = sim.ui_create_key("TopLeft", "key import")
    key_file, vault_password = vaulted_key_file(tmp_path, imported)
    audit.secrets |= {pair["privateKey"], wrong["privateKey"], imported["privateKey"], vault_password}
    credentials = audit.out / "credentials"
    play = [
        task("cw_api_key", _name="ui pair", member="TopLeft", source="ui", member_public_key=pair["publicKey"],
             member_private_key=pair["privateKey"], dest=str(credentials / "main-topleft-ui.json")),
        dict(task("cw_api_key", _name="wrong ui pair", member="TopLeft", source="ui", member_public_key=pair["publicKey"],
                  member_private_key=wrong["privateKey"], dest=str(credentials / "main-topleft-wrong.json")), ignore_errors=True),
        dict(task("cw_table_access", _name="tables as the member", role="TopLeft", tables=["Service / Service Board"],
                  member_public_key=pair["publicKey"], member_private_key=pair["privateKey"], allow_pending=True)),
    ]
    handles = {
        "ui pair": start_book(tmp_path, write_play(tmp_path, play), env=env, tag="ui", **loud),
        "key import": start_book(tmp_path, "key_import.yml", env=dict(env, ANSIBLE_VAULT_PASSWORD_FILE=str(tmp_path / "vault-password")),
                                 extra={"cw_vendor": "topleft", "cw_key_file": str(key_file)}, tag="import", **loud),
        "audit": start_book(tmp_path, "audit.yml", inventory=inventory(sim, broken=True), tag="audit", **loud),
        "doctor": start_book(tmp_path, "doctor.yml", inventory=inventory(sim), extra={"cw_probe_settings_write": True},
                             tag="doctor", **loud),
        "review": start_book(tmp_path, "review.yml", inventory=inventory(sim), tag="review", **loud),
    }
    runs = {name: audit.add(name, finish_book(handle)) for name, handle in handles.items()}
    assert runs["ui pair"].rc == 0 and runs["ui pair"].result("ui pair")["validated"] is True, runs["ui pair"].stdout[-3000:]
    assert "does not authenticate" in runs["ui pair"].result("wrong ui pair")["msg"]
    assert runs["key import"].rc == 0, runs["key import"].stdout[-3000:]
    assert json.loads((credentials / "localhost-topleft.json").read_text())["private_key"] == imported["privateKey"]
    assert runs["audit"].rc == 2 and runs["doctor"].rc == 0 and runs["review"].rc == 0, runs["review"].stdout[-3000:]
    assert "HTTP 401" in runs["audit"].stdout
    report = json.loads((audit.out / "reports" / "audit.json").read_text())
    assert report["tenants"]["broken"]["_error"]["status"] == "error" and "HTTP 401" in report["tenants"]["broken"]["_error"]["message"]

    # Offboarding removes the member's key file it wrote (searched above, after each run).
    assert (credentials / "localhost-topleft.json").exists()
    run = audit.add("offboard", run_book(tmp_path, "offboard_topleft.yml", env=env, extra={"cw_reassign_role": "Technician"},
                                         **loud))
    assert run.rc == 0, run.stdout[-3000:]
    assert run.result(CONVERGE)["integrations"][0]["removed_key_file"] == str(credentials / "localhost-topleft.json")

    # The checks would prove nothing without the files they look into.
    for expected in ("reports/audit.json", "reports/audit.html", "reports/review.json", "history/acme", "checklists/acme-topleft.md", "tenants/main.yml",
                     "credentials/main-topleft.json", "credentials/acme-cw_kanban.json"):
        assert (audit.out / expected).exists(), expected
    assert not (credentials / "localhost-topleft.json").exists()
    assert len(audit.issued) >= 4, "expected keys issued for main, acme (2 vendors) and the UI pair"
    kept = audit.check()
    assert sorted(os.path.basename(k) for k in kept) == sorted(p.name for p in credentials.glob("*.json"))


def create_api_member(sim, identifier, role):
    """An API member made by the administrator (the collection never takes over a person's identifier)."""
    base, auth = "%s/v4_6_release/apis/3.0" % sim.url, ("%s+%s" % (sim.company, sim.public_key), sim.private_key)
    headers = {"clientId": CLIENT_ID}
    found = requests.get(base + "/system/securityroles", params={"conditions": 'name="%s"' % role}, auth=auth,
                         headers=headers, timeout=30).json()
    body = requests.get(base + "/system/apiMembers/default", auth=auth, headers=headers, timeout=30).json()
    body = {k: v for k, v in body.items() if k not in ("id", "_info")}
    body.update(identifier=identifier, name=identifier, securityRole={"id": found[0]["id"]})
    requests.post(base + "/system/apiMembers", json=body, auth=auth, headers=headers, timeout=30).raise_for_status()


def test_no_private_key_from_vendor_overrides(sim, tmp_path, audit):
    create_api_member(sim, "topleftui", "Technician")
    pair = sim.ui_create_key("topleftui", "through the inventory")
    audit.secrets.add(pair["privateKey"])
    hosts = inventory(sim)
    hosts["cw_tenants"]["hosts"].pop("acme")
    hosts["cw_tenants"]["hosts"]["main"]["cw_vendor_overrides"] = {"topleft": {
        "member": {"identifier": "topleftui"},
        "key": {"source": "ui", "member_public_key": pair["publicKey"], "member_private_key": pair["privateKey"]}}}
    run = audit.add("overrides", run_book(tmp_path, "onboard.yml", inventory=hosts, check=True, verbosity=4, diff=True))
    assert run.rc == 0, run.stdout[-3000:]
    audit.check()


def test_integration_without_dest_issues_no_key(sim, playbook):
    """cw_integration has no no_log way to hand a new private key back: without key.dest it issues none (and says so
    in the audit), in check mode and for real, instead of failing after the role and member were made."""
    sim.set_settings_writable(True)
    item = {"profile": yaml.safe_load((PROFILES / "topleft.yml").read_text())}
    run = playbook([task("cw_integration", _name="plan", integrations=[item])], check=True, expect_rc=0)
    assert run.result("plan")["integrations"][0]["compliance"]["key"] == "not_held"
    run = playbook([task("cw_integration", _name="apply", integrations=[item])], verbosity=4, expect_rc=0)
    result = run.result("apply")["integrations"][0]
    assert result["compliance"]["key"] == "not_held" and result["pending"] == []
    assert not [w for w in sim.writes() if w["path"].lower().endswith("/tokens")]
    assert sim.private_key not in run.output


def vaulted_key_file(tmp_path, pair):
    """The vars file key_import reads (-e cw_key_file), encrypted as an operator would with ansible-vault; returns it
    and the vault password (in tmp_path/vault-password)."""
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-outside-toplevel
    password = "key file vault password 41c7"
    (tmp_path / "vault-password").write_text(password + "\n")
    text = yaml.safe_dump({"member_public_key": pair["publicKey"], "member_private_key": pair["privateKey"]})
    path = tmp_path / "topleft-keys.yml"
    path.write_bytes(VaultLib([("default", VaultSecret(password.encode()))]).encrypt(text))
    return path, password


def write_play(tmp_path, tasks):
    path = tmp_path / "ui-pair.yml"
    play = {"name": "UI pair", "hosts": "localhost", "connection": "local", "gather_facts": False,
            "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, "tasks": tasks}
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)


# -- transport ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("site", ["http://cw.example.com", "http://10.0.0.5:8080", "http://localhost.example.com",
                                  "http://127.0.0.1.nip.io", "http://0.0.0.0:8080", "HTTP://Api-NA.myconnectwise.net/"])
def test_credentials_refused_over_plain_http_to_a_remote_host(site):
    with pytest.raises(ConfigurationError) as caught:
        client_module.ConnectWiseClient(site, "acme", "pub", "priv", CLIENT_ID)
    assert caught.value.field == "site"
    assert "refusing to send ConnectWise credentials over plain http" in str(caught.value) and "use https://" in str(caught.value)
    assert "priv" not in str(caught.value).replace("private", "")


@pytest.mark.parametrize("site, expected", [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"), ("http://localhost:8080/", "http://localhost:8080"),
    ("http://[::1]:8080", "http://[::1]:8080"), ("http://127.3.2.1", "http://127.3.2.1"),
    ("https://cw.example.com", "https://cw.example.com"), ("cw.example.com", "https://cw.example.com"),
])
def test_plain_http_only_to_loopback(site, expected):
    assert client_module.ConnectWiseClient(site, "acme", "pub", "priv", CLIENT_ID).site == expected


def test_modules_refuse_plain_http_before_sending_anything(sim, playbook):
    run = playbook([dict(task("cw_system_info", _name="remote", site="http://cw.example.com"), ignore_errors=True)], verbosity=4)
    result = run.result("remote")
    assert run.status("remote") == "failed" and result["field"] == "site"
    assert "refusing to send ConnectWise credentials over plain http to cw.example.com" in result["msg"]
    assert sim.requests() == []
    assert sim.private_key not in run.output


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_certificates_are_checked_by_default(tmp_path, monkeypatch):
    # As in many corporate shells and execution environments; requests lets it override a session's verify=False.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    assert CONNECTION_ARGSPEC["validate_certs"]["default"] is True
    assert CONNECTION_ARGSPEC["validate_certs"]["type"] == "bool"
    built = client_module.ConnectWiseClient("cw.example.com", "acme", "pub", "priv", CLIENT_ID)
    assert built.session.verify is True
    assert built.as_member("p2", "k2").session.verify is True
    # And it does check: a self-signed server is refused with a clear message, at once (no retries on a bad certificate).
    with tls_server(tmp_path) as url:
        strict = client_module.ConnectWiseClient(url, "acme", "pub", "priv", CLIENT_ID, retries=3, sleep=fail_on_sleep)
        with pytest.raises(ConnectWiseError) as caught:
            strict.discover()
        assert "TLS certificate check failed" in str(caught.value) and "validate_certs" in str(caught.value)
        lab = client_module.ConnectWiseClient(url, "acme", "pub", "priv", CLIENT_ID, validate_certs=False, retries=0)
        assert lab.session.verify is False
        assert lab.discover() == client_module.FALLBACK_CODEBASE  # reached: the server answered 404


def test_module_runs_with_certificate_checks_on_unless_told(sim, playbook):
    run = playbook([task("cw_system_info", _name="info")], expect_rc=0)
    assert run.result("info")["invocation"]["module_args"]["validate_certs"] is True


def fail_on_sleep(_seconds):
    raise AssertionError("a certificate failure must not be retried")


class tls_server:  # pylint: disable=invalid-name
    """An HTTPS server with a self-signed certificate for localhost, answering 404 to everything."""

    def __init__(self, tmp_path):
        self.tmp_path = tmp_path
        self.server = None

    def __enter__(self):
        from cryptography import x509  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives import hashes, serialization  # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives.asymmetric import ec  # pylint: disable=import-outside-toplevel
        from cryptography.x509.oid import NameOID  # pylint: disable=import-outside-toplevel

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
                .not_valid_after(now + datetime.timedelta(hours=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
                .sign(key, hashes.SHA256()))
        cert_file, key_file = self.tmp_path / "cert.pem", self.tmp_path / "key.pem"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return "https://localhost:%d" % self.server.server_address[1]

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
