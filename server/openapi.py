"""OpenAPI for request bodies that handlers validate themselves.

Handlers that record data read the raw JSON and check it with `surveys.core.validation`, which names every
bad field (Litestar's own parsing stops at the first); this puts the schema back into the docs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Operation, RequestBody, Schema
from litestar.openapi.spec.media_type import OpenAPIMediaType

from surveys.schemas import Problem

PROBLEM_DESCRIPTIONS = {
    400: "The request is malformed: a NUL character, or a body that is not JSON.",
    401: "No valid bearer token (POST /api/session gives one).",
    403: (
        "Refused: a browser sent it from another site (`Sec-Fetch-Site`, or an `Origin` not the app's), "
        "or the account must choose a new password on the web first."
    ),
    404: "Unknown, or outside the caller's area: the two look alike.",
    409: "The household changed since it was read; `current` is how it is now. Nothing was overwritten.",
    413: "The body is larger than 1 MB.",
    422: (
        "A parameter (query or path) or the body breaks the schema or a rule; `errors` names every bad "
        "field, each with its `field`, `code` and `message`: the one shape of every validation error."
    ),
    429: "Too many failed sign-ins; wait for the time `Retry-After` gives.",
}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    """The error answers an operation can give, each a `Problem` body."""
    return {
        code: ResponseSpec(
            data_container=Problem,
            description=PROBLEM_DESCRIPTIONS[code],
            media_type="application/problem+json",
        )
        for code in codes
    }


def _schema(node: Any) -> Any:
    """msgspec's JSON schema as Litestar's OpenAPI objects (inlined: no `$defs`)."""
    if isinstance(node, list):
        return [_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    fields = {
        "type": node.get("type"),
        "title": node.get("title"),
        "description": node.get("description"),
        "properties": {k: _schema(v) for k, v in node["properties"].items()}
        if "properties" in node
        else None,
        "required": node.get("required"),
        "items": _schema(node["items"]) if "items" in node else None,
        "enum": node.get("enum"),
        "any_of": _schema(node["anyOf"]) if "anyOf" in node else None,
        "format": node.get("format"),
        "minimum": node.get("minimum"),
        "maximum": node.get("maximum"),
        "min_length": node.get("minLength"),
        "max_length": node.get("maxLength"),
        "default": node.get("default"),
    }
    kwargs: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    return Schema(**kwargs)


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_inline(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    return {k: _inline(v, defs) for k, v in node.items()}


def json_body(struct: type[msgspec.Struct]) -> type[Operation]:
    """An Operation class whose request body is `struct` as JSON."""
    raw = msgspec.json.schema(struct)
    resolved = _inline(raw, raw.get("$defs", {}))
    body = RequestBody(
        content={"application/json": OpenAPIMediaType(schema=_schema(resolved))}, required=True
    )

    @dataclass
    class WithBody(Operation):
        def __post_init__(self) -> None:
            self.request_body = body

    WithBody.__name__ = f"{struct.__name__}Operation"
    return WithBody
