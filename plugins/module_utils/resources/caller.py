# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a key pair reads of itself: the server it reaches, its own security rows and its own customize items. Read as
the calling member, or as another member's pair (client.as_member) to prove the pair works and whose it is."""

from __future__ import annotations

INFO = "/system/info"
MY_SECURITY = "/system/mySecurity"
CUSTOMIZE_ITEMS = "/system/mySecurity/customizeItems"


def system_info(client):
    """The server's version and hosting (the usual "do these keys work" call)."""
    return client.get(INFO) or {}


def security_rows(client):
    """The caller's effective security setting rows."""
    return client.get_all(MY_SECURITY)


def customize_items(client):
    """The caller's own customize items (Table Setup among them)."""
    return client.get_all(CUSTOMIZE_ITEMS)


def member_items(client, pair):
    """The customize items of the member whose ``pair`` is given, read as that member once per run and pair; the read
    also proves that the pair works."""
    return client.cached(("customize", pair[0]), lambda: customize_items(client.as_member(*pair)))


def pair_owner(client, pair):
    """The identifier of the member a pair belongs to, from its first own security row (the published model names the
    member); None when the row names nobody."""
    rows = client.as_member(*pair).request("GET", MY_SECURITY, params={"pageSize": 1, "page": 1}).data or []
    return ((rows[0].get("member") or {}) if rows and isinstance(rows[0].get("member"), dict) else {}).get("identifier")
