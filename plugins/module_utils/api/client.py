# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one ConnectWise Manage REST client: auth, codebase discovery, paging, retries, errors."""

from __future__ import annotations

import base64
import email.utils
import ipaddress
import math
import random
import re
import time
from urllib.parse import urlsplit

from ansible_collections.msp.connectwise.plugins.module_utils.api import answers
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.api.version import COLLECTION_VERSION

try:
    import requests
    from urllib3.exceptions import LocationParseError, NewConnectionError
    from urllib3.util import parse_url
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # reported by the module through missing_required_lib
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc

API_ROOT = "apis/3.0"
FALLBACK_CODEBASE = "v4_6_release/"
MAX_PAGE_SIZE = 1000
MAX_RETRY_AFTER = 120.0
USER_AGENT = "msp.connectwise/%s (Ansible collection)" % COLLECTION_VERSION
_RETRY_STATUSES = (502, 503, 504)
# What URL parsers read differently (requests ends the host at a backslash, urlsplit does not) or HTTP cannot carry.
_AMBIGUOUS = re.compile(r"[\\\s\x00-\x1f\x7f]")
# The API path, or a codebase segment (v4_6_release, v2025_1): the client adds both to every request itself.
_API_PATH = re.compile(r"/apis/3\.0(/|$)|/v\d+_\d+(_release)?(/|$)", re.IGNORECASE)
_ONLY_HOST = "give only the host, e.g. api-na.myconnectwise.net"
# The tuning options' bounds, (lowest, highest, whether the lowest itself is allowed), and an example for the fix.
_BOUNDS = {"retries": (0, 20, True, 5), "timeout": (0, 600, False, 30), "deadline": (0, 86400, False, 300)}
DEFAULT_DEADLINE = 300
_MORE_TIME = "re-run later, or raise deadline (CW_DEADLINE) for a slow or large tenant"
_API_VERSION = re.compile(r"\d{4}\.\d{1,2}")  # fullmatch: "$" also matches before a final newline
# Codebases found per (site, company) in this process, so that a process serving many tasks asks once.
_CODEBASES = {}


def is_loopback(host):
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalise_site(site):
    """``api-na.myconnectwise.net`` or a full URL -> ``scheme://host[:port][/prefix]``; plain http only to loopback.

    The host checked is the one requests connects to: requests/urllib3 prepare and parse the URL, and whatever they
    and urllib.parse could read differently is refused. A refusal never repeats the site: it may hold a password."""
    if not site or not str(site).strip():
        raise ConfigurationError("site", "is required: set it to the API host (e.g. api-na.myconnectwise.net) or CW_SITE")
    text = str(site).strip()
    if _AMBIGUOUS.search(text):
        raise ConfigurationError("site", "holds a backslash, whitespace or a control character, which URL parsers read "
                                 "differently (it can hide another host): " + _ONLY_HOST)
    if "://" not in text:
        if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:/", text):  # "http:/host": a scheme with a slash missing, not a host
            raise ConfigurationError("site", "looks like a URL with a slash missing after its scheme: " + _ONLY_HOST)
        text = "https://" + text
    try:
        prepared = requests.models.PreparedRequest()
        prepared.prepare_url(text, None)
        parts = parse_url(prepared.url)
        agreed = urlsplit(prepared.url).hostname == (parts.host or "").strip("[]").lower()
    except (requests.exceptions.RequestException, LocationParseError, ValueError):
        parts, agreed = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.host or not agreed:
        raise ConfigurationError("site", "is not a host name or an http(s) URL: " + _ONLY_HOST)
    if parts.port == 0 or re.search(r"^[^/]*//[^/]*:0+(/|$)", text):  # requests drops ":0" and would use port 80
        raise ConfigurationError("site", "names port 0: give the port the server listens on, or none: " + _ONLY_HOST)
    if parts.auth is not None:
        raise ConfigurationError("site", "holds user info (name@ before the host); the keys go in public_key and "
                                 "private_key (CW_PUBLIC_KEY, CW_PRIVATE_KEY): " + _ONLY_HOST)
    if parts.query is not None or parts.fragment is not None:
        raise ConfigurationError("site", "holds a query or a fragment (? or #): " + _ONLY_HOST)
    path = (parts.path or "").rstrip("/")
    api_path = _API_PATH.search(path)
    if api_path:
        raise ConfigurationError("site", "includes the API path %s: %s (the codebase and /apis/3.0 are found and added "
                                 "for each request)" % (path[api_path.start():], _ONLY_HOST))
    if parts.scheme == "http" and not is_loopback(parts.host):
        raise ConfigurationError(
            "site", "refusing to send ConnectWise credentials over plain http to %s; use https:// "
            "(plain http is allowed only to a loopback address such as a local simulator)" % parts.host)
    return "%s://%s%s" % (parts.scheme, parts.netloc, path)


