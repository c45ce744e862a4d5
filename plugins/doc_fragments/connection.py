# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options shared by every msp.connectwise module."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  site:
    description:
      - The ConnectWise Manage API host, such as C(api-na.myconnectwise.net), or a full URL such as
        C(https://cw.example.com) or C(http://127.0.0.1:8080).
      - A bare host means C(https://).
      - Plain C(http://) is refused unless the host is a loopback address (a local simulator), so
        that keys never cross a network unencrypted.
      - Give only the host (and a port, or a path prefix of an on-premises proxy), never the API path such as
        C(/v4_6_release/apis/3.0); the codebase and C(/apis/3.0) are found and added for each request.
      - A site with user info (C(name@host)), a backslash, whitespace or a control character is refused before any
        connection, since URL parsers read those differently and could send the keys to another host.
      - If not set, the value of the E(CW_SITE) environment variable is used; one of the two is required.
    type: str
  company_id:
    description:
      - The ConnectWise company identifier used at login (not the company name).
      - If not set, the value of the E(CW_COMPANY_ID) environment variable is used; one of the two is required.
    type: str
  public_key:
    description:
      - Public key of the API member the collection acts as.
      - If not set, the value of the E(CW_PUBLIC_KEY) environment variable is used; one of the two is required.
    type: str
  private_key:
    description:
      - Private key of the API member the collection acts as. Never logged or returned.
      - If not set, the value of the E(CW_PRIVATE_KEY) environment variable is used; one of the two is required.
    type: str
  client_id:
    description:
      - The integration's clientId GUID from the ConnectWise developer portal. ConnectWise refuses
        requests without one.
      - If not set, the value of the E(CW_CLIENT_ID) environment variable is used; one of the two is required.
    type: str
  api_version:
    description:
      - The API model version pinned in the C(Accept) header, so that a ConnectWise release does not
        change the shape of the records under a playbook.
      - If not set, the value of the E(CW_API_VERSION) environment variable is used.
    type: str
    default: '2025.8'
  validate_certs:
    description:
      - Verify the server's TLS certificate. Turn off only for a lab on-premises server.
      - If not set, the value of the E(CW_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP response, a number above 0 and at most 600.
      - If not set, the value of the E(CW_TIMEOUT) environment variable is used.
    type: raw
    default: 30
  retries:
    description:
      - How many times a request is retried after HTTP 429 (honouring C(Retry-After)), 502, 503,
        504, a timeout or a dropped connection, a whole number from 0 to 20. Other errors are never
        retried, and a POST is sent again only when the server cannot have processed it, or when reading back
        shows that a create did not happen (a token request whose answer was lost is recorded first).
      - If not set, the value of the E(CW_RETRIES) environment variable is used.
    type: raw
    default: 5
  deadline:
    description:
      - Seconds the task may spend on ConnectWise in all, retries and waits included, a number above 0 and at most
        86400. Then it stops with a message saying so. A C(Retry-After) or back-off that would end past the deadline
        stops it at once. A request already sent is not cut short, so the task can overrun by up to O(timeout).
      - If not set, the value of the E(CW_DEADLINE) environment variable is used.
    type: raw
    default: 300
requirements:
  - python >= 3.11
  - requests
notes:
  - "All connection options can be set once for a play with
    C(module_defaults: {group/msp.connectwise.connectwise: {...}}), or through the C(CW_*)
    environment variables (which the AWX credential type injects)."
"""
