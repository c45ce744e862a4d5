"""List endpoints: conditions, orderBy, page/pageSize, forward-only paging, Link headers, /count."""

from urllib.parse import urlencode

from .conditions import ConditionError, compile_conditions
from .errors import invalid

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000


def _int_param(ctx, name, default):
    raw = ctx.param(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise invalid(f"{name} must be an integer") from exc
    if value < (0 if name == "pageId" else 1):
        raise invalid(f"{name} must be positive")
    return value


def select(ctx, records, fields):
    """Records matching `conditions`, in `orderBy` order (default: by id)."""
    text = ctx.param("conditions")
    if text:
        try:
            keep = compile_conditions(text, fields)
            records = [record for record in records if keep(record)]
        except ConditionError as exc:
            raise invalid(f"conditions: {exc}") from exc
    return _order(records, ctx.param("orderBy"), fields)


def _sort_key(value):
    # None first, then numbers, then case-insensitive strings: never compares unlike types.
    if value is None:
        return (0, 0)
    if isinstance(value, (bool, int, float)):
        return (1, value)
    return (2, str(value).casefold())


def _order(records, order_by, fields):
    records = sorted(records, key=lambda r: _sort_key(r.get("id")))
    if not order_by:
        return records
    known = {field.lower(): field for field in fields if "/" not in field}
    keys = []
    for clause in order_by.split(","):
        words = clause.split()
        if not words or len(words) > 2 or words[0].lower() not in known:
            raise invalid(f"orderBy: cannot order by {clause.strip()!r}")
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise invalid(f"orderBy: unknown direction {words[1]!r}")
        keys.append((known[words[0].lower()], direction == "desc"))
    for field, descending in reversed(keys):  # stable sorts, least significant key first
        records = sorted(records, key=lambda r, f=field: _sort_key(r.get(f)), reverse=descending)
    return records


def _link(ctx, changes):
    pairs = [(k, v) for k, v in ctx.query_pairs if k.lower() not in {c.lower() for c in changes}]
    pairs += [(k, str(v)) for k, v in changes.items()]
    return f"<{ctx.base_url}{ctx.path}?{urlencode(pairs)}>"


def trim(ctx, records):
    """`fields=a,b,c/d`: each record with only those fields (names case-insensitive, "/" into a nested object); a name
    the record lacks is left out. Without `fields`, the records whole."""
    text = ctx.param("fields")
    if not text:
        return records
    wanted = {}
    for name in (n.strip() for n in text.split(",")):
        if name:
            head, _sep, rest = name.partition("/")
            wanted.setdefault(head.lower(), set()).add(rest.lower() if rest else None)
    trimmed = []
    for record in records:
        kept = {}
        for key, value in record.items():
            parts = wanted.get(key.lower())
            if parts is None:
                continue
            if None in parts or not isinstance(value, dict):
                kept[key] = value
            else:
                kept[key] = {k: v for k, v in value.items() if k.lower() in parts}
        trimmed.append(kept)
    return trimmed


def page(ctx, records, fields):
    """One page of the selected records (trimmed to `fields`) plus the RFC 5988 Link header."""
    chunk, headers = _page(ctx, select(ctx, records, fields))
    return trim(ctx, chunk), headers


def _page(ctx, records):
    size = min(_int_param(ctx, "pageSize", DEFAULT_PAGE_SIZE), MAX_PAGE_SIZE)
    if (ctx.header("pagination-type") or "").lower() == "forward-only":
        return _forward_only(ctx, records, size)
    number = _int_param(ctx, "page", 1)
    last = max(1, -(-len(records) // size))
    chunk = records[(number - 1) * size:number * size]
    links = []
    if number > 1:
        links.append(_link(ctx, {"page": 1}) + '; rel="first"')
        links.append(_link(ctx, {"page": min(number - 1, last)}) + '; rel="prev"')
    if number < last:
        links.append(_link(ctx, {"page": number + 1}) + '; rel="next"')
        links.append(_link(ctx, {"page": last}) + '; rel="last"')
    return chunk, ({"Link": ", ".join(links)} if links else {})


def _forward_only(ctx, records, size):
    after = _int_param(ctx, "pageId", 0)
    remaining = [r for r in sorted(records, key=lambda r: r["id"]) if r["id"] > after]
    chunk = remaining[:size]
    if len(remaining) > size:
        return chunk, {"Link": _link(ctx, {"pageId": chunk[-1]["id"]}) + '; rel="next"'}
    return chunk, {}


def count(ctx, records, fields):
    """Body of a /count endpoint."""
    return {"count": len(select(ctx, records, fields))}
