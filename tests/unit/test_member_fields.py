# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A member option is one declaration: resources/members.py's MEMBER_FIELDS. What an integration's member may hold,
the names resolved before the first write, cw_api_member's argument spec and the cw_member_<option> role variables
follow from it; cw_api_member's DOCUMENTATION is text (ansible-doc and validate-modules read it statically), so it is
held to it here, and the integration fragment names the member keys without listing them."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import warnings

import yaml

from ansible_collections.msp.connectwise.plugins.module_utils.engine import integration, tenant, tenant_model
from ansible_collections.msp.connectwise.plugins.module_utils.resources import members
from ansible_collections.msp.connectwise.plugins.module_utils.resources.base import Reference
from ansible_collections.msp.connectwise.plugins.modules import cw_api_member
from tests.conftest import REPO

MODULE = REPO / "plugins" / "modules" / "cw_api_member.py"
FRAGMENT = REPO / "plugins" / "doc_fragments" / "integration.py"
MEMBERS = REPO / "plugins" / "module_utils" / "resources" / "members.py"
MODULE_ONLY = {"state"}  # cw_api_member's options that are not a field of the member


def documentation_options(path=MODULE):
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)["options"]
    raise AssertionError("%s has no DOCUMENTATION" % path)


def documentation_differences(options, fields):
    """How the documented options differ from the declared fields: missing, extra, or of another type."""
    found = []
    declared = {f.option: f for f in fields}
    documented = {name: option for name, option in options.items() if name not in MODULE_ONLY}
    found += ["%s: declared in resources/members.py, missing from DOCUMENTATION" % name for name in declared if name not in documented]
    found += ["%s: in DOCUMENTATION, not declared in resources/members.py" % name for name in documented if name not in declared]
    for name in set(declared) & set(documented):
        want = declared[name].argument_spec()
        got = {key: value for key, value in documented[name].items() if key in ("type", "elements", "required")}
        if got != want:
            found.append("%s: DOCUMENTATION says %s, the declaration %s" % (name, got, want))
    return sorted(found)


def fragment_member_description():
    spec = importlib.util.spec_from_file_location("integration_fragment", FRAGMENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION)["options"]["integrations"]["suboptions"]["member"]["description"]


def test_cw_api_member_documents_every_declared_field_and_nothing_else():
    assert documentation_differences(documentation_options(), members.MEMBER_FIELDS) == []
    assert list(documentation_options()) == [f.option for f in members.MEMBER_FIELDS] + ["state"]  # in the same order


def test_the_documentation_check_sees_a_field_left_undocumented_or_mistyped():
    extra = members.MemberField("phone", "officePhone", "Member phone")
    retyped = members.MemberField("notes", "notes", "Member notes", type="list", elements="str")
    fields = tuple(f for f in members.MEMBER_FIELDS if f.option != "notes") + (extra, retyped)
    assert documentation_differences(documentation_options(), fields) == [
        "notes: DOCUMENTATION says {'type': 'str'}, the declaration {'type': 'list', 'elements': 'str'}",
        "phone: declared in resources/members.py, missing from DOCUMENTATION"]


def test_cw_api_member_takes_the_declared_fields(monkeypatch):
    taken = {}

    class Captured(Exception):
        pass

    def module(argument_spec, **kwargs):
        taken.update(argument_spec)
        raise Captured()

    monkeypatch.setattr(cw_api_member, "ConnectWiseModule", module)
    try:
        cw_api_member.main()
    except Captured:
        pass
    assert taken == dict(members.member_argument_spec(), state={"type": "str", "choices": ["present", "absent"], "default": "present"})
    documented = documentation_options()
    for name, spec in taken.items():
        assert {k: v for k, v in documented[name].items() if k != "description"} == spec, name


def test_the_integration_fragment_names_the_member_keys_by_what_they_are_not():
    """cw_integration's member takes cw_api_member's options but those the fragment names as excluded: it lists no
    option, so a new one needs no line there."""
    description = fragment_member_description()
    excluded = set(re.findall(r"C\((\w+)\)", description))
    assert "M(msp.connectwise.cw_api_member)" in description and excluded == {"role", "state"}
    assert set(documentation_options()) - excluded == set(members.MEMBER_OPTIONS)
    assert members.MEMBER_OPTIONS == integration.MEMBER_OPTIONS == tenant.MEMBER_OPTIONS


