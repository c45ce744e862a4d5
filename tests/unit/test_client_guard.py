"""Where the credentials may go (the site guard) and how long a run may take (retries, timeout, deadline).

The guard decides the host with the parser that sends the request (requests/urllib3), so a site that reads as
loopback to one parser and as another host to requests is refused, like user info, whitespace, control characters and
a site that carries the API path; every refusal happens before any connection, which listening sockets prove.
"""

from __future__ import annotations

import socket
import time

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import ConnectWiseClient
from ansible_collections.msp.connectwise.plugins.module_utils.module import CONNECTION_ARGSPEC, client_from_params
from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConfigurationError, ConnectWiseError

from .conftest import CLIENT_ID


class Listeners:
    """Sockets listening on 0.0.0.0:any and 127.0.0.1:other that never answer: a connection shows in the backlog."""

    def __init__(self):
        self.sockets = []
        for host in ("0.0.0.0", "127.0.0.1"):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sock.listen(16)
            sock.setblocking(False)
            self.sockets.append(sock)
        self.anywhere, self.loopback = (sock.getsockname()[1] for sock in self.sockets)

    def connections(self):
        peers = []
        for sock in self.sockets:
            while True:
                try:
                    conn, peer = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                peers.append((sock.getsockname(), peer))
        return peers

    def close(self):
        for sock in self.sockets:
            sock.close()


@pytest.fixture
def listeners():
    found = Listeners()
    yield found
    found.close()


def connect(site, **options):
    """Build a client and send one request, as a module does."""
    client = ConnectWiseClient(site, "acme", "pub-key", "priv-key", CLIENT_ID, **dict({"retries": 0, "timeout": 1}, **options))
    client.get("/system/info")


# (site with {anywhere} and {loopback} ports, what the refusal must say)
HIDDEN_HOST = "holds a backslash, whitespace or a control character"
USER_INFO = "holds user info"
API_PATH = "includes the API path"
REFUSED_SITES = [
    # urlsplit sees 127.0.0.1; requests connects to 0.0.0.0: the credentials would go in clear to a refused host.
    ("http://0.0.0.0:{anywhere}\\@127.0.0.1:{loopback}", HIDDEN_HOST),
    ("https://0.0.0.0:{anywhere}\\@127.0.0.1:{loopback}", HIDDEN_HOST),
    ("http://127.0.0.1:{anywhere}\\@localhost:{loopback}", HIDDEN_HOST),
    ("http://127.0.0.1:{loopback}/a b", HIDDEN_HOST),
    ("http://127.0.0.1:{loopback}\t/x", HIDDEN_HOST),
    ("http://127.0.0.1:{loopback}/\x00", HIDDEN_HOST),
    ("http://127.0.0.1:{loopback}\r\nHost: evil", HIDDEN_HOST),
    ("http://admin:secret@127.0.0.1:{loopback}", USER_INFO),
    ("https://admin@127.0.0.1:{anywhere}", USER_INFO),
    ("http://127.0.0.1:{loopback}@0.0.0.0:{anywhere}", USER_INFO),
    ("http://127.0.0.1:{loopback}/v2025_1/apis/3.0", API_PATH),
    ("http://127.0.0.1:{loopback}/apis/3.0/", API_PATH),
    ("https://127.0.0.1:{anywhere}/v4_6_release", API_PATH),
    ("127.0.0.1:{anywhere}/v2019_3/APIS/3.0/system/info", API_PATH),
    # Taken as https://http/..., a host a DNS search domain may resolve; and ":0", which requests drops for port 80.
    ("http:/127.0.0.1:{loopback}", "a slash missing after its scheme"),
    ("http://127.0.0.1:0", "names port 0"),
]


@pytest.mark.parametrize("site, says", REFUSED_SITES)
def test_a_site_that_could_send_the_credentials_elsewhere_is_refused_before_any_connection(listeners, site, says):
    site = site.format(anywhere=listeners.anywhere, loopback=listeners.loopback)
    with pytest.raises(ConfigurationError) as caught:
        connect(site)
    assert listeners.connections() == []
    assert caught.value.field == "site" and says in str(caught.value)
    assert "give only the host, e.g. api-na.myconnectwise.net" in str(caught.value)
    assert "secret" not in str(caught.value) and "priv-key" not in str(caught.value)


