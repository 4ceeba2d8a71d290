"""Where a parameter's value comes from: one table entry per source.

The body is read at most once per request, whatever its type, and its
problems (too large, malformed, an unknown content type) become outcomes
that the dialect renders in its own envelope.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
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

    def __init__(self, request: web.Request, body: web.Request) -> None:
        self.request = request
        self._body = body  # the request again, with the body limit of the route being served
        self.form: MultiDictProxy = _EMPTY
        self.multipart: MultiDictProxy = _EMPTY
        self.json: dict[str, Any] = {}
        self.flow: dict[str, Any] = {}  # what the client's flow holds, for dialects that keep one
        self.flow_live = False  # whether the client's flow was live when the request began

    @classmethod
    async def read(cls, request: web.Request, limit: int | None = None) -> "Inputs":
        """``limit``: a route's own body limit, above or below the server's."""
        body = request.clone(client_max_size=limit) if limit else request
        inputs = cls(request, body)
        if (request.content_length or 0) > body.client_max_size:
            raise BodyTooLarge()  # refused unread, whatever the method or content type
        if request.body_exists:
            try:
                await inputs._read_body()
            except web.HTTPRequestEntityTooLarge:
                raise BodyTooLarge() from None
            except (ValueError, LookupError, RecursionError, HttpProcessingError) as error:
                # undecodable bytes, an unknown charset, a multipart body without a boundary
                # or with a part header no HTTP parser takes, JSON nested beyond reason:
                # all the client's doing
                raise MalformedBody(type(error).__name__) from None
        return inputs

    async def _read_body(self) -> None:
        body = self._body
        kind = body.content_type
        if kind == FORM:  # parsed here, not by request.post(), which skips GET bodies
            text = (await body.read()).decode(body.charset or "utf-8")
            self.form = MultiDictProxy(MultiDict(parse_qsl(text, keep_blank_values=True)))
        elif kind == MULTIPART:
            self.multipart = _uploads_read(await body.post())
        elif kind == "application/json" or kind.endswith("+json"):
            self.json = _json_object(await body.read())
        elif await body.read():
            raise UnsupportedMediaType(kind)

    def get(self, source: str, name: str) -> Any:
        return SOURCES[source](self, name)


@dataclass(frozen=True)
class Upload:
    """A multipart file. Its Content-Type is dropped here, unread; its name is
    kept only to be judged (a shell.php holding a PNG is an attack, not an
    avatar) and never reaches a path."""
    data: bytes
    filename: str | None


def _uploads_read(fields: MultiDictProxy) -> MultiDictProxy:
    """Files read into memory (the body limit bounds them) and their temporary files closed at once."""
    read = MultiDict()
    for name, value in fields.items():
        if isinstance(value, web.FileField):
            with value.file:
                value = Upload(value.file.read(), value.filename)
        read.add(name, value)
    return MultiDictProxy(read)


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
    "flow": lambda inputs, name: inputs.flow.get(name),  # written by the server, never by the client
}