def test_the_role_has_one_member_variable_per_option_an_integration_takes():
    variables = [v for v in tenant_model.VARIABLES if v.name.startswith("cw_member_")]
    assert [v.name for v in variables] == ["cw_member_" + option for option in members.MEMBER_OPTIONS]
    for field in (f for f in members.MEMBER_FIELDS if f.integration):
        variable = tenant_model.BY_NAME["cw_member_" + field.option]
        assert (variable.type, variable.elements, variable.item, variable.single) == (
            field.type, field.elements, "member." + field.option, True)
        assert variable.description == field.description + " (single-vendor runs)."
    assert tenant_model.BY_NAME["cw_member_identifier"].entry_points == tenant_model.ONBOARDING
    assert tenant_model.BY_NAME["cw_member_level"].entry_points == ("main", "audit")


def test_scalars_and_references_are_the_declaration():
    assert members.SCALARS == {"name": "name", "email": "emailAddress", "notes": "notes"}
    assert set(members.REFERENCES) == {"role", "level", "location", "department", "time_zone", "excluded_boards"}
    assert "role" not in members.MEMBER_OPTIONS  # the integration's role step names it
    assert members.ApiMembers.references is members.REFERENCES


# -- the fields the tests meet: the published model and the simulator hold each declared one ----------------------------

def published_api_member():
    with warnings.catch_warnings():  # the generated models use a pydantic 1 idiom pydantic 2 warns of
        warnings.simplefilter("ignore")
        from pyconnectwise.models.manage import ApiMember  # pylint: disable=import-outside-toplevel
    return {field.alias or name for name, field in ApiMember.model_fields.items()}


def simulator_api_member():
    from simulator.members import API_MEMBER, REF_TARGETS  # pylint: disable=import-outside-toplevel
    return {field.name: (field.kind, REF_TARGETS[field.target][1] if field.target else None) for field in API_MEMBER.fields}


def model_differences(fields, published, modelled):
    """How the declared member fields differ from ConnectWise's published ApiMember model and from the simulator's
    (simulator/members.py API_MEMBER, which models ConnectWise, not this collection): each API field a declaration
    writes must be in both, of the kind it writes (text as given, or a reference to the same list: by id, or ids)."""
    found = []
    for field in fields:
        names = ["identifier"] if field.api is None else list(field.reference.fields if field.reference else [field.api])
        for name in names:
            if name not in published:
                found.append("%s: %s is not a field of the published ApiMember model" % (field.option, name))
            if name not in modelled:
                found.append("%s: %s is not modelled by the simulator (simulator/members.py API_MEMBER)" % (field.option, name))
                continue
            kind, target = modelled[name]
            if field.reference:
                want = ("ids" if field.type == "list" else "ref", field.reference.endpoint.lower())
                if (kind, (target or "").lower()) != want:
                    found.append("%s: the simulator models %s as %s of %s, the declaration as %s of %s"
                                 % (field.option, name, kind, target, want[0], field.reference.endpoint))
            elif kind not in ("str", "identifier"):
                found.append("%s: the simulator models %s as %s, the declaration writes text" % (field.option, name, kind))
    return found


def test_the_published_model_and_the_simulator_hold_every_declared_member_field():
    """So that a new member option is its declaration plus its test: the test runs against the simulator, which must
    model the API field (and ConnectWise publish it); this names the file to extend when it does not."""
    assert model_differences(members.MEMBER_FIELDS, published_api_member(), simulator_api_member()) == []


def test_the_model_check_sees_a_field_nobody_models_or_a_reference_to_another_list():
    fields = (members.MemberField("phone", "officePhone", "Member phone"),
              members.MemberField("board", Reference("/service/boards", ("serviceDefaultBoard",), "Board"), "x"),
              members.MemberField("zone", Reference("/system/timeZones", ("timeZone",), "Time Zone"), "x"))
    assert model_differences(fields, published_api_member(), simulator_api_member()) == [
        "phone: officePhone is not a field of the published ApiMember model",
        "phone: officePhone is not modelled by the simulator (simulator/members.py API_MEMBER)",
        "zone: the simulator models timeZone as ref of /system/timeZoneSetups, the declaration as ref of /system/timeZones"]


# -- one more entry in MEMBER_FIELDS, and everything follows --------------------------------------------------------------

FAKE_FIELDS = '''    F("phone", "officePhone", "Member phone"),
    F("calendar", Reference("/schedule/calendars", ("calendar",), "Calendar"), "Calendar name"),
'''
PROBE = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2] + "/scripts")
from ansible_collections.msp.connectwise.plugins.module_utils.resources import members
from ansible_collections.msp.connectwise.plugins.module_utils.engine import integration, tenant, tenant_model
from ansible_collections.msp.connectwise.plugins.modules import cw_api_member
import vendor_wrappers

class Refs:
    client = None
    def __init__(self):
        self.resolved = []
    def resolve(self, option, name):
        self.resolved.append([option, name])
        return {"id": 7, "name": name}
    def level_one(self):
        return "Corporate"

