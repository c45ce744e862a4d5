"""The privilege review and its history, called directly with hand-built tenant data (no simulator, no Ansible)."""

from __future__ import annotations

import datetime
import json
import os
import stat

from ansible_collections.msp.connectwise.plugins.module_utils.engine import history, review
from ansible_collections.msp.connectwise.plugins.module_utils.resources import tables
from tests.unit.fake_client import Lists

NOW = datetime.datetime(2026, 6, 2, 3, 0, 4, tzinfo=datetime.timezone.utc)


def setting(row_id, module, function, add="None", edit="None", delete="None", inquire="None"):
    return {"id": row_id, "moduleName": module, "moduleFunctionName": function, "sortOrder": row_id, "addLevel": add,
            "editLevel": edit, "deleteLevel": delete, "inquireLevel": inquire}


def rows(**grants):
    """The tenant's five functions, with ``grants`` (row name -> cells) applied."""
    base = {"contacts": ("Companies", "Contacts"), "tickets": ("Service Desk", "Service Tickets"),
            "roles": ("System", "Security Roles"), "members": ("System", "Member Maintenance"),
            "reports": ("System", "API Reports")}
    return [setting(position, module, function, **grants.get(name, {}))
            for position, (name, (module, function)) in enumerate(base.items(), 1)]


def api(member_id, identifier, role, inactive=False):
    return {"id": member_id, "identifier": identifier, "inactiveFlag": inactive,
            "securityRole": {"id": role[0], "name": role[1]}}


ADMIN, ROLES, ADDS, VENDOR, SHARED = (1, "Admin"), (2, "RoleEditors"), (3, "Onboarders"), (4, "Acme"), (5, "Desk")
PROFILE = {"vendor": "acme", "title": "Acme", "member": {"identifier": "AcmeSync"},
           "permissions": [{"module": "Companies", "function": "Contacts", "inquire": "All"}]}


def tenant_data():
    roles = [{"id": 1, "name": "Admin", "adminFlag": True}, {"id": 2, "name": "RoleEditors"}, {"id": 3, "name": "Onboarders"},
             {"id": 4, "name": "Acme"}, {"id": 5, "name": "Desk"}]
    settings = {1: rows(roles={"edit": "All"}), 2: rows(roles={"edit": "All", "inquire": "All"}),
                3: rows(members={"add": "All", "inquire": "All"}),
                4: rows(contacts={"inquire": "My"}, tickets={"inquire": "All"}),
                5: rows(tickets={"inquire": "All"})}
    api_members = [api(11, "Sync", ADMIN), api(12, "Provisioner", ROLES), api(13, "OldTool", ADDS, inactive=True),
                   api(14, "AcmeSync", VENDOR), api(15, "Mystery", SHARED)]
    people = [{"id": 1, "identifier": "simadmin", "licenseClass": "F", "securityRole": {"id": 1, "name": "Admin"}},
              {"id": 2, "identifier": "jtech", "licenseClass": "F", "securityRole": {"id": 5, "name": "Desk"}},
              dict(api(11, "Sync", ADMIN), licenseClass="A")]
    return roles, settings, api_members, people


