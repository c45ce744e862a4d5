# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: counts what a playbook run executed and where its wall time went.

Enabled by benchmarks/run.py (ANSIBLE_CALLBACKS_ENABLED=bench_count); writes one JSON document to the file named by
E(CW_BENCH_COUNT) when the run ends. Every loop item counts as one execution, as it is one module process.
It also counts, for each host, the tasks that ran for it (a loop counts once; skipped tasks apart), and apart from
them the run_once tasks, which run for the play as a whole.
"""

from __future__ import annotations

import json
import os
import time

from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: bench_count
type: aggregate
short_description: Count task executions and time each task (msp.connectwise benchmark)
description: Writes task execution counts, module invocations and per-task wall time to the file named by E(CW_BENCH_COUNT).
requirements:
  - E(CW_BENCH_COUNT) set to a writable path
"""

# Actions that run inside the controller's worker and start no module process (cw_tenant: the collection's action
# plugin, which builds the tenant in the worker).
CONTROLLER_ONLY = frozenset((
    "add_host", "assert", "cw_tenant", "debug", "fail", "group_by", "import_role", "import_tasks", "include_role",
    "include_tasks", "include_vars", "meta", "pause", "set_fact", "set_stats", "validate_argument_spec",
))


def short_action(action):
    """'ansible.builtin.file' -> 'file'; 'msp.connectwise.cw_integration' -> 'cw_integration'."""
    return (action or "").rsplit(".", 1)[-1]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_count"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._started = time.monotonic()
        self._current = None
        self._tasks = {}
        self._order = []
        self._api = {"requests": 0, "retries": 0, "results": 0}
        self._timings = {}
        self._hosts = {}       # host -> {"ran": [task names], "skipped": n}: tasks without run_once
        self._run_once = []    # names of the run_once tasks that ran

    # --- timing -------------------------------------------------------------------------------------
    def _close_task(self):
        if self._current is not None:
            key, began = self._current
            self._tasks[key]["wall_s"] += time.monotonic() - began
            self._current = None

    def _task(self, task):
        key = "%s | %s" % (task.get_name(), task.action)
        if key not in self._tasks:
            self._tasks[key] = {"name": task.get_name(), "action": short_action(task.action), "wall_s": 0.0,
                                "ok": 0, "changed": 0, "failed": 0, "skipped": 0, "unreachable": 0}
            self._order.append(key)
        return self._tasks[key]

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close_task()
        self._task(task)
        self._current = ("%s | %s" % (task.get_name(), task.action), time.monotonic())

    def v2_playbook_on_handler_task_start(self, task):
        self.v2_playbook_on_task_start(task, False)

    # --- counting -----------------------------------------------------------------------------------
    def _count(self, result, status):
        entry = self._task(result._task)
        entry[status] += 1
        if status == "ok" and result._result.get("changed"):
            entry["changed"] += 1
        if isinstance(result._result.get("timings"), dict):
            # Where the time of a fleet audit's one task went (cw_fleet_audit reports it).
            self._timings[entry["name"]] = result._result["timings"]
        api = result._result.get("api")
        if isinstance(api, dict) and "requests" in api:
            self._api["requests"] += int(api.get("requests") or 0)
            self._api["retries"] += int(api.get("retries") or 0)
            self._api["results"] += 1

    def _per_host(self, result, ran):
        """One task result of one host (a loop's whole result, once): a task of that host, or of the play (run_once)."""
        task = result._task
        name = "%s | %s" % (task.get_name(), short_action(task.action))
        if boolean(getattr(task, "run_once", False), strict=False):
            if ran and name not in self._run_once:
                self._run_once.append(name)
            return
        host = self._hosts.setdefault(result._host.get_name(), {"ran": [], "skipped": 0})
        if ran:
            host["ran"].append(name)
        else:
            host["skipped"] += 1

    def _host_summary(self):
        ran = sorted(len(h["ran"]) for h in self._hosts.values())
        typical = max(self._hosts.values(), key=lambda h: len(h["ran"]))["ran"] if self._hosts else []
        return {"hosts": len(ran), "min": ran[0] if ran else 0, "max": ran[-1] if ran else 0,
                "mean": round(sum(ran) / len(ran), 2) if ran else 0,
                "skipped_mean": round(sum(h["skipped"] for h in self._hosts.values()) / len(ran), 2) if ran else 0,
                "tasks_of_a_host": typical, "run_once": len(self._run_once), "run_once_tasks": self._run_once}

    @staticmethod
    def _is_loop(result):
        return isinstance(result._result.get("results"), list)

    def v2_runner_on_ok(self, result):
        self._per_host(result, True)
        if not self._is_loop(result):
            self._count(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._per_host(result, True)
        if not self._is_loop(result):
            self._count(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._per_host(result, False)
        # An empty loop is skipped as a whole (no item result follows).
        if not self._is_loop(result) or not result._result["results"]:
            self._count(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._count(result, "unreachable")

    def v2_runner_item_on_ok(self, result):
        self._count(result, "ok")

    def v2_runner_item_on_failed(self, result):
        self._count(result, "failed")

    def v2_runner_item_on_skipped(self, result):
        self._count(result, "skipped")

    # --- the end ------------------------------------------------------------------------------------
    def v2_playbook_on_stats(self, stats):
        self._close_task()
        path = os.environ.get("CW_BENCH_COUNT")
        if not path:
            return
        tasks = [self._tasks[key] for key in self._order]
        executed = sum(t["ok"] + t["failed"] for t in tasks)
        modules = sum(t["ok"] + t["failed"] for t in tasks if t["action"] not in CONTROLLER_ONLY)
        document = {
            "executed": executed,
            "module_invocations": modules,
            "skipped": sum(t["skipped"] for t in tasks),
            "wall_s": time.monotonic() - self._started,
            "api_reported": self._api,
            "timings": self._timings,
            "tasks": tasks,
            # Per host: the tasks that ran for it (min, max, mean over hosts) and, apart, the run_once tasks.
            "per_host": self._host_summary(),
            # What the run reported with set_stats (cw_compliance ...): the verdicts of a run that writes no report.
            "stats": json.loads(json.dumps((getattr(stats, "custom", None) or {}).get("_run", {}), default=str)),
        }
        with open(path, "w", encoding="utf-8") as stream:
            json.dump(document, stream, indent=1)
