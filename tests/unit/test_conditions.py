"""Conditions are built from values, so no value can change the expression."""

from __future__ import annotations

import pytest

from ansible_collections.msp.connectwise.plugins.module_utils.api import conditions


@pytest.mark.parametrize("value, literal", [
    ("TopLeft", '"TopLeft"'),
    ('Say "hi"', '"Say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
    (5, "5"),
    (True, "true"),
    (False, "false"),
    (None, "null"),
])
def test_quote(value, literal):
    assert conditions.quote(value) == literal


def test_eq_and_reference_paths():
    assert conditions.eq("securityRole/id", 7) == "securityRole/id=7"
    assert conditions.eq("name", 'a"b') == 'name="a\\"b"'


@pytest.mark.parametrize("bad", ['name="x" or 1', "name ", "", "a//b", "1abc", None, "name\n"])
def test_field_paths_are_checked(bad):
    with pytest.raises(ValueError):
        conditions.field(bad)


def test_in_and_joins():
    assert conditions.is_in("id", [1, 2]) == "id in (1, 2)"
    joined = conditions.all_of(conditions.eq("a", 1), conditions.any_of(conditions.eq("b", 2), conditions.eq("c", 3)))
    assert joined == "(a=1) and ((b=2) or (c=3))"
    with pytest.raises(ValueError):
        conditions.is_in("id", [])


def test_unsupported_values_and_operators():
    with pytest.raises(TypeError):
        conditions.quote(["list"])
    with pytest.raises(ValueError):
        conditions.compare("name", "; drop", "x")
