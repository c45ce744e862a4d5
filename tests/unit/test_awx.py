# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWX / Automation Platform: the credential type, the execution environment and the configuration playbook.

No AWX server runs here. What is checked instead:
* the credential type data file follows AWX's rules for custom types, and its injectors, rendered the way AWX renders
  them (awx/main/models/credential/__init__.py, CredentialType.inject_credential: Jinja over the inputs, blank inputs
  left out, secrets masked in the stored copy), give exactly the CW_* environment the modules read (the run of a
  module with that environment against the simulator is tests/e2e/test_awx_credential.py);
* awx/execution-environment.yml is pinned and `ansible-builder create` turns it into a build context, and
  ansible-builder's introspection finds requirements.txt through meta/execution-environment.yml;
* awx/configure.yml passes `ansible-playbook --syntax-check` and ansible-lint's production profile with the real
  awx.awx modules, its plan (what it would make on a controller) is right, and every awx.awx call it makes is accepted
  by those modules' argument specs (run against a closed port, so each module validates its arguments, then fails to
  connect).

awx.awx is not a dependency of the collection: the tests take it, pinned and hash-checked, from the `ansible`
package on PyPI (which bundles it) and unpack only that collection under tests/output/ (kept between runs).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant_model import resolve
from tests.conftest import COLLECTIONS_PATH

REPO = Path(__file__).resolve().parents[2]
AWX = REPO / "awx"
BIN = Path(sys.executable).parent
# The `ansible` package that bundles awx.awx 24.6.1 (the collection of the last AWX release), and its wheel's sha256.
AWX_SOURCE = "ansible==12.3.0"
AWX_SOURCE_SHA256 = "cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414"
AWX_VERSION = "24.6.1"
AWX_CACHE = REPO / "tests" / "output" / ("awx.awx-" + AWX_VERSION)
# AWX refuses these injector variables (awx/main/fields.py, CredentialTypeInjectorField; awx/main/constants.py).
AWX_ENV_BLOCKLIST = {"VIRTUAL_ENV", "PATH", "PYTHONPATH", "JOB_ID", "INVENTORY_ID", "INVENTORY_SOURCE_ID",
                     "INVENTORY_UPDATE_ID", "AD_HOC_COMMAND_ID", "REST_API_URL", "REST_API_TOKEN", "MAX_EVENT_RES",
                     "CALLBACK_QUEUE", "CALLBACK_CONNECTION", "CACHE", "JOB_CALLBACK_DEBUG", "INVENTORY_HOSTVARS",
                     "AWX_HOST", "PROJECT_REVISION", "SUPERVISOR_CONFIG_PATH", "SUPERVISOR_WEB_CONFIG_PATH"}
HIDDEN = "**********"
CONNECTION_FIELDS = ("site", "company_id", "public_key", "private_key", "client_id")


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def credential_type():
    return load(AWX / "credential_type.yml")


def module_environment():
    """{option: env var} of the shared connection options, and the options every module needs."""
    from ansible_collections.msp.connectwise.plugins.module_utils.module import CONNECTION_ARGSPEC

    names = {option: spec["fallback"][1][0] for option, spec in CONNECTION_ARGSPEC.items()}
    # Needed by every module: the options without a default (whether Ansible or the client enforces it).
    required = {option for option, spec in CONNECTION_ARGSPEC.items() if spec.get("required") or "default" not in spec}
    return names, required


