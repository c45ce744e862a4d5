# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build ConnectWise ``conditions`` strings from values, never by pasting user text."""

from __future__ import annotations

import re

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*")  # fullmatch: "$" also matches before "\n"
_OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "like", "contains", "not like")


def quote(value):
    """One literal: strings double-quoted with backslash escapes, numbers bare, booleans and null as words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise TypeError("a condition value must be a string, number, boolean or None, not %s" % type(value).__name__)


def field(name):
    """A field path such as ``name`` or ``securityRole/id``, checked so that it cannot smuggle an operator."""
    if not isinstance(name, str) or not _FIELD.fullmatch(name):
        raise ValueError("not a ConnectWise field path: %r" % (name,))
    return name


def compare(name, operator, value):
    if operator not in _OPERATORS:
        raise ValueError("unsupported condition operator: %r" % (operator,))
    separator = " " if operator[0].isalpha() else ""
    return "%s%s%s%s%s" % (field(name), separator, operator, separator, quote(value))


def eq(name, value):
    return compare(name, "=", value)


def is_in(name, values):
    values = list(values)
    if not values:
        raise ValueError("an 'in' condition needs at least one value")
    return "%s in (%s)" % (field(name), ", ".join(quote(v) for v in values))


def all_of(*parts):
    """Join conditions with ``and``; each part is parenthesised so an ``or`` inside keeps its meaning."""
    return " and ".join("(%s)" % p for p in parts if p)


def any_of(*parts):
    return " or ".join("(%s)" % p for p in parts if p)
