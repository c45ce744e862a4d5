"""Reading a role's settings trimmed to the fields an audit uses, whatever the server does with `fields`."""

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.api.errors import ConnectWiseError
from ansible_collections.msp.connectwise.plugins.module_utils.resources.permissions import ROW_FIELDS, read_settings
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import Role

WHOLE = [{"id": 7, "moduleName": "System", "moduleFunctionName": "Members", "moduleFunctionDescription": "who",
          "addLevel": "None", "editLevel": "None", "deleteLevel": "None", "inquireLevel": "All", "sortOrder": 3,
          "_info": {"lastUpdated": "2026-01-01T00:00:00Z"}}]


class Server:
    """A client whose server does one thing with `fields`: honour it, ignore it, refuse it (400), or drop a level."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.cache = {}
        self.calls = []

    def cached(self, key, load):
        if key not in self.cache:
            self.cache[key] = load()
        return self.cache[key]

    def get_all(self, path, conditions=None, params=None):
        fields = (params or {}).get("fields")
        self.calls.append((path, fields))
        if fields and self.behaviour == "refuses":
            raise ConnectWiseError("fields is not supported", method="GET", path=path, status=400)
        if fields and self.behaviour == "honours":
            return [{k: v for k, v in row.items() if k in fields.split(",")} for row in WHOLE]
        if fields and self.behaviour == "drops a level":
            return [{k: v for k, v in row.items() if k != "inquireLevel"} for row in WHOLE]
        return [dict(row) for row in WHOLE]


def role(number):
    return Role.of({"id": number, "name": "Role %d" % number})


@pytest.mark.parametrize("behaviour, reads", [
    ("honours", [("/system/securityroles/1/settings", True), ("/system/securityroles/2/settings", True)]),
    ("ignores", [("/system/securityroles/1/settings", True), ("/system/securityroles/2/settings", True)]),
    # asked once more without fields, and never with them again in this run
    ("refuses", [("/system/securityroles/1/settings", True), ("/system/securityroles/1/settings", False),
                 ("/system/securityroles/2/settings", False)]),
    ("drops a level", [("/system/securityroles/1/settings", True), ("/system/securityroles/1/settings", False),
                       ("/system/securityroles/2/settings", False)]),
])
def test_every_answer_to_fields_gives_the_levels(behaviour, reads):
    client = Server(behaviour)
    for number in (1, 2):
        [row] = read_settings(client, role(number))
        assert (row["id"], row["inquireLevel"], row["addLevel"]) == (7, "All", "None")
    assert [(path, fields == ",".join(ROW_FIELDS)) for path, fields in client.calls] == reads
    assert all(fields in (None, ",".join(ROW_FIELDS)) for path, fields in client.calls)


def test_another_error_is_not_taken_for_a_refusal_of_fields():
    class Down(Server):
        def get_all(self, path, conditions=None, params=None):
            self.calls.append((path, params))
            raise ConnectWiseError("unavailable", method="GET", path=path, status=503)

    client = Down("honours")
    with pytest.raises(ConnectWiseError, match="unavailable"):
        read_settings(client, role(1))
    assert len(client.calls) == 1
