# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declared resources (resources/base.py): find, create with recovery, delete never while held; and a role that
check mode plans to create, which has no id."""

from __future__ import annotations

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.resources.base import Holders, Reference, References, Resource
from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import remove_held, write_held
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import ApiMembers, MemberReferences
from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import converge_permissions
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import Role, SecurityRoles, converge_role


class FakeClient:
    """Answers from ``records`` by path; POST answers come from ``posts`` (a record, or an error to raise)."""

    retries = 0

    def __init__(self, records=None, posts=None):
        self.records = records or {}
        self.posts = list(posts or [])
        self.cache = {}
        self.sent = []

    def cached(self, key, load):
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]

    def forget(self, *keys):
        for key in keys:
            self.cache.pop(key, None)

    def get_all(self, path, conditions=None, params=None):
        self.sent.append(("GET", path, conditions))
        return list(self.records.get((path, conditions), self.records.get(path, [])))

    def get_one(self, path, conditions):
        found = self.get_all(path, conditions)
        return found[0] if found else None

    def post(self, path, body):
        self.sent.append(("POST", path, body))
        answer = self.posts.pop(0)
        if isinstance(answer, Exception):
            raise answer
        self.records.setdefault(path, []).append(answer)
        return answer

    def patch(self, path, operations):
        self.sent.append(("PATCH", path, operations))
        return {"id": int(path.rsplit("/", 1)[1])}

    def delete(self, path):
        self.sent.append(("DELETE", path, None))

    def writes(self):
        return [(method, path) for method, path, _body in self.sent if method != "GET"]


EXISTS = ConnectWiseError("exists", method="POST", path="/system/securityroles", status=400,
                          errors=[{"code": "ObjectExists"}])
LOST = ConnectWiseError("no answer", method="POST", path="/system/securityroles", status=None)


def test_a_single_look_up_must_name_exactly_the_record_asked():
    client = FakeClient({("/system/securityroles", 'name="TopLeft"'): [{"id": 1, "name": "Admin", "adminFlag": True}]})
    assert SecurityRoles(client).find("TopLeft") is None


def test_the_run_list_answers_once_loaded():
    client = FakeClient({"/system/apiMembers": [{"id": 7, "identifier": "TopLeft"}]})
    members = ApiMembers(client)
    members.load()
    assert members.find("topleft")["id"] == 7 and len(client.sent) == 1


def test_a_create_someone_else_made_meanwhile_is_used():
    client = FakeClient({("/system/securityroles", 'name="TopLeft"'): [{"id": 5, "name": "TopLeft"}]}, posts=[EXISTS])
    created = SecurityRoles(client).create("TopLeft", {"name": "TopLeft"})
    assert (created.how, created.record["id"]) == ("existed", 5)


def test_a_lost_create_found_on_reading_back_is_never_posted_again():
    client = FakeClient({("/system/securityroles", 'name="TopLeft"'): [{"id": 5, "name": "TopLeft"}]}, posts=[LOST])
    created = SecurityRoles(client).create("TopLeft", {"name": "TopLeft"})
    assert (created.how, created.failure) == ("lost", LOST) and client.writes() == [("POST", "/system/securityroles")]


def test_a_created_role_joins_the_run_list():
    client = FakeClient(posts=[{"id": 9, "name": "TopLeft"}])
    roles = SecurityRoles(client)
    roles.load()
    roles.create("TopLeft", {"name": "TopLeft"})
    assert roles.find("TopLeft")["id"] == 9


def test_a_held_role_is_never_deleted_and_a_free_one_leaves_the_run_list():
    held = FakeClient({"/system/securityroles": [{"id": 5, "name": "TopLeft"}],
                       ("/system/members", "securityRole/id=5"): [{"identifier": "jtech"}]})
    roles = SecurityRoles(held)
    with pytest.raises(ValueError, match="cannot delete security role 'TopLeft': still assigned to member"):
        roles.delete(roles.find("TopLeft"), check_mode=False)
    assert held.writes() == []
    free = FakeClient({"/system/securityroles": [{"id": 5, "name": "TopLeft"}]})
    roles = SecurityRoles(free)
    roles.load()
    roles.delete(roles.find("TopLeft"), check_mode=False)
    assert free.writes() == [("DELETE", "/system/securityroles/5")] and roles.find("TopLeft") is None


def test_check_mode_plans_a_role_with_no_id_and_shows_it_as_documented():
    client = FakeClient({"/system/securityroles": [{"id": 1, "name": "Admin", "adminFlag": True}],
                         "/system/securityroles/1/settings": [
                             {"id": 11, "moduleName": "Companies", "moduleFunctionName": "Contacts", "inquireLevel": "All"}]})
    client.cache["roles"] = client.records["/system/securityroles"]
    outcome = converge_role(client, "TopLeft", "present", check_mode=True)
    assert outcome.role == Role("TopLeft", planned=True) and outcome.role.id is None
    assert outcome.shown()["role"] == {"id": None, "name": "TopLeft", "planned": True, "adminFlag": False}
    permissions = converge_permissions(client, "TopLeft", [{"module": "Companies", "function": "Contacts", "inquire": "All"}],
                                       settings_writable=True, check_mode=True, role=outcome.role)
    # The planned role's rows are any role's, all None; nothing is read or written by its id.
    assert permissions.before == {} and permissions.differences[0]["cells"] == {"inquire": {"from": "None", "to": "All"}}
    assert client.writes() == [] and all("/None" not in path and "/-1" not in path for _method, path, _body in client.sent)


# -- references: a field that names a record of another resource, resolved by name in the base ---------------------------

class Tickets(Resource):
    """A resource declared for the test: its owner is a role (a declared resource), its site a listed location."""
    endpoint = "/service/tickets"
    cache_key = "tickets"
    references = {"owner": Reference(SecurityRoles, ("ownerRole",), "Owner", planned=True),
                  "site": Reference("/system/locations", ("site",), "Site", names=("name",))}


def lookups(client, check_mode=False):
    return References(client, Tickets.references, check_mode)


def test_a_reference_resolves_a_name_folded_against_the_names_it_declares():
    client = FakeClient({"/system/locations": [{"id": 2, "name": "Main Office", "identifier": "HQ"}]})
    assert lookups(client).resolve("site", "main  office")["id"] == 2
    # Only the declared name fields count: the location's identifier is not one of them.
    with pytest.raises(ValueError) as raised:
        lookups(client).resolve("site", "HQ")
    assert str(raised.value) == "site: 'HQ' does not exist on this tenant; valid names: Main Office"
    assert [sent for sent in client.sent if sent[0] == "GET"] == [("GET", "/system/locations", None)]  # read once


def test_a_reference_to_a_declared_resource_sees_what_the_run_created():
    client = FakeClient({"/system/securityroles": [{"id": 1, "name": "Admin", "adminFlag": True}]},
                        posts=[{"id": 9, "name": "TopLeft"}])
    roles = SecurityRoles(client)
    roles.load()
    roles.create("TopLeft", {"name": "TopLeft"})
    assert lookups(client).resolve("owner", "topleft")["id"] == 9


def test_a_planned_reference_stands_for_a_record_check_mode_plans_and_only_then():
    client = FakeClient({"/system/securityroles": []})
    assert lookups(client, check_mode=True).resolve("owner", "TopLeft") == {"id": None, "name": "TopLeft"}
    with pytest.raises(ValueError, match="owner: 'TopLeft' does not exist on this tenant; valid names: $"):
        lookups(client).resolve("owner", "TopLeft")
    with pytest.raises(ValueError, match="site: 'Main' does not exist"):
        lookups(FakeClient({"/system/locations": []}), check_mode=True).resolve("site", "Main")


def test_the_member_declares_its_references_and_adds_only_its_level_one():
    assert MemberReferences(FakeClient(), check_mode=False).declared is ApiMembers.references
    assert [name for name in vars(MemberReferences) if not name.startswith("__")] == ["level_one"]


# -- delete: the refusal names the holders as the declaration says; create: our own lost create is recovered -----------

class Boards(Resource):
    """A resource declared for the test, held by tickets (named by their summary)."""
    endpoint = "/service/boards"
    noun = "service board"
    holders = Holders("/service/tickets", "board/id", "ticket", "filed on", name="summary")
    held_hint = "close them first"


def test_a_refused_delete_speaks_of_the_holders_the_declaration_names():
    client = FakeClient({("/service/tickets", "board/id=3"): [{"id": 40, "summary": "Printer down"}]})
    with pytest.raises(ValueError) as raised:
        Boards(client).delete({"id": 3, "name": "Help Desk"}, check_mode=False)
    assert str(raised.value) == ("state: cannot delete service board 'Help Desk': still filed on ticket(s) Printer down; "
                                 "close them first")
    assert client.writes() == []


def test_a_holder_without_a_name_is_named_by_its_id():
    client = FakeClient({("/system/members", "securityRole/id=5"): [{"identifier": "jtech"}, {"id": 9}]})
    with pytest.raises(ValueError) as raised:
        SecurityRoles(client).delete({"id": 5, "name": "TopLeft"}, check_mode=True)
    assert str(raised.value) == ("state: cannot delete security role 'TopLeft': still assigned to member(s) #9, jtech; "
                                 "assign them another role or deactivate and reassign them first")


class LateClient(FakeClient):
    """A create applied after its answer was lost and after the read back that followed: each look-up answers the next
    of ``looks`` (the read back finds nothing, the one after ObjectExists finds the record)."""

    retries = 1

    def __init__(self, looks, posts):
        super().__init__(posts=posts)
        self.looks = list(looks)
        self.pauses = 0

    def get_all(self, path, conditions=None, params=None):
        self.sent.append(("GET", path, conditions))
        return self.looks.pop(0)

    def _backoff(self, attempt):
        return 0

    def _wait(self, seconds, failure):
        self.pauses += 1


def test_our_own_create_applied_after_its_answer_was_lost_is_ours_not_someone_elses():
    client = LateClient([[], [{"id": 5, "name": "TopLeft"}]], posts=[LOST, EXISTS])
    created = SecurityRoles(client).create("TopLeft", {"name": "TopLeft"})
    assert (created.how, created.failure, created.record["id"]) == ("lost", LOST, 5)
    assert client.writes() == [("POST", "/system/securityroles")] * 2 and client.pauses == 1


def test_a_record_that_does_not_hold_what_our_lost_create_sent_is_someone_elses():
    client = LateClient([[], [{"id": 5, "name": "topleft"}]], posts=[LOST, EXISTS])
    assert SecurityRoles(client).create("TopLeft", {"name": "TopLeft"}).how == "existed"
    body = {"identifier": "TopLeft", "name": "TopLeft", "securityRole": {"id": 30}, "structureLevel": {"id": 1}}
    theirs = {"id": 8, "identifier": "TopLeft", "name": "TopLeft", "securityRole": {"id": 31, "name": "Other"}}
    client = LateClient([[], [theirs]], posts=[LOST, EXISTS])
    assert ApiMembers(client).create("TopLeft", body).how == "existed"
    ours = dict(theirs, securityRole={"id": 30, "name": "TopLeft"}, structureLevel={"id": 2})  # the level is no marker
    client = LateClient([[], [ours]], posts=[LOST, EXISTS])
    assert ApiMembers(client).create("TopLeft", body).how == "lost"


# -- offboarding: the member's key file the collection wrote is removed, nothing else ---------------------------------

class Tenant:
    company_id = "acme"
    site = "https://cw.example.com"


def key_file(tmp_path, vault_password=None, **record):
    path = tmp_path / "acme-topleft.json"
    write_held(str(path), dict({"site": Tenant.site, "company_id": "ACME", "member": "TopLeft", "public_key": "pub",
                                "private_key": "secret"}, **record), vault_password)
    return path


def test_offboarding_removes_the_members_key_file_and_check_mode_only_says_so(tmp_path):
    path = key_file(tmp_path)
    planned = remove_held(Tenant(), "topleft", str(path), check_mode=True)
    assert (planned.removed, planned.changed, path.exists()) == (str(path), True, True)
    removed = remove_held(Tenant(), "topleft", str(path))
    assert (removed.removed, removed.warnings, path.exists()) == (str(path), [], False)
    assert (removed.before, removed.after) == ({"key_file": str(path)}, {"key_file": None})
    assert remove_held(Tenant(), "TopLeft", str(path)).removed is None  # nothing left: nothing to say


@pytest.mark.parametrize("record, password, why", [
    ({"member": "Other"}, None, "it does not hold the pair of member TopLeft of company acme (it names Other of ACME)"),
    ({"company_id": "globex"}, None, "it does not hold the pair of member TopLeft of company acme (it names TopLeft of globex)"),
    ({}, "vault pw", "it could not be read as the key file of member TopLeft (vault_password: "),
], ids=["another-member", "another-tenant", "encrypted-without-its-password"])
def test_a_key_file_that_is_not_the_members_own_is_kept_with_a_warning(tmp_path, record, password, why):
    path = key_file(tmp_path, password, **record)
    kept = remove_held(Tenant(), "TopLeft", str(path))
    assert kept.removed is None and not kept.changed and path.exists()
    assert kept.warnings[0].startswith("%s kept: %s" % (path, why)), kept.warnings