def test_the_listeners_do_see_a_connection(listeners):
    """The proof above holds only if a request to a listener shows: an accepted site reaches it (and times out)."""
    with pytest.raises(ConnectWiseError):
        connect("http://127.0.0.1:%d" % listeners.loopback, timeout=0.3)
    assert len(listeners.connections()) == 1


@pytest.mark.parametrize("site, host", [
    ("http://evil.example\\@127.0.0.1", "evil.example"),
    ("http://evil.example\\@127.0.0.1:8080/", "evil.example"),
])
def test_a_backslash_never_lets_a_remote_host_pass_as_loopback(site, host):
    with pytest.raises(ConfigurationError) as caught:
        ConnectWiseClient(site, "acme", "pub", "priv", CLIENT_ID)
    assert caught.value.field == "site" and HIDDEN_HOST in str(caught.value)


def test_the_api_path_refusal_names_the_fix():
    with pytest.raises(ConfigurationError) as caught:
        ConnectWiseClient("https://api-na.myconnectwise.net/v4_6_release/apis/3.0", "acme", "pub", "priv", CLIENT_ID)
    assert str(caught.value) == (
        "site: includes the API path /v4_6_release/apis/3.0: give only the host, e.g. api-na.myconnectwise.net "
        "(the codebase and /apis/3.0 are found and added for each request)")


@pytest.mark.parametrize("site, expected", [
    ("  https://api-na.myconnectwise.net/\n", "https://api-na.myconnectwise.net"),
    ("HTTPS://API-NA.MyConnectWise.net", "https://api-na.myconnectwise.net"),
    ("https://cw.example.com:8443/connectwise", "https://cw.example.com:8443/connectwise"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
])
def test_plain_hosts_and_urls_are_still_accepted(site, expected):
    assert ConnectWiseClient(site, "acme", "pub", "priv", CLIENT_ID).site == expected


# -- bounds ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("retries", -1), ("retries", 21), ("retries", "lots"), ("retries", 2.5), ("retries", True), ("retries", None),
    ("timeout", 0), ("timeout", -5), ("timeout", "soon"), ("timeout", "nan"), ("timeout", "inf"), ("timeout", 601),
    ("timeout", None), ("deadline", 0), ("deadline", "-1"), ("deadline", "later"), ("deadline", float("nan")),
    ("deadline", 86401),
])
def test_out_of_bounds_or_non_numbers_name_the_option_its_variable_and_the_fix(field, value):
    with pytest.raises(ConfigurationError) as caught:
        ConnectWiseClient("api-na.myconnectwise.net", "acme", "pub", "priv", CLIENT_ID, **{field: value})
    assert caught.value.field == field
    message = str(caught.value)
    assert message.startswith("%s: %r is not " % (field, value)) and "set %s (or CW_%s) to" % (field, field.upper()) in message


def test_numbers_from_the_environment_arrive_as_text_and_are_read():
    client = ConnectWiseClient("api-na.myconnectwise.net", "acme", "pub", "priv", CLIENT_ID, retries="20", timeout="1.5",
                               deadline="45")
    assert (client.retries, client.timeout, client.deadline) == (20, 1.5, 45.0)


def test_deadline_is_a_connection_option_with_its_variable():
    spec = CONNECTION_ARGSPEC["deadline"]
    assert spec["fallback"][1] == ["CW_DEADLINE"] and spec["default"] == 300
    params = {name: option.get("default") for name, option in CONNECTION_ARGSPEC.items()}
    params.update(site="api-na.myconnectwise.net", company_id="acme", public_key="p", private_key="k", client_id=CLIENT_ID,
                  deadline="12")
    assert client_from_params(params).deadline == 12.0


# -- the deadline ---------------------------------------------------------------------------------------------------

