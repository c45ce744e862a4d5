# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cw_fleet_audit: with O(tenants), the module; without, every host of the play is built from its integration role
variables (as the cw_tenant action builds one) and audited in this one process on the controller (see the module's
documentation)."""

from __future__ import annotations

import json
import os
import time

import jinja2
import yaml

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase

from ansible_collections.msp.connectwise.plugins.action.cw_tenant import PROFILES, Profiles, read_record
from ansible_collections.msp.connectwise.plugins.module_utils.engine import history
from ansible_collections.msp.connectwise.plugins.module_utils.engine.fleet import audit_fleet, failed, fleet_report, tenant_secrets, utc_now
from ansible_collections.msp.connectwise.plugins.module_utils.storage.files import write_atomic
from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant_model import VARIABLES, build_tenant

MODULE = "msp.connectwise.cw_fleet_audit"
# The role variables of the integration role's audit entry point, checked per host as its argument spec checks them.
AUDIT_SPEC = {v.name: {k: value for k, value in v.spec().items() if k not in ("description", "default")}
              for v in VARIABLES if "audit" in v.entry_points}
AUDIT_VALIDATOR = ArgumentSpecValidator(AUDIT_SPEC)
# Options of the play mode (no tenants): each, when given, instead of the running host's role variable.
PLAY_OPTIONS = {"hosts": None, "report_dir": None, "concurrency": "cw_audit_concurrency", "checklist_dir": "cw_checklist_dir",
                "history_dir": "cw_history_dir", "retention_days": "cw_history_retention_days", "history_roles": "cw_history_roles"}
NAMES = tuple(v.name for v in VARIABLES)
TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "playbooks", "templates")


def processes_for(count):
    """Processes to share the audit of ``count`` tenants: one per hundred tenants, at most two per core. A tenant's
    audit costs some 30 to 50 ms of Python between its answers, which one process runs on one core at a time; two
    per core keep each core busy while the other process's threads wait for their answers."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2 * usable, count // 100))


def flatten(value, levels=None):
    """Ansible's flatten filter (nulls skipped), for the report template."""
    found = []
    for item in value:
        if item in (None, "None"):
            continue
        if isinstance(item, (list, tuple)) and (levels is None or levels > 0):
            found.extend(flatten(item, None if levels is None else levels - 1))
        else:
            found.append(item)
    return found


def report_environment():
    """The report templates rendered with Jinja2 itself: the same filters they use (Jinja2's, and Ansible's basename,
    dict2items and flatten) and the template module's trim_blocks, without the work Ansible's templating does per
    value, which a report of a thousand tenants pays many times over."""
    # The templates escape each value themselves (| e), as under Ansible.
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), trim_blocks=True,  # nosec B701
                                     keep_trailing_newline=True, autoescape=False)
    environment.filters.update(basename=lambda path: os.path.basename(str(path)), flatten=flatten,
                               dict2items=lambda mapping: [{"key": k, "value": v} for k, v in mapping.items()])
    return environment