def awx_inject(ctype, inputs):
    """(env, safe_env) as AWX builds them for a job that carries a credential with these inputs.

    AWX's rules: the namespace holds each input the credential has, except blank strings; booleans always (missing
    ones as False); the stored copy (job_env, shown in the UI) gets secret inputs as '**********'; every env template
    is rendered by an ImmutableSandboxedEnvironment with Jinja's default Undefined (a missing input renders as '').
    """
    fields = ctype["inputs"]["fields"]
    secret = {f["id"] for f in fields if f.get("secret")}
    namespace, safe_namespace = {}, {}
    for name, value in inputs.items():
        if isinstance(value, bool):
            namespace[name] = safe_namespace[name] = value
            continue
        if name in secret:
            safe_namespace[name] = HIDDEN
        elif len(value):
            safe_namespace[name] = value
        if len(value):
            namespace[name] = value
    for field in fields:
        if field["type"] == "boolean" and field["id"] not in inputs:
            namespace[field["id"]] = safe_namespace[field["id"]] = False
    sandbox = ImmutableSandboxedEnvironment()
    env, safe_env = {}, {}
    for variable, template in ctype["injectors"].get("env", {}).items():
        env[variable] = sandbox.from_string(template).render(**namespace)
        safe_env[variable] = sandbox.from_string(template).render(**safe_namespace)
    return env, safe_env


def tenant_inputs(**overrides):
    inputs = {"site": "api-na.myconnectwise.net", "company_id": "contoso", "public_key": "PUBLICpub123",
              "private_key": "PRIVATEpriv456", "client_id": "8d3c4f9e-2b7a-4e51-9c0d-6a1b2c3d4e5f",
              "output_dir": "/var/lib/cw-output/contoso"}
    inputs.update(overrides)
    return {k: v for k, v in inputs.items() if v is not None}


# --- the credential type ----------------------------------------------------------------------------------------


def test_credential_type_follows_awx_rules():
    ctype = credential_type()
    assert set(ctype) == {"name", "description", "kind", "inputs", "injectors"}, "the API body, nothing else"
    assert ctype["name"] == "ConnectWise Manage"
    assert ctype["kind"] == "cloud", "AWX accepts only cloud or net for a custom credential type; ours is cloud"
    fields = ctype["inputs"]["fields"]
    ids = [f["id"] for f in fields]
    assert len(ids) == len(set(ids))
    for field in fields:
        assert set(field) <= {"id", "label", "type", "secret", "help_text", "multiline", "format", "choices",
                              "ask_at_runtime", "default"}, field
        assert field["type"] in ("string", "boolean") and field["label"]
        assert field["id"].isidentifier() and field["id"] != "tower"
    assert set(ctype["inputs"]["required"]) <= set(ids)
    assert set(ctype["injectors"]) <= {"env", "file", "extra_vars"}
    for variable, template in ctype["injectors"]["env"].items():
        assert not variable.startswith("ANSIBLE_") and variable not in AWX_ENV_BLOCKLIST, variable
        assert template.isascii()
        # AWX's own check when the type is saved: each template renders with every input set (StrictUndefined).
        ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(template).render(
            {field_id: "EXAMPLE" for field_id in ids})


def test_credential_type_inputs_are_the_connection():
    ctype = credential_type()
    fields = {f["id"]: f for f in ctype["inputs"]["fields"]}
    assert set(CONNECTION_FIELDS) <= set(fields)
    assert set(ctype["inputs"]["required"]) == set(CONNECTION_FIELDS)
    assert fields["private_key"].get("secret") is True
    # The modules treat the public key as a secret too (no_log): AWX must not show it in job_env.
    assert fields["public_key"].get("secret") is True
    assert not any(fields[name].get("secret") for name in ("site", "company_id", "client_id", "output_dir"))


def test_injectors_render_exactly_the_environment_the_modules_read():
    names, required = module_environment()
    inputs = tenant_inputs()
    env = awx_inject(credential_type(), inputs)[0]
    expected = {names[field]: inputs[field] for field in CONNECTION_FIELDS}
    expected["CW_OUTPUT_DIR"] = inputs["output_dir"]
    assert env == expected
    # Every option a module requires comes from a required input: no job runs without it.
    assert {names[option] for option in required} == {names[field] for field in credential_type()["inputs"]["required"]}


