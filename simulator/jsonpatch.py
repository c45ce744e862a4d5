"""The JSON Patch subset ConnectWise takes on PATCH: an array of add/replace/remove operations."""

from .errors import invalid

OPS = ("add", "replace", "remove")


def parse_ops(body):
    """[(op, [path parts], value)]; the path is given without a leading slash (one is tolerated)."""
    if not isinstance(body, list) or not body:
        raise invalid("A PATCH body must be a non-empty JSON array of operations")
    ops = []
    for item in body:
        if not isinstance(item, dict):
            raise invalid("Each patch operation must be an object")
        op = str(item.get("op", "")).lower()
        path = item.get("path")
        if op not in OPS:
            raise invalid(f"Unsupported patch operation {item.get('op')!r}")
        if not isinstance(path, str) or not path.strip("/"):
            raise invalid("Each patch operation needs a path")
        if op != "remove" and "value" not in item:
            raise invalid(f"Patch operation {op} on {path} needs a value")
        ops.append((op, path.strip("/").split("/"), item.get("value")))
    return ops
