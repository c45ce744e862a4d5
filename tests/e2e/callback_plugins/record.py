# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: appends every task result (as Ansible shows it, no_log applied) to a JSON-lines file."""

from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: record
type: aggregate
short_description: Record task results for the collection's tests
description: Writes one JSON line per task result to the file named by E(CW_TEST_RECORD).
requirements:
  - E(CW_TEST_RECORD) set to a writable path
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, status, result):
        path = os.environ.get("CW_TEST_RECORD")
        if not path:
            return
        entry = {"task": result.task_name or result._task.get_name(), "host": result._host.get_name(), "status": status,
                 "result": self._clean_copy(result._result)}
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(json.dumps(entry, default=str) + "\n")

    @staticmethod
    def _clean_copy(data):
        return json.loads(json.dumps(data, default=str))

    def v2_runner_on_ok(self, result):
        self._write("ok", result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write("failed", result)

    def v2_runner_on_skipped(self, result):
        self._write("skipped", result)