def test_injectors_only_set_what_is_harmless_blank():
    """A blank optional input renders as ''. Only CW_OUTPUT_DIR may be optional: the playbooks read '' as unset
    (`lookup('env', 'CW_OUTPUT_DIR') or ...`), whereas CW_VALIDATE_CERTS='' or CW_TIMEOUT='' fail every module."""
    names = module_environment()[0]
    ctype = credential_type()
    optional = {f["id"] for f in ctype["inputs"]["fields"]} - set(ctype["inputs"]["required"])
    assert optional == {"output_dir"}
    env = awx_inject(ctype, tenant_inputs(output_dir=""))[0]
    assert env["CW_OUTPUT_DIR"] == ""
    env = awx_inject(ctype, tenant_inputs(output_dir=None))[0]
    assert env["CW_OUTPUT_DIR"] == ""
    for variable in ("CW_API_VERSION", "CW_VALIDATE_CERTS", "CW_TIMEOUT", "CW_RETRIES", "CW_DEADLINE"):
        assert variable in names.values() and variable not in env
    # The role's default output folder (its tenant builder) reads a blank CW_OUTPUT_DIR as unset.
    assert resolve({}, {"CW_OUTPUT_DIR": "", "PWD": "/elsewhere"}, cwd="/job")["cw_output_dir"] == "/job/cw-output"


def test_values_are_injected_verbatim():
    """AWX renders the type's templates, never the values: a key with Jinja or shell characters arrives unchanged."""
    odd = "a{{ b }}c'$\"%d\\e"
    env = awx_inject(credential_type(), tenant_inputs(private_key=odd, public_key="{% raw %}x"))[0]
    assert env["CW_PRIVATE_KEY"] == odd and env["CW_PUBLIC_KEY"] == "{% raw %}x"


def test_job_env_that_awx_stores_hides_the_keys():
    inputs = tenant_inputs()
    safe_env = awx_inject(credential_type(), inputs)[1]
    assert safe_env["CW_PUBLIC_KEY"] == HIDDEN and safe_env["CW_PRIVATE_KEY"] == HIDDEN
    stored = json.dumps(safe_env)
    assert inputs["public_key"] not in stored and inputs["private_key"] not in stored
    assert safe_env["CW_SITE"] == inputs["site"] and safe_env["CW_COMPANY_ID"] == inputs["company_id"]


# --- the execution environment ----------------------------------------------------------------------------------


def galaxy_version():
    return load(REPO / "galaxy.yml")["version"]


def test_collection_declares_its_python_requirements_for_introspection():
    meta = load(REPO / "meta" / "execution-environment.yml")
    # ansible-builder reads dependencies.python relative to the collection root.
    assert meta["dependencies"]["python"] == "requirements.txt"
    assert (REPO / "requirements.txt").is_file()
    assert "requests==" in (REPO / "requirements.txt").read_text(encoding="utf-8")


def test_execution_environment_is_pinned():
    ee = load(AWX / "execution-environment.yml")
    assert ee["version"] == 3
    image = ee["images"]["base_image"]["name"]
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image
    deps = ee["dependencies"]
    for name in ("ansible_core", "ansible_runner"):
        assert "==" in deps[name]["package_pip"], deps[name]
    # The repository's requirements.txt (relative to awx/), and the collection as built from this tree.
    assert (AWX / deps["python"]).resolve() == REPO / "requirements.txt"
    tarball = "msp-connectwise-%s.tar.gz" % galaxy_version()
    assert deps["galaxy"]["collections"] == [{"name": "/build/collections/" + tarball, "type": "file"}]
    assert ee["additional_build_files"] == [{"src": "../build/" + tarball, "dest": "collections"}]


def test_tests_run_jobs_with_the_runner_of_the_execution_environment():
    """tests/installed runs the job templates through ansible-runner: the one the execution environment holds."""
    pinned = load(AWX / "execution-environment.yml")["dependencies"]["ansible_runner"]["package_pip"]
    assert pinned.startswith("ansible-runner==2.4.")
    requirements = (REPO / "requirements-dev.txt").read_text(encoding="utf-8").splitlines()
    assert [line for line in requirements if line.startswith("ansible-runner")] == [pinned]
    assert "ansible-runner==" + importlib.metadata.version("ansible-runner") == pinned


