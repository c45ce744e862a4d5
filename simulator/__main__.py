"""Command line: python -m simulator --port PORT [options] (run from the repository root)."""

import argparse
import json
import os
import signal
import sys

from . import capture
from .server import Simulator, SimulatorServer
from .tenant import ITEM_FORMS, Tenant


def parse_args(argv=None):
    """Options; defaults are documented in simulator/README.md."""
    parser = argparse.ArgumentParser(prog="python -m simulator", description="Stateful ConnectWise Manage API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--company", default="msptest")
    parser.add_argument("--public-key", default="simadminpublic")
    parser.add_argument("--private-key", default="simadminprivate")
    parser.add_argument("--level1-name", default="Corporate", help="name of corporate structure level 1")
    parser.add_argument("--state", metavar="FILE", help="load tenants from FILE if it exists; save on every change and on exit")
    parser.add_argument("--settings-writable", action="store_true", help="the default tenant accepts PATCH on role settings")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=0, metavar="N", help="requests per minute per tenant before 429")
    parser.add_argument("--retry-after", type=int, default=1, metavar="S")
    parser.add_argument("--fail-every", type=int, default=0, metavar="N", help="answer 503 to every Nth API request")
    parser.add_argument("--tenants", type=int, default=0, metavar="N", help="also create tenants <company>001..<company>NNN")
    parser.add_argument("--capture", metavar="FILE", help="serve the tenant captured in FILE (doctor.yml -e cw_capture=true) "
                        "instead of the seeded default tenant; the admin keys act as its caller")
    parser.add_argument("--customize-item-form", choices=ITEM_FORMS, default="id",
                        help="how customizeItems names a Table Setup item: the setupScreen id, 'Category / Name', or the name")
    return parser.parse_args(argv)


def build_simulator(args):
    """Tenants from --state when the file exists, else seeded; fleet tenants added when missing."""
    tenants = []
    if args.state and os.path.exists(args.state):
        with open(args.state, encoding="utf-8") as handle:
            tenants = [Tenant(data) for data in json.load(handle)["tenants"]]
    known = {t.company.lower() for t in tenants}
    wanted = [(args.company, args.public_key, args.private_key, args.settings_writable)]
    if args.capture:
        # The captured tenant replaces the default one (its state, once saved, is loaded instead).
        wanted = []
        replayed = capture.load_tenant(args.capture, args.public_key, args.private_key, args.settings_writable)
        if replayed.company.lower() not in known:
            tenants.append(replayed)
    for number in range(1, args.tenants + 1):
        company = f"{args.company}{number:03d}"
        wanted.append((company, f"{company}-public", f"{company}-private", False))
    for company, public_key, private_key, writable in wanted:
        if company.lower() not in known:
            tenants.append(Tenant.create(company, public_key, private_key, writable, args.level1_name,
                                         customize_item_form=args.customize_item_form))
    faults = {"latency_ms": args.latency_ms, "rate_limit_per_minute": args.rate_limit, "retry_after": args.retry_after,
              "fail_every": args.fail_every}
    return Simulator(tenants, faults, args.state)


def _stop(_signum, _frame):
    # Raised in the main thread: serve_forever unwinds and the finally block saves the state.
    raise SystemExit(0)


def main(argv=None):
    """Start serving; prints one line once listening."""
    args = parse_args(argv)
    simulator = build_simulator(args)
    server = SimulatorServer((args.host, args.port), simulator)
    simulator.save()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    host, port = server.server_address[:2]
    sys.stdout.write(f"ConnectWise simulator listening on http://{host}:{port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        simulator.save()
        server.server_close()


if __name__ == "__main__":
    main()