def write_report(report_dir, report):
    """audit.json and audit.html under ``report_dir`` (0644; the folder 0755); returns their paths."""
    os.makedirs(report_dir, mode=0o755, exist_ok=True)
    paths = {"json": os.path.join(report_dir, "audit.json"), "html": os.path.join(report_dir, "audit.html")}
    # One line per tenant: Python's indenting encoder is several times slower than its C one over a thousand tenants.
    lines = ["    %s: %s" % (json.dumps(name), json.dumps(cells, sort_keys=True, ensure_ascii=False)) for name, cells in report["tenants"].items()]
    text = json.dumps(dict(report, tenants={}), indent=1, sort_keys=True, ensure_ascii=False)
    text = text.replace('"tenants": {}', '"tenants": {\n%s\n }' % ",\n".join(lines) if lines else '"tenants": {}', 1)
    write_atomic(paths["json"], text + "\n", mode=0o644, prefix=".cw-report-")
    html = report_environment().get_template("audit.html.j2").render(cw_report=report)
    write_atomic(paths["html"], html, mode=0o644, prefix=".cw-report-")
    return paths


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if "tenants" in self._task.args:
            result.update(self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars))
            return result
        unknown = sorted(set(self._task.args) - set(PLAY_OPTIONS))
        if unknown:
            return dict(result, failed=True, msg="%s: unknown option(s) %s; without tenants it takes %s" % (
                MODULE, ", ".join(unknown), ", ".join(PLAY_OPTIONS)))
        hosts = self._task.args.get("hosts") or task_vars.get("ansible_play_batch") or [task_vars["inventory_hostname"]]
        clock = time.monotonic()
        built, ready = self._build(hosts, task_vars)
        timings = {"hosts": len(hosts), "build_s": round(time.monotonic() - clock, 2)}
        own = next((b["vars"] for name, b in built.items() if name == task_vars["inventory_hostname"]), None)
        own = own or next(iter(b["vars"] for b in built.values()), {})
        options = {option: self._task.args[option] if option in self._task.args else own.get(variable)
                   for option, variable in PLAY_OPTIONS.items() if variable}
        try:
            concurrency = int(options["concurrency"] or 20)
            retention = int(options["retention_days"] or history.DEFAULT_RETENTION_DAYS)
        except (TypeError, ValueError):
            return dict(result, failed=True, msg="concurrency and retention_days: whole numbers")
        if concurrency < 1:
            return dict(result, failed=True, msg="concurrency: at least 1 (tenants audited at once)")
        roles = options["history_roles"] or "all"
        if roles not in ("audited", "all"):
            return dict(result, failed=True, msg="history_roles: audited or all, not %r" % roles)
        if retention < 1:
            return dict(result, failed=True, msg="retention_days: at least 1 (days a snapshot is kept; keep six months of evidence or more)")
        tenants = [built[name]["tenant"] if name in built else {"name": name} for name in hosts]
        task = {"integrations": None, "state": "present", "method": "auto", "settings_writable": None, "tenant_facts": None,
                "api_version": os.environ.get("CW_API_VERSION", "2025.8"), "validate_certs": True, "timeout": 30,
                "retries": 5, "deadline": 300}
        # A connection option neither the host sets comes from the same CW_* variable as for every module.
        for option, default in (("site", None), ("company_id", None), ("public_key", None), ("private_key", None),
                                ("client_id", None), ("validate_certs", True), ("timeout", 30), ("retries", 5), ("deadline", 300)):
            task[option] = os.environ.get("CW_" + option.upper(), default)
        task["validate_certs"] = boolean(task["validate_certs"], strict=False)
        shared = {str(task[name]) for name in ("public_key", "private_key") if task[name]}

        def mask(tenant, value):
            # A tenant's result can hold only its own keys (each tenant has its own client): masked tenant by tenant,
            # not every tenant's value searched for every tenant's key.
            return remove_values(value, shared | tenant_secrets([tenant])) if value is not None else None

        ready = {name: mask(built.get(name, {}).get("tenant", {}), value) for name, value in ready.items()}
        clock = time.monotonic()
        audited = audit_fleet(tenants, task, concurrency, options["checklist_dir"], options["history_dir"], retention,
                              diff=bool(self._play_context.diff), ready=ready, mask=mask, history_roles=roles,
                              processes=processes_for(len(tenants) - len(ready)))
        timings["audit_s"] = round(time.monotonic() - clock, 2)
        timings["processes"] = processes_for(len(tenants) - len(ready))
        clock = time.monotonic()
        if self._task.args.get("report_dir"):
            hosts_all = task_vars.get("ansible_play_hosts_all") or hosts
            report = fleet_report(audited, hosts_all)
            try:
                paths = write_report(self._task.args["report_dir"], report)
            except (OSError, jinja2.TemplateError) as exc:
                return dict(result, failed=True, msg="report_dir: cannot write the report to %s (%s)" % (self._task.args["report_dir"], exc))
            audited["report"] = {"summary": report["summary"], "vendor_summary": report["vendor_summary"],
                                 "started": report["started"], "generated": report["generated"], "paths": paths}
        timings["report_s"] = round(time.monotonic() - clock, 2)
        # Where this task's time went (building the tenants, auditing them, writing the report), for a reader of the
        # result and the benchmark.
        audited["timings"] = timings
        return dict(result, **audited)

    def _build(self, hosts, task_vars):
        """name -> cw_tenant's answer for each host that could be built; name -> failed result for the others."""
        built, ready = {}, {}
        profiles = Profiles(PROFILES)
        inventory = self._templar.template(task_vars.get("groups", {}).get("all", []))
        controller_job = "awx_job_id" in task_vars or "tower_job_id" in task_vars
        for host in hosts:
            began = utc_now()
            try:
                host_vars = self._host_vars(host, task_vars)
                templar = self._templar.copy_with_new_env(available_variables=host_vars)
                given = templar.template({name: host_vars[name] for name in NAMES if name in host_vars})
                checked = AUDIT_VALIDATOR.validate({k: v for k, v in given.items() if k in AUDIT_SPEC})
                if checked.error_messages:
                    raise ValueError("Validation of arguments failed: " + "; ".join(checked.error_messages))
                sources = (templar.template(host_vars.get("ansible_inventory_sources", [])) if host in inventory else None)
                built[host] = build_tenant(given, profiles, read_record, host=host, inventory_sources=sources,
                                           environ=os.environ, controller_job=controller_job)
            except (ValueError, OSError, yaml.YAMLError) as exc:
                ready[host] = failed(str(exc), checked_at=began)[0]
            except Exception as exc:  # pylint: disable=broad-exception-caught
                # Templating errors of a host's variables (an undefined variable): that tenant's failure.
                ready[host] = failed("%s: %s" % (type(exc).__name__, exc), checked_at=began)[0]
        return built, ready

    def _host_vars(self, host, task_vars):
        """The variables of ``host`` as a task of this play would see them (inventory, play, role and extra vars)."""
        if host == task_vars.get("inventory_hostname"):
            return task_vars
        hostvars = task_vars["hostvars"]
        manager = getattr(hostvars, "_variable_manager", None)
        found = getattr(hostvars, "_inventory", None).get_host(host) if manager is not None else None
        if found is None:
            return dict(task_vars["hostvars"][host])
        return manager.get_vars(play=self._task.get_play(), host=found, task=self._task,
                                _hosts=task_vars.get("ansible_play_hosts"), _hosts_all=task_vars.get("ansible_play_hosts_all"))