def builder():
    """The test venv's ansible-builder (pinned in requirements-dev.txt): missing is a failure, not a skip."""
    path = BIN / "ansible-builder"
    assert path.is_file(), "%s is missing: install requirements-dev.txt (scripts/bootstrap.sh)" % path
    return str(path)


def test_builder_introspection_finds_the_requirements(tmp_path):
    command = [builder(), "introspect", COLLECTIONS_PATH, "--write-pip", str(tmp_path / "pip.txt")]
    process = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    found = (tmp_path / "pip.txt").read_text(encoding="utf-8")
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            assert line.strip() + "  # from collection msp.connectwise" in found, found


def test_builder_creates_the_build_context(tmp_path):
    ansible_builder = builder()
    tree = tmp_path / "tree"
    (tree / "awx").mkdir(parents=True)
    shutil.copy(AWX / "execution-environment.yml", tree / "awx")
    shutil.copy(REPO / "requirements.txt", tree)
    build = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path",
                            str(tree / "build"), str(REPO)], capture_output=True, text=True, timeout=120, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = "msp-connectwise-%s.tar.gz" % galaxy_version()
    assert (tree / "build" / tarball).is_file()
    context = tmp_path / "context"
    process = subprocess.run([ansible_builder, "create", "-f", "awx/execution-environment.yml", "--context", str(context)],
                             capture_output=True, text=True, cwd=str(tree), timeout=120, check=False)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "No matches" not in process.stdout + process.stderr
    containerfile = next(p for p in (context / "Containerfile", context / "Dockerfile") if p.exists())
    text = containerfile.read_text(encoding="utf-8")
    assert "ubi9/ubi:9.5" in text and "ansible-core==2.19.14" in text and "introspect" in text
    assert (context / "_build" / "collections" / tarball).is_file()
    assert "requests==" in (context / "_build" / "requirements.txt").read_text(encoding="utf-8")
    assert yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8")) == {
        "collections": [{"name": "/build/collections/" + tarball, "type": "file"}]}
    # The tarball carries what introspection reads inside the image.
    with subprocess.Popen(["tar", "-tzf", str(tree / "build" / tarball)], stdout=subprocess.PIPE, text=True) as tar:
        members = {m.strip().lstrip("./") for m in tar.stdout}
    assert {"meta/execution-environment.yml", "requirements.txt", "awx/credential_type.yml"} <= members


# --- the configuration playbook ---------------------------------------------------------------------------------


def _download_awx(cache):
    """Unpack awx.awx from the pinned `ansible` wheel (PyPI, hash-checked) into cache/ansible_collections/awx/awx."""
    work = cache.parent / (cache.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    (work / "wheel").mkdir(parents=True)
    requirement = work / "requirements.txt"
    requirement.write_text("%s --hash=sha256:%s\n" % (AWX_SOURCE, AWX_SOURCE_SHA256), encoding="utf-8")
    process = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", "--quiet",
                              "-r", str(requirement), "-d", str(work / "wheel")], capture_output=True, text=True, timeout=600,
                             check=False)
    assert process.returncode == 0, "could not download %s from PyPI for awx.awx:\n%s" % (AWX_SOURCE, process.stderr)
    wheel = next((work / "wheel").glob("*.whl"))
    assert hashlib.sha256(wheel.read_bytes()).hexdigest() == AWX_SOURCE_SHA256
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith("ansible_collections/awx/awx/")]
        archive.extractall(work / "tree", members)
    manifest = json.loads((work / "tree" / "ansible_collections" / "awx" / "awx" / "MANIFEST.json").read_text())
    assert manifest["collection_info"]["version"] == AWX_VERSION
    shutil.rmtree(cache, ignore_errors=True)
    os.replace(work / "tree", cache)
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def awx_collections():
    """ANSIBLE_COLLECTIONS_PATH with this collection and awx.awx."""
    if not (AWX_CACHE / "ansible_collections" / "awx" / "awx" / "MANIFEST.json").is_file():
        _download_awx(AWX_CACHE)
    return os.pathsep.join([COLLECTIONS_PATH, str(AWX_CACHE)])


