# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an AWX controller does between the launch of a job template and ansible-runner, for the objects
awx/configure.yml makes, so that the tests run the collection's jobs the way a controller runs them.

Read from AWX's own code (github.com/ansible/awx, devel; the AWX 24.6 paths differ only where noted):
* awx/main/tasks/jobs.py, BaseTask.run and RunJob: the private data directory (project/, inventory/hosts, env/), the
  command line (RunJob.build_args), the job environment (BaseTask.build_env, RunJob.build_env), the extra variables
  file (RunJob.build_extra_vars_file), the runner settings, then ansible_runner.interface.run(...);
* awx/main/models/credential.py (AWX 24.6: credential/__init__.py), CredentialType.inject_credential: each injector
  rendered as a Jinja template over the credential's inputs by a jinja2.sandbox.ImmutableSandboxedEnvironment, and a
  copy with the secret inputs as '**********' for the job's stored environment; build_safe_env hides the rest;
* awx/main/tasks/callback.py, RunnerCallback: a job's artifacts are the artifact_data of its playbook_on_stats event,
  its stored environment (job_env) is the runner's environment with the safe values put over it;
* awx/main/models/workflow.py, WorkflowJobNode.get_job_kwargs: a workflow node's job gets the node's limit, credentials
  and extra data, then the artifacts of the jobs before it as extra variables;
* awx/main/utils/safe_yaml.py, safe_dump: extra variables a job template does not itself set are written `!unsafe`;
* awx/main/models/inventory.py, Inventory.get_script_data: the inventory a job sees, as an executable script.

What differs from a controller, on purpose: jobs run on this machine, not in the execution environment's container
(the collection installed from its tarball stands in for the image's /usr/share/ansible/collections); the job
environment is written to env/envvars, as ansible-runner reads it from a private data directory, where AWX
(AWX_RUNNER_OMIT_ENV_FILES, default true) hands the same dictionary to ansible-runner in memory; artifacts/<id>/stdout
and job_events/ are kept (AWX_RUNNER_SUPPRESS_OUTPUT_FILE and an event handler returning False spare AWX both: it
keeps the events in its database), so that the tests read them too; and a job that never ends is stopped after ten
minutes.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import ansible_runner
import yaml
from ansible_runner.utils import args2cmdline

from tests.conftest import REPO
from tests.unit.test_awx import awx_inject, credential_type

CONFIGURE = REPO / "awx" / "configure.yml"
HIDDEN = "**********"
# AWX's own defaults (awx/settings/defaults.py) that reach a job's environment (BaseTask.build_env copies every
# ANSIBLE_* setting), and the event size limit the runner's callback reads (MAX_EVENT_RES_DATA).
AWX_ANSIBLE_SETTINGS = {"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_PARAMIKO_RECORD_HOST_KEYS": "False",
                        "ANSIBLE_FORCE_COLOR": "True", "ANSIBLE_INVENTORY_UNPARSED_FAILED": "True"}
MAX_EVENT_RES_DATA = 700000
CONTROLLER_URL = "https://awx.example.com"
# A job template's fields as AWX stores them when awx.awx.job_template leaves them out (awx/main/models/jobs.py,
# JobOptions and JobTemplate); configure.yml's task sets the others.
JOB_TEMPLATE_DEFAULTS = {"job_type": "run", "verbosity": 0, "forks": 0, "diff_mode": False, "become_enabled": False,
                         "use_fact_cache": False, "job_tags": "", "skip_tags": "", "start_at_task": "", "timeout": 0,
                         "force_handlers": False, "credentials": [], "ask_credential_on_launch": False,
                         "ask_limit_on_launch": False, "ask_variables_on_launch": False}
# The fields configure.yml fills per template from its plan (so templated in the task).
PER_TEMPLATE = {"name", "description", "organization", "project", "inventory", "playbook", "execution_environment",
                "extra_vars"}


# -- AWX's helpers, as AWX writes them --------------------------------------------------------------------------------

def build_safe_env(env):
    """awx/main/models/credential.py, build_safe_env: the copy of a job's environment AWX stores and shows."""
    hidden = re.compile(r"API|TOKEN|KEY|SECRET|PASS", re.I)
    url_password = re.compile(r"^.*?://[^:]+:(.*?)@.*?$")
    safe = dict(env)
    for key, value in safe.items():
        if key == "AWS_ACCESS_KEY_ID":
            continue
        if key.startswith("ANSIBLE_") and not key.startswith(("ANSIBLE_NET", "ANSIBLE_GALAXY_SERVER")):
            continue
        if hidden.search(key):
            safe[key] = HIDDEN
        elif isinstance(value, str) and url_password.match(value):
            safe[key] = url_password.sub(HIDDEN, value)
    return safe


class _UnsafeDumper(yaml.SafeDumper):
    def represent_data(self, data):
        if isinstance(data, str):
            return self.represent_scalar("!unsafe", data)
        return super().represent_data(data)


def safe_dump(variables, safe_dict):
    """awx/main/utils/safe_yaml.py, safe_dump: each top-level variable the job template itself sets (same value) as
    plain YAML, every other one with all its strings (keys too) tagged !unsafe."""
    parts = []
    for key, value in variables.items():
        dumper = yaml.SafeDumper if key in safe_dict and safe_dict[key] == value else _UnsafeDumper
        parts.append(yaml.dump_all([{key: value}], None, Dumper=dumper, default_flow_style=False))
    return "".join(parts)


def inventory_script(data):
    """BaseTask.write_inventory_file: the inventory as an executable Python script printing it."""
    return "#! /usr/bin/env python3\n# -*- coding: utf-8 -*-\nprint(%r)\n" % json.dumps(data)


def write_private(path, content, mode=0o600):
    """BaseTask.write_private_data_file: a file only its owner reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(content)
    os.chmod(path, mode)
    return path


# -- configure.yml, read --------------------------------------------------------------------------------------------

def job_template_settings():
    """What configure.yml's "Create the job templates" task sets on every job template it makes (AWX's defaults for
    what it leaves out), less the per-template fields taken from the plan."""
    plays = yaml.safe_load(CONFIGURE.read_text(encoding="utf-8"))
    [task] = [t for t in plays[0]["tasks"] if "awx.awx.job_template" in t]
    arguments = task["awx.awx.job_template"]
    assert PER_TEMPLATE <= set(arguments), sorted(PER_TEMPLATE - set(arguments))
    settings = dict(JOB_TEMPLATE_DEFAULTS)
    for name, value in arguments.items():
        if name in PER_TEMPLATE:
            continue
        assert "{{" not in json.dumps(value), "configure.yml templates %s: read it from the plan here" % name
        settings[name] = value
    return settings


def project_files():
    """The project as AWX checks it out: the repository's files (those git lists, committed or not)."""
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.decode().split("\0")
    return [name for name in listed if name and (REPO / name).exists()]


