"""Where a parameter's value comes from: one table entry per source.

The body is read at most once per request, whatever its type, and its
problems (too large, malformed, an unknown content type) become outcomes
that the dialect renders in its own envelope.
"""
from __future__ import annotations

import json
from typing import Any, Callable
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from facade.core.outcomes import BodyTooLarge, MalformedBody, UnsupportedMediaType

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
_EMPTY: MultiDictProxy = MultiDictProxy(MultiDict())

# Unless a route says otherwise a parameter may arrive in any of these:
# the old clients did not all send what their documents said.
DEFAULT_SOURCES = ("query", "form", "multipart", "json")


class Inputs:
    """The parts of one request that parameters are read from."""

    def __init__(self, request: web.Request) -> None:
        self.request = request
        self.form: MultiDictProxy = _EMPTY
        self.multipart: MultiDictProxy = _EMPTY
        self.json: dict[str, Any] = {}

    @classmethod
    async def read(cls, request: web.Request) -> "Inputs":
        inputs = cls(request)
        if (request.content_length or 0) > request.client_max_size:
            raise BodyTooLarge()  # refused unread, whatever the method or content type
        if request.body_exists:
            try:
                await inputs._read_body()
            except web.HTTPRequestEntityTooLarge:
                raise BodyTooLarge() from None
            except (ValueError, LookupError, RecursionError) as error:
                # undecodable bytes, an unknown charset, a multipart body without
                # a boundary, JSON nested beyond reason: all the client's doing
                raise MalformedBody(type(error).__name__) from None
        return inputs

    async def _read_body(self) -> None:
        kind = self.request.content_type
        if kind == FORM:  # parsed here, not by request.post(), which skips GET bodies
            text = (await self.request.read()).decode(self.request.charset or "utf-8")
            self.form = MultiDictProxy(MultiDict(parse_qsl(text, keep_blank_values=True)))
        elif kind == MULTIPART:
            self.multipart = await self.request.post()
        elif kind == "application/json" or kind.endswith("+json"):
            self.json = _json_object(await self.request.read())
        elif await self.request.read():
            raise UnsupportedMediaType(kind)

    def get(self, source: str, name: str) -> Any:
        return SOURCES[source](self, name)


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedBody("not JSON") from None
    if not isinstance(value, dict):
        raise MalformedBody("JSON body is not an object")
    return value


SOURCES: dict[str, Callable[[Inputs, str], Any]] = {
    "query": lambda inputs, name: inputs.request.query.get(name),
    "form": lambda inputs, name: inputs.form.get(name),
    "multipart": lambda inputs, name: inputs.multipart.get(name),
    "json": lambda inputs, name: inputs.json.get(name),
    "header": lambda inputs, name: inputs.request.headers.get(name),
    "cookie": lambda inputs, name: inputs.request.cookies.get(name),
    "path": lambda inputs, name: inputs.request.match_info.get(name),
}
