# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Row (p) of benchmarks/run.py: the fleet audit as an MSP engineer writes it without Ansible, a short Python script
on pyconnectwise with a thread pool. The same checks as benchmarks/plain_audit.yml, per tenant and vendor: the role by
name, its settings (pageSize 1000), the API member by identifier, each profile row compared cell by cell and the
member's role, name and level; the same verdicts (compliant, drift, missing_role, missing_member).

    .venv/bin/python benchmarks/peer_pyconnectwise.py INVENTORY.json REPORT.json [--workers 20]

INVENTORY: group cw_tenants with cw_site, cw_client_id, cw_vendors and per host cw_company_id, cw_public_key,
cw_private_key (what benchmarks/run.py writes). pyconnectwise builds https:// URLs only: for an http:// site (the
simulator) its requests go through a small adapter that changes the scheme and nothing else, one keep-alive session
per worker thread (as many connections as workers).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import yaml
from pyconnectwise import ConnectWiseManageAPIClient
from pyconnectwise.clients import connectwise_client
from pyconnectwise.endpoints.manage.SystemSecurityrolesIdSettingsEndpoint import SystemSecurityrolesIdSettingsEndpoint

PROFILES = Path(__file__).resolve().parents[1] / "roles" / "integration" / "files" / "profiles"
CODEBASE = "v4_6_release/"
CELLS = (("add", "add_level"), ("edit", "edit_level"), ("delete", "delete_level"), ("inquire", "inquire_level"))


class Transport:
    """Stands in for `requests` inside pyconnectwise: one session per thread; https:// to an http:// site becomes
    http://, nothing else changes."""

    def __init__(self, plain_hosts):
        self.prefixes = tuple("https://%s/" % host for host in plain_hosts)
        self.local = threading.local()

    def request(self, method, url, **kwargs):
        if url.startswith(self.prefixes):
            url = "http://" + url[len("https://"):]
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = requests.Session()
        return session.request(method, url, timeout=30, **kwargs)


def verdict(profile, roles, settings, members):
    """The vendor's status on one tenant, as plain_verdicts.json.j2 decides it."""
    levels = {("%s / %s" % (row.module_name or "", row.module_function_name or "")).lower(): row for row in settings}
    cells = 0
    for want in profile["permissions"]:
        have = levels.get(("%s / %s" % (want["module"], want["function"])).lower())
        for cell, field in CELLS:
            if want.get(cell) is not None and (getattr(have, field) if have else None) != want[cell]:
                cells += 1
    fields = []
    if members:
        member = members[0]
        if ((member.security_role.name if member.security_role else "") or "").lower() != profile["role"]["name"].lower():
            fields.append("role")
        if (member.name or "") != profile["member"]["name"]:
            fields.append("name")
        if ((member.structure_level.name if member.structure_level else "") or "") != (profile["member"].get("level") or "Corporate"):
            fields.append("level")
    if not roles:
        status = "missing_role"
    elif not members or members[0].inactive_flag:
        status = "missing_member"
    elif cells or fields:
        status = "drift"
    else:
        status = "compliant"
    return {"status": status, "permission_cells": cells, "member_fields": fields}


def check(client, profile):
    """The three reads of one tenant and vendor, then its verdict."""
    roles = client.system.security_roles.get(params={"conditions": 'name="%s"' % profile["role"]["name"]})
    settings = []
    if roles:
        endpoint = SystemSecurityrolesIdSettingsEndpoint(client, parent_endpoint=client.system.security_roles.id(roles[0].id))
        settings = endpoint.get(params={"pageSize": 1000})
    members = client.system.api_members.get(params={"conditions": 'identifier="%s"' % profile["member"]["identifier"]})
    return verdict(profile, roles, settings, members)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory")
    parser.add_argument("report")
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args(argv)
    started = time.monotonic()
    group = json.loads(Path(args.inventory).read_text(encoding="utf-8"))["cw_tenants"]
    common = group.get("vars", {})
    tenants = {name: dict(common, **host) for name, host in group["hosts"].items()}
    plain = {t["cw_site"].split("://", 1)[1].rstrip("/") for t in tenants.values() if t["cw_site"].startswith("http://")}
    connectwise_client.requests = Transport(plain)
    profiles = {}
    pairs = []
    for name, tenant in tenants.items():
        client = ConnectWiseManageAPIClient(tenant["cw_company_id"], tenant["cw_site"].split("://", 1)[-1].rstrip("/"),
                                            tenant["cw_client_id"], tenant["cw_public_key"], tenant["cw_private_key"],
                                            codebase=CODEBASE)
        client.codebase = CODEBASE  # pyconnectwise keeps a given codebase only when it asked the API for it
        for vendor in tenant["cw_vendors"]:
            if vendor not in profiles:
                profiles[vendor] = yaml.safe_load((PROFILES / (vendor + ".yml")).read_text(encoding="utf-8"))
            pairs.append((name, vendor, client))

    def one(pair):
        name, vendor, client = pair
        try:
            return name, vendor, check(client, profiles[vendor])
        except Exception as exc:  # pylint: disable=broad-exception-caught
            return name, vendor, {"status": "error", "message": "%s: %s" % (type(exc).__name__, exc)}

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        done = list(pool.map(one, pairs))
    verdicts, counts = {}, {}
    for name, vendor, found in done:
        verdicts.setdefault(name, {})[vendor] = found
        counts[found["status"]] = counts.get(found["status"], 0) + 1
    report = {"summary": counts, "tenants": verdicts, "workers": args.workers, "wall_s": round(time.monotonic() - started, 2)}
    Path(args.report).parent.mkdir(parents=True, exist_ok=True)
    Path(args.report).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write("%s in %.1f s\n" % (", ".join("%s %d" % item for item in sorted(counts.items())), report["wall_s"]))
    return 0 if "error" not in counts else 1


if __name__ == "__main__":
    sys.exit(main())