def test_each_kind_of_finding_is_named_with_its_evidence():
    roles, settings, api_members, people = tenant_data()
    known = {"vendor": "sync", "member": {"identifier": "Sync"}, "permissions": []}
    helper = {"vendor": "prov", "member": {"identifier": "Provisioner"}, "permissions": []}
    oldtool = {"vendor": "old", "member": {"identifier": "OldTool"}, "permissions": []}
    found = review.review_tenant("acme", roles, settings, api_members, people, [PROFILE, known, helper, oldtool])
    shown = [(f["severity"], f["kind"], f["member"], f["role"], f["finding"]) for f in found]
    assert shown == [
        ("critical", "admin_role", "Sync", "Admin", "API member Sync is on the admin role Admin (adminFlag)"),
        ("high", "escalation", "Provisioner", "RoleEditors",
         "API member Provisioner is on role RoleEditors, which can escalate (System / Security Roles)"),
        ("high", "unknown_integration", "Mystery", "Desk", "active API member Mystery matches no vendor profile (role Desk)"),
        ("medium", "excess", "AcmeSync", "Acme", "Acme's member AcmeSync: role Acme grants 1 function(s) beyond the vendor's profile"),
        ("medium", "excess", "OldTool", "Onboarders",
         "old's member OldTool: role Onboarders grants 1 function(s) beyond the vendor's profile"),
        ("medium", "excess", "Provisioner", "RoleEditors",
         "prov's member Provisioner: role RoleEditors grants 1 function(s) beyond the vendor's profile"),
        ("medium", "inactive_privileged", "OldTool", "Onboarders",
         "inactive API member OldTool still holds role Onboarders, which can escalate (System / Member Maintenance)"),
        ("medium", "shared_role", None, "Admin", "role Admin is shared by API member Sync and 1 person"),
        ("medium", "shared_role", None, "Desk", "role Desk is shared by API member Mystery and 1 person"),
        ("low", "below_profile", "AcmeSync", "Acme", "Acme's member AcmeSync: role Acme is below the vendor's levels in 1 function(s)"),
    ]
    by_kind = {(f["kind"], f["member"] or f["role"]): f for f in found}
    assert by_kind[("admin_role", "Sync")]["evidence"] == {"role": "Admin", "adminFlag": True,
                                                           "member": {"identifier": "Sync", "inactiveFlag": False}}
    assert by_kind[("escalation", "Provisioner")]["evidence"]["rows"] == ["System / Security Roles: edit All"]
    assert by_kind[("inactive_privileged", "OldTool")]["evidence"]["rows"] == ["System / Member Maintenance: add All"]
    assert by_kind[("unknown_integration", "Mystery")]["evidence"] == {
        "role": "Desk", "grants": ["Service Desk / Service Tickets: inquire All"],
        "member": {"identifier": "Mystery", "inactiveFlag": False}}
    assert by_kind[("excess", "AcmeSync")]["evidence"] == {"rows": ["Service Desk / Service Tickets: inquire All"]}
    assert by_kind[("below_profile", "AcmeSync")]["evidence"] == {"rows": ["Companies / Contacts: inquire My (needs All)"]}
    assert by_kind[("shared_role", "Desk")]["evidence"] == {"api_members": ["Mystery"], "people": ["jtech"]}
    assert all(f["tenant"] == "acme" and f["advice"] == review.FINDINGS[f["kind"]][1] for f in found)
    assert review.counts(found) == {"critical": 1, "high": 2, "medium": 6, "low": 1}
    assert [f["member"] for f in review.at_or_above(found, "high")] == ["Sync", "Provisioner", "Mystery"]
    assert review.at_or_above(found, "none") == []


def test_a_tenant_integration_names_its_own_member_and_several_api_members_share_a_role():
    roles, settings, _api, _people = tenant_data()
    members = [api(21, "acme-east", VENDOR), api(22, "acme-west", VENDOR)]
    items = [{"profile": PROFILE, "member": {"identifier": "ACME-EAST"}}, {"profile": PROFILE, "member": {"identifier": "acme-west"}}]
    found = review.review_tenant("t", roles, settings, members, [], [], items)
    assert [(f["kind"], f["member"], f["role"]) for f in found if f["kind"] in ("shared_role", "unknown_integration")] == [
        ("shared_role", None, "Acme")]
    assert [f["finding"] for f in found if f["kind"] == "shared_role"] == ["role Acme is shared by 2 API members"]


