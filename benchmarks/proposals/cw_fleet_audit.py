# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A PROTOTYPE measured by benchmarks/run.py, not part of the collection: it is copied into a temporary copy of the
collection (plugins/modules/) for the "c2" row only. It audits many tenants in ONE module process, a thread per
tenant up to ``concurrency``, with the collection's own audit logic (prevalidate + converge_integration in check
mode): the same requests per tenant and the same result per tenant as msp.connectwise.cw_integration."""

from __future__ import annotations

DOCUMENTATION = r"""
module: cw_fleet_audit
short_description: Audit many tenants in one process (benchmark prototype)
description:
  - Check mode only. For each tenant, the same reads and the same result as M(msp.connectwise.cw_integration).
options:
  tenants:
    description: One entry per tenant, with C(name), the connection options and C(integrations).
    type: list
    elements: dict
    required: true
  concurrency:
    description: Tenants audited at once.
    type: int
    default: 25
author:
  - msp.connectwise maintainers
"""

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.msp.connectwise.plugins.module_utils.client import ConnectWiseClient
from ansible_collections.msp.connectwise.plugins.module_utils.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.integration import converge_integration, prevalidate


def audit(tenant):
    client = None
    try:
        client = ConnectWiseClient(tenant["site"], tenant["company_id"], tenant["public_key"], tenant["private_key"],
                                   tenant["client_id"], api_version=tenant.get("api_version") or "2025.8",
                                   validate_certs=tenant.get("validate_certs", True), timeout=tenant.get("timeout") or 30,
                                   retries=tenant.get("retries", 5))
        results = []
        for want in prevalidate(client, tenant["integrations"], True):
            outcome = converge_integration(client, want, state="present", settings_writable=tenant.get("settings_writable"),
                                           check_mode=True)
            outcome.pop("steps")
            results.append(outcome)
        return {"integrations": results, "changed": any(r["changed"] for r in results), "check_mode": True,
                "api": {"requests": client.requests_sent, "retries": client.retries_taken}}
    except (ConnectWiseError, ValueError) as exc:
        api = {"requests": client.requests_sent, "retries": client.retries_taken} if client else {}
        return {"failed": True, "msg": str(exc), "integrations": [], "api": api}


def main():
    module = AnsibleModule({"tenants": {"type": "list", "elements": "dict", "required": True},
                            "concurrency": {"type": "int", "default": 25}}, supports_check_mode=True)
    tenants = module.params["tenants"]
    for tenant in tenants:
        module.no_log_values.add(tenant["private_key"])
    if not module.check_mode:
        module.fail_json(msg="this prototype audits only: run it in check mode")
    with ThreadPoolExecutor(max_workers=max(1, module.params["concurrency"])) as pool:
        results = list(pool.map(audit, tenants))
    by_name = {tenant["name"]: result for tenant, result in zip(tenants, results)}
    module.exit_json(changed=False, tenants=by_name,
                     api={"requests": sum(r["api"].get("requests", 0) for r in results),
                          "retries": sum(r["api"].get("retries", 0) for r in results)})


if __name__ == "__main__":
    main()
