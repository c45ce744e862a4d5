"""Start and drive the simulator from tests (standard library only).

    with SimulatorProcess("--settings-writable") as sim:
        sim.url, sim.company, sim.public_key, sim.private_key
        sim.ui_set_levels("Technician", [{"module": "System", "function": "Table Setup", "inquire": "All"}])
"""

import json as _json
import queue
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, urlencode

REPO_ROOT = Path(__file__).resolve().parents[1]
READY = "ConnectWise simulator listening on "


class SimulatorError(RuntimeError):
    """A control call failed (status and decoded body attached) or the process did not start."""

    def __init__(self, message, status=None, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


def _option(args, name, default):
    return args[args.index(name) + 1] if name in args[:-1] else default


class SimulatorControl:
    """The /__sim__/ control endpoints of a running simulator (tests, benchmarks and the demo's administrator)."""

    def __init__(self, url, company="msptest", public_key="simadminpublic", private_key="simadminprivate"):
        self.url = url.rstrip("/")
        self.company = company
        self.public_key = public_key
        self.private_key = private_key

    @property
    def api_url(self):
        """Base URL of the API on the on-premises codebase."""
        return f"{self.url}/v4_6_release/apis/3.0"

    # --- control endpoints -------------------------------------------------------------------
    def control(self, method, path, json=None):
        """Call /__sim__/<path>; returns the decoded JSON (None when empty); raises SimulatorError on >= 400."""
        url = self.url + (path if path.startswith("/") else "/__sim__/" + path)
        data = None if json is None else _json.dumps(json).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            payload = exc.read()
            body = _json.loads(payload) if payload else None
            raise SimulatorError(f"{method} {path} -> {exc.code}: {body}", exc.code, body) from exc
        return _json.loads(payload) if payload else None

    def requests(self, company=None):
        """The API request log, oldest first (optionally one tenant's)."""
        return self.control("GET", "requests" + (f"?{urlencode({'company': company})}" if company else ""))

    def writes(self, company=None):
        """Logged API requests other than GET."""
        return [entry for entry in self.requests(company) if entry["method"] != "GET"]

    def clear_requests(self):
        """Empty the request log."""
        self.control("DELETE", "requests")

    def reset(self):
        """Back to the start-up state; log and faults cleared."""
        return self.control("POST", "reset")

    def state(self):
        """All tenants, in the --state file format."""
        return self.control("GET", "state")

    def set_faults(self, **faults):
        """Replace the fault settings (latency_ms, rate_limit_per_minute, fail_every, drop_every, ...)."""
        return self.control("PUT", "faults", faults)

    def clear_faults(self):
        """No faults."""
        return self.control("DELETE", "faults")

    def create_tenant(self, company, public_key=None, private_key=None, settings_writable=False, level1_name=None,
                      customize_item_form=None):
        """A new seeded tenant; returns its company and keys."""
        body = {"company": company, "public_key": public_key, "private_key": private_key,
                "settings_writable": settings_writable, "level1_name": level1_name, "customize_item_form": customize_item_form}
        return self.control("POST", "tenants", {k: v for k, v in body.items() if v is not None})

    def copy_tenant(self, companies, company=None):
        """Make each of ``companies`` a copy of the tenant (its own name and admin key <company>-public/-private)."""
        return self.control("POST", self._tenant_path(company) + "/copies", {"companies": list(companies)})

    def set_settings_writable(self, writable, company=None):
        """Toggle whether a tenant accepts PATCH on role settings."""
        return self.control("PATCH", f"tenants/{quote(company or self.company, safe='')}", {"settings_writable": writable})

    def set_answer(self, resource, body, method="GET", company=None):
        """Make one call of a tenant answer 200 with ``body`` (an answer of another shape); clear_answers() undoes it."""
        return self.control("PUT", f"{self._tenant_path(company)}/answers", {"resource": resource, "method": method, "body": body})

    def clear_answers(self, company=None):
        """Every call of the tenant answered by the simulator again."""
        return self.control("DELETE", f"{self._tenant_path(company)}/answers")

    def set_customize_item_form(self, form, company=None):
        """How a tenant's customizeItems names Table Setup items: "id", "label" or "name"."""
        return self.control("PATCH", f"tenants/{quote(company or self.company, safe='')}", {"customize_item_form": form})

    def set_token_lifetime(self, seconds, company=None):
        """How long the tokens a tenant issues from now on work (default 24 h), to test expiry."""
        return self.control("PATCH", f"tenants/{quote(company or self.company, safe='')}", {"token_lifetime_s": seconds})

    def ui_set_levels(self, role, rows, company=None):
        """Admin UI: set cells, rows as {"module", "function", "add", "edit", "delete", "inquire"}."""
        return self.control("PUT", f"{self._tenant_path(company)}/roles/{quote(role, safe='')}/settings", rows)

    def ui_set_customize(self, role, identifier, allow, company=None):
        """Admin UI: replace a role's customize list (Table Setup: "Category / Table" names)."""
        path = f"{self._tenant_path(company)}/roles/{quote(role, safe='')}/customize/{quote(identifier, safe='')}"
        return self.control("PUT", path, {"allow": list(allow)})

    def ui_move_customize(self, role, identifier, allow=(), disallow=(), company=None):
        """Admin UI: move entries of a role's customize list to "Allow access to these" or "Disallow access to these"."""
        path = f"{self._tenant_path(company)}/roles/{quote(role, safe='')}/customize/{quote(identifier, safe='')}"
        return self.control("PATCH", path, {"allow": list(allow), "disallow": list(disallow)})

    def ui_create_key(self, member, description, company=None):
        """Admin UI: a persistent key pair for a member; returns {"publicKey", "privateKey", ...}."""
        return self.control("POST", f"{self._tenant_path(company)}/members/{quote(member, safe='')}/keys",
                            {"description": description})

    def _tenant_path(self, company):
        return f"tenants/{quote(company or self.company, safe='')}"


class SimulatorProcess(SimulatorControl):
    """`python -m simulator --port 0 ...` as a subprocess, plus helpers for the /__sim__/ endpoints.

    ``capture=FILE`` (or ``--capture FILE`` among the args) serves a captured tenant; ``.company`` is then its company."""

    def __init__(self, *args, timeout=15.0, cwd=None, env=None, capture=None):
        args = [str(a) for a in args] + (["--capture", str(capture)] if capture else [])
        self.company = _option(args, "--company", "msptest")
        capture = _option(args, "--capture", None)
        if capture:
            path = Path(capture) if Path(capture).is_absolute() else Path(cwd or REPO_ROOT) / capture
            self.company = _json.loads(path.read_text(encoding="utf-8"))["company_id"]
        self.public_key = _option(args, "--public-key", "simadminpublic")
        self.private_key = _option(args, "--private-key", "simadminprivate")
        self._stderr = tempfile.TemporaryFile()  # pylint: disable=consider-using-with
        command = [sys.executable, "-m", "simulator"] + ([] if "--port" in args else ["--port", "0"]) + args
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            command, cwd=str(cwd or REPO_ROOT), env=env, stdout=subprocess.PIPE, stderr=self._stderr, text=True)
        lines = queue.Queue()
        threading.Thread(target=self._drain, args=(lines,), daemon=True).start()
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if not line or not line.startswith(READY):
            errors = self.stderr()
            self.stop()
            raise SimulatorError(f"simulator did not start: {line!r}; stderr:\n{errors}")
        self.url = line[len(READY):].strip()
        self.host, self.port = self.url.rsplit("//", 1)[1].rsplit(":", 1)
        self.port = int(self.port)

    def _drain(self, lines):
        for line in self.process.stdout:
            lines.put(line)
        lines.put(None)

    def stderr(self):
        """What the process wrote to stderr so far."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    # --- lifetime ------------------------------------------------------------------------------
    def stop(self):
        """SIGTERM (the simulator saves its state), then kill if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()
