"""Guards attacked: what an attacker or an unlucky operator tried against the hardening, each held (consistency of the
collection with the simulator; the shapes the simulator answers are checked against ConnectWise's spec elsewhere)."""

from __future__ import annotations

import os

from .helpers import task, writes
from .test_integration import integration


def admin_role_writes(sim):
    return [w for w in writes(sim) if w["path"].lower().rstrip("/").split("/apis/3.0")[-1].startswith("/system/securityroles/1/")]


def test_an_answer_naming_another_role_never_makes_admin_the_integrations_role(sim, playbook, tmp_path):
    sim.set_settings_writable(True)
    playbook([task("cw_security_role", name="TopLeft")], expect_rc=0)
    admin = {"id": 1, "name": "Admin", "adminFlag": True}
    sim.set_answer("/system/securityroles", [admin])  # every role look-up, by name or not, answers Admin
    run = playbook([integration(tmp_path, settings_writable=True,
                                item={"key": {"source": "token", "dest": str(tmp_path / "k.json")}})], expect_rc=2)
    assert "ObjectExists" in run.result("integration")["msg"]
    assert admin_role_writes(sim) == []


def test_a_pair_of_another_member_is_never_kept_for_the_integration(sim, playbook, tmp_path):
    playbook([task("cw_security_role", name="TopLeft"),
              task("cw_api_member", identifier="TopLeft", role="TopLeft")], expect_rc=0)
    dest = tmp_path / "creds" / "topleft.json"
    run = playbook([task("cw_api_key", _name="key", member="TopLeft", source="ui", member_public_key=sim.public_key,
                         member_private_key=sim.private_key, dest=str(dest))], expect_rc=2)
    assert "the given pair belongs to member simadmin, not to TopLeft" in run.result("key")["msg"]
    assert not dest.exists()
    assert sim.private_key not in run.output


def test_offboarding_never_puts_the_member_on_an_admin_role(sim, playbook, tmp_path):
    key = {"source": "token", "dest": str(tmp_path / "k.json")}
    playbook([integration(tmp_path, item={"key": key})], expect_rc=0)
    sim.clear_requests()
    run = playbook([integration(tmp_path, state="absent", item={"key": key, "reassign_role": "Admin"})], expect_rc=2)
    assert "reassign_role: 'Admin' is an admin role (adminFlag)" in run.result("integration")["msg"]
    assert writes(sim) == []


def test_a_key_file_reached_through_a_symbolic_link_is_refused_and_its_target_untouched(sim, playbook, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file\n")
    os.chmod(victim, 0o644)
    (tmp_path / "creds").mkdir()
    link = tmp_path / "creds" / "topleft.json"
    link.symlink_to(victim)
    run = playbook([task("cw_api_key", _name="key", member="TopLeft", source="token", dest=str(link))], check=True,
                   expect_rc=2)
    assert "is a symbolic link" in run.result("key")["msg"]
    assert oct(victim.stat().st_mode & 0o777) == oct(0o644) and victim.read_text() == "someone else's file\n"
    assert writes(sim) == []


def test_a_role_whose_settings_answer_no_rows_is_an_error_not_compliant(sim, playbook, tmp_path):
    playbook([task("cw_security_role", _name="role", name="TopLeft")], expect_rc=0)
    role_id = [r for r in sim.state()["tenants"][0]["roles"] if r["name"] == "TopLeft"][0]["id"]
    sim.set_answer("/system/securityRoles/%d/settings" % role_id, [])
    run = playbook([integration(tmp_path)], check=True, expect_rc=2)
    assert "answered no rows for role TopLeft" in run.result("integration")["msg"]


def test_a_role_name_with_surrounding_spaces_is_refused_before_any_request(sim, playbook):
    run = playbook([task("cw_security_role", _name="role", name="Admin ")], expect_rc=2)
    assert "begins or ends with a space" in run.result("role")["msg"]
    assert sim.requests() == []
