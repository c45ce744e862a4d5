"""One request as handlers see it, and the response they return."""

import json
from urllib.parse import parse_qsl, urlsplit


class Response:
    """Status, JSON-able body (None for no body) and extra headers."""

    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}

    def encode(self):
        """Body bytes; empty for None."""
        return b"" if self.body is None else json.dumps(self.body).encode("utf-8")


class Context:
    """Parsed request plus what dispatch learns (tenant, member, codebase)."""

    def __init__(self, method, target, headers, body, host):
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query_string = parts.query
        self.query_pairs = parse_qsl(parts.query, keep_blank_values=True)
        self.headers = headers
        self.raw_body = body
        self.body = None
        self.base_url = f"http://{host}"
        self.codebase = None
        self.resource = None
        self.company = None
        self.tenant = None
        self.member = None
        self.version = None
        self.sim = None

    def param(self, name):
        """Last value of a query parameter, name matched case-insensitively."""
        wanted = name.lower()
        values = [v for k, v in self.query_pairs if k.lower() == wanted]
        return values[-1] if values else None

    def header(self, name):
        """A request header (case-insensitive), or None."""
        return self.headers.get(name)

    @property
    def api_base(self):
        """Full URL of the API root the caller used (for *_href links)."""
        return f"{self.base_url}/{self.codebase or 'v4_6_release/'}apis/3.0"

    def href(self, resource):
        """Full URL of a resource path such as /system/securityroles/5."""
        return self.api_base + resource
