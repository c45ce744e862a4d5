# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleet benchmark of msp.connectwise against the local ConnectWise simulator (results in docs/performance.md).

    make bootstrap                                   # once: .venv with the pinned ansible-core
    .venv/bin/python benchmarks/run.py               # 100 tenants x 5 vendors, 50 ms latency, forks 10/25/50
    .venv/bin/python benchmarks/run.py --quick       # smoke run: 3 tenants, forks 3, under a minute
    .venv/bin/python benchmarks/run.py --collection /tmp/before --forks 10 --repeat 3 --no-plain --no-per-tenant
                                                     # another checkout of the collection (e.g. a git worktree)
    .venv/bin/python benchmarks/run.py --scaling-only --scaling 10,100,300,1000
                                                     # the scaling table: audit.yml and the peer script per fleet size

Starts `python -m simulator --tenants N+2 --latency-ms MS` on loopback (N: the fleet, or the largest --scaling size),
prepares the tenants without timing it (latency off: the first tenant is onboarded with playbooks/onboard.yml and
every checklist applied with simulator.admin, playbooks/doctor.yml, the documented first step, records its facts and
those of tenant N+1, and the simulator makes every other fleet tenant a copy of it (POST /__sim__/tenants/{company}/
copies; its key files and doctor record copied too), so the fleet is compliant; tenants N+1 and N+2 are left fresh
and made settings-writable), then runs and measures, side by side:

  (a)  playbooks/onboard_topleft.yml on fresh writable tenant N+1, then (a') the same again (converged re-run);
       (a0) the same onboarding on tenant N+2, which doctor.yml has not seen
  (b)  playbooks/audit.yml, check mode, vendor topleft, on one compliant tenant; (b0) the same without doctor's record
  (c)  playbooks/audit.yml over N tenants x 5 vendors, once per --forks value
  (d)  benchmarks/plain_audit.yml, the same fleet audit with ansible.builtin.uri only, once per --plain-forks value
  (f)  (c) at its best fork count with a 6th vendor that no tenant has: drift everywhere, a checklist per tenant
  (e)  playbooks/onboard.yml --check over the same fleet: the same audit with one cw_integration process per tenant
       (the design (c) replaced), at the best fork count of (c)
  (r)  playbooks/review.yml over the same fleet: every role's settings (one read each) and every API member, GET only
  (p)  benchmarks/peer_pyconnectwise.py: the script an MSP engineer writes instead, pyconnectwise and a pool of 20
       threads, the same checks as (d), over the same fleet
  (s), (sp)  with --scaling: audit.yml and the peer script over the first N tenants, per size: the scaling table
  --history-roles audited: every audit.yml run snapshots only the roles it reads (no request of its own)

For each: API requests (the simulator's log), requests per tenant x vendor, task executions and module invocations
(callback_plugins/bench_count.py), wall time, controller CPU time and peak memory (os.wait4 rusage: the largest
single process; plus the sampled peak PSS of the whole ansible-playbook process tree), and the ratios to (d) and
to the peer script (p).
Three design figures besides: the lines of the roles (roles/, the vendor profiles excepted), the tasks audit.yml runs
per host in (c) (run_once tasks apart) and the fleet audit's wall time (the best (c)).
Prints a Markdown table and writes every figure to a JSON file. Every child stops by itself (bounded timeouts).
The playbooks and roles measured are those of --collection (default: this checkout); the simulator, the callback
and benchmarks/plain_audit.yml are always this checkout's.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = REPO / "benchmarks"
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from simulator import admin  # noqa: E402  (needs the repository root on sys.path)
from simulator.testing import SimulatorControl, SimulatorProcess  # noqa: E402

# The fleet's vendors: the five whose pages give every level they ask for (no profile level is assumed).
FLEET_VENDORS = ["cw_kanban", "mobius", "topleft", "timesanity", "lifecycle_manager"]
ONBOARD_VENDOR = "topleft"
DRIFT_VENDOR = "hudu"  # in no tenant: (f) finds its role missing everywhere
CLIENT_ID = "00000000-0000-4000-8000-000000000001"
COMPANY = "msptest"
SAMPLE_EVERY_S = 0.5
PEER_WORKERS = 20

# The performance targets (docs/performance.md, "The targets").
AUDIT_MAX_REQUESTS_PER_PAIR = 4
FLEET_MAX_REQUESTS_PER_PAIR = 2.6
ONBOARD_BASE_REQUESTS = 6
FLEET_TENANTS, FLEET_LATENCY_MS, FLEET_MAX_WALL_S, FLEET_MIN_SPEEDUP = 100, 50, 10.0, 3.0
# A thousand tenants: wall time and the whole ansible-playbook process tree's memory; the peer script's ratio.
LARGE_TENANTS, LARGE_MAX_WALL_S, LARGE_MAX_PSS_MB = 1000, 60.0, 1024
PEER_MAX_RATIO = 1.5
MAX_TENANTS = 1000


class BenchmarkError(RuntimeError):
    """A step that must succeed did not (its log is named in the message)."""


# --- the controller's processes ----------------------------------------------------------------------

def _proc_children():
    """ppid -> [pid] for every process now alive."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _tree(root):
    children, found, todo = _proc_children(), [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _pss_kb(pid):
    """Proportional set size of a process (shared copy-on-write pages of forks counted once overall)."""
    try:
        with open("/proc/%d/smaps_rollup" % pid, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open("/proc/%d/statm" % pid, encoding="utf-8") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0


def _cpu_s(pid):
    """User + system CPU seconds a live process has used so far (the simulator's share of the machine)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def _machine_busy_s():
    """CPU seconds every process of the machine has used since boot (all cores; idle, iowait and steal excluded)."""
    with open("/proc/stat", encoding="utf-8") as handle:
        fields = [int(x) for x in handle.readline().split()[1:]]
    return (sum(fields[:7]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _own_cpu_s():
    """This script's own CPU seconds (it samples /proc while a playbook runs)."""
    times = os.times()
    return times.user + times.system


def run_measured(command, env, cwd, log_path, timeout_s):
    """Run ``command`` in its own session; return wall time, exit status and the controller's CPU and memory."""
    with open(log_path, "w", encoding="utf-8") as log:
        started = time.monotonic()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(cwd),  # pylint: disable=consider-using-with
                                   start_new_session=True)
        peak_tree_kb, samples, next_sample = 0, 0, started
        try:
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
                now = time.monotonic()
                if now - started > timeout_s:
                    _kill_group(process.pid)
                    raise BenchmarkError("%s: no end after %d s (killed); see %s" % (" ".join(command[:3]), timeout_s, log_path))
                if now >= next_sample:
                    peak_tree_kb = max(peak_tree_kb, sum(_pss_kb(p) for p in _tree(process.pid)))
                    samples += 1
                    next_sample = now + SAMPLE_EVERY_S
                time.sleep(0.02)
        except BaseException:
            _kill_group(process.pid)
            raise
        wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": round(wall, 2), "rc": process.returncode, "cpu_user_s": round(usage.ru_utime, 2),
            "cpu_sys_s": round(usage.ru_stime, 2), "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
            "peak_tree_pss_mb": round(peak_tree_kb / 1024, 1), "memory_samples": samples}


def _kill_group(pid):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0]:
                    return
            except ChildProcessError:
                return
            time.sleep(0.05)


class SnapshotControl(SimulatorControl):
    """simulator.admin reads a role's Table Setup list from GET /__sim__/state, every tenant at once, for each role it
    changes. Preparing a 100-tenant fleet that way takes minutes; one snapshot serves every role, since the preparation
    changes each role's list exactly once (each vendor's checklist is applied once)."""

    _snapshot = None

    def state(self):
        if self._snapshot is None:
            self._snapshot = super().state()
        return self._snapshot


# --- the bench ---------------------------------------------------------------------------------------

class Bench:
    """The simulator, the work folder, the inventories and the measured runs."""

    def __init__(self, args, sim, work):
        self.args = args
        self.sim = sim
        self.work = work
        self.ansible_playbook = str(Path(sys.executable).with_name("ansible-playbook"))
        self.out = work / "cw-output"
        self.pool = ["%s%03d" % (COMPANY, n) for n in range(1, args.pool + 1)]
        self.companies = self.pool[:args.tenants]
        self.fresh = "%s%03d" % (COMPANY, args.pool + 1)
        self.unseen = "%s%03d" % (COMPANY, args.pool + 2)
        self.books = args.collection / "playbooks"
        self.results = []
        self.notes = []
        tree = work / "collections" / "ansible_collections" / "msp"
        tree.mkdir(parents=True)
        (tree / "connectwise").symlink_to(args.collection, target_is_directory=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CW_", "ANSIBLE_"))}
        self.env.update({
            "PATH": "%s%s%s" % (Path(sys.executable).parent, os.pathsep, os.environ.get("PATH", "")),
            "ANSIBLE_COLLECTIONS_PATH": str(work / "collections"), "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"), "ANSIBLE_CALLBACKS_ENABLED": "bench_count",
            "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false", "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false", "ANSIBLE_HOME": str(work / "ansible-home"), "CW_OUTPUT_DIR": str(self.out),
        })
        self.inventory_fleet = self._inventory("fleet", self.companies, FLEET_VENDORS)
        self.inventory_fresh = self._inventory("fresh", [self.fresh], [ONBOARD_VENDOR])
        self.inventory_unseen = self._inventory("unseen", [self.unseen], [ONBOARD_VENDOR])
        self.inventory_one = self._inventory("one", self.companies[:1], [ONBOARD_VENDOR])
        self.inventory_seed = self._inventory("seed", self.companies[:1], FLEET_VENDORS)

    def _inventory(self, name, companies, vendors):
        hosts = {c: {"cw_company_id": c, "cw_public_key": "%s-public" % c, "cw_private_key": "%s-private" % c} for c in companies}
        # Keys issued through the API: an onboarding run completes without a person handing over a key made in the UI.
        group = {"cw_site": self.sim.url, "cw_client_id": CLIENT_ID, "cw_vendors": vendors, "cw_key_source": "token"}
        document = {"cw_tenants": {"hosts": hosts, "vars": group}}
        path = self.work / ("inventory-%s.json" % name)
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        return path

    def playbook(self, label, book, inventory, *extra, forks=None, env=None):
        """Run one playbook, measured; returns the measurements with the simulator's log of it."""
        if self.args.history_roles and Path(book).name == "audit.yml":
            extra = extra + ("-e", "cw_history_roles=%s" % self.args.history_roles)
        command = [self.ansible_playbook, "-i", str(inventory), str(book)] + (["-f", str(forks)] if forks else []) + list(extra)
        shown = next((Path(book).relative_to(root) for root in (self.args.collection, REPO) if Path(book).is_relative_to(root)), book)
        options = (" -f %d" % forks if forks else "") + "".join(" " + e for e in extra)
        return self.measure(label, command, "ansible-playbook -i %s %s%s" % (inventory.name, shown, options), env=env)

    def measure(self, label, command, shown, env=None):
        """Run one command, measured; returns the measurements with the simulator's log of it."""
        counts = self.work / ("count-%s.json" % label)
        log = self.work / ("log-%s.txt" % label)
        env = dict(env or self.env, CW_BENCH_COUNT=str(counts))
        self.sim.clear_requests()
        sim_cpu, busy, load, own = _cpu_s(self.sim.process.pid), _machine_busy_s(), os.getloadavg()[0], _own_cpu_s()
        measured = run_measured(command, env, self.work, log, self.args.timeout)
        measured["simulator_cpu_s"] = round(_cpu_s(self.sim.process.pid) - sim_cpu, 2)
        # What else ran on this machine meanwhile (other users' jobs): CPU seconds not ours nor the simulator's.
        others = (_machine_busy_s() - busy - measured["cpu_user_s"] - measured["cpu_sys_s"] - measured["simulator_cpu_s"]
                  - (_own_cpu_s() - own))
        measured["other_cpu_s"] = round(max(others, 0.0), 1)
        measured["loadavg_before"] = round(load, 2)
        requests = self.sim.requests()
        measured["log"] = str(log)
        measured["command"] = shown
        measured["requests"] = len(requests)
        measured["requests_by_method"] = {}
        for entry in requests:
            measured["requests_by_method"][entry["method"]] = measured["requests_by_method"].get(entry["method"], 0) + 1
        measured["errors"] = sum(1 for r in requests if r.get("status") is None or r["status"] >= 400)
        measured["settings_patches"] = sum(1 for r in requests if r["method"] == "PATCH" and "/settings/" in (r.get("resource") or "").lower())
        if len(requests) <= 60:  # the single-tenant scenarios: every request, to see what each one costs
            measured["request_lines"] = [
                "%s %s %s%s" % (r["method"], r.get("status"), r.get("resource") or r.get("path"), " as %s" % r["member"] if r.get("member") else "")
                for r in requests]
        measured["tenants_touched"] = len({(r.get("company") or "").lower() for r in requests})
        if counts.exists():
            count = json.loads(counts.read_text(encoding="utf-8"))
            measured.update(executed=count["executed"], module_invocations=count["module_invocations"],
                            api_reported_by_modules=count["api_reported"]["requests"], tasks=count["tasks"],
                            stats=count.get("stats"), per_host=count.get("per_host"))
        return measured

    # --- preparation (not timed) -------------------------------------------------------------------------
    def prepare(self):
        started = time.monotonic()
        self.sim.set_faults(latency_ms=0)
        self.sim.set_settings_writable(True, company=self.fresh)
        self.sim.set_settings_writable(True, company=self.unseen)
        # The first fleet tenant accepts level writes while it is onboarded (fewer checklists to write and apply: only
        # Table Setup is left to the administrator), then refuses them again like ConnectWise's published API. Every
        # other fleet tenant is then made a copy of it by the simulator (its own name and admin key; the same roles,
        # members and member keys): one onboarding whatever the fleet's size.
        seed = self.companies[0]
        self.sim.set_settings_writable(True, company=seed)
        say("preparing: onboarding %s x %d vendors (latency off, not timed)" % (seed, len(FLEET_VENDORS)))
        onboard = self.playbook("prepare-onboard", self.books / "onboard.yml", self.inventory_seed,
                                "-e", "cw_fail_on_pending=false")
        if onboard["rc"] != 0:
            raise BenchmarkError("preparation: onboard.yml failed (rc %d); see %s" % (onboard["rc"], onboard["log"]))
        say("preparing: applying the checklists with simulator.admin (the administrator's clicks)")
        checklists = self.out / "checklists"
        control = SnapshotControl(self.sim.url)
        applied = 0
        for path in sorted(checklists.glob("%s-*.md" % seed)):
            steps = admin.parse(path.read_text(encoding="utf-8"))
            admin.apply(control, seed, steps, str(self.work / "ui-keys"))
            applied += 1
        if not applied:
            raise BenchmarkError("preparation: no checklist to apply (the fleet vendors' Table Setup lists); see %s" % onboard["log"])
        # Applied: what the next onboarding run would remove anyway; every timed audit starts from the same files.
        shutil.rmtree(checklists, ignore_errors=True)
        self.sim.set_settings_writable(False, company=seed)
        say("preparing: playbooks/doctor.yml records the facts of %s and of tenant %s (the documented first step)" % (seed, self.fresh))
        for label, inventory in (("prepare-doctor-fleet", self.inventory_seed), ("prepare-doctor-fresh", self.inventory_fresh)):
            doctor = self.playbook(label, self.books / "doctor.yml", inventory)
            if doctor["rc"] != 0:
                raise BenchmarkError("preparation: doctor.yml failed (rc %d); see %s" % (doctor["rc"], doctor["log"]))
        say("preparing: %d tenants made copies of %s, with its key files and doctor record" % (len(self.pool) - 1, seed))
        self.sim.copy_tenant(self.pool[1:], company=seed)
        for folder in ("credentials", "tenants"):
            for path in sorted((self.out / folder).glob(seed + "[-.]*")):
                text = path.read_text(encoding="utf-8")
                for company in self.pool[1:]:
                    target = path.with_name(company + path.name[len(seed):])
                    target.write_text(text.replace(seed, company), encoding="utf-8")
                    target.chmod(path.stat().st_mode & 0o777)
        self.sim.set_faults(latency_ms=self.args.latency_ms)
        elapsed = time.monotonic() - started
        say("prepared in %.0f s" % elapsed)
        return {"wall_s": round(elapsed, 1), "onboard": strip(onboard)}

    # --- the scenarios -----------------------------------------------------------------------------------
    def scenario(self, key, title, measured, pairs, tenants, vendors, forks=None, verdicts=None):
        row = dict({k: v for k, v in measured.items() if k != "stats"}, key=key, title=title, pairs=pairs, tenants=tenants, vendors=vendors, forks=forks,
                   requests_per_pair=round(measured["requests"] / pairs, 2), verdicts=verdicts)
        self.results.append(row)
        # Every row so far, in case the run is stopped before the end (the final document replaces it).
        partial = {"complete": False, "tenants": self.args.tenants, "latency_ms": self.args.latency_ms, "scenarios": self.results}
        Path(self.args.json).write_text(json.dumps(partial, indent=1) + "\n", encoding="utf-8")
        label = title + (" (forks %d)" % forks if forks else "")
        say("%-4s %-66s %7.1f s  %5d requests  rc %d" % (key, label, row["wall_s"], row["requests"], row["rc"]))
        return row

    def onboarding(self):
        book = self.books / ("onboard_%s.yml" % ONBOARD_VENDOR)
        first = self.playbook("a-onboard", book, self.inventory_fresh)
        self.scenario("a", "onboard %s, fresh writable tenant" % ONBOARD_VENDOR, first, 1, 1, 1)
        unseen = self.playbook("a0-onboard-unseen", book, self.inventory_unseen)
        self.scenario("a0", "the same on a tenant doctor.yml has not recorded", unseen, 1, 1, 1)
        again = self.playbook("a2-onboard-again", book, self.inventory_fresh)
        self.scenario("a'", "the same onboarding again (converged)", again, 1, 1, 1)

    def single_audit(self):
        measured = self.playbook("b-audit-one", self.books / "audit.yml", self.inventory_one)
        self.scenario("b", "audit %s (check mode), compliant tenant" % ONBOARD_VENDOR, measured, 1, 1, 1,
                      verdicts=self._summary("audit.json"))
        records, aside = self.out / "tenants", self.out / "tenants-aside"
        records.rename(aside)
        try:
            measured = self.playbook("b0-audit-one-unrecorded", self.books / "audit.yml", self.inventory_one)
        finally:
            aside.rename(records)
        self.scenario("b0", "the same without doctor's record", measured, 1, 1, 1, verdicts=self._summary("audit.json"))

    def fleet(self, forks):
        pairs = len(self.companies) * len(FLEET_VENDORS)
        measured = self.playbook("c-fleet-f%d" % forks, self.books / "audit.yml", self.inventory_fleet, forks=forks)
        self.scenario("c", "fleet audit.yml, %d tenants x %d vendors" % (len(self.companies), len(FLEET_VENDORS)), measured,
                      pairs, len(self.companies), len(FLEET_VENDORS), forks=forks, verdicts=self._summary("audit.json"))

    def plain(self, forks):
        pairs = len(self.companies) * len(FLEET_VENDORS)
        measured = self.playbook("d-plain-f%d" % forks, HERE / "plain_audit.yml", self.inventory_fleet, forks=forks)
        self.scenario("d", "fleet audit with ansible.builtin.uri only (plain_audit.yml)", measured, pairs, len(self.companies),
                      len(FLEET_VENDORS), forks=forks, verdicts=self._summary("plain-audit.json"))

    def peer(self, companies=None, key="p"):
        """(p): benchmarks/peer_pyconnectwise.py over the same fleet, the same checks as (d), 20 threads."""
        companies = companies or self.companies
        inventory = self.inventory_fleet if companies == self.companies else self._inventory("fleet-%d" % len(companies), companies, FLEET_VENDORS)
        report = self.out / "reports" / "peer-audit.json"
        command = [sys.executable, str(HERE / "peer_pyconnectwise.py"), str(inventory), str(report), "--workers", str(PEER_WORKERS)]
        measured = self.measure("%s-peer-%d" % (key, len(companies)), command,
                                "python benchmarks/peer_pyconnectwise.py %s --workers %d" % (inventory.name, PEER_WORKERS))
        pairs = len(companies) * len(FLEET_VENDORS)
        return self.scenario(key, "Python script on pyconnectwise, %d threads (peer_pyconnectwise.py)" % PEER_WORKERS, measured,
                             pairs, len(companies), len(FLEET_VENDORS), verdicts=self._summary("peer-audit.json"))

    def scaled(self, size, forks):
        """(s): the fleet audit and the peer script over the first ``size`` tenants of the fleet."""
        companies = self.pool[:size]
        inventory = self._inventory("fleet-%d" % size, companies, FLEET_VENDORS)
        pairs = size * len(FLEET_VENDORS)
        measured = self.playbook("s-fleet-%d" % size, self.books / "audit.yml", inventory, forks=forks)
        audit = self.scenario("s", "fleet audit.yml, %d tenants x %d vendors" % (size, len(FLEET_VENDORS)), measured, pairs, size,
                              len(FLEET_VENDORS), forks=forks, verdicts=self._summary("audit.json"))
        peer = self.peer(companies, key="sp") if self.args.peer else None
        return audit, peer

    def drifted(self, forks):
        """(f): the fleet audit when every tenant lacks a vendor: a checklist per tenant is written."""
        vendors = FLEET_VENDORS + [DRIFT_VENDOR]
        pairs = len(self.companies) * len(vendors)
        measured = self.playbook("f-drift-f%d" % forks, self.books / "audit.yml", self.inventory_fleet,
                                 "-e", json.dumps({"cw_vendors": vendors}), forks=forks)
        written = len(list((self.out / "checklists").glob("*-%s.md" % DRIFT_VENDOR)))
        self.scenario("f", "fleet audit.yml with drift: a 6th vendor (%s) on no tenant, %d checklists written"
                      % (DRIFT_VENDOR, written), measured, pairs, len(self.companies), len(vendors), forks=forks,
                      verdicts=self._summary("audit.json"))

    def per_tenant(self, forks):
        """(e): the audit as tasks/main.yml runs it in check mode, one cw_integration process per tenant."""
        pairs = len(self.companies) * len(FLEET_VENDORS)
        measured = self.playbook("e-per-tenant-f%d" % forks, self.books / "onboard.yml", self.inventory_fleet, "--check",
                                 forks=forks)
        self.scenario("e", "onboard.yml --check: the same audit, one module process per tenant", measured, pairs,
                      len(self.companies), len(FLEET_VENDORS), forks=forks, verdicts=self._stats_summary(measured))

    def review(self, forks):
        """(r): playbooks/review.yml over the fleet: every role's settings and every API member, one process."""
        measured = self.playbook("r-review-f%d" % forks, self.books / "review.yml", self.inventory_fleet, forks=forks)
        path = self.out / "reports" / "review.json"
        counts = json.loads(path.read_text(encoding="utf-8")).get("counts") if path.exists() else None
        tenants = len(self.companies)
        row = self.scenario("r", "review.yml: every role and API member of %d tenants" % tenants, measured, tenants, tenants, 0,
                            forks=forks, verdicts=counts)
        say("r    %.2f requests per tenant" % (measured["requests"] / tenants))
        return row

    def _stats_summary(self, measured):
        """Compliance counts from the cw_compliance stats a run printed (onboard.yml writes no report)."""
        counts = {}
        for tenant in (measured.get("stats") or {}).get("cw_compliance", {}).values():
            for cell in tenant.values():
                counts[cell["status"]] = counts.get(cell["status"], 0) + 1
        return counts or None

    def _summary(self, name):
        path = self.out / "reports" / name
        if not path.exists():
            return None
        summary = json.loads(path.read_text(encoding="utf-8")).get("summary")
        path.unlink()
        return summary


def roles_lines(collection):
    """Lines and files under roles/ of ``collection``, the vendor profiles (roles/integration/files/profiles) excepted."""
    profiles = collection / "roles" / "integration" / "files" / "profiles"
    lines = files = 0
    for path in sorted((collection / "roles").rglob("*")):
        if not path.is_file() or path.is_relative_to(profiles) or "__pycache__" in path.parts:
            continue
        files += 1
        lines += len(path.read_bytes().splitlines())
    return {"lines": lines, "files": files}


def commit_of(checkout):
    """The measured checkout as its commit (a path of this machine would mean nothing elsewhere)."""
    found = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    return found.stdout.strip() or "unknown commit"


def design(args, rows):
    """The three design figures: roles lines, tasks per host of audit.yml in (c) and the fleet audit's wall time."""
    c_best = best(rows, "c")
    per_host = (c_best or {}).get("per_host") or {}
    return {"collection": commit_of(args.collection), "roles": roles_lines(args.collection),
            "audit_tasks_per_host": {k: per_host.get(k) for k in ("hosts", "min", "max", "mean", "skipped_mean", "run_once")},
            "audit_tasks_of_a_host": per_host.get("tasks_of_a_host"), "audit_run_once_tasks": per_host.get("run_once_tasks"),
            "fleet_audit_wall_s": c_best["wall_s"] if c_best else None, "fleet_audit_forks": c_best["forks"] if c_best else None,
            "fleet_audit_controller_cpu_s": round(c_best["cpu_user_s"] + c_best["cpu_sys_s"], 1) if c_best else None,
            "fleet_audit_other_cpu_s": c_best["other_cpu_s"] if c_best else None}


def design_markdown(figures):
    roles, per_host = figures["roles"], figures["audit_tasks_per_host"]
    ran = ("%s (min %s, max %s over %s hosts; %s skipped per host)" % (
        per_host["mean"], per_host["min"], per_host["max"], per_host["hosts"], per_host["skipped_mean"])
        if per_host.get("hosts") else "n/a")
    wall = ("%.1f s (forks %d; controller CPU %.1f s; other jobs %.1f CPU s meanwhile)" % (
        figures["fleet_audit_wall_s"], figures["fleet_audit_forks"], figures["fleet_audit_controller_cpu_s"],
        figures["fleet_audit_other_cpu_s"]) if figures["fleet_audit_wall_s"] else "n/a")
    return "\n".join(["", "| design figure | value |", "|---|---|",
                      "| lines under roles/ (vendor profiles excepted) | %d in %d files |" % (roles["lines"], roles["files"]),
                      "| audit.yml: tasks run per host in (c) | %s |" % ran,
                      "| audit.yml: run_once tasks in (c) | %s |" % (per_host.get("run_once") if per_host.get("hosts") else "n/a"),
                      "| fleet audit wall time (best (c)) | %s |" % wall]) + "\n"


def strip(row):
    return {k: v for k, v in row.items() if k not in ("tasks", "stats")}


def say(text):
    sys.stderr.write("bench: %s\n" % text)
    sys.stderr.flush()


# --- the report ----------------------------------------------------------------------------------------

def best(rows, key):
    candidates = [r for r in rows if r["key"] == key and r["rc"] == 0]
    return min(candidates, key=lambda r: r["wall_s"]) if candidates else None


def peer_of(rows, row):
    """The peer script's row to compare ``row`` with: the one of the same fleet size."""
    key = "sp" if row["key"] == "s" else "p"
    return next((r for r in rows if r["key"] == key and r["tenants"] == row["tenants"] and r["rc"] == 0), None)


def targets(args, rows):
    """Each performance target: the measured figure, the limit and whether it is met."""
    found = []
    c_best, d_best = best(rows, "c"), best(rows, "d")
    for row in rows:
        if row["key"] in ("b", "b0", "c"):
            limit = FLEET_MAX_REQUESTS_PER_PAIR if row["key"] == "c" else AUDIT_MAX_REQUESTS_PER_PAIR
            found.append({"target": "audit <= %s requests per tenant x vendor (%s%s)" % (
                limit, row["key"], ", forks %d" % row["forks"] if row["forks"] else ""),
                "measured": row["requests_per_pair"], "limit": limit, "met": row["requests_per_pair"] <= limit})
    for onboard in (r for r in rows if r["key"] in ("a", "a0")):
        limit = ONBOARD_BASE_REQUESTS + onboard["settings_patches"]
        found.append({"target": "onboarding <= %d + differing rows (%s: %d rows differed and were written)"
                      % (ONBOARD_BASE_REQUESTS, onboard["key"], onboard["settings_patches"]),
                      "measured": onboard["requests"], "limit": limit, "met": onboard["requests"] <= limit})
    if c_best:
        scale = args.tenants == FLEET_TENANTS and args.latency_ms == FLEET_LATENCY_MS
        found.append({"target": "fleet audit of %d x 5 at %d ms <= %.0f s on 2 cores (best of forks)%s" % (
            FLEET_TENANTS, FLEET_LATENCY_MS, FLEET_MAX_WALL_S, "" if scale else " [not this run's size: indicative only]"),
            "measured": c_best["wall_s"], "limit": FLEET_MAX_WALL_S, "met": c_best["wall_s"] <= FLEET_MAX_WALL_S if scale else None})
        peer = peer_of(rows, c_best)
        if peer:
            ratio = c_best["wall_s"] / peer["wall_s"]
            found.append({"target": "fleet audit (c) within %.1fx the peer script's time (p), same fleet" % PEER_MAX_RATIO,
                          "measured": round(ratio, 2), "limit": PEER_MAX_RATIO, "met": ratio <= PEER_MAX_RATIO})
    for row in rows:
        if row["key"] == "s" and row["tenants"] == LARGE_TENANTS:
            found.append({"target": "fleet audit of %d x 5 at %d ms <= %.0f s on 2 cores" % (LARGE_TENANTS, args.latency_ms, LARGE_MAX_WALL_S),
                          "measured": row["wall_s"], "limit": LARGE_MAX_WALL_S, "met": row["wall_s"] <= LARGE_MAX_WALL_S})
            found.append({"target": "fleet audit of %d x 5: ansible-playbook process tree <= %d MB PSS" % (LARGE_TENANTS, LARGE_MAX_PSS_MB),
                          "measured": row["peak_tree_pss_mb"], "limit": LARGE_MAX_PSS_MB, "met": row["peak_tree_pss_mb"] <= LARGE_MAX_PSS_MB})
            found.append({"target": "audit <= %s requests per tenant x vendor (s, %d tenants)" % (FLEET_MAX_REQUESTS_PER_PAIR, LARGE_TENANTS),
                          "measured": row["requests_per_pair"], "limit": FLEET_MAX_REQUESTS_PER_PAIR,
                          "met": row["requests_per_pair"] <= FLEET_MAX_REQUESTS_PER_PAIR})
    if c_best and d_best:
        speedup = d_best["wall_s"] / c_best["wall_s"]
        found.append({"target": "fleet audit >= %.0fx faster than (d) (best vs best)" % FLEET_MIN_SPEEDUP,
                      "measured": round(speedup, 2), "limit": FLEET_MIN_SPEEDUP, "met": speedup >= FLEET_MIN_SPEEDUP})
    return found


def scaling_markdown(rows):
    """The cost of one more tenant: (s) and its peer row per fleet size, and the change from the size before."""
    sizes = [r for r in rows if r["key"] == "s"]
    if not sizes:
        return ""
    lines = ["", "Scaling: audit.yml (s) and the peer script (sp) over the first N tenants of the same fleet, 5 vendors each:", "",
             "| tenants | audit.yml wall s | requests (per pair) | CPU s: controller / simulator | peak MB: largest RSS / tree PSS"
             " | peer wall s | peer CPU s | audit.yml / peer | per extra tenant: wall ms, controller CPU ms, tree PSS KB | verdicts |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    previous = None
    for row in sorted(sizes, key=lambda r: r["tenants"]):
        peer = peer_of(rows, row)
        marginal = ""
        if previous:
            extra = row["tenants"] - previous["tenants"]
            marginal = "%.0f, %.0f, %.0f" % (
                1000 * (row["wall_s"] - previous["wall_s"]) / extra,
                1000 * ((row["cpu_user_s"] + row["cpu_sys_s"]) - (previous["cpu_user_s"] + previous["cpu_sys_s"])) / extra,
                1024 * (row["peak_tree_pss_mb"] - previous["peak_tree_pss_mb"]) / extra)
        verdicts = ", ".join("%s %d" % item for item in sorted((row.get("verdicts") or {}).items()))
        lines.append("| %d | %.1f | %d (%.2f) | %.1f / %.1f | %.0f / %.0f | %s | %s | %s | %s | %s |" % (
            row["tenants"], row["wall_s"], row["requests"], row["requests_per_pair"], row["cpu_user_s"] + row["cpu_sys_s"],
            row["simulator_cpu_s"], row["max_rss_mb"], row["peak_tree_pss_mb"],
            "%.1f" % peer["wall_s"] if peer else "n/a", "%.1f" % (peer["cpu_user_s"] + peer["cpu_sys_s"]) if peer else "n/a",
            "%.2fx" % (row["wall_s"] / peer["wall_s"]) if peer else "n/a", marginal or "(first size)", verdicts))
        previous = row
    return "\n".join(lines) + "\n"


def markdown(rows, found, machine, args, notes=()):
    d_best = best(rows, "d")
    lines = ["", "Machine: %s; %s CPUs; Python %s; ansible-core %s. Tenants %d, latency %d ms." % (
        machine["platform"], machine["cpus"], machine["python"], machine["ansible_core"], args.tenants, args.latency_ms), "",
        "| scenario | forks | tenants x vendors | API requests | requests / (tenant x vendor) | tasks run (module invocations)"
        " | wall s | CPU s: controller / simulator / other jobs | peak MB: largest process RSS / process tree PSS | vs (d)"
        " | vs (p) peer script | verdicts | rc |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        versus = ""
        if d_best and row["key"] in ("c", "d", "e", "f", "p"):
            if row is d_best:
                versus = "1.00 (the baseline)"
            elif row["key"] == "d":
                versus = "%.2fx the baseline's speed" % (d_best["wall_s"] / row["wall_s"])
            else:
                versus = "%.2fx faster" % (d_best["wall_s"] / row["wall_s"])
        elif d_best and row["key"] not in ("s", "sp"):
            versus = "%.2fx the requests per pair" % (row["requests_per_pair"] / d_best["requests_per_pair"])
        peer = peer_of(rows, row) if row["key"] in ("c", "d", "e", "f", "s") else None
        if row["key"] in ("p", "sp"):
            peer = row
        versus_peer = "%.2fx its time" % (row["wall_s"] / peer["wall_s"]) if peer else ""
        verdicts = ", ".join("%s %d" % item for item in sorted((row.get("verdicts") or {}).items()))
        lines.append("| (%s) %s | %s | %d x %d | %d | %.2f | %s (%s) | %.1f | %.1f / %.1f / %.1f | %.0f / %.0f | %s | %s | %s | %d |" % (
            row["key"], row["title"], row["forks"] or 1, row["tenants"], row["vendors"], row["requests"], row["requests_per_pair"],
            row.get("executed", "?"), row.get("module_invocations", "?"), row["wall_s"], row["cpu_user_s"] + row["cpu_sys_s"],
            row["simulator_cpu_s"], row["other_cpu_s"], row["max_rss_mb"], row["peak_tree_pss_mb"], versus, versus_peer, verdicts, row["rc"]))
    lines += ["", "| target | measured | limit | met |", "|---|---|---|---|"]
    for item in found:
        met = {True: "yes", False: "**no**", None: "n/a"}[item["met"]]
        lines.append("| %s | %s | %s | %s |" % (item["target"], item["measured"], item["limit"], met))
    for key in ("c", "d", "e", "f"):
        row = best(rows, key)
        if row and row.get("tasks"):
            lines += ["", "Where the wall time of (%s) forks %d went (top tasks):" % (key, row["forks"]), "",
                      "| task | action | wall s | runs ok | skipped |", "|---|---|---|---|---|"]
            for task in sorted(row["tasks"], key=lambda t: -t["wall_s"])[:6]:
                lines.append("| %s | %s | %.1f | %d | %d |" % (task["name"], task["action"], task["wall_s"], task["ok"], task["skipped"]))
    timed = sum(r["wall_s"] for r in rows) * machine["cpus"]
    others = sum(r["other_cpu_s"] for r in rows)
    notes = list(notes) + ["other jobs on this machine used %.0f%% of its CPU time during the timed runs (%.0f of %.0f CPU s)%s"
                           % (100.0 * others / timed, others, timed,
                              ": the wall times are inflated by that contention" if others > 0.1 * timed else "")] if timed else list(notes)
    for row in rows:
        if row["key"] in ("c", "d", "e", "p", "s", "sp") and set(row.get("verdicts") or {}) != {"compliant"}:
            notes.append("(%s) forks %s did not find every tenant x vendor compliant: %s" % (row["key"], row["forks"], row.get("verdicts")))
    if notes:
        lines += [""] + ["Note: %s." % note.rstrip(".") for note in notes]
    return "\n".join(lines) + "\n"


def machine_info():
    import ansible.release  # pylint: disable=import-outside-toplevel
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), "")
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"platform": "%s %s" % (platform.system(), platform.machine()), "cpu_model": model, "cpus": usable,
            "python": platform.python_version(), "ansible_core": ansible.release.__version__,
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=FLEET_TENANTS, help="fleet size (default 100)")
    parser.add_argument("--latency-ms", type=int, default=FLEET_LATENCY_MS, help="latency the simulator adds to every API request (default 50)")
    parser.add_argument("--forks", default="10,25,50", help="fork counts for the fleet audit (c), comma-separated (default 10,25,50)")
    parser.add_argument("--plain-forks", default=None, help="fork counts for the uri-only audit (d); default: the same as --forks")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 tenants, forks 3 (under a minute)")
    parser.add_argument("--json", default=str(HERE / "last-run.json"), help="where to write every figure (default benchmarks/last-run.json)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds any one playbook run may take before it is killed")
    parser.add_argument("--no-per-tenant", dest="per_tenant", action="store_false",
                        help="skip (e), the audit with one module process per tenant")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run (c) this many times per fork count; the best run counts (default 1)")
    parser.add_argument("--no-review", dest="review", action="store_false", help="skip (r), the security review of the fleet")
    parser.add_argument("--no-plain", dest="plain", action="store_false", help="skip (d), the uri-only audit (most of the run's time)")
    parser.add_argument("--no-peer", dest="peer", action="store_false",
                        help="skip (p), the Python script on pyconnectwise with a thread pool (and its scaling rows)")
    parser.add_argument("--scaling", default="",
                        help="fleet sizes for the scaling table, comma-separated (e.g. 10,100,300,1000): audit.yml and the peer "
                             "script over the first N tenants; the simulator then holds the largest size")
    parser.add_argument("--history-roles", choices=("all", "audited"),
                        help="cw_history_roles for every audit.yml run (default: the collection's, all): audited snapshots "
                             "only the roles the audit reads, with no request of its own")
    parser.add_argument("--scaling-only", action="store_true", help="with --scaling: only the scaling rows (no (a)..(r))")
    parser.add_argument("--collection", default=str(REPO),
                        help="the checkout of the collection whose playbooks and roles are measured (default: this one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (inventories, logs, cw-output) and print its path")
    args = parser.parse_args(argv)
    if args.quick:
        args.tenants, args.forks, args.plain_forks = 3, "3", "3"
    args.forks = sorted({int(f) for f in str(args.forks).split(",") if f.strip()})
    args.plain_forks = sorted({int(f) for f in str(args.plain_forks).split(",") if f.strip()}) if args.plain_forks else args.forks
    if not args.plain:
        args.plain_forks = []
    args.scaling = sorted({int(n) for n in str(args.scaling).split(",") if n.strip()})
    if args.scaling_only and args.scaling:
        args.tenants = min(args.scaling)
    # Every tenant the simulator holds for the fleet: the fleet of the scenarios, and the largest scaling size.
    args.pool = max([args.tenants] + args.scaling)
    args.collection = Path(args.collection).resolve()
    if not (args.collection / "playbooks" / "audit.yml").is_file():
        parser.error("--collection %s: no playbooks/audit.yml there" % args.collection)
    if args.tenants < 1 or args.pool > MAX_TENANTS or not args.forks or min(args.forks + args.plain_forks) < 1 or args.repeat < 1:
        parser.error("--tenants and every --scaling size must be 1..%d, every fork count and --repeat at least 1" % MAX_TENANTS)
    if args.scaling and min(args.scaling) < 1:
        parser.error("--scaling: sizes of at least 1")
    return args


def _interrupted(signum, _frame):
    # Raised in the main thread: the running playbook's process group is killed and the simulator stopped on the way out.
    raise SystemExit(128 + signum)


def main(argv=None):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    if not Path(sys.executable).with_name("ansible-playbook").exists():
        sys.stderr.write("bench: no ansible-playbook next to %s: run `make bootstrap`, then `.venv/bin/python benchmarks/run.py`\n"
                         % sys.executable)
        return 2
    machine = machine_info()
    work = Path(tempfile.mkdtemp(prefix="cw-bench-"))
    started = time.monotonic()
    say("simulator: %d tenants + 2 fresh, latency %d ms; work folder %s" % (args.pool, args.latency_ms, work))
    sim = SimulatorProcess("--tenants", args.pool + 2, "--latency-ms", args.latency_ms, "--host", "127.0.0.1")
    try:
        bench = Bench(args, sim, work)
        preparation = bench.prepare()
        if not args.scaling_only:
            bench.onboarding()
            bench.single_audit()
            for forks in sorted(set(args.forks) | set(args.plain_forks)):
                if forks in args.forks:
                    for _round in range(args.repeat):
                        bench.fleet(forks)
                if forks in args.plain_forks:
                    bench.plain(forks)
            if args.peer:
                bench.peer()
            chosen = best(bench.results, "c")["forks"] if best(bench.results, "c") else min(args.forks)
            bench.drifted(chosen)
            if args.per_tenant:
                bench.per_tenant(chosen)
            if args.review:
                bench.review(chosen)
        for size in args.scaling:
            bench.scaled(size, min(args.forks))
    finally:
        sim.stop()
        if args.keep:
            say("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    found = targets(args, bench.results)
    figures = design(args, bench.results)
    report = markdown(bench.results, found, machine, args, bench.notes) + scaling_markdown(bench.results) + design_markdown(figures)
    sys.stdout.write(report)
    document = {"complete": True, "command": "python benchmarks/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                "machine": machine, "tenants": args.tenants, "vendors": FLEET_VENDORS, "latency_ms": args.latency_ms,
                "forks": args.forks, "plain_forks": args.plain_forks, "scaling": args.scaling,
                "history_roles": args.history_roles or "all (the default)", "total_wall_s": round(time.monotonic() - started, 1),
                "preparation": preparation, "scenarios": bench.results, "targets": found, "design": figures, "markdown": report}
    Path(args.json).write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    say("every figure: %s (total %.0f s)" % (args.json, document["total_wall_s"]))
    failed = [r for r in bench.results if r["rc"] != 0]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