def test_keys_unheld_expired_and_expiring(tmp_path):
    dest = tmp_path / "acme.json"
    dest.write_text(json.dumps({"public_key": "pub", "private_key": "SECRET", "expiration": "2026-06-10T00:00:00Z"}))
    dest.chmod(0o600)
    (tmp_path / "acme.json.unheld-keys.yml").write_text('# header\n[{"member": "AcmeSync", "time": "2026-05-01T00:00:00Z", '
                                                        '"why": "no answer"}]\n')
    keys = review.held_keys([{"profile": PROFILE, "key": {"dest": str(dest)}}, {"profile": PROFILE, "key": {}}])
    assert keys == [{"vendor": "acme", "member": "AcmeSync", "dest": str(dest), "expiration": "2026-06-10T00:00:00Z",
                     "record": str(dest) + ".unheld-keys.yml",
                     "unheld": [{"member": "AcmeSync", "time": "2026-05-01T00:00:00Z", "why": "no answer"}]}]
    found = review.key_findings("t", keys, now=NOW)
    assert [(f["severity"], f["kind"], f["finding"]) for f in found] == [
        ("high", "unheld_key", "a key of API member AcmeSync may exist that nobody holds"),
        ("medium", "key_expiring", "the key of API member AcmeSync expires at 2026-06-10T00:00:00Z")]
    later = review.key_findings("t", keys, now=NOW + datetime.timedelta(days=30))
    assert [f["kind"] for f in later] == ["unheld_key", "key_expired"]
    assert "SECRET" not in json.dumps(found + later)


def test_snapshot_and_the_changes_between_two():
    roles, settings, api_members, _people = tenant_data()
    before = history.snapshot("acme", NOW, roles, settings, api_members)
    assert before["taken_at"] == "2026-06-02T03:00:04Z"
    assert before["roles"]["Acme"]["levels"]["Companies"]["Contacts"] == {"add": "None", "edit": "None", "delete": "None",
                                                                          "inquire": "My"}
    assert before["api_members"]["OldTool"] == {"id": 13, "role": "Onboarders", "inactive": True}
    settings[4] = rows(contacts={"inquire": "All"}, tickets={"inquire": "All"})
    roles = roles[:4] + [{"id": 6, "name": "Fresh", "adminFlag": False}]
    api_members = [api(11, "Sync", ADMIN, inactive=True), api(12, "Provisioner", ADMIN), api(13, "OldTool", ADDS, inactive=True),
                   api(14, "AcmeSync", VENDOR), api(16, "NewOne", VENDOR)]
    after = history.snapshot("acme", NOW, roles, {**settings, 6: rows()}, api_members)
    assert history.changes(before, after) == [
        {"kind": "level", "role": "Acme", "module": "Companies", "function": "Contacts", "cell": "inquire",
         "before": "My", "after": "All"},
        {"kind": "role_removed", "role": "Desk"},
        {"kind": "role_added", "role": "Fresh"},
        {"kind": "member_removed", "member": "Mystery", "role": "Desk"},
        {"kind": "member_created", "member": "NewOne", "role": "Acme", "inactive": False},
        {"kind": "member_moved", "member": "Provisioner", "before": "RoleEditors", "after": "Admin"},
        {"kind": "member_deactivated", "member": "Sync", "role": "Admin"},
    ]
    assert [history.change_line(c) for c in history.changes(before, after)][:1] == [
        "role Acme: Companies / Contacts inquire My -> All"]
    assert history.changes(None, after) == []


def test_record_stores_compares_and_prunes(tmp_path):
    roles, settings, api_members, _people = tenant_data()
    folder = tmp_path / "history"
    old = folder / "acme" / "20250101T000000Z.json"
    old.parent.mkdir(parents=True, mode=0o700)
    old.write_text(json.dumps(history.snapshot("acme", NOW, roles, settings, api_members)))
    first = history.record(str(folder), "acme", history.snapshot("acme", NOW, roles, settings, api_members), NOW,
                           retention_days=400)
    assert first == {"snapshot": str(folder / "acme" / "20260602T030004Z.json"), "previous": str(old), "changes": [],
                     "pruned": [str(old)]}
    assert stat.S_IMODE(os.stat(first["snapshot"]).st_mode) == 0o600
    history.store(str(folder), "globex", {}, NOW)
    assert stat.S_IMODE(os.stat(folder / "globex").st_mode) == 0o700
    settings[2] = rows(roles={"edit": "None"})
    later = NOW + datetime.timedelta(days=1)
    second = history.record(str(folder), "acme", history.snapshot("acme", later, roles, settings, api_members), later)
    assert second["previous"] == first["snapshot"] and second["pruned"] == []
    assert second["changes"] == [{"kind": "level", "role": "RoleEditors", "module": "System", "function": "Security Roles",
                                  "cell": "edit", "before": "All", "after": "None"},
                                 {"kind": "level", "role": "RoleEditors", "module": "System", "function": "Security Roles",
                                  "cell": "inquire", "before": "All", "after": "None"}]
    assert [p.name for p in sorted((folder / "acme").iterdir())] == ["20260602T030004Z.json", "20260603T030004Z.json"]
    # The newest is kept whatever its age.
    assert history.prune(str(folder), "acme", 1, later + datetime.timedelta(days=900)) == [first["snapshot"]]