def ansible_env(collections, **extra):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0")
    for name in [n for n in env if n.startswith(("CONTROLLER_", "TOWER_", "AWX_"))]:
        del env[name]
    env.update(extra)
    return env


def run_playbook(collections, playbook, *args, env=None, cwd=None):
    command = [str(BIN / "ansible-playbook"), str(playbook)] + list(args)
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=cwd, check=False,
                          env=ansible_env(collections, **(env or {})))


@pytest.mark.parametrize("playbook", ["configure.yml", "compliance_gate.yml"])
def test_syntax_check(awx_collections, playbook):
    process = run_playbook(awx_collections, AWX / playbook, "--syntax-check")
    assert process.returncode == 0, process.stdout + process.stderr


def test_ansible_lint_production_profile(awx_collections, tmp_path):
    """The repository's lint stage leaves awx/configure.yml out (.ansible-lint: no awx.awx there); lint it here."""
    config = tmp_path / "ansible-lint.yml"
    config.write_text("---\nprofile: production\noffline: true\n", encoding="utf-8")
    files = ["awx/configure.yml", "awx/compliance_gate.yml", "awx/credential_type.yml", "awx/tenants.example.yml",
             "awx/keys.example.yml", "awx/execution-environment.yml", "meta/execution-environment.yml"]
    process = subprocess.run([str(BIN / "ansible-lint"), "-c", str(config), "--offline", "--profile", "production"] + files,
                             capture_output=True, text=True, cwd=str(REPO), timeout=300, check=False,
                             env=ansible_env(awx_collections, ANSIBLE_HOME=str(tmp_path / "home")))
    assert process.returncode == 0, process.stdout + process.stderr
    assert "7 files processed" in process.stdout + process.stderr, process.stdout + process.stderr


def write_keys(path, tenants):
    keys = {t: {"public_key": "PUB-%s-7f3a" % t, "private_key": "PRIV-%s-9c1e" % t} for t in tenants}
    path.write_text(yaml.safe_dump({"cw_awx_keys": keys}), encoding="utf-8")
    return keys


def plan(awx_collections, tmp_path, tenants=None, keys=("contoso", "fabrikam"), extra=()):
    """Run configure.yml in plan-only mode; returns (process, plan or None)."""
    tenants_file = tmp_path / "tenants.yml"
    if tenants is None:
        shutil.copy(AWX / "tenants.example.yml", tenants_file)
    else:
        tenants_file.write_text(yaml.safe_dump(tenants), encoding="utf-8")
    args = ["-e", "cw_awx_tenants_file=%s" % tenants_file, "-e", "cw_awx_plan_only=true",
            "-e", "cw_awx_plan_file=%s" % (tmp_path / "plan.json")] + list(extra)
    if keys is not None:
        write_keys(tmp_path / "keys.yml", keys)
    process = run_playbook(awx_collections, AWX / "configure.yml", *args)
    planned = tmp_path / "plan.json"
    return process, (json.loads(planned.read_text()) if planned.exists() else None)


