# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cw_tenant: build this host's tenant from the integration role's variables, on the controller (see the module's
documentation)."""

from __future__ import annotations

import os

import yaml

from ansible.plugins.action import ActionBase

from ansible_collections.msp.connectwise.plugins.module_utils.engine.tenant_model import VARIABLES, build_tenant

PROFILES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "roles", "integration", "files", "profiles")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path):
    with open(path, encoding="utf-8") as stream:
        return yaml.load(stream, Loader=LOADER)  # nosec B506: a safe loader


class Profiles(dict):
    """Vendor name -> profile of the role's files/profiles, each read when first asked for."""

    def __init__(self, folder):
        names = sorted(name[:-4] for name in os.listdir(folder) if name.endswith(".yml"))
        super().__init__((name, None) for name in names)
        self.folder = folder

    def __getitem__(self, vendor):
        if super().__getitem__(vendor) is None:
            self[vendor] = read_yaml(os.path.join(self.folder, vendor + ".yml"))
        return super().__getitem__(vendor)


def read_record(path):
    return read_yaml(path) if os.path.isfile(path) else None


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        if self._task.args:
            return dict(result, failed=True, msg="cw_tenant takes no options: it reads the integration role's variables")
        host = task_vars["inventory_hostname"]
        variables = self._templar.template({v.name: task_vars[v.name] for v in VARIABLES if v.name in task_vars})
        # The implicit localhost is the tenant of the CW_* variables: no inventory to name in the hand-back command.
        in_inventory = host in self._templar.template(task_vars.get("groups", {}).get("all", []))
        sources = self._templar.template(task_vars.get("ansible_inventory_sources", [])) if in_inventory else None
        # AWX and Automation Platform give every job these extra variables (its "meta variables").
        controller_job = "awx_job_id" in task_vars or "tower_job_id" in task_vars
        try:
            built = build_tenant(variables, Profiles(PROFILES), read_record, host=host, inventory_sources=sources,
                                 environ=os.environ, controller_job=controller_job)
        except (ValueError, OSError, yaml.YAMLError) as exc:
            return dict(result, failed=True, msg=str(exc))
        # The tenant holds the connection's private key and maybe members' key pairs: never shown.
        return dict(result, changed=False, _ansible_no_log=True, **built)
