"""Injected misbehaviour: latency, throttling (429), periodic failures, dropped connections."""

import threading
import time
from collections import deque

DEFAULTS = {
    "latency_ms": 0,             # added to every API request
    "rate_limit_per_minute": 0,  # per tenant; 0 = unlimited
    "rate_window_s": 60,         # length of the sliding window the limit counts in (shorten it in tests)
    "retry_after": 1,            # seconds sent in Retry-After with a 429
    "fail_every": 0,             # every Nth API request answers fail_status
    "fail_status": 503,
    "drop_every": 0,             # every Nth API request: connection closed without an answer
    "spike_every": 0,            # every Nth API request waits spike_ms more
    "spike_ms": 0,
    "fail_after_write_every": 0,  # every Nth write the API applied answers fail_status instead of its own answer
    "drop_after_write_every": 0,  # every Nth write the API applied: connection closed without an answer
    "late_write_every": 0,       # every Nth write request: connection closed at once, the write applied late_write_ms later
    "late_write_ms": 0,
}

DROP = "drop"


class Faults:
    """Current fault settings plus the counters they need; thread-safe."""

    def __init__(self, initial=None):
        self._lock = threading.Lock()
        self.initial = self.validate(initial or {})
        self.config = dict(self.initial)
        self._count = 0
        self._writes = 0
        self._write_requests = 0
        self._windows = {}

    @staticmethod
    def validate(values):
        """Full settings from a partial dict; raises ValueError on unknown keys or bad numbers."""
        if not isinstance(values, dict):
            raise ValueError("faults must be an object")
        unknown = sorted(set(values) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(unknown)}")
        config = dict(DEFAULTS)
        for key, value in values.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"{key} must be a non-negative number")
            config[key] = value
        return config

    def set(self, values):
        """Replace the settings (omitted keys take their defaults) and restart the counters."""
        config = self.validate(values)
        with self._lock:
            self.config = config
            self._count = 0
            self._writes = 0
            self._write_requests = 0
            self._windows = {}

    def restore(self):
        """Back to the settings given at start-up."""
        self.set(self.initial)

    def decide(self, company):
        """(delay in seconds, action) for the next API request; action is None, DROP or (status, headers, body)."""
        with self._lock:
            cfg = self.config
            self._count += 1
            count = self._count
            delay = cfg["latency_ms"] / 1000.0
            if cfg["spike_every"] and count % int(cfg["spike_every"]) == 0:
                delay += cfg["spike_ms"] / 1000.0
            if cfg["drop_every"] and count % int(cfg["drop_every"]) == 0:
                return delay, DROP
            if cfg["rate_limit_per_minute"] and self._throttled(company or "", cfg):
                seconds = int(cfg["retry_after"]) if float(cfg["retry_after"]).is_integer() else cfg["retry_after"]
                body = {"error": "ConnectWiseAPI", "message": f"Too many requests. Please retry after {seconds} second(s)."}
                return delay, (429, {"Retry-After": str(seconds)}, body)
            if cfg["fail_every"] and count % int(cfg["fail_every"]) == 0:
                return delay, _failure(cfg)
            return delay, None

    def after_write(self):
        """For a write the API has just applied: None (its own answer goes out), DROP or (status, headers, body)."""
        with self._lock:
            cfg = self.config
            self._writes += 1
            if cfg["drop_after_write_every"] and self._writes % int(cfg["drop_after_write_every"]) == 0:
                return DROP
            if cfg["fail_after_write_every"] and self._writes % int(cfg["fail_after_write_every"]) == 0:
                return _failure(cfg)
            return None

    def late_write(self):
        """For a write request about to be handled: the seconds after which it is applied, its answer never sent (a
        server still at work on a request its client gave up on), or None."""
        with self._lock:
            cfg = self.config
            if not cfg["late_write_every"]:
                return None
            self._write_requests += 1
            if self._write_requests % int(cfg["late_write_every"]):
                return None
            return cfg["late_write_ms"] / 1000.0

    def _throttled(self, company, cfg):
        # Sliding window per tenant; refused requests are not counted, so the window drains.
        now = time.monotonic()
        window = self._windows.setdefault(company, deque())
        while window and now - window[0] >= cfg["rate_window_s"]:
            window.popleft()
        if len(window) >= cfg["rate_limit_per_minute"]:
            return True
        window.append(now)
        return False


def _failure(cfg):
    status = int(cfg["fail_status"])
    body = {"code": "ServiceUnavailable" if status == 503 else "InternalServerError",
            "message": "The server is temporarily unable to handle the request"}
    return status, {}, body