def test_plan_from_the_example_tenant_file(awx_collections, tmp_path):
    process, planned = plan(awx_collections, tmp_path)
    assert process.returncode == 0, process.stdout + process.stderr
    assert "PUB-contoso" not in process.stdout + json.dumps(planned) and "PRIV-" not in process.stdout + json.dumps(planned)

    # The credential type reaches the controller as the data file has it: AWX's {{ }} untouched by Ansible.
    assert planned["credential_type"] == credential_type()
    assert planned["credential_type"]["injectors"]["env"]["CW_PRIVATE_KEY"] == "{{ private_key }}"

    hosts = {h["name"]: h for h in planned["hosts"]}
    assert hosts["contoso"]["variables"] == {"cw_site": "api-na.myconnectwise.net", "cw_company_id": "contoso",
                                             "cw_vendors": ["topleft", "timesanity"]}
    assert hosts["fabrikam"]["variables"]["cw_vendor_overrides"]["lifecycle_manager"]["member"]["location"] == "Head Office"
    assert hosts["northwind"] == {"name": "northwind", "state": "absent"}
    assert planned["inventory"]["group"] == "cw_tenants"

    credentials = {c["tenant"]: c for c in planned["credentials"]}
    assert credentials["contoso"]["name"] == "ConnectWise Manage: contoso"
    assert credentials["contoso"]["inputs"] == {"site": "api-na.myconnectwise.net", "company_id": "contoso",
                                                "client_id": "8d3c4f9e-2b7a-4e51-9c0d-6a1b2c3d4e5f",
                                                "output_dir": "/var/lib/cw-output/contoso"}
    assert credentials["northwind"]["state"] == "absent"

    templates = {t["name"]: t for t in planned["job_templates"]}
    for vendor in ("topleft", "timesanity", "lifecycle_manager"):
        assert templates["cw onboard " + vendor]["playbook"] == "playbooks/onboard_%s.yml" % vendor
        assert templates["cw offboard " + vendor]["playbook"] == "playbooks/offboard_%s.yml" % vendor
        assert templates["cw audit " + vendor]["extra_vars"] == {"cw_vendors": [vendor]}
    for name, template in templates.items():
        assert (REPO / template["playbook"]).is_file(), name
    assert len(templates) == 3 * 3 + 4

    workflows = {w["name"]: w for w in planned["workflows"]}
    assert sorted(workflows) == ["onboard lifecycle_manager for fabrikam", "onboard timesanity for contoso",
                                 "onboard topleft for contoso"]
    nodes = {n["identifier"]: n for n in workflows["onboard topleft for contoso"]["nodes"]}
    assert nodes["apply"]["unified_job_template"]["name"] == "cw onboard topleft"
    assert nodes["apply"]["limit"] == "contoso"
    assert nodes["apply"]["related"]["credentials"] == [{"name": "ConnectWise Manage: contoso",
                                                         "organization": {"name": "Default"}}]
    assert nodes["apply"]["extra_data"] == {"cw_fail_on_pending": False}
    assert nodes["apply"]["related"]["success_nodes"] == [{"identifier": "approval"}]
    assert nodes["approval"]["unified_job_template"]["type"] == "workflow_approval"
    assert nodes["approval"]["related"]["success_nodes"] == [{"identifier": "verify"}]
    assert nodes["verify"]["unified_job_template"] == nodes["apply"]["unified_job_template"]
    assert "extra_data" not in nodes["verify"], "verify fails while manual steps remain"

    fleet = {n["identifier"]: n for n in planned["fleet"]["nodes"]}
    assert fleet["audit contoso"]["limit"] == "contoso"
    assert fleet["audit contoso"]["related"]["credentials"][0]["name"] == "ConnectWise Manage: contoso"
    assert fleet["audit contoso"]["related"]["success_nodes"] == [{"identifier": "gate contoso"}]
    assert fleet["gate contoso"]["extra_data"] == {"cw_gate_hosts": ["contoso"]}
    assert fleet["audit northwind"]["state"] == "absent" and fleet["gate northwind"]["state"] == "absent"
    assert planned["fleet"]["schedule"]["rrule"].startswith("DTSTART;TZID=UTC:")


def module_options(collections, module):
    """The documented options of an awx.awx module (its code does not declare the suboptions of workflow_nodes)."""
    path = Path(collections.split(os.pathsep)[-1]) / "ansible_collections" / "awx" / "awx" / "plugins" / "modules"
    source = (path / (module + ".py")).read_text(encoding="utf-8")
    documentation = source.split("DOCUMENTATION = ", 1)[1].split("\n", 1)[1].split("\n'''", 1)[0]
    return yaml.safe_load(documentation)["options"]