def bounded(field, value):
    """A tuning option (retries, timeout, deadline) as a number within its bounds; from CW_* it arrives as text."""
    low, high, low_allowed, example = _BOUNDS[field]
    whole = field == "retries"
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (low <= number <= high and (low_allowed or number > low) and (not whole or number.is_integer())):
        what = "a whole number from %d to %d" % (low, high) if whole else "a number of seconds above %d and at most %d" % (low, high)
        raise ConfigurationError(field, "%r is not %s: set %s (or CW_%s) to one, e.g. %s"
                                 % (value, what, field, field.upper(), example))
    return int(number) if whole else number


class Reply:
    """A decoded answer: status, JSON data (None for 204) and the response headers."""

    def __init__(self, status, data, headers, links):
        self.status = status
        self.data = data
        self.headers = headers
        self.links = links


class ConnectWiseClient:
    """One tenant, one API member's keys, one keep-alive session."""

    def __init__(self, site, company_id, public_key, private_key, client_id, api_version="2025.8",
                 validate_certs=True, timeout=30, retries=5, backoff=1.0, sleep=time.sleep, deadline=DEFAULT_DEADLINE):
        if not company_id:
            raise ConfigurationError("company_id", "is required: set it (or CW_COMPANY_ID) to the ConnectWise login company id")
        for name, value in (("public_key", public_key), ("private_key", private_key)):
            if not value:
                raise ConfigurationError(name, "is required: set it (or CW_%s) to the API member's key" % name.upper())
        if not client_id:
            raise ConfigurationError("client_id", "is required by ConnectWise on every request: set it (or CW_CLIENT_ID) "
                                     "to the integration's clientId GUID")
        if not _API_VERSION.fullmatch(str(api_version or "")):
            raise ConfigurationError("api_version", "%r is not a ConnectWise API version such as 2025.8" % (api_version,))
        retries, timeout, deadline = (bounded(name, value) for name, value in
                                      (("retries", retries), ("timeout", timeout), ("deadline", deadline)))
        if not HAS_REQUESTS:
            raise ConfigurationError("requests", "the Python library requests is required: pip install requests")
        self.site = normalise_site(site)
        self._https_assumed = "://" not in str(site)  # a bare host is taken as https://
        self.company_id = str(company_id)
        self.timeout = timeout
        self.retries = retries
        # One budget for this run (this tenant), retries and waits included; as_member clients share it.
        self.deadline = deadline
        self._deadline_at = time.monotonic() + deadline
        self.backoff = float(backoff)
        self.api_version = str(api_version)
        self._sleep = sleep
        self._secrets = (private_key, public_key, client_id)
        token = base64.b64encode(("%s+%s:%s" % (company_id, public_key, private_key)).encode("utf-8")).decode("ascii")
        self._secrets += (token,)
        self._keys = (public_key, private_key, client_id)
        self.session = requests.Session()
        self.session.verify = bool(validate_certs)
        if self.site.startswith("http://"):
            # Plain http is allowed to loopback only: no HTTP_PROXY (it would carry the credentials in clear to the proxy)
            # and no ~/.netrc (it would replace them) may send this traffic anywhere else.
            self.session.trust_env = False
        self.session.headers.update({
            "Authorization": "Basic " + token,
            "clientId": client_id,
            "Accept": "application/vnd.connectwise.com+json; version=%s" % self.api_version,
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        })
        self.codebase = None
        # A codebase recorded by an earlier run (doctor.yml) instead of discovered: trusted until a 404 says otherwise.
        self.codebase_recorded = False
        self.is_cloud = None
        self.company_info = None
        self.requests_sent = 0
        self.retries_taken = 0
        # Where requests and retries are counted: this client, or the client it acts for (as_member).
        self._tally = self
        # Reads shared by the steps of one run (a whole tenant in one process): each list is read once.
        self.cache = {}

    def cached(self, key, load):
        """``load()`` once per run for ``key``; writes call forget() for what they change."""
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]

    def forget(self, *keys):
        for key in keys:
            self.cache.pop(key, None)

    # -- connection -------------------------------------------------------------------------

    def as_member(self, public_key, private_key):
        """A client for the same tenant acting as another member (to verify what that member sees)."""
        other = ConnectWiseClient(self.site, self.company_id, public_key, private_key, self._keys[2], self.api_version,
                                  self.session.verify, self.timeout, self.retries, self.backoff, self._sleep, self.deadline)
        other._deadline_at = self._deadline_at
        other.codebase, other.is_cloud, other.company_info = self.codebase, self.is_cloud, self.company_info
        other.codebase_recorded = self.codebase_recorded
        other._tally = self._tally  # its calls are part of this run's cost
        return other

    @property
    def base_url(self):
        if self.codebase is None:
            self.discover()
        return "%s/%s%s" % (self.site, self.codebase, API_ROOT)

    def use_recorded_codebase(self, codebase):
        """Skip discovery with the codebase an earlier run recorded (one request less per run). A stale one (the
        tenant was upgraded) answers 404: the first 404 then rediscovers and sends the request again."""
        if not codebase or self.codebase is not None or (self.site, self.company_id.lower()) in _CODEBASES:
            return
        self.codebase = str(codebase).strip("/") + "/"
        self.codebase_recorded = True

    def discover(self):
        """Find the codebase once with the unauthenticated company-info call; fall back to v4_6_release/."""
        key = (self.site, self.company_id.lower())
        if key in _CODEBASES:
            self.codebase, self.is_cloud, self.company_info = _CODEBASES[key]
            return self.codebase
        url = "%s/login/companyinfo/%s" % (self.site, requests.utils.quote(self.company_id, safe=""))
        path = "/login/companyinfo/%s" % self.company_id
        response = self._send("GET", url, path, headers={"Authorization": None, "clientId": None, "Accept": "application/json"})
        info = None
        if response.status_code == 200:
            try:
                info = response.json()
            except ValueError:
                info = None
        if isinstance(info, dict) and info.get("Codebase"):
            codebase = str(info["Codebase"]).strip("/") + "/"
            self.is_cloud = info.get("IsCloud")
        elif response.status_code in (200, 404):
            codebase, info = FALLBACK_CODEBASE, None
        else:
            raise self._error("GET", path, response)
        self.codebase, self.company_info = codebase, info
        _CODEBASES[key] = (self.codebase, self.is_cloud, self.company_info)
        return self.codebase

    # -- requests ---------------------------------------------------------------------------

    def request(self, method, path, params=None, json=None, headers=None, ok=(200, 201, 204), raw=False):
        """Send one API call (with retries) and decode it; any other status raises ConnectWiseError, and so does an
        answer whose shape is not the published one (answers.py) unless ``raw`` (a capture keeps it as it came)."""
        method = method.upper()
        url = path if path.startswith(("http://", "https://")) else self.base_url + "/" + path.lstrip("/")
        shown = self._display_path(url)
        response = self._send(method, url, shown, params=params, json=json, headers=headers)
        if response.status_code == 404 and self.codebase_recorded and url.startswith(self.base_url + "/"):
            # Perhaps a stale recorded codebase: rediscover once; a 404 answered to nothing is never a write.
            stale = self.base_url
            self.codebase_recorded, self.codebase = False, None
            if self.base_url != stale:
                url = self.base_url + url[len(stale):]
                response = self._send(method, url, shown, params=params, json=json, headers=headers)
        if response.status_code not in ok:
            raise self._error(method, shown, response)
        data = None
        if response.status_code != 204 and response.content:
            try:
                data = response.json()
            except ValueError:
                raise ConnectWiseError("the answer is not JSON: check that site points at the ConnectWise API host",
                                       method=method, path=shown, status=response.status_code).scrub(self._secrets)
        if not raw:
            answers.check(method, shown, response.status_code, data)
        return Reply(response.status_code, data, response.headers, response.links)

    def get(self, path, params=None):
        return self.request("GET", path, params=params).data

    def post(self, path, body, headers=None):
        return self.request("POST", path, json=body, headers=headers).data

    def patch(self, path, operations):
        """JSON Patch (never PUT): only the fields that differ are sent."""
        if not isinstance(operations, list) or not operations:
            raise ValueError("a PATCH needs a non-empty list of JSON Patch operations")
        return self.request("PATCH", path, json=operations).data

    def delete(self, path):
        self.request("DELETE", path)

    def count(self, path, conditions=None):
        params = {"conditions": conditions} if conditions else None
        return int((self.get(path.rstrip("/") + "/count", params=params) or {}).get("count", 0))

    def get_all(self, path, conditions=None, params=None, page_size=MAX_PAGE_SIZE, max_pages=200):
        """Every record of a list endpoint: pageSize 1000, following Link rel=next, guarded against loops."""
        query = dict(params or {})
        query["pageSize"] = min(int(page_size), MAX_PAGE_SIZE)
        query.setdefault("page", 1)
        if conditions:
            query["conditions"] = conditions
        records, seen, url = [], set(), path
        for _page in range(max_pages):
            followed_links = bool(seen)
            reply = self.request("GET", url, params=query)
            batch = reply.data or []
            if not isinstance(batch, list):
                raise answers.UnexpectedAnswer("unexpected answer: expected a list of records (a JSON array), got a JSON %s"
                                               % type(batch).__name__, method="GET", path=self._display_path(url),
                                               status=reply.status)
            records.extend(batch)
            next_url = (reply.links.get("next") or {}).get("url")
            if next_url:
                if not next_url.startswith(self.site + "/"):
                    raise ConnectWiseError("refusing to follow a paging link to another host",
                                           method="GET", path=self._display_path(url), status=reply.status)
                if next_url in seen:
                    raise ConnectWiseError("the server's paging links loop", method="GET", path=self._display_path(url))
                seen.add(next_url)
                url, query = next_url, None
            elif batch and not followed_links and len(batch) >= int(query["pageSize"]):
                # No Link header (some endpoints omit it): a full page means there may be another.
                query["page"] = int(query["page"]) + 1
            else:
                return records
        raise ConnectWiseError("more than %d pages: stopped to avoid a runaway loop" % max_pages,
                               method="GET", path=self._display_path(path))

    def get_one(self, path, conditions):
        """The single record matching ``conditions``, or None."""
        reply = self.request("GET", path, params={"conditions": conditions, "pageSize": 2, "page": 1})
        records = reply.data or []
        if len(records) > 1:
            raise ConnectWiseError("more than one record matches %s" % conditions, method="GET", path=path)
        return records[0] if records else None

    # -- internals --------------------------------------------------------------------------

    def _display_path(self, url):
        """The path a user recognises (after /apis/3.0), never the query string."""
        path = urlsplit(url).path
        marker = "/" + API_ROOT
        return path.split(marker, 1)[1] if marker in path else path

    def _send(self, method, url, shown, params=None, json=None, headers=None):
        attempt = 0
        while True:
            # Checked before each attempt, not during one: a request cut short could be a write half-processed.
            if time.monotonic() >= self._deadline_at:
                raise ConnectWiseError("stopped before sending: this run's deadline (CW_DEADLINE) of %gs has passed"
                                       % self.deadline, method=method, path=shown, retries=attempt, hint=_MORE_TIME)
            try:
                self._tally.requests_sent += 1
                # verify given per request: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's
                # verify=False, which would silently ignore validate_certs: false.
                # Never follow a redirect: the answer must come from the site the guards judged (a 3xx is an error).
                response = self.session.request(method, url, params=params, json=json, headers=headers, timeout=self.timeout,
                                                verify=self.session.verify, allow_redirects=False)
            except requests.exceptions.RequestException as exc:
                if attempt < self.retries and self._retryable_exception(method, exc):
                    self._wait(self._backoff(attempt), self._transport_error(method, shown, exc, attempt))
                    attempt += 1
                    continue
                raise self._transport_error(method, shown, exc, attempt)
            response.retries = attempt
            if response.status_code == 429 and attempt < self.retries:
                asked = self._retry_after(response)
                wait = self._backoff(attempt) if asked is None else min(MAX_RETRY_AFTER, asked)
                self._wait(wait, self._error(method, shown, response), asked)
            elif response.status_code in _RETRY_STATUSES and method != "POST" and attempt < self.retries:
                self._wait(self._backoff(attempt), self._error(method, shown, response))
            else:
                return response
            attempt += 1

    def _wait(self, seconds, failure, asked=None):
        """Sleep before the next retry; but if it could not start before the deadline (the backoff, or the wait
        ConnectWise ``asked`` for, is longer than the time left), raise ``failure`` (the last attempt's) at once."""
        left = self._deadline_at - time.monotonic()
        if max(seconds, asked or 0) >= left:
            why = ("ConnectWise asks to wait %gs (Retry-After)" % asked if asked is not None
                   else "the next retry was due in %.1fs" % seconds)
            failure.hint = ("%s, but this run's deadline (CW_DEADLINE) of %gs leaves %.1fs: stopped now rather than wait "
                            "past it; %s" % (why, self.deadline, max(0.0, left), _MORE_TIME))
            raise failure.scrub(self._secrets)
        self._tally.retries_taken += 1
        self._sleep(seconds)

    @staticmethod
    def _reached(exc):
        """Whether the request got to the server (the connection was made, then closed or reset), as opposed to never
        connecting (refused, unresolved, unroutable)."""
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return not isinstance(reason, NewConnectionError)

    @staticmethod
    def _retryable_exception(method, exc):
        """Timeouts and resets are retried; a POST only when it cannot have reached the server; a bad certificate never."""
        if isinstance(exc, requests.exceptions.SSLError):
            return False
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return True
        if isinstance(exc, requests.exceptions.ConnectionError):
            return method != "POST" or not ConnectWiseClient._reached(exc)
        if isinstance(exc, requests.exceptions.Timeout):
            return method != "POST"
        return False

    def _backoff(self, attempt):
        return min(60.0, self.backoff * (2 ** attempt)) * (0.5 + random.random() / 2)

    @staticmethod
    def _retry_after(response):
        """The wait a 429 asks for (Retry-After: seconds or an HTTP date), or None without a usable one."""
        value = response.headers.get("Retry-After")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None

    def _transport_error(self, method, shown, exc, attempt):
        if isinstance(exc, requests.exceptions.SSLError):
            why = "TLS certificate check failed (validate_certs: false only for a lab server)"
            if self._https_assumed:
                why += "; site has no scheme, so it was taken as %s: a server that speaks plain http (a local " \
                       "simulator) needs http:// in site" % self.site
        elif isinstance(exc, requests.exceptions.Timeout):
            why = "no answer within %ss (timeout)" % self.timeout
        elif isinstance(exc, requests.exceptions.ConnectionError) and not self._reached(exc):
            why = "cannot reach %s: check site (CW_SITE) and the network" % self.site
        elif isinstance(exc, requests.exceptions.ConnectionError):
            why = "the connection to %s was closed before it answered (by the server or a proxy on the way)" % self.site
        else:
            why = exc.__class__.__name__
        if method == "POST" and not self._retryable_exception(method, exc) and not isinstance(exc, requests.exceptions.SSLError):
            why += "; the POST was not retried because it may have been processed: re-run, the modules read before they write"
        return ConnectWiseError(why, method=method, path=shown, retries=attempt).scrub(self._secrets)

    def _error(self, method, shown, response):
        try:
            body = response.json()
        except ValueError:
            body = {"message": (response.text or "")[:200] or response.reason}
        return ConnectWiseError.from_response(method, shown, response.status_code, body, retries=getattr(response, "retries", 0),
                                              is_cloud=self.is_cloud).scrub(self._secrets)


def api_usage(client):
    """What a run cost: requests sent and retries taken (429/5xx/timeouts), and the codebase found."""
    if client is None:
        return {"requests": 0, "retries": 0, "codebase": None}
    return {"requests": client.requests_sent, "retries": client.retries_taken, "codebase": client.codebase}
