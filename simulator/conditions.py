"""Strict parser and evaluator for the `conditions` query parameter.

Grammar (docs/connectwise-api.md): ``field op value`` joined by ``and``/``or`` with parentheses; ops
``= != < <= > >= like contains in`` and their ``not`` forms; strings in double quotes with
``\\"`` and ``\\\\`` escapes; bare numbers; ``true``/``false``/``null``; dates in ``[brackets]``;
``in (a, b)``; reference paths with a slash (``securityRole/id``). String comparison ignores case.
Anything else is a ConditionError, which the API answers with 400.
"""

import re
from datetime import datetime, timezone


class ConditionError(ValueError):
    """A malformed expression, an unknown field or an impossible comparison."""


_KEYWORDS = {"and", "or", "not", "like", "contains", "in", "true", "false", "null"}
_SYMBOLS = ("<=", ">=", "!=", "=", "<", ">", "(", ")", ",")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_./]*")


class _Date:
    """A bracketed date literal."""

    def __init__(self, moment):
        self.moment = moment


def parse_date(text):
    """ISO date or date-time; naive values are taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConditionError(f"invalid date [{text}]") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _read_string(text, pos):
    out = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == "\\":
            if pos + 1 >= len(text) or text[pos + 1] not in "\"\\":
                raise ConditionError(f"invalid escape at position {pos}")
            out.append(text[pos + 1])
            pos += 2
        elif char == '"':
            return "".join(out), pos + 1
        else:
            out.append(char)
            pos += 1
    raise ConditionError("unterminated string")


def tokenize(text):
    """Tokens as (kind, value) pairs: sym, str, num, date, kw, field."""
    tokens = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char.isspace():
            pos += 1
            continue
        if char == '"':
            value, pos = _read_string(text, pos)
            tokens.append(("str", value))
            continue
        if char == "[":
            end = text.find("]", pos)
            if end < 0:
                raise ConditionError("unterminated date")
            tokens.append(("date", _Date(parse_date(text[pos + 1:end]))))
            pos = end + 1
            continue
        symbol = next((s for s in _SYMBOLS if text.startswith(s, pos)), None)
        if symbol:
            tokens.append(("sym", symbol))
            pos += len(symbol)
            continue
        match = _NUMBER.match(text, pos)
        if match:
            raw = match.group(0)
            tokens.append(("num", float(raw) if "." in raw else int(raw)))
            pos = match.end()
            continue
        match = _WORD.match(text, pos)
        if match:
            word = match.group(0)
            tokens.append(("kw", word.lower()) if word.lower() in _KEYWORDS else ("field", word))
            pos = match.end()
            continue
        raise ConditionError(f"unexpected character {char!r} at position {pos}")
    return tokens


class _Parser:
    """Recursive descent over the token list; builds nested tuples."""

    def __init__(self, tokens, fields):
        self.tokens = tokens
        self.pos = 0
        self.fields = fields

    def peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def take(self):
        token = self.peek()
        if token[0] is None:
            raise ConditionError("unexpected end of expression")
        self.pos += 1
        return token

    def expect(self, kind, value):
        token = self.take()
        if token != (kind, value):
            raise ConditionError(f"expected {value!r}")

    def expression(self):
        node = self.term()
        while self.peek() == ("kw", "or"):
            self.take()
            node = ("or", node, self.term())
        return node

    def term(self):
        node = self.factor()
        while self.peek() == ("kw", "and"):
            self.take()
            node = ("and", node, self.factor())
        return node

    def factor(self):
        if self.peek() == ("sym", "("):
            self.take()
            node = self.expression()
            self.expect("sym", ")")
            return node
        return self.comparison()

    def comparison(self):
        kind, name = self.take()
        if kind != "field":
            raise ConditionError(f"expected a field name, got {name!r}")
        path = self.fields.get(name.lower())
        if path is None:
            raise ConditionError(f"unknown field {name!r}")
        operator = self.operator()
        if operator in ("in", "not in"):
            value = self.value_list()
        else:
            value = self.value()
            if operator in ("like", "not like", "contains", "not contains") and not isinstance(value, str):
                raise ConditionError(f"{operator} needs a string value")
        return ("cmp", path, operator, value)

    def operator(self):
        kind, value = self.take()
        negate = (kind, value) == ("kw", "not")
        if negate:
            kind, value = self.take()
        if kind == "kw" and value in ("like", "contains", "in"):
            return f"not {value}" if negate else value
        if kind == "sym" and value in ("=", "!=", "<", "<=", ">", ">=") and not negate:
            return value
        raise ConditionError(f"expected an operator, got {value!r}")

    def value(self):
        kind, value = self.take()
        if kind in ("str", "num", "date"):
            return value
        if kind == "kw" and value in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[value]
        raise ConditionError(f"expected a value, got {value!r}")

    def value_list(self):
        self.expect("sym", "(")
        values = [self.value()]
        while self.peek() == ("sym", ","):
            self.take()
            values.append(self.value())
        self.expect("sym", ")")
        return values


def compile_conditions(text, fields):
    """Parse `text` against the allowed field paths; returns a predicate over records.

    `fields` lists the paths a resource supports (e.g. "securityRole/id"); matching is case-insensitive.
    """
    allowed = {field.lower(): field.split("/") for field in fields}
    tokens = tokenize(text)
    if not tokens:
        raise ConditionError("empty expression")
    parser = _Parser(tokens, allowed)
    tree = parser.expression()
    if parser.pos != len(tokens):
        raise ConditionError(f"unexpected {parser.peek()[1]!r} after the expression")
    return lambda record: _evaluate(tree, record)


def _lookup(record, path):
    value = record
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _evaluate(node, record):
    if node[0] == "and":
        return _evaluate(node[1], record) and _evaluate(node[2], record)
    if node[0] == "or":
        return _evaluate(node[1], record) or _evaluate(node[2], record)
    path, operator, value = node[1:]
    left = _lookup(record, path)
    if operator.startswith("not "):
        return not _compare(left, operator[4:], value, path)
    return _compare(left, operator, value, path)


def _compare(left, operator, right, path):
    if operator == "in":
        return any(_compare(left, "=", item, path) for item in right)
    if right is None or left is None:
        if operator not in ("=", "!="):
            if right is None:
                raise ConditionError(f"null cannot be compared with {operator}")
            return False
        same = left is None and right is None
        return same if operator == "=" else not same
    left, right = _coerce(left, right, path)
    if operator == "like":
        pattern = "".join(".*" if part == "%" else re.escape(part) for part in re.split("(%)", right))
        return re.fullmatch(pattern, left, re.DOTALL) is not None
    if operator == "contains":
        return right in left
    return {
        "=": left == right, "!=": left != right, "<": left < right,
        "<=": left <= right, ">": left > right, ">=": left >= right,
    }[operator]


def _coerce(left, right, path):
    """Bring both sides to one comparable type, or refuse like the server does."""
    name = "/".join(path)
    if isinstance(right, bool) or isinstance(left, bool):
        if isinstance(right, bool) and isinstance(left, bool):
            return left, right
        raise ConditionError(f"{name} cannot be compared with {right!r}")
    if isinstance(right, _Date):
        if not isinstance(left, str):
            raise ConditionError(f"{name} is not a date")
        return parse_date(left), right.moment
    if isinstance(right, (int, float)):
        if isinstance(left, (int, float)):
            return left, right
        raise ConditionError(f"{name} cannot be compared with a number")
    if isinstance(left, str):
        return left.casefold(), right.casefold()
    raise ConditionError(f"{name} cannot be compared with a string")