def check_documented(value, option, where):
    """value fits the documented option: dicts use only documented suboptions, choices are respected."""
    if option.get("choices") is not None and value is not None:
        assert str(value) in [str(c) for c in option["choices"]], (where, value)
    suboptions = option.get("suboptions")
    if option.get("type") == "list" and isinstance(value, list):
        for index, element in enumerate(value):
            check_documented(element, dict(option, type=option.get("elements")), "%s[%d]" % (where, index))
    elif suboptions and isinstance(value, dict):
        unknown = set(value) - set(suboptions)
        assert not unknown, "%s: %s not documented by awx.awx" % (where, sorted(unknown))
        for key, element in value.items():
            check_documented(element, suboptions[key], where + "." + key)


def test_workflow_nodes_fit_the_awx_module(awx_collections, tmp_path):
    process, planned = plan(awx_collections, tmp_path)
    assert process.returncode == 0, process.stdout + process.stderr
    option = module_options(awx_collections, "workflow_job_template")["workflow_nodes"]
    for workflow in planned["workflows"] + [planned["fleet"]]:
        check_documented(workflow["nodes"], option, workflow["name"])
        identifiers = {n["identifier"] for n in workflow["nodes"]}
        for node in workflow["nodes"]:
            # The module reads these without checking them (plugins/modules/workflow_job_template.py).
            assert node["identifier"] and node["unified_job_template"]["type"], node
            if node["unified_job_template"]["type"] == "job_template":
                assert node["unified_job_template"]["name"] in {t["name"] for t in planned["job_templates"]}
            for edge in ("success_nodes", "failure_nodes", "always_nodes"):
                for target in node.get("related", {}).get(edge, []):
                    assert target["identifier"] in identifiers, (workflow["name"], node["identifier"], target)


def test_plan_rejects_a_bad_tenant_file_naming_each_mistake(awx_collections, tmp_path):
    tenants = load(AWX / "tenants.example.yml")
    tenants["tenants"] = [
        {"name": "contoso", "site": "api-na.myconnectwise.net", "company_id": "contoso", "vendors": ["topleft", "nope"]},
        {"name": "contoso", "site": "x", "company_id": "y", "vendors": ["topleft"]},
        {"name": "no keys", "site": "x", "company_id": "y", "vendors": ["topleft"]},
        {"name": "fabrikam", "company_id": "fabrikam", "vendors": []},
        {"name": "tailspin", "site": "x", "company_id": "y", "vendors": ["topleft"], "vars": {"cw_private_key": "PRIV-x"}},
    ]
    process, planned = plan(awx_collections, tmp_path, tenants=tenants, keys=("contoso",))
    output = process.stdout + process.stderr
    assert process.returncode != 0 and planned is None, output
    for message in ("tenant contoso.vendors: nope is not a known vendor", "tenant contoso: listed twice",
                    "tenants[2].name: missing or not a host name", "tenant fabrikam.site: missing",
                    "tenant fabrikam.vendors: missing or empty", "no public_key and private_key under cw_awx_keys.fabrikam",
                    "tenant tailspin.vars.cw_private_key: keys do not go in host variables"):
        assert message in output, output
    assert "PUB-contoso" not in output and "PRIV-contoso" not in output and "PRIV-x" not in output


