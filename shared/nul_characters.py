"""The NUL character (U+0000) is refused in every path, query and JSON body, naming where it is.

PostgreSQL text cannot hold it: a NUL that reached a query failed there as a 500. SQLite would take
it, so refusing it up front also keeps the embedded and the production set-ups alike.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request

from shared.errors import InvalidInput

_MESSAGE = "must not contain the NUL character (U+0000)"


async def refuse_nul_characters(request: Request[Any, Any, Any]) -> None:
    """A ``before_request`` hook: runs after routing and guards, before any parameter is parsed."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise InvalidInput.for_field(name, "field.nul", _MESSAGE, source="path")
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise InvalidInput.for_field(name.replace("\x00", ""), "field.nul", _MESSAGE, source="query")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):  # the console's forms
        for name, value in parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True):
            if "\x00" in name or "\x00" in value:
                raise InvalidInput.for_field(name.replace("\x00", ""), "field.nul", _MESSAGE)
        return
    if "json" not in content_type:
        return  # an upload is a file: its reader checks what it holds
    body = await request.body()
    if b"\\u0000" not in body and b"\x00" not in body:
        return
    try:
        document = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return  # not JSON: the handler's own parsing answers that
    where = _first_nul(document, "")
    if where is not None:
        raise InvalidInput.for_field(where or "body", "field.nul", _MESSAGE)


def _first_nul(value: Any, path: str) -> str | None:
    """The dotted path (``lots[0].name``) of the first string holding a NUL, as a key or a value."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return child.replace("\x00", "")
            found = _first_nul(item, child)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_nul(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
