"""The tenant builder of the integration role (engine/tenant_model.py), without Ansible: precedence of the profile,
the single-vendor variables and cw_vendor_overrides; booleans given as strings; every input check; the doctor
record's company guard; the key hand-back command; and the role's argument spec generated from the declaration."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.engine import tenant_model
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant_model import OVERRIDE_KEYS, VARIABLES, build_tenant
from tests.conftest import REPO

PROFILES = {name: {"vendor": name, "role": {"name": name.title()}, "member": {"identifier": name.title()}}
            for name in ("topleft", "mobius", "timesanity")}
# $PWD names another folder than the current one (a parent process may leave it stale): it is never used.
ENV = {"PWD": "/home/elsewhere", "CW_COMPANY_ID": "acme"}
CWD = "/srv/ansible"


def build(variables, records=None, host="acme", sources=None, environ=None, profiles=None, controller_job=False):
    return build_tenant(variables, PROFILES if profiles is None else profiles, (records or {}).get, host=host,
                        inventory_sources=sources, environ=ENV if environ is None else environ, cwd=CWD,
                        controller_job=controller_job)


def item(variables, **options):
    return build(variables, **options)["tenant"]["integrations"][0]


def refused(variables, **options):
    with pytest.raises(ValueError) as info:
        build(variables, **options)
    return str(info.value)


def test_one_vendor_takes_the_flat_variables():
    got = item({"cw_vendors": ["topleft"], "cw_role_name": "TL", "cw_member_level": "Corporate", "cw_purge": True})
    assert got["profile"] is PROFILES["topleft"]
    assert got["role_name"] == "TL" and got["member"]["level"] == "Corporate" and got["member"]["identifier"] is None
    assert got["purge"] is True and got["include_optional"] is False and got["include_temporary"] is True
    assert got["key"] == {"source": "auto", "dest": "/srv/ansible/cw-output/credentials/acme-topleft.json",
                          "handback": got["key"]["handback"]}


def test_several_vendors_ignore_the_single_vendor_variables_but_not_the_others():
    tenant = build({"cw_vendors": ["topleft", "mobius"], "cw_role_name": "TL", "cw_member_name": "X", "cw_purge": True,
                    "cw_key_source": "token"})["tenant"]
    for got in tenant["integrations"]:
        assert got["role_name"] is None and got["member"]["name"] is None
        assert got["purge"] is True and got["key"]["source"] == "token"


def test_overrides_win_over_the_flat_variables_and_merge_member_and_key():
    overrides = {"topleft": {"role_name": "Over", "purge": False, "member": {"level": "East"},
                             "key": {"dest": "/keys/tl.json", "rotate": True}}}
    got = item({"cw_vendors": ["topleft"], "cw_role_name": "TL", "cw_purge": True, "cw_member_name": "Kept",
                "cw_member_level": "West", "cw_key_vault_password": "pw", "cw_vendor_overrides": overrides})
    assert got["role_name"] == "Over" and got["purge"] is False
    assert got["member"]["level"] == "East" and got["member"]["name"] == "Kept"
    assert got["key"]["dest"] == "/keys/tl.json" and got["key"]["rotate"] is True
    assert got["key"]["vault_password"] == "pw" and got["key"]["source"] == "auto"
    # An override of null replaces the variable's value, as the role's template did.
    assert item({"cw_vendors": ["topleft"], "cw_reassign_role": "Spare",
                 "cw_vendor_overrides": {"topleft": {"reassign_role": None}}})["reassign_role"] is None


def test_no_vault_password_no_key_entry():
    assert "vault_password" not in item({"cw_vendors": ["topleft"]})["key"]


@pytest.mark.parametrize("given, expected", [("true", True), ("yes", True), ("False", False), ("0", False), (1, True),
                                             (None, False)])
def test_booleans_given_as_strings_are_read_as_the_bool_filter_does(given, expected):
    got = item({"cw_vendors": ["topleft"], "cw_adopt_role": given, "cw_vendor_overrides": {"topleft": {"include_optional": given}}})
    assert got["adopt_role"] is expected and got["include_optional"] is expected
    assert build({"cw_vendors": ["topleft"], "cw_fail_on_pending": "false"})["allow_pending"] is True


def test_a_value_that_is_not_a_boolean_names_its_variable():
    assert "cw_purge: 'maybe' is not a boolean" in refused({"cw_vendors": ["topleft"], "cw_purge": "maybe"})
    assert "cw_vendor_overrides.topleft.purge: 'sure' is not a boolean" in refused(
        {"cw_vendors": ["topleft"], "cw_vendor_overrides": {"topleft": {"purge": "sure"}}})


@pytest.mark.parametrize("variables, expected", [
    ({"cw_vendors": "topleft"}, ["cw_vendors must be a list of vendor names", "cw_vendors: [topleft]"]),
    ({"cw_vendors": [1]}, ["cw_vendors must be a list of vendor names"]),
    ({"cw_vendors": []}, ["cw_vendors is empty: name the vendors to act on", "known vendors: mobius, timesanity, topleft"]),
    ({"cw_vendors": ["nope", "topleft"]}, ["cw_vendors: nope is not a known vendor; known vendors: mobius, timesanity, topleft",
                                           "add files/profiles/<vendor>.yml"]),
    ({"cw_vendors": ["topleft", "mobius", "topleft"]},
     ["cw_vendors: topleft listed more than once; list each vendor once: [topleft, mobius]"]),
    ({"cw_vendors": ["topleft"], "cw_vendor_overrides": {"topleft": {"purgee": True}}},
     ["cw_vendor_overrides must be a mapping of vendor -> mapping whose keys are", "unknown: purgee (under topleft)"]),
    # A typo in a vendor's name would leave its overrides unapplied without a word; another known vendor's are kept.
    ({"cw_vendors": ["topleft"], "cw_vendor_overrides": {"top_left": {"purge": True}}},
     ["cw_vendor_overrides: top_left is not a known vendor, so its overrides would never apply; known vendors: mobius, "
      "timesanity, topleft"]),
    ({"cw_vendors": ["topleft"], "cw_vendor_overrides": {"topleft": {"member": {"levle": "Corporate"}}}},
     ["cw_vendor_overrides.topleft.member: unknown key(s) levle; use identifier, name, email, level"]),
    ({"cw_vendors": ["topleft"], "cw_vendor_overrides": {"topleft": {"key": {"sorce": "ui"}}}},
     ["cw_vendor_overrides.topleft.key: unknown key(s) sorce; use source, dest"]),
    ({"cw_vendors": ["topleft"], "cw_vendor_overrides": ["topleft"]}, ["cw_vendor_overrides must be a mapping"]),
    ({"cw_vendors": ["topleft"], "cw_vendor_overrides": {"topleft": "TL"}}, ["cw_vendor_overrides must be a mapping"]),
    ({"cw_vendors": ["topleft"], "cw_vendor_overrides": {"topleft": {"member": "X"}}},
     ["cw_vendor_overrides.topleft.member must be a mapping"]),
    ({"cw_vendors": ["topleft"], "cw_state": "bogus"}, ["cw_state: 'bogus' is not one of present, absent"]),
    ({"cw_vendors": ["topleft"], "cw_integration_profiles": ["x"]}, ["cw_integration_profiles must be a mapping"]),
])
def test_bad_input_is_refused_naming_the_variable_and_the_fix(variables, expected):
    message = refused(variables)
    assert all(text in message for text in expected), message


def test_a_host_name_with_a_slash_is_refused():
    message = refused({"cw_vendors": ["topleft"]}, host="../acme")
    assert 'inventory host "../acme" contains a \'/\'' in message and "Rename the host in the inventory" in message


def test_the_override_keys_are_those_of_an_integration_item():
    assert sorted(OVERRIDE_KEYS) == sorted(["role_name", "member", "key", "purge", "include_optional", "include_temporary",
                                            "allow_partial", "levels", "reassign_role", "adopt_role"])


def test_recorded_facts_are_used_for_their_company_only():
    path = "/srv/ansible/cw-output/tenants/acme.yml"
    record = {path: {"cw_company_id": "ACME", "cw_codebase": "v2025_1/", "cw_level1_name": "Corporate",
                     "cw_settings_writable": False}}
    tenant = build({"cw_vendors": ["topleft"]}, records=record)["tenant"]
    assert tenant["tenant_facts"] == {"codebase": "v2025_1/", "level1_name": "Corporate"}
    assert tenant["settings_writable"] is False
    # cw_settings_writable, when given, wins over the record.
    assert build({"cw_vendors": ["topleft"], "cw_settings_writable": "true"}, records=record)["tenant"]["settings_writable"] is True
    # Recorded for another company under the same host name (localhost with other CW_* variables): not this one's.
    other = build({"cw_vendors": ["topleft"], "cw_company_id": "globex"}, records=record)["tenant"]
    assert other["tenant_facts"] == {"codebase": None, "level1_name": None} and other["settings_writable"] is None
    assert build({"cw_vendors": ["topleft"]}, records=record, environ={"CW_COMPANY_ID": "x"})["tenant"][
        "tenant_facts"]["codebase"] is None
    # The record is under cw_output_dir.
    moved = build({"cw_vendors": ["topleft"], "cw_output_dir": "/out"}, records={"/out/tenants/acme.yml": record[path]})
    assert moved["tenant"]["tenant_facts"]["codebase"] == "v2025_1/"
    assert moved["vars"]["cw_checklist_dir"] == "/out/checklists" and moved["vars"]["cw_credentials_dir"] == "/out/credentials"


def test_the_output_folder_defaults_to_the_environment_else_the_current_directory_never_pwd(tmp_path, monkeypatch):
    assert build({"cw_vendors": ["topleft"]}, environ={"CW_OUTPUT_DIR": "/srv/cw"})["vars"]["cw_output_dir"] == "/srv/cw"
    assert build({"cw_vendors": ["topleft"]})["vars"]["cw_output_dir"] == "/srv/ansible/cw-output"
    # Without a cwd given: the process's own (as the cw_tenant action runs it), whatever $PWD says.
    monkeypatch.chdir(tmp_path)
    built = build_tenant({"cw_vendors": ["topleft"]}, PROFILES, {}.get, environ={"PWD": "/home/elsewhere"})
    assert built["vars"]["cw_output_dir"] == str(tmp_path.resolve() / "cw-output")
    assert built["vars"]["cw_credentials_dir"] == str(tmp_path.resolve() / "cw-output" / "credentials")


def test_handback_names_the_inventory_and_the_host_when_there_is_one():
    tail = " -e cw_vendor=topleft (it asks for both keys, checks them as the member and keeps them for the next run)"
    assert item({"cw_vendors": ["topleft"]})["key"]["handback"] == "run: ansible-playbook msp.connectwise.key_import" + tail
    got = item({"cw_vendors": ["topleft"]}, sources=["/inv/tenants.yml", "/inv/my hosts.yml"])["key"]["handback"]
    assert got == ("run: ansible-playbook msp.connectwise.key_import -i /inv/tenants.yml -i '/inv/my hosts.yml' -l acme"
                   + tail)


def test_handback_in_a_controller_job_names_the_host_and_the_credentials_folder():
    """An AWX job's inventory is a script in its private data dir, gone when the job ends: the command a person runs
    afterwards from a shell names the host alone, and the folder the job keeps the tenant's key pairs in."""
    tail = " -e cw_vendor=topleft (it asks for both keys, checks them as the member and keeps them for the next run)"
    environ = dict(ENV, CW_OUTPUT_DIR="/var/lib/cw output/acme")
    got = item({"cw_vendors": ["topleft"]}, sources=["/runner/inventory/hosts"], controller_job=True, environ=environ)
    assert got["key"]["handback"] == ("run: ansible-playbook msp.connectwise.key_import -i acme, "
                                      "-e 'cw_credentials_dir=/var/lib/cw output/acme/credentials'" + tail)
    got = item({"cw_vendors": ["topleft"], "cw_credentials_dir": "/keys"}, sources=["/runner/inventory/hosts"],
               controller_job=True)
    assert got["key"]["handback"] == "run: ansible-playbook msp.connectwise.key_import -i acme, -e cw_credentials_dir=/keys" + tail
    # The implicit localhost of a job without an inventory host: nothing to name, as on the command line.
    assert item({"cw_vendors": ["topleft"]}, controller_job=True)["key"]["handback"] == (
        "run: ansible-playbook msp.connectwise.key_import" + tail)


