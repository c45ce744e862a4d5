"""The bad-input table (tests/e2e/bad_inputs.py, rendered in docs/bad-input.md): each bad input fails before any write,
with a message naming the field and the fix, and leaves the simulator's state as it was.

Every module case runs as one task of a single playbook (ignore_errors), the inventory cases as one host each of a
shared playbook run, and every other playbook case as its own ansible-playbook process, all started together; then
the state is compared with the one before and the request log must hold no write at all.
"""

from __future__ import annotations

import yaml
import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.api.client import ConnectWiseClient
from ansible_collections.msp.connectwise.plugins.module_utils.resources.members import converge_member
from ansible_collections.msp.connectwise.plugins.module_utils.resources.roles import converge_role

from . import bad_inputs
from .bad_inputs import CASES
from .conftest import CLIENT_ID, finish_book, start_book, tenant_env
from .test_faults import PROFILES

WEAK = {"company": "weak", "public_key": "weak-public", "private_key": "weak-private"}


def fill(value, context):
    """Put the run's values into a case: {site}, {tmp}, ... in strings; '{topleft}' is TopLeft's whole profile."""
    if isinstance(value, dict):
        return {k: fill(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, context) for v in value]
    if value == "{topleft}":
        return yaml.safe_load((PROFILES / "topleft.yml").read_text())
    if isinstance(value, str):
        for key, replacement in context.items():
            value = value.replace("{%s}" % key, replacement)
    return value


def prepare(sim):
    """A tenant whose admin keys lack rights, and TopLeft's role and member on the default tenant (to offboard)."""
    sim.create_tenant(**WEAK)
    weak = sim.ui_create_key("simadmin", "bad-input: a role lacking rights", company=WEAK["company"])
    sim.ui_set_levels("Admin", [{"module": "System", "function": "Security Roles", "inquire": "None"},
                                {"module": "System", "function": "Member Maintenance", "inquire": "None"}],
                      company=WEAK["company"])
    client = ConnectWiseClient(sim.url, sim.company, sim.public_key, sim.private_key, CLIENT_ID, retries=0)
    converge_role(client, "TopLeft", "present", False)
    converge_member(client, {"identifier": "TopLeft", "role": "TopLeft", "state": "present"}, False)
    return weak


@pytest.fixture(scope="module")
def outcome(sim_server, tmp_path_factory):
    sim = sim_server
    sim.reset()
    tmp = tmp_path_factory.mktemp("bad-input")
    weak = prepare(sim)
    context = {"site": sim.url, "company": sim.company, "public_key": sim.public_key, "private_key": sim.private_key,
               "weak_public_key": weak["publicKey"], "weak_private_key": weak["privateKey"], "tmp": str(tmp)}
    env = dict(tenant_env(sim), CW_RETRIES="0")
    before = sim.state()
    sim.clear_requests()

    tasks = [{"name": c["id"], "msp.connectwise." + c["task"][0]: fill(c["task"][1], context), "ignore_errors": True}
             for c in CASES if c["task"]]
    play = [{"name": "bad inputs", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}, "tasks": tasks}]
    (tmp / "bad-inputs.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    handles = {"tasks": start_book(tmp, str(tmp / "bad-inputs.yml"), env=env, tag="tasks")}
    # Inventory cases share one run per playbook (one host each); the others run on their own. All at once.
    groups = {}
    for item in CASES:
        book = item["book"]
        if book and "host" in book:
            groups.setdefault("%s%s" % (book["name"], " --check" if book.get("check") else ""), []).append(item)
        elif book:
            handles[item["id"]] = start_book(tmp / item["id"], book["name"], env=fill(dict(env, **book.get("env", {})), context),
                                             extra=book.get("extra"), tag=item["id"])
    for group, items in groups.items():
        hosts = {}
        for item in items:
            hosts[item["id"]] = {"cw_site": sim.url, "cw_company_id": sim.company, "cw_public_key": sim.public_key,
                                 "cw_private_key": sim.private_key, "cw_client_id": CLIENT_ID, "cw_vendors": ["topleft"]}
            hosts[item["id"]].update(item["book"]["host"])
        handles[group] = start_book(tmp / group.replace(" ", ""), items[0]["book"]["name"], env=env, tag="inventory",
                                    inventory={"cw_tenants": {"hosts": hosts}}, check=items[0]["book"].get("check", False))
    runs = {name: finish_book(handle) for name, handle in handles.items()}
    run_of = {item["id"]: group for group, items in groups.items() for item in items}

    found = {}
    for item in CASES:
        if item["task"]:
            run = runs["tasks"]
            records = [r for r in run.records if r["task"] == item["id"]]
            assert records, "task %s did not run:\n%s" % (item["id"], run.output[-3000:])
            found[item["id"]] = {"failed": records[-1]["status"] == "failed", "msg": str(records[-1]["result"].get("msg", "")),
                                 "output": run.output}
        else:
            run = runs[run_of.get(item["id"], item["id"])]
            failures = [str(r["result"].get("msg", "")) for r in run.records
                        if r["status"] == "failed" and (item["id"] not in run_of or r["host"] == item["id"])]
            found[item["id"]] = {"failed": run.rc != 0 and bool(failures), "msg": " | ".join(failures), "output": run.output}
    yield {"found": found, "before": before, "after": sim.state(), "writes": sim.writes()}
    sim.reset()


def param(item):
    marks = [pytest.mark.xfail(strict=True, reason=item["xfail"])] if item["xfail"] else []
    return pytest.param(item, id=item["id"], marks=marks)


@pytest.mark.parametrize("item", [param(c) for c in CASES])
def test_fails_with_the_field_and_the_fix(outcome, item):
    got = outcome["found"][item["id"]]
    assert got["failed"], "%s did not fail:\n%s" % (item["id"], got["output"][-3000:])
    missing = [text for text in item["expect"] if text not in got["msg"]]
    assert not missing, "%s: %r not in the message:\n%s" % (item["id"], missing, got["msg"])
    assert "Traceback" not in got["msg"] and "MODULE FAILURE" not in got["msg"]


def test_nothing_was_written(outcome):
    assert outcome["writes"] == [], [(w["method"], w["resource"], w["status"]) for w in outcome["writes"]]
    assert outcome["after"] == outcome["before"]


def test_the_table_has_the_cases_the_issue_asks_for():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len([c for c in CASES if not c["xfail"]]) >= 25
    for item in CASES:
        assert bool(item["task"]) != bool(item["book"]), item["id"]
        assert item["expect"] and item["fix"] and item["input"], item["id"]


def test_doc_table_is_generated_from_the_cases():
    text = bad_inputs.DOC.read_text(encoding="utf-8")
    section = bad_inputs.doc_section(text)
    assert section is not None, "docs/bad-input.md lacks the generated table's markers"
    assert section == bad_inputs.render_table(), "docs/bad-input.md is out of date: run python -m tests.e2e.bad_inputs"
    for item in CASES:
        assert "`%s`" % item["id"] in section