def test_a_tenant_name_never_leaves_the_history_folder(tmp_path):
    for name in ("../x", "", ".."):
        try:
            history.tenant_folder(str(tmp_path), name)
        except ValueError as exc:
            assert "history_dir" in str(exc)
        else:
            raise AssertionError(name)


def test_keep_reads_only_what_the_run_has_not_read_and_records_the_changes(tmp_path):
    roles, settings, api_members, _people = tenant_data()
    lists = {"/system/securityroles": roles, "/system/apiMembers": api_members}
    lists.update({"/system/securityroles/%d/settings" % role_id: found for role_id, found in settings.items()})
    # An audit read the roles and the settings of its vendor's role (Acme) already.
    client = Lists(lists, cache={"roles": roles, ("settings", 4): settings[4]})
    kept = history.keep(client, str(tmp_path), "acme", NOW)
    assert client.reads == ["/system/securityroles/%d/settings" % n for n in (1, 2, 3, 5)] + ["/system/apiMembers"]
    assert kept["changes"] == [] and kept["previous"] is None
    lists["/system/securityroles/5/settings"] = rows(tickets={"inquire": "All", "add": "My"})
    later = NOW + datetime.timedelta(hours=1)
    again = history.keep(Lists(lists), str(tmp_path), "acme", later)
    assert again["previous"] == kept["snapshot"]
    assert again["changes"] == [{"kind": "level", "role": "Desk", "module": "Service Desk", "function": "Service Tickets",
                                 "cell": "add", "before": "None", "after": "My", "tenant": "acme",
                                 "line": "role Desk: Service Desk / Service Tickets add None -> My"}]


# -- Table Setup lists in the snapshots ---------------------------------------------------------------------------------

T1, T2, T3 = "2026-06-01T03:00:02Z", "2026-06-02T03:00:02Z", "2026-06-03T03:00:02Z"
BOARD, TAX, TEAM = "Service / Service Board", "Finance / Tax Code", "Company / Team Role"


def verified(at, *items, member="AcmeSync"):
    """A Table Setup list as the run read it as ``member`` (what tables.verified_lists gives for a role)."""
    return {"member": member, "at": at, "items": list(items)}


def shot_with(tables=None, previous=None):
    """The tenant's snapshot with these verified lists, carrying the last verified ones of ``previous`` as record() does."""
    roles, settings, api_members, _people = tenant_data()
    return history.carry_verified(previous, history.snapshot("acme", NOW, roles, settings, api_members, tables))


def test_a_snapshot_records_each_verified_table_setup_list_and_says_not_verified_for_every_other_role():
    shot = shot_with({"acme": verified(T1, BOARD, TAX), "Desk": verified(T1, member="Mystery")})
    # Matched to the role whatever the case of its name; the items sorted.
    assert shot["roles"]["Acme"]["table_setup"] == {"verified": True, "how": "verified as member AcmeSync",
                                                    "member": "AcmeSync", "at": T1, "items": [TAX, BOARD]}
    # Verified with no item is a list that allows nothing; not verified has no list at all.
    assert shot["roles"]["Desk"]["table_setup"] == {"verified": True, "how": "verified as member Mystery", "member": "Mystery",
                                                    "at": T1, "items": []}
    for name in ("Admin", "RoleEditors", "Onboarders"):
        assert shot["roles"][name]["table_setup"] == {"verified": False, "how": history.NOT_VERIFIED, "last_verified": None}
    assert history.NOT_VERIFIED.startswith("not verified: ")


