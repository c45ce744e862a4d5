# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type of the collection: what was asked, what ConnectWise said, and what to do."""

from __future__ import annotations

# Which module function a 403 on an endpoint family points at: ConnectWise's 403 body never says.
_RIGHTS_BY_PATH = (
    ("/system/securityroles", "System / Security Roles"),
    ("/system/apimembers", "System / Member Maintenance"),
    ("/system/members", "System / Member Maintenance"),
    ("/system/mycompany", "System / My Company"),
    ("/system/locations", "System / Table Setup"),
    ("/system/departments", "System / Table Setup"),
    ("/system/timezonesetups", "System / Table Setup"),
    ("/system/setupscreens", "System / Table Setup"),
    ("/service/boards", "System / Table Setup"),
)


def right_for_path(path):
    """The module function ConnectWise checks for ``path``, or None when it is not known."""
    lowered = (path or "").lower()
    for prefix, right in _RIGHTS_BY_PATH:
        if lowered.startswith(prefix):
            return right
    return None


def _hint(method, path, status, code, message, is_cloud):
    text = (message or "").lower()
    if status in (301, 302, 303, 307, 308):
        return ("the server answered with a redirect, which is never followed (the credentials would go wherever it "
                "points): give site as the ConnectWise API host itself, e.g. api-na.myconnectwise.net")
    if status == 400 and "clientid" in text.replace(" ", ""):
        return "set client_id (CW_CLIENT_ID) to the integration's clientId GUID from developer.connectwise.com"
    if status == 401:
        return ("check public_key and private_key (CW_PUBLIC_KEY, CW_PRIVATE_KEY) and company_id (CW_COMPANY_ID: the "
                "login company identifier, not the company name); keys of an inactive member are refused too")
    if status == 403:
        right = right_for_path(path)
        needed = "%s (%s level)" % (right, _LEVEL_BY_METHOD.get(method, "Inquire")) if right else "the module function behind %s" % path
        return "the calling API member's security role lacks a right: grant %s in System > Security Roles" % needed
    if status == 404 and is_cloud is not False and code in (None, "", "NotFound") and not path.rstrip("/").split("/")[-1].isdigit():
        return "on ConnectWise cloud a 404 can also mean wrong keys or company_id; run msp.connectwise.cw_system_info to check them"
    if status == 405:
        return "the ConnectWise API does not allow %s on this path" % method
    if status == 429:
        return "ConnectWise is throttling this key: raise retries (CW_RETRIES) or lower forks"
    if status in (502, 503, 504):
        return "ConnectWise was unavailable; the run can be repeated safely once it answers"
    return None


_LEVEL_BY_METHOD = {"GET": "Inquire", "POST": "Add", "PATCH": "Edit", "PUT": "Edit", "DELETE": "Delete"}


class ConnectWiseError(Exception):
    """A failed ConnectWise call, carrying everything a user needs and no credential."""

    def __init__(self, message, method=None, path=None, status=None, code=None, errors=None, hint=None, retries=0):
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.cw_message = message
        self.errors = list(errors or [])
        self.hint = hint
        self.retries = retries
        super().__init__(self.render())

    @classmethod
    def from_response(cls, method, path, status, body, retries=0, is_cloud=None):
        """Build the error from a ConnectWise error body (standard or 429-shaped)."""
        body = body if isinstance(body, dict) else {}
        code = body.get("code") or body.get("error")
        message = body.get("message") or "HTTP %s" % status
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        hint = _hint(method, path, status, code, message, is_cloud)
        return cls(message, method=method, path=path, status=status, code=code, errors=errors, hint=hint, retries=retries)

    def render(self):
        parts = []
        if self.method and self.path:
            parts.append("%s %s" % (self.method, self.path))
        if self.status:
            parts.append("-> HTTP %s" % self.status)
        head = " ".join(parts)
        detail = "%s: %s" % (self.code, self.cw_message) if self.code else str(self.cw_message)
        text = "%s: %s" % (head, detail) if head else detail
        for item in self.errors:
            where = "/".join(str(item[k]) for k in ("resource", "field") if item.get(k))
            text += "; %s%s%s" % (where + " " if where else "", (item.get("code") or "") + " " if item.get("code") else "", item.get("message") or "")
        if self.retries:
            text += " (after %d retr%s)" % (self.retries, "y" if self.retries == 1 else "ies")
        if self.hint:
            text += ". Hint: " + self.hint
        return text

    def as_dict(self):
        """Machine-readable fields for a module's failure result."""
        return {
            "method": self.method, "path": self.path, "status": self.status, "code": self.code,
            "message": self.cw_message, "errors": self.errors, "hint": self.hint, "retries": self.retries,
        }

    def scrub(self, secrets):
        """Remove every secret from the stored texts, in case a server echoed one back."""
        def clean(value):
            if isinstance(value, str):
                for secret in secrets:
                    if secret:
                        value = value.replace(secret, "********")
            return value
        self.cw_message = clean(self.cw_message)
        self.hint = clean(self.hint)
        self.errors = [{k: clean(v) for k, v in e.items()} for e in self.errors]
        self.args = (self.render(),)
        return self


class ConfigurationError(ConnectWiseError):
    """Bad connection options, found before any request is sent."""

    def __init__(self, field, message):
        self.field = field
        super().__init__("%s: %s" % (field, message))