refs = Refs()
integration.check_references(refs, {"identifier": "TopLeft", "calendar": "Default", "level": "Corporate", "phone": "555"},
                             create=False)
spec = {}
class Captured(Exception):
    pass
def module(argument_spec, **kwargs):
    spec.update(argument_spec)
    raise Captured()
cw_api_member.ConnectWiseModule = module
try:
    cw_api_member.main()
except Captured:
    pass
refused = []
for member in ({"phone": "555", "calendar": "Default"}, {"fax": "555"}):
    try:
        tenant.check_overrides([{"member": member}])
    except ValueError as exc:
        refused.append(str(exc))
variable = tenant_model.BY_NAME["cw_member_phone"]
item = tenant_model.integration_item("topleft", {}, dict(tenant_model.resolve({"cw_member_phone": "555"}, {})), {}, True,
                                     "dest", "handback")
print(json.dumps({
    "file": members.__file__,
    "options": members.MEMBER_OPTIONS, "integration_options": integration.MEMBER_OPTIONS,
    "scalars": members.SCALARS, "references": {k: [r.endpoint, list(r.fields)] for k, r in members.REFERENCES.items()},
    "desired": members.desired({"identifier": "TopLeft", "phone": "555", "calendar": "Default"}, refs),
    "patch": members.patch_ops("phone", "555", refs) + members.patch_ops("calendar", "Default", refs),
    "resolved": refs.resolved, "spec": spec, "refused": refused,
    "variable": [variable.type, variable.item, variable.single, variable.description, list(variable.entry_points)],
    "item_member": item["member"],
    "role_spec": vendor_wrappers.engine_spec(),
}))
'''


def test_a_new_member_field_is_one_entry_in_the_declaration(tmp_path):
    """A copy of the collection whose MEMBER_FIELDS has two more entries (a value and a reference): the engine, the
    module, the role variables and the role's argument spec all take them, with nothing else edited."""
    root = tmp_path / "ansible_collections" / "msp" / "connectwise"
    shutil.copytree(REPO / "plugins", root / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "scripts", root / "scripts", ignore=shutil.ignore_patterns("__pycache__"))
    declared = root / "plugins" / "module_utils" / "resources" / "members.py"
    text = MEMBERS.read_text()
    end = text.index("\n)\n", text.index("MEMBER_FIELDS = (")) + 1
    declared.write_text(text[:end] + FAKE_FIELDS + text[end:])
    process = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path), str(root)], capture_output=True, text=True,
                             timeout=60, check=False, cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    found = json.loads(process.stdout)
    assert found["file"] == str(declared)
    assert found["options"] == found["integration_options"] == list(members.MEMBER_OPTIONS) + ["phone", "calendar"]
    assert found["scalars"]["phone"] == "officePhone"
    assert found["references"]["calendar"] == ["/schedule/calendars", ["calendar"]]
    assert found["desired"]["phone"] == "555" and found["desired"]["calendar"] == "Default"
    assert found["patch"] == [{"op": "replace", "path": "officePhone", "value": "555"},
                              {"op": "replace", "path": "calendar", "value": {"id": 7}}]
    assert ["calendar", "Default"] in found["resolved"] and ["phone", "555"] not in found["resolved"]
    assert found["spec"]["phone"] == {"type": "str"} and found["spec"]["calendar"] == {"type": "str"}
    assert found["refused"] == ["integrations[0].member: unknown key(s) fax; use %s"
                                % ", ".join(list(members.MEMBER_OPTIONS) + ["phone", "calendar"])]
    assert found["variable"] == ["str", "member.phone", True, "Member phone (single-vendor runs).", ["main", "audit"]]
    assert found["item_member"]["phone"] == "555"
    spec = yaml.safe_load(found["role_spec"])["argument_specs"]["main"]["options"]
    assert spec["cw_member_phone"] == {"type": "str", "description": "Member phone (single-vendor runs)."}
    assert spec["cw_member_calendar"] == {"type": "str", "description": "Calendar name (single-vendor runs)."}
    # The text that is not derived fails its check until the new options are written in.
    fields = members.MEMBER_FIELDS + (members.MemberField("phone", "officePhone", "Member phone"),
                                      members.MemberField("calendar", Reference("/schedule/calendars", ("calendar",), "Calendar"), "x"))
    assert documentation_differences(documentation_options(root / "plugins" / "modules" / "cw_api_member.py"), fields) == [
        "calendar: declared in resources/members.py, missing from DOCUMENTATION",
        "phone: declared in resources/members.py, missing from DOCUMENTATION"]