def test_table_setup_items_are_compared_only_between_two_verified_lists():
    first = shot_with({"Acme": verified(T1, BOARD, TAX)})
    second = shot_with({"Acme": verified(T2, TAX, TEAM)}, first)
    found = history.changes(first, second)
    assert found == [
        {"kind": "table_removed", "role": "Acme", "table": BOARD, "member": "AcmeSync", "at": T2, "since": T1},
        {"kind": "table_added", "role": "Acme", "table": TEAM, "member": "AcmeSync", "at": T2, "since": T1}]
    assert [history.change_line(c) for c in found] == [
        "role Acme: Table Setup item Service / Service Board removed (verified as member AcmeSync, against the list "
        "verified 2026-06-01T03:00:02Z)",
        "role Acme: Table Setup item Company / Team Role added (verified as member AcmeSync, against the list "
        "verified 2026-06-01T03:00:02Z)"]
    assert history.changes(second, shot_with({"Acme": verified(T3, TEAM, TAX)}, second)) == []

    # A run that does not verify (a review): the loss is said once, never an item removed; the list verified last
    # travels in the snapshot, marked as such.
    lost = shot_with(None, second)
    assert lost["roles"]["Acme"]["table_setup"] == {"verified": False, "how": history.NOT_VERIFIED,
                                                    "last_verified": {"member": "AcmeSync", "at": T2, "items": [TEAM, TAX]}}
    assert history.changes(second, lost) == [{"kind": "table_setup_unverified", "role": "Acme", "member": "AcmeSync", "at": T2}]
    assert history.change_line(history.changes(second, lost)[0]) == (
        "role Acme: Table Setup not verified by this run (last verified as member AcmeSync at 2026-06-02T03:00:02Z); a "
        "change since then would not show")
    still = shot_with(None, lost)
    assert history.changes(lost, still) == []
    assert still["roles"]["Acme"]["table_setup"]["last_verified"] == {"member": "AcmeSync", "at": T2, "items": [TEAM, TAX]}

    # Verified again: compared with the list verified last, however many unverified snapshots came between.
    third = shot_with({"Acme": verified(T3, TEAM, member="acme-east")}, still)
    assert history.changes(still, third) == [
        {"kind": "table_removed", "role": "Acme", "table": TAX, "member": "acme-east", "at": T3, "since": T2}]


def test_a_first_verification_is_said_with_its_items_and_is_not_a_change_of_items():
    never = shot_with(None)
    first = shot_with({"Acme": verified(T1, BOARD)}, never)
    assert history.changes(never, first) == [
        {"kind": "table_setup_verified", "role": "Acme", "member": "AcmeSync", "at": T1, "items": [BOARD]}]
    assert history.change_line(history.changes(never, first)[0]) == (
        "role Acme: Table Setup verified as member AcmeSync, 1 item(s): Service / Service Board; not verified before, so no "
        "change is known")
    # A snapshot written before Table Setup lists were recorded knows none: the same.
    older = json.loads(json.dumps(never))
    for role in older["roles"].values():
        del role["table_setup"]
    assert history.changes(older, first) == history.changes(never, first)
    assert history.changes(older, shot_with(None, older)) == []
    assert shot_with(None, older)["roles"]["Acme"]["table_setup"]["last_verified"] is None


