"""HTTP plumbing and the simulator's shared state: tenants, request log, faults, persistence."""

import json
import os
import tempfile
import threading
import time
import zlib
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import api, control
from .context import Context, Response
from .faults import DROP, Faults
from .tenant import STATE_VERSION, Tenant


class Simulator:
    """Everything the handlers share. One re-entrant lock serialises state changes and reads."""

    def __init__(self, tenants, faults=None, state_file=None):
        self.lock = threading.RLock()
        self.state_file = state_file
        self.tenants = {}
        # The given tenants are the caller's fresh ones: kept as they are, not copied (a second copy of a fleet of a
        # thousand tenants doubled the peak memory). The start-up state, which reset() goes back to, is kept as
        # compressed JSON: a tenant's roles repeat the same function catalogue, which compresses about 20 to 1.
        with self.lock:
            self.tenants = {}
            for tenant in tenants:
                self.add_tenant(tenant)
        self.initial = zlib.compress(json.dumps(self.snapshot(), separators=(",", ":")).encode("utf-8"), 1)
        self.faults = Faults(faults)
        self.log = []
        self._seq = 0

    # --- state ------------------------------------------------------------------------------
    def tenant(self, company):
        """Tenant by company id (case-insensitive), or None."""
        return self.tenants.get((company or "").lower())

    def add_tenant(self, tenant):
        """Register a tenant under its lower-cased company id."""
        self.tenants[tenant.company.lower()] = tenant

    def snapshot(self):
        """All tenants as JSON-ready data: the --state file format."""
        with self.lock:
            return {"version": STATE_VERSION, "tenants": [t.data for t in self.tenants.values()]}

    def load(self, snapshot, copy=True):
        """Replace every tenant with those in a snapshot (each copied, unless ``copy`` is false: a snapshot parsed for
        this call alone)."""
        if not isinstance(snapshot, dict) or not isinstance(snapshot.get("tenants"), list):
            raise ValueError("a state must be an object with a tenants list")
        with self.lock:
            self.tenants = {}
            for data in snapshot["tenants"]:
                # Each tenant copied on its own: never the whole fleet twice at once.
                self.add_tenant(Tenant(json.loads(json.dumps(data)) if copy else data))

    def reset(self):
        """Back to the state given at start; log cleared; faults back to the start-up values."""
        with self.lock:
            self.load(json.loads(zlib.decompress(self.initial)), copy=False)
            self.log = []
            self._seq = 0
            self.faults.restore()
            self.save()

    def save(self):
        """Write the state file atomically (when --state was given)."""
        if not self.state_file:
            return
        with self.lock:
            folder = os.path.dirname(os.path.abspath(self.state_file))
            handle, temp = tempfile.mkstemp(dir=folder, prefix=".sim-state-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(self.snapshot(), out, indent=1, sort_keys=True)
            os.replace(temp, self.state_file)

    # --- API traffic -----------------------------------------------------------------------
    def handle_api(self, ctx):
        """Faults first, then the API itself; every request is logged."""
        company = api.claimed_company(ctx)
        delay, action = self.faults.decide(company)
        if delay:
            time.sleep(delay)
        late = self.faults.late_write() if action is None and ctx.method != "GET" else None
        if late is not None:
            # Unanswered now; made later, whatever the client does meanwhile (its read back, its retry).
            threading.Timer(late, self._apply_late, (ctx,)).start()
            action = DROP
        if action is None:
            with self.lock:
                response = api.handle(self, ctx)
                if ctx.method != "GET" and response.status < 400:
                    self.save()
                    # The write stays applied whatever the client is told (fail/drop_after_write_every).
                    action = self.faults.after_write()
        if action == DROP:
            self._record(ctx, company, None)
            return DROP
        if action:
            status, headers, body = action
            response = Response(status, body, headers)
        self._record(ctx, company, response.status)
        return response

    def _apply_late(self, ctx):
        with self.lock:
            if api.handle(self, ctx).status < 400:
                self.save()

    def _record(self, ctx, company, status):
        # Never the Authorization header nor any key: only who called and what they asked for.
        match = api.API_PATH.match(ctx.path)
        body = ctx.body
        if body is None and ctx.method != "GET" and ctx.raw_body:
            try:
                body = json.loads(ctx.raw_body)
            except (ValueError, UnicodeDecodeError):
                body = None
        with self.lock:
            self._seq += 1
            self.log.append({
                "seq": self._seq,
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "method": ctx.method,
                "path": ctx.path,
                "resource": match.group(2) if match else None,
                "query": dict(ctx.query_pairs),
                "queryString": ctx.query_string,
                "status": status,
                "dropped": status is None,
                "company": ctx.tenant.company.lower() if ctx.tenant else company,
                "member": ctx.member["identifier"] if ctx.member else None,
                "clientId": bool((ctx.header("clientId") or "").strip()),
                "version": ctx.version,
                "body": body,
            })


class Handler(BaseHTTPRequestHandler):
    """Reads the request, hands it to the control or API side, writes JSON back."""

    protocol_version = "HTTP/1.1"
    server_version = "ConnectWiseSimulator/1.0"
    # Headers and body go out in two writes; with Nagle's algorithm the body's last segment waited for the client's
    # delayed ACK, about 40 ms on every keep-alive request: latency no real server adds.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        """Quiet: the request log is served at /__sim__/requests."""

    def _dispatch(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        address, port = self.server.server_address[:2]
        host = self.headers.get("Host") or f"{address}:{port}"
        ctx = Context(self.command, self.path, self.headers, body, host)
        sim = self.server.simulator
        if ctx.path.startswith(control.PREFIX):
            response = control.handle(sim, ctx)
        else:
            response = sim.handle_api(ctx)
        if response is DROP:
            self.close_connection = True
            return
        payload = response.encode()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch


class SimulatorServer(ThreadingHTTPServer):
    """ThreadingHTTPServer carrying the Simulator for its handlers."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, simulator):
        super().__init__(address, Handler)
        self.simulator = simulator