def test_plan_without_keys_file_and_with_one_vendor_list(awx_collections, tmp_path):
    tenants = load(AWX / "tenants.example.yml")
    tenants.update(vendors=["topleft"], output_dir="", fleet_audit={"gate": False})
    tenants["tenants"][0]["client_id"] = "11111111-2222-4333-8444-555555555555"
    process, planned = plan(awx_collections, tmp_path, tenants=tenants, keys=None)
    assert process.returncode == 0, process.stdout + process.stderr
    assert sorted(t["name"] for t in planned["job_templates"])[:3] == ["cw audit (assigned vendors)", "cw audit topleft",
                                                                       "cw compliance gate"]
    assert len(planned["job_templates"]) == 3 + 4
    contoso = next(c for c in planned["credentials"] if c["tenant"] == "contoso")
    assert contoso["inputs"]["output_dir"] == "" and contoso["inputs"]["client_id"].startswith("11111111")
    fleet = {n["identifier"]: n for n in planned["fleet"]["nodes"]}
    assert fleet["gate contoso"]["state"] == "absent" and fleet["audit contoso"]["related"]["success_nodes"] == []


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_awx_call_is_accepted_by_the_awx_modules(awx_collections, tmp_path):
    """configure.yml against a controller that refuses connections: each awx.awx task validates its arguments
    against the module's argument spec (suboptions included) before it connects, so every task must fail to
    connect and none may fail on its arguments. (A copy with ignore_errors on each awx.awx task, so all run.)"""
    copy = tmp_path / "tree"
    (copy / "awx").mkdir(parents=True)
    (copy / "roles").symlink_to(REPO / "roles", target_is_directory=True)
    for name in ("templates", "credential_type.yml", "compliance_gate.yml"):
        (copy / "awx" / name).symlink_to(AWX / name)
    plays = load(AWX / "configure.yml")
    awx_tasks = [t for t in plays[0]["tasks"] if any(k.startswith("awx.awx.") for k in t)]
    assert len(awx_tasks) >= 12
    credential_task = next(t for t in awx_tasks if t["name"].startswith("Create or remove one ConnectWise Manage cred"))
    assert credential_task["no_log"] is True, "the credential task must not show the keys"
    del credential_task["no_log"]  # here only: the keys are fake, and the module's answer is what is checked
    for task in awx_tasks:
        task["ignore_errors"] = True
        if task["name"] == "Create the job templates":
            # Every template has the same arguments but for their values: two suffice (and keep this test fast).
            task["loop"] = "{{ (%s)[:2] }}" % task["loop"].strip("{} ")
    (copy / "awx" / "configure.yml").write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
    # One tenant of each state, one vendor: every shape of every call, in as few module runs as possible.
    tenants = load(AWX / "tenants.example.yml")
    tenants["tenants"] = [dict(tenants["tenants"][0], vendors=["topleft"]), tenants["tenants"][2]]
    (tmp_path / "tenants.yml").write_text(yaml.safe_dump(tenants), encoding="utf-8")
    write_keys(tmp_path / "keys.yml", ["contoso"])
    record = tmp_path / "record.jsonl"
    port = closed_port()
    process = run_playbook(awx_collections, copy / "awx" / "configure.yml", "-e", "cw_awx_tenants_file=%s" % (tmp_path / "tenants.yml"),
                           env={"CONTROLLER_HOST": "https://127.0.0.1:%d" % port, "CONTROLLER_OAUTH_TOKEN": "test-token",
                                "ANSIBLE_CALLBACK_PLUGINS": str(REPO / "tests" / "e2e" / "callback_plugins"),
                                "ANSIBLE_CALLBACKS_ENABLED": "record", "CW_TEST_RECORD": str(record),
                                "ANSIBLE_PIPELINING": "1"})
    output = process.stdout + process.stderr
    assert process.returncode == 0, output
    results = [json.loads(line) for line in record.read_text().splitlines()]
    names = {t["name"] for t in awx_tasks}
    seen = set()
    for entry in results:
        if entry["task"] not in names:
            continue
        assert entry["status"] == "failed", entry
        items = entry["result"].get("results") or [entry["result"]]
        for item in items:
            message = str(item.get("msg", ""))
            seen.add(entry["task"])
            # Each awx.awx module words the refused connection its own way (the URL with the port, urllib's "Connection
            # refused", or the controller_api lookup's name): any of them proves the task got as far as connecting.
            assert str(port) in message or "onnection refused" in message or "controller_api" in message, (entry["task"], message)
            for wrong in ("Unsupported parameters", "missing required", "must be one of", "is of type",
                          "mutually exclusive", "not a valid"):
                assert wrong not in message, (entry["task"], message)
    assert seen == names, names - seen