def test_record_carries_the_last_verified_list_through_an_unverified_snapshot(tmp_path):
    folder = str(tmp_path / "history")
    audit = history.record(folder, "acme", shot_with({"Acme": verified(T1, BOARD, TAX)}), NOW)
    assert audit["changes"] == []
    review_at = NOW + datetime.timedelta(hours=1)
    review_run = history.record(folder, "acme", shot_with(None), review_at)
    assert review_run["changes"] == [{"kind": "table_setup_unverified", "role": "Acme", "member": "AcmeSync", "at": T1}]
    with open(review_run["snapshot"], encoding="utf-8") as stream:
        stored = json.load(stream)["roles"]["Acme"]["table_setup"]
    assert stored == {"verified": False, "how": history.NOT_VERIFIED,
                      "last_verified": {"member": "AcmeSync", "at": T1, "items": [TAX, BOARD]}}
    later = NOW + datetime.timedelta(days=1)
    again = history.record(folder, "acme", shot_with({"Acme": verified(T2, BOARD)}), later)
    assert again["previous"] == review_run["snapshot"]
    assert again["changes"] == [{"kind": "table_removed", "role": "Acme", "table": TAX, "member": "AcmeSync", "at": T2,
                                 "since": T1}]


def test_keep_records_the_lists_the_run_verified_and_never_the_members_keys(tmp_path):
    roles, settings, api_members, _people = tenant_data()
    lists = {"/system/securityroles": roles, "/system/apiMembers": api_members}
    lists.update({"/system/securityroles/%d/settings" % role_id: found for role_id, found in settings.items()})
    pair = ("acmesyncpublic", "acmesyncprivate")
    # The audit read the member's customize items with its pair (cached by the public key) and noted the list.
    client = Lists(lists, cache={("customize", pair[0]): [{"customizeIdentifier": "SystemTableSetup", "itemIdentifier": "101"}]})
    tables.note_verified(client, "Acme", "AcmeSync", [BOARD], at=NOW)
    kept = history.keep(client, str(tmp_path), "acme", NOW)
    with open(kept["snapshot"], encoding="utf-8") as stream:
        written = stream.read()
    assert json.loads(written)["roles"]["Acme"]["table_setup"] == {
        "verified": True, "how": "verified as member AcmeSync", "member": "AcmeSync", "at": "2026-06-02T03:00:04Z",
        "items": [BOARD]}
    assert json.loads(written)["roles"]["Desk"]["table_setup"]["verified"] is False
    assert stat.S_IMODE(os.stat(kept["snapshot"]).st_mode) == 0o600
    assert pair[0] not in written and pair[1] not in written


def test_an_audit_snapshot_reads_no_role_it_did_not_audit_and_claims_no_change_of_their_levels(tmp_path):
    roles, settings, api_members, _people = tenant_data()
    lists = {"/system/securityroles": roles, "/system/apiMembers": api_members}
    lists.update({"/system/securityroles/%d/settings" % role_id: found for role_id, found in settings.items()})
    # A review reads every role.
    reviewed = history.keep(Lists(lists), str(tmp_path), "acme", NOW)
    # The audit read the settings of its vendor's role (Acme, 4) only; it reads no other role's, and says so.
    client = Lists(lists, cache={"roles": roles, ("settings", 4): settings[4]})
    later = NOW + datetime.timedelta(hours=1)
    lists["/system/securityroles/5/settings"] = rows(tickets={"inquire": "All", "add": "My"})  # Desk, not audited
    audited = history.keep(client, str(tmp_path), "acme", later, every_role=False)
    assert client.reads == ["/system/apiMembers"]
    assert audited["previous"] == reviewed["snapshot"] and audited["changes"] == []
    shot = json.loads(open(audited["snapshot"], encoding="utf-8").read())
    assert shot["roles"]["Acme"]["levels"]["Companies"]["Contacts"]["inquire"] == "My" and "levels_read" not in shot["roles"]["Acme"]
    desk = shot["roles"]["Desk"]
    assert desk["levels"] is None and desk["levels_read"] is False
    assert desk["last_levels"] == json.loads(open(reviewed["snapshot"], encoding="utf-8").read())["roles"]["Desk"]["levels"]
    # The next review compares Desk with the newest levels read (the first review's), through the audit between them.
    again = history.keep(Lists(lists), str(tmp_path), "acme", later + datetime.timedelta(hours=1))
    assert again["previous"] == audited["snapshot"]
    assert [c["line"] for c in again["changes"]] == ["role Desk: Service Desk / Service Tickets add None -> My"]
