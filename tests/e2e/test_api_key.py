"""cw_api_key: issue through the tokens endpoint (source: token) into a 0600 file, keep it on re-runs, rotate only when
asked, accept a pair created in the UI, and never show a private key, even at -vvvv."""

from __future__ import annotations

import json
import os
import stat

from .helpers import task, writes


def prepare(playbook):
    playbook([task("cw_security_role", _name="role", **{"name": "TopLeft"}),
              task("cw_api_member", _name="member", identifier="TopLeft", role="TopLeft")], expect_rc=0)


def key(**options):
    options.setdefault("member", "TopLeft")
    return task("cw_api_key", _name="key", **options)


def token_posts(sim):
    return [w for w in writes(sim) if w["path"].lower().endswith("/tokens")]


def test_issue_keep_rotate(sim, playbook, tmp_path):
    prepare(playbook)
    dest = tmp_path / "credentials" / "topleft.json"
    sim.clear_requests()

    run = playbook([key(source="token", dest=str(dest))], check=True, expect_rc=0)
    assert run.result("key")["changed"] is True
    assert writes(sim) == [] and not dest.exists()

    run = playbook([key(source="token", dest=str(dest))], verbosity=4, expect_rc=0)
    result = run.result("key")
    assert result["changed"] is True and result["source"] == "token" and result["expiration"]
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    held = json.loads(dest.read_text())
    assert held["public_key"] == result["public_key"] and held["member"] == "TopLeft"
    assert held["private_key"] not in run.output and sim.private_key not in run.output
    assert held["private_key"] not in json.dumps(result)  # nor in its diff
    assert len(token_posts(sim)) == 1

    sim.clear_requests()
    run = playbook([key(source="token", dest=str(dest))], expect_rc=0)
    assert run.result("key")["changed"] is False and writes(sim) == []

    run = playbook([key(source="token", dest=str(dest), rotate=True)], expect_rc=0)
    assert run.result("key")["changed"] is True
    assert json.loads(dest.read_text())["public_key"] != held["public_key"]
    assert len(token_posts(sim)) == 1


def test_a_pair_created_in_the_ui(sim, playbook, tmp_path):
    prepare(playbook)
    dest = tmp_path / "topleft.json"
    sim.clear_requests()
    run = playbook([key(source="ui", dest=str(dest))], expect_rc=2)
    result = run.result("key")
    assert "1 manual step(s) remain" in result["msg"]
    assert "API Keys: click +, enter the description 'TopLeft'" in result["manual_steps"][0]
    assert writes(sim) == []

    pair = sim.ui_create_key("TopLeft", "TopLeft")
    run = playbook([key(source="ui", dest=str(dest), member_public_key=pair["publicKey"], member_private_key=pair["privateKey"])],
                   verbosity=4, expect_rc=0)
    result = run.result("key")
    assert result["changed"] is True and result["source"] == "ui" and result["validated"] is True
    assert pair["privateKey"] not in run.output
    assert json.loads(dest.read_text())["private_key"] == pair["privateKey"]
    assert writes(sim) == []

    run = playbook([key(source="ui", dest=str(dest))], expect_rc=0)
    assert run.result("key")["changed"] is False

    run = playbook([key(source="ui", dest=str(tmp_path / "other.json"), member_public_key=pair["publicKey"],
                        member_private_key="wrong")], expect_rc=2)
    assert "does not authenticate" in run.result("key")["msg"]


def test_a_private_key_is_returned_only_to_a_no_log_task(sim, playbook):
    prepare(playbook)
    sim.clear_requests()
    run = playbook([key(source="token")], expect_rc=2)
    assert "dest:" in run.result("key")["msg"] and token_posts(sim) == []

    quiet = key(source="token")
    quiet["no_log"] = True
    run = playbook([quiet, {"name": "length", "ansible.builtin.assert": {"that": ["out.credentials.private_key | length > 0"]}}],
                   verbosity=4, expect_rc=0)
    assert len(token_posts(sim)) == 1
    assert "censored" in json.dumps(run.result("key"))


def test_a_vault_password_keeps_the_pair_encrypted_at_rest(sim, playbook, tmp_path):
    from ansible.parsing.vault import VaultLib, VaultSecret  # pylint: disable=import-outside-toplevel
    prepare(playbook)
    dest = tmp_path / "credentials" / "topleft.json"
    password = "a vault password"

    def opened():
        return json.loads(VaultLib([("default", VaultSecret(password.encode()))]).decrypt(dest.read_text()))

    run = playbook([key(source="token", dest=str(dest), vault_password=password)], verbosity=4, expect_rc=0)
    assert run.result("key")["changed"] is True
    text = dest.read_text()
    assert text.startswith("$ANSIBLE_VAULT;1.1;AES256") and stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    held = opened()
    assert held["public_key"] == run.result("key")["public_key"] and held["private_key"] not in text
    assert held["private_key"] not in run.output and password not in run.output

    # Held and working: no change, no write, the file untouched.
    sim.clear_requests()
    run = playbook([key(source="token", dest=str(dest), vault_password=password)], expect_rc=0)
    assert run.result("key")["changed"] is False and writes(sim) == [] and dest.read_text() == text

    # Without the password: a clear error, and the encrypted file is never replaced.
    run = playbook([key(source="token", dest=str(dest))], expect_rc=2)
    assert "vault_password: %s is vault-encrypted" % dest in run.result("key")["msg"]
    run = playbook([key(source="token", dest=str(dest), vault_password="not it")], expect_rc=2)
    assert "the vault password does not open it" in run.result("key")["msg"]
    assert dest.read_text() == text and token_posts(sim) == []

    # A plain file from before is encrypted in place, the same pair kept (no new key issued).
    plain = tmp_path / "credentials" / "plain.json"
    playbook([key(source="token", dest=str(plain))], expect_rc=0)
    pair = json.loads(plain.read_text())
    sim.clear_requests()
    run = playbook([key(source="token", dest=str(plain), vault_password=password)], check=True, expect_rc=0)
    assert run.result("key")["changed"] is True and json.loads(plain.read_text()) == pair  # check mode: planned only
    run = playbook([key(source="token", dest=str(plain), vault_password=password)], expect_rc=0)
    assert run.result("key")["changed"] is True and token_posts(sim) == []
    dest = plain  # what opened() reads
    assert opened()["private_key"] == pair["private_key"] and pair["private_key"] not in plain.read_text()