def test_connection_variables_that_are_set_join_the_tenant_and_secrets_stay_out_of_vars():
    built = build({"cw_vendors": ["topleft"], "cw_site": "https://cw.example.com", "cw_private_key": "secret",
                   "cw_client_id": None, "cw_key_vault_password": "pw"})
    assert built["tenant"]["site"] == "https://cw.example.com" and built["tenant"]["private_key"] == "secret"
    assert "client_id" not in built["tenant"] and "public_key" not in built["tenant"]
    assert "secret" not in str(built["vars"]) and "pw" not in str(built["vars"].values())


def test_given_profiles_are_known_vendors_and_replace_shipped_ones():
    own = {"vendor": "own", "role": {"name": "Own"}, "member": {"identifier": "Own"}}
    built = build({"cw_vendors": ["own", "topleft"], "cw_integration_profiles": {"own": own, "topleft": own}})
    assert [i["profile"] for i in built["tenant"]["integrations"]] == [own, own]


def test_offboarding_allows_pending_steps():
    assert build({"cw_vendors": ["topleft"], "cw_state": "absent"})["allow_pending"] is True
    assert build({"cw_vendors": ["topleft"]})["allow_pending"] is False


def test_the_role_argument_spec_is_the_declaration():
    """roles/integration/meta/argument_specs.yml is generated from VARIABLES (scripts/vendor_wrappers.py --check keeps
    it current); here: every declared entry point option is in it, with its type and default."""
    specs = yaml.safe_load((REPO / "roles" / "integration" / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    for variable in VARIABLES:
        for entry in variable.entry_points:
            option = specs[entry]["options"][variable.name]
            assert option["type"] == variable.type and option.get("default") == variable.default, variable.name
    assert not any(v.item and v.item.split(".")[0] not in OVERRIDE_KEYS for v in VARIABLES)
    assert tenant_model.BY_NAME["cw_member_level"].spec()["description"]


def test_every_item_a_variable_fills_is_one_the_engine_takes():
    """A new member or key variable is one entry in VARIABLES and a field the engine already takes."""
    from ansible_collections.msp.connectwise.plugins.module_utils.engine.integration import MEMBER_OPTIONS
    from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant import INTEGRATION_OPTIONS
    from ansible_collections.msp.connectwise.plugins.module_utils.resources.keys import KEY_OPTIONS

    for variable in (v for v in VARIABLES if v.item):
        part, _dot, key = variable.item.partition(".")
        assert part in INTEGRATION_OPTIONS, variable.name
        assert not key or key in {"member": MEMBER_OPTIONS, "key": KEY_OPTIONS}[part], variable.name


def test_a_shared_table_is_filled_in_from_the_profile_it_names_and_the_new_options_reach_the_item():
    table = {"status": "complete", "permissions": [{"module": "Companies", "function": "Contacts", "inquire": "All"}]}
    profiles = dict(PROFILES, clouddr=dict(PROFILES["topleft"], vendor="clouddr", **table),
                    sharer={"vendor": "sharer", "same_as": "clouddr", "role": {"name": "Sharer"}, "member": {"identifier": "s"}})
    tenant = build_tenant({"cw_vendors": ["sharer"], "cw_allow_partial": "yes",
                           "cw_levels": {"Companies / Contacts": {"add": "All"}}}, profiles, {}.get, host="acme", environ=ENV)
    [got] = tenant["tenant"]["integrations"]
    assert got["profile"]["permissions"] == table["permissions"] and got["profile"]["role"] == {"name": "Sharer"}
    assert got["allow_partial"] is True and got["levels"] == {"Companies / Contacts": {"add": "All"}}
    # Several vendors: cw_levels is a single-vendor variable; cw_vendor_overrides gives them per vendor.
    tenant = build_tenant({"cw_vendors": ["sharer", "topleft"], "cw_levels": {"X / Y": {"add": "All"}},
                           "cw_vendor_overrides": {"topleft": {"levels": {"A / B": {"edit": "My"}}, "allow_partial": True}}},
                          profiles, {}.get, host="acme", environ=ENV)
    sharer, topleft = tenant["tenant"]["integrations"]
    assert (sharer["levels"], sharer["allow_partial"]) == (None, False)
    assert (topleft["levels"], topleft["allow_partial"]) == ({"A / B": {"edit": "My"}}, True)


# -- what the engine will take for each vendor's member and key, resolved once for the key hand-over -----------------

def resolved(variables, profiles=None):
    return build(variables, profiles=profiles)["vendors"]


def test_the_member_and_key_description_are_resolved_as_the_engine_resolves_them():
    from ansible_collections.msp.connectwise.plugins.module_utils.engine.integration import desired

    keyed = dict(PROFILES, topleft=dict(PROFILES["topleft"], title="TopLeft Sync", key={"description": "TopLeft key"}))
    untitled = {"vendor": "own", "role": {"name": "Own"}, "member": {"identifier": "OwnApi"}}
    cases = [
        # A profile without a key section: its title, else the vendor's name (the tasks used to fail on it).
        ({"cw_vendors": ["topleft"]}, PROFILES, {"topleft": {"member": "Topleft", "key_description": "topleft"}}),
        ({"cw_vendors": ["topleft"]}, dict(PROFILES, topleft=dict(PROFILES["topleft"], title="TopLeft Sync")),
         {"topleft": {"member": "Topleft", "key_description": "TopLeft Sync"}}),
        ({"cw_vendors": ["own"], "cw_integration_profiles": {"own": untitled}}, PROFILES,
         {"own": {"member": "OwnApi", "key_description": "own"}}),
        ({"cw_vendors": ["topleft"]}, keyed, {"topleft": {"member": "Topleft", "key_description": "TopLeft key"}}),
        ({"cw_vendors": ["topleft"], "cw_member_identifier": "TL_API"}, keyed,
         {"topleft": {"member": "TL_API", "key_description": "TopLeft key"}}),
        ({"cw_vendors": ["topleft", "mobius"], "cw_member_identifier": "Ignored",
          "cw_vendor_overrides": {"mobius": {"member": {"identifier": "MobiusApi"}, "key": {"description": "Mobius sync"}}}},
         keyed, {"topleft": {"member": "Topleft", "key_description": "TopLeft key"},
                 "mobius": {"member": "MobiusApi", "key_description": "Mobius sync"}}),
    ]
    for variables, profiles, expected in cases:
        built = build(variables, profiles=profiles)
        assert built["vendors"] == expected, variables
        for item in built["tenant"]["integrations"]:
            want = desired(item, check_mode=True)
            assert (want["member"]["identifier"], want["key"]["description"]) == tuple(expected[want["vendor"]].values())


def test_a_profile_in_any_shape_resolves_to_nothing_rather_than_failing_before_its_check():
    odd = {"vendor": "odd", "role": {"name": "Odd"}, "member": "OddApi", "key": ["x"]}
    assert resolved({"cw_vendors": ["odd"], "cw_integration_profiles": {"odd": odd}}) == {
        "odd": {"member": None, "key_description": "odd"}}


# -- what a run learns of a tenant, kept in the record doctor.yml writes ------------------------------------------------

def test_a_learnt_fact_joins_the_record_for_its_company_only(tmp_path):
    path = tmp_path / "tenants" / "acme.yml"
    assert tenant_model.remember_fact(str(path), "acme", "cw_settings_writable", False) is True
    assert yaml.safe_load(path.read_text()) == {"cw_company_id": "acme", "cw_settings_writable": False}
    assert path.read_text().startswith("---\n# Recorded by msp.connectwise")
    # As doctor.yml writes it: the other facts and comments stay, the fact is replaced, not repeated.
    doctor = ('---\n# Recorded by msp.connectwise doctor.yml\ncw_company_id: "ACME"\ncw_codebase: "v2025_1/"\n'
              'cw_level1_name: "Head: Office"\ncw_settings_writable: false\n')
    path.write_text(doctor)
    assert tenant_model.remember_fact(str(path), "acme", "cw_settings_writable", True) is True
    assert path.read_text() == doctor.replace("cw_settings_writable: false\n", "cw_settings_writable: true\n")
    # Recorded for another company under the same host name: left alone.
    assert tenant_model.remember_fact(str(path), "globex", "cw_settings_writable", False) is False
    assert path.read_text() == doctor.replace("false", "true")
    # What the next build reads.
    built = build({"cw_vendors": ["topleft"]}, records={str(path): yaml.safe_load(path.read_text())}, environ={
        "CW_OUTPUT_DIR": str(tmp_path), "CW_COMPANY_ID": "acme"})
    assert built["record"] == str(path) and built["tenant"]["settings_writable"] is True


def test_a_recorded_mapping_names_the_role_and_member_and_a_variable_wins():
    path = "/srv/ansible/cw-output/tenants/acme.yml"
    record = {path: {"cw_company_id": "acme", "cw_vendor_mappings": {
        "topleft": {"role_name": "TopLeft Integration", "member_identifier": "tl.api"}, "mobius": {"role_name": "Billing"}}}}
    built = build({"cw_vendors": ["topleft", "mobius"]}, records=record)
    topleft, mobius = built["tenant"]["integrations"]
    assert (topleft["role_name"], topleft["member"]["identifier"]) == ("TopLeft Integration", "tl.api")
    assert (mobius["role_name"], mobius["member"].get("identifier")) == ("Billing", None)
    # key_import.yml hands the pair to the member recorded.
    assert built["vendors"]["topleft"]["member"] == "tl.api"
    given = item({"cw_vendors": ["topleft"], "cw_role_name": "TL", "cw_member_identifier": "tl2"}, records=record)
    assert (given["role_name"], given["member"]["identifier"]) == ("TL", "tl2")
    bad = {path: {"cw_company_id": "acme", "cw_vendor_mappings": {"topleft": {"role": "X"}}}}
    assert refused({"cw_vendors": ["topleft"]}, records=bad) == (
        "cw_vendor_mappings (in %s).topleft.role: unknown key; use role_name, member_identifier" % path)
