"""pyconnectwise as the outside oracle: its client bound to the simulator, and a strict check of raw answers."""

from __future__ import annotations

import inspect
import typing

import requests
from pydantic import BaseModel, TypeAdapter

CLIENT_ID = "3c1b6a0e-7f2d-4c55-9a8e-0d5e2f6b7a91"

# Fields the simulator may send that pyconnectwise 0.6.1.2's models lack, each with the source that publishes it.
OTHER_RELEASES = {
    ("SecurityRole", "roleType"): "optional, max 30, in the SecurityRole of other published spec releases (connect_wise gem)",
}


class PlainHttp:
    """Stands in for the `requests` module inside pyconnectwise.clients.connectwise_client.

    Why: pyconnectwise builds https:// URLs only (ConnectWiseManageAPIClient._get_url and _try_get_codebase_from_api
    hard-code the scheme) and the simulator speaks plain HTTP. Only the scheme of the simulator's own URLs is changed;
    method, path, headers, query and body are pyconnectwise's. It also keeps the last response, so that a test can
    check the raw JSON more strictly than pyconnectwise's lax parse, and adds a timeout pyconnectwise omits."""

    def __init__(self, host):
        self.prefix = f"https://{host}/"
        self.last = None

    def request(self, method, url, **kwargs):
        """requests.request with the simulator's https:// URLs turned into http://."""
        if url.startswith(self.prefix):
            url = "http://" + url[len("https://"):]
        self.last = requests.request(method, url, timeout=30, **kwargs)
        return self.last


def _models(annotation):
    """pydantic models named anywhere in a field annotation (Optional, list[...], unions)."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in typing.get_args(annotation) for model in _models(arg)]


def unknown_fields(model, record, where=""):
    """Keys of `record` (recursively) that `model` does not declare: pydantic ignores them, so a misspelt or invented
    field would otherwise pass unnoticed."""
    fields = {field.alias or name: field for name, field in model.model_fields.items()}
    found = []
    for key, value in record.items():
        if key not in fields:
            if (model.__name__, key) not in OTHER_RELEASES:
                found.append(f"{model.__name__}.{where}{key}")
            continue
        for sub in _models(fields[key].annotation):
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    found += unknown_fields(sub, item, f"{where}{key}/")
    return found


def conforms(model, text, many=False):
    """Validate a raw JSON answer against pyconnectwise's model: strict types (no "5" for 5), every required field,
    no undeclared field. Returns the parsed model(s)."""
    parsed = TypeAdapter(list[model] if many else model).validate_json(text, strict=True)
    data = TypeAdapter(typing.Any).validate_json(text)
    unknown = [name for record in (data if many else [data]) for name in unknown_fields(model, record)]
    assert not unknown, f"fields the published {model.__name__} does not have: {unknown}"
    return parsed