def test_a_retry_after_beyond_the_deadline_fails_at_once(sim, make_client, sleeps):
    client = make_client(deadline=60)
    client.discover()
    sim.set_faults(rate_limit_per_minute=1, retry_after=600)
    client.get("/system/info")
    started = time.monotonic()
    with pytest.raises(ConnectWiseError) as caught:
        client.get("/system/info")
    assert time.monotonic() - started < 5 and sleeps.waits == []
    assert caught.value.status == 429 and caught.value.retries == 0
    assert "ConnectWise asks to wait 600s (Retry-After)" in caught.value.hint
    assert "deadline (CW_DEADLINE) of 60s" in caught.value.hint
    assert [r["status"] for r in sim.requests()][-1:] == [429]


def test_a_retry_after_within_the_deadline_is_waited_out(sim, make_client, sleeps):
    client = make_client(deadline=60)
    client.discover()
    sim.set_faults(rate_limit_per_minute=1, retry_after=30)
    client.get("/system/info")
    sleeps.on_sleep = sim.clear_faults
    assert client.get("/system/info")["version"]
    assert sleeps.waits == [30.0]


def test_the_deadline_stops_a_run_that_keeps_getting_503(sim, make_client):
    client = make_client(deadline=1.5, retries=20, backoff=0.2, sleep=time.sleep)
    client.discover()
    sim.set_faults(fail_every=1)
    started = time.monotonic()
    with pytest.raises(ConnectWiseError) as caught:
        client.get("/system/info")
    took = time.monotonic() - started
    # Backoffs 0.1-0.2, 0.2-0.4, 0.4-0.8, 0.8-1.6 s, ...: the run stops once the next wait would pass the deadline
    # (without it, 20 retries would take minutes); the margin is for a request still in flight on a busy machine.
    assert took < 3, took
    assert caught.value.status == 503 and 1 <= caught.value.retries < 20
    assert "this run's deadline (CW_DEADLINE) of 1.5s" in caught.value.hint
    assert "raise deadline (CW_DEADLINE)" in caught.value.hint


def test_nothing_is_sent_once_the_deadline_has_passed(sim, make_client):
    client = make_client(deadline=0.2)
    client.discover()
    sim.clear_requests()
    time.sleep(0.3)
    with pytest.raises(ConnectWiseError) as caught:
        client.get("/system/info")
    assert "stopped before sending: this run's deadline (CW_DEADLINE) of 0.2s has passed" in str(caught.value)
    assert sim.requests() == []


def test_the_deadline_is_per_client_and_shared_by_as_member(sim, make_client):
    """One tenant's run (and the members it acts as) shares one deadline; the next tenant's client starts its own."""
    first = make_client(deadline=0.3)
    first.discover()
    time.sleep(0.4)
    with pytest.raises(ConnectWiseError, match="deadline"):
        first.as_member("other-pub", "other-priv").get("/system/info")
    second = make_client(deadline=0.3)
    assert second.get("/system/info")["version"]


def test_a_bare_host_that_speaks_plain_http_is_told_to_give_http(sim, make_client):
    """The README's form, a host without scheme, is taken as https://: against a plain-http server the error says so,
    instead of only pointing at certificates (which validate_certs: false would not fix)."""
    bare = sim.url.split("://", 1)[1]
    with pytest.raises(ConnectWiseError) as caught:
        make_client(site=bare, retries=0).get("/system/info")
    assert "site has no scheme, so it was taken as https://%s" % bare in str(caught.value)
    assert "needs http:// in site" in str(caught.value)


def test_plain_http_to_loopback_ignores_proxies_and_netrc_and_no_redirect_is_followed(sim, make_client, monkeypatch):
    """HTTP_PROXY would carry the Basic credentials in clear to the proxy; a redirect could send the request elsewhere."""
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # a dead loopback port: used, the request would fail
    client = make_client(retries=0)
    assert client.session.trust_env is False
    assert client.get("/system/info")["version"]
    assert make_client(site="https://api-na.myconnectwise.net").session.trust_env is True  # a proxy is for https only