def copy_project(target):
    for name in project_files():
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, destination, follow_symlinks=False)
    return target


# -- jobs -----------------------------------------------------------------------------------------------------------

@dataclass
class Job:
    """A finished job, as AWX keeps it."""

    id: int
    template: str
    playbook: str
    limit: str
    credentials: list  # the names of the credentials it ran with
    status: str  # AWX's: successful, failed, error, canceled
    rc: int
    artifacts: dict  # the job's artifacts (set_stats data)
    events: list  # every event the runner emitted, as the event handler received it
    job_env: dict  # the environment AWX stores with the job and shows in its UI
    extra_vars: dict  # the job's extra variables (template's, then the launch's), without AWX's own
    private_data_dir: Path
    runner: object = field(repr=False)

    @property
    def artifact_dir(self):
        return self.private_data_dir / "artifacts" / str(self.id)

    @property
    def stdout(self):
        """The job's output as AWX shows it: the events' stdout, in order."""
        return "\n".join(e["stdout"] for e in sorted(self.events, key=lambda e: e["counter"]) if e.get("stdout"))


class Controller:
    """An AWX controller configured by configure.yml's plan, running its job templates and workflows here.

    ``plan``: what configure.yml -e cw_awx_plan_only=true wrote; ``keys``: the keys file's cw_awx_keys (configure.yml
    puts each tenant's pair into its credential); ``project``: a copy of the project; ``collections``: the collections
    path the collection was installed to (the execution environment's); ``root``: where private data dirs go."""

    def __init__(self, plan, keys, project, collections, root):
        self.plan = plan
        self.settings = job_template_settings()
        self.templates = {t["name"]: t for t in plan["job_templates"]}
        # configure.yml's credential task: inputs | combine(cw_awx_secrets.cw_awx_keys[tenant]).
        self.credentials = {c["name"]: dict(c["inputs"], **keys[c["tenant"]])
                            for c in plan["credentials"] if c["state"] == "present"}
        self.credential_type = credential_type()
        assert plan["credential_type"] == self.credential_type
        self.hosts = [h for h in plan["hosts"] if h["state"] == "present"]
        self.project = project
        self.collections = collections
        self.root = root
        self.revision = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,
                                       check=True).stdout.strip()
        self.ids = itertools.count(101)

    # -- the pieces of a job --------------------------------------------------------------------------------------

    def inventory_data(self):
        """Inventory.get_script_data(hostvars=True, towervars=True) of configure.yml's inventory: its hosts in the
        group cw_tenants (every host is in it, so `all` lists none of its own)."""
        names = sorted(h["name"] for h in self.hosts)
        hostvars = {}
        for number, host in enumerate(sorted(self.hosts, key=lambda h: h["name"]), 1):
            hostvars[host["name"]] = dict(host["variables"], remote_host_enabled="true", remote_host_id=number,
                                          remote_tower_enabled="true", remote_tower_id=number)
        group = self.plan["inventory"]["group"]
        return {"all": {"hosts": [], "children": [group]}, group: {"hosts": names}, "_meta": {"hostvars": hostvars}}

    def build_args(self, limit):
        """RunJob.build_args for these job templates (no machine credential, no become, no vault)."""
        settings = self.settings
        args = []
        if settings["job_type"] == "check":
            args.append("--check")
        args += ["-u", "root"]
        if settings["diff_mode"]:
            args.append("--diff")
        if settings["forks"]:
            args.append("--forks=%d" % settings["forks"])
        if settings["force_handlers"]:
            args.append("--force-handlers")
        if limit:
            args += ["-l", limit]
        if settings["verbosity"]:
            args.append("-" + "v" * min(5, settings["verbosity"]))
        if settings["job_tags"]:
            args += ["-t", settings["job_tags"]]
        if settings["skip_tags"]:
            args.append("--skip-tags=%s" % settings["skip_tags"])
        if settings["start_at_task"]:
            args.append("--start-at-task=%s" % settings["start_at_task"])
        return args

    def build_env(self, job_id, private_data_dir):
        """BaseTask.build_env and RunJob.build_env. HOME is the private data dir, as in an execution environment
        (the entrypoint of ansible-builder's images makes /runner, where the job's private data dir is mounted, HOME)."""
        env = dict(AWX_ANSIBLE_SETTINGS)
        env.update({"AWX_PRIVATE_DATA_DIR": str(private_data_dir), "JOB_ID": str(job_id), "INVENTORY_ID": "1",
                    "PROJECT_REVISION": self.revision, "ANSIBLE_RETRY_FILES_ENABLED": "False",
                    "MAX_EVENT_RES": str(MAX_EVENT_RES_DATA), "AWX_HOST": CONTROLLER_URL,
                    "ANSIBLE_SSH_CONTROL_PATH_DIR": str(private_data_dir / "cp"), "HOME": str(private_data_dir)})
        (private_data_dir / "cp").mkdir(mode=0o700)
        # <job>/requirements_* (what a project update installed: nothing here), then the image's own folders.
        for variable, folder, image in (("ANSIBLE_COLLECTIONS_PATHS", "requirements_collections", self.collections),
                                        ("ANSIBLE_ROLES_PATH", "requirements_roles", None),
                                        ("ANSIBLE_COLLECTIONS_PATH", "requirements_collections", self.collections)):
            env[variable] = os.pathsep.join(str(p) for p in (private_data_dir / folder, image) if p)
        return env

    def meta_vars(self, job_id, template, launch_type, workflow):
        """UnifiedJob.awx_meta_vars and Job.awx_meta_vars, for both prefixes."""
        found = {}
        for prefix in ("awx", "tower"):
            found.update({prefix + "_job_id": job_id, prefix + "_job_launch_type": launch_type,
                          prefix + "_inventory_id": 1, prefix + "_inventory_name": self.plan["inventory"]["name"],
                          prefix + "_project_revision": self.revision,
                          prefix + "_project_scm_branch": self.plan["project"]["scm_branch"],
                          prefix + "_job_template_id": sorted(self.templates).index(template) + 1,
                          prefix + "_job_template_name": template})
            if workflow:
                found.update({prefix + "_workflow_job_id": workflow["id"], prefix + "_workflow_job_name": workflow["name"],
                              prefix + "_workflow_job_launch_type": workflow["launch_type"]})
            if workflow and workflow.get("schedule"):
                found.update({prefix + "_parent_job_schedule_id": 1, prefix + "_parent_job_schedule_name": workflow["schedule"]})
            else:  # launched by a person (or a workflow a person launched): its creator
                found.update({prefix + "_user_id": 1, prefix + "_user_name": "admin", prefix + "_user_email": "",
                              prefix + "_user_first_name": "", prefix + "_user_last_name": ""})
        return found

    # -- launching ------------------------------------------------------------------------------------------------

    def launch(self, template, credentials=(), limit="", extra_vars=None, launch_type="manual", workflow=None):
        """Launch the job template named ``template`` with these prompts (credential names, limit, extra variables),
        run it to its end with ansible-runner, and return the Job."""
        settings = self.settings
        for prompt, given in (("credential", credentials), ("limit", limit), ("variables", extra_vars)):
            assert not given or settings["ask_%s_on_launch" % prompt], \
                "configure.yml's templates do not ask for %s at launch: AWX would ignore it" % prompt
        job_template = self.templates[template]
        job_id = next(self.ids)
        private_data_dir = self.root / ("job-%d" % job_id)
        private_data_dir.mkdir(mode=0o700, parents=True)
        shutil.copytree(self.project, private_data_dir / "project", symlinks=True)

        env = self.build_env(job_id, private_data_dir)
        safe_env = build_safe_env(env)
        safe_credential_env = {}
        for name in list(settings["credentials"]) + list(credentials):
            injected, safe_injected = awx_inject(self.credential_type, self.credentials[name])
            env.update(injected)
            safe_credential_env.update(safe_injected)
        safe_env.update(safe_credential_env)

        variables = dict(job_template["extra_vars"])
        variables.update(extra_vars or {})
        write_private(private_data_dir / "env" / "extravars",
                      safe_dump(dict(variables, **self.meta_vars(job_id, template, launch_type, workflow)),
                                job_template["extra_vars"]))
        write_private(private_data_dir / "env" / "cmdline", args2cmdline(*self.build_args(limit)))
        write_private(private_data_dir / "env" / "settings", json.dumps(
            {"job_timeout": settings["timeout"] or 600, "suppress_ansible_output": True, "suppress_output_file": False}))
        write_private(private_data_dir / "env" / "envvars", json.dumps(env))
        inventory = write_private(private_data_dir / "inventory" / "hosts", inventory_script(self.inventory_data()), 0o700)

        events, stored = [], {}

        def event_handler(event):
            events.append(event)
            return True  # AWX returns False (its events go to its database); here the runner also writes job_events/

        def status_handler(status, runner_config):
            if status["status"] == "starting":
                job_env = dict(runner_config.env)
                job_env.update({k: v for k, v in safe_env.items() if k in job_env})
                stored["job_env"] = job_env

        runner = ansible_runner.run(private_data_dir=str(private_data_dir), ident=str(job_id),
                                    playbook=job_template["playbook"], inventory=str(inventory), fact_cache_type="",
                                    event_handler=event_handler, status_handler=status_handler, quiet=True)
        artifacts = {}
        for event in events:
            if event.get("event_data", {}).get("artifact_data"):
                artifacts = event["event_data"]["artifact_data"]
        status = {"timeout": "failed"}.get(runner.status, runner.status)
        job = Job(id=job_id, template=template, playbook=job_template["playbook"], limit=limit,
                  credentials=list(credentials), status=status, rc=runner.rc, artifacts=artifacts, events=events,
                  job_env=stored["job_env"], extra_vars=variables, private_data_dir=private_data_dir, runner=runner)
        return job

    def run_workflow(self, workflow, approve=None, launch_type="manual", schedule=None):
        """Run a workflow of the plan (its nodes: job templates and approvals, each with at most one parent) as AWX's
        workflow manager does: roots first, then each node's success, failure or always children. ``approve(node,
        done)`` decides an approval node (True: approved). Returns {identifier: Job, or the approval's decision}."""
        nodes = {n["identifier"]: n for n in workflow["nodes"] if n.get("state", "present") == "present"}
        edges = {name: {kind: [t["identifier"] for t in node.get("related", {}).get(kind + "_nodes", [])]
                        for kind in ("success", "failure", "always")} for name, node in nodes.items()}
        parents = {}
        for name, kinds in edges.items():
            for children in kinds.values():
                for child in children:
                    assert child not in parents, "%s has two parents: not modelled here" % child
                    parents[child] = name
        context = {"id": next(self.ids), "name": workflow["name"], "launch_type": launch_type, "schedule": schedule}
        done, ancestors = {}, {}
        ready = [name for name in nodes if name not in parents]
        while ready:
            name = ready.pop(0)
            node = nodes[name]
            # The artifacts of the jobs before this node, the nearest last (WorkflowJobNode.get_job_kwargs).
            inherited = dict(ancestors.get(parents.get(name), {}))
            if name in parents and isinstance(done[parents[name]], Job):
                inherited.update(done[parents[name]].artifacts)
            ancestors[name] = inherited
            if node["unified_job_template"]["type"] == "workflow_approval":
                outcome = done[name] = bool(approve(node, done))
            else:
                extra = dict(node.get("extra_data", {}))
                extra.update(inherited)
                outcome = (done.setdefault(name, self.launch(
                    node["unified_job_template"]["name"],
                    credentials=[c["name"] for c in node.get("related", {}).get("credentials", [])],
                    limit=node.get("limit", ""), extra_vars=extra, launch_type="workflow", workflow=context)).status
                    == "successful")
            ready += edges[name]["success" if outcome else "failure"] + edges[name]["always"]
        return done


def files_holding(folder, secrets):
    """Every file under ``folder`` (relative path) whose bytes contain one of ``secrets``."""
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and stat.S_ISREG(path.stat().st_mode):
            data = path.read_bytes()
            if any(secret.encode() in data for secret in secrets):
                found.append(path.relative_to(folder).as_posix())
    return found
