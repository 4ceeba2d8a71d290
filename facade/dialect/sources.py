"""Where a parameter's value comes from: one table entry per source.

The body is read at most once per request, whatever its type, and its
problems (too large, malformed, an unknown content type) become outcomes
that the dialect renders in its own envelope.

What reading a body may cost is bounded before the costly work starts: its
size, the time it may take to arrive, the number of fields or parts it may
hold, and the bytes all bodies in the process may hold at once. A body that
says it is compressed is refused unread: no legacy client compressed one.
"""
from __future__ import annotations

import asyncio
import json
import warnings
from dataclasses import dataclass
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

from aiohttp import BodyPartReader, MultipartReader, web
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.multipart import BadContentDispositionHeader
from aiohttp.streams import StreamReader
from multidict import MultiDict, MultiDictProxy

from facade.core.outcomes import (
    BodyTimeout,
    BodyTooLarge,
    MalformedBody,
    Overloaded,
    UnsupportedMediaType,
)
from facade.dialect import forms

FORM = "application/x-www-form-urlencoded"
T = TypeVar("T")
LARGE = 64 * 1024  # a body above this is read in its client's turn (BodyLimits.lane): uploads, never a plain call
MULTIPART = "multipart/form-data"
_EMPTY: MultiDictProxy = MultiDictProxy(MultiDict())

# A part header a client botched is answered as bad input (the part has no name); aiohttp would also
# print it as a warning, with the client's bytes in it.
warnings.filterwarnings("ignore", category=BadContentDispositionHeader)

@dataclass
class BodyLimits:
    """What reading bodies may cost one process (server.* in the config)."""
    timeout: float      # seconds a whole body may take to arrive
    parameters: int     # form fields in one body
    parts: int          # multipart parts in one body
    in_flight_max: int  # bytes of bodies held at once
    large_per_client: int = 1  # large bodies one client's connections are read at once
    client_of: Callable[[web.Request], str | None] = lambda request: request.remote
    in_flight: int = 0

    def __post_init__(self) -> None:
        self._lanes: dict[str | None, Lane] = {}

    def take(self, request: web.Request, limit: int | None) -> int:
        """Counts the request's body against the bytes in flight, until ``give_back``; Overloaded, at once
        and unread, if it does not fit. A body of unknown length counts as its largest allowed size.
        Returns what was counted. (Not a context manager: every request passes here, and a generator-based
        one costs more than the count itself.)"""
        size = 0
        if request.body_exists:
            size = min(request.content_length or limit or request.client_max_size, limit or request.client_max_size)
        if self.in_flight + size > self.in_flight_max:
            raise Overloaded(f"{self.in_flight} body bytes in flight")
        self.in_flight += size
        return size

    def give_back(self, size: int) -> None:
        self.in_flight -= size

    async def in_turn(self, request: web.Request, read: Callable[[], Awaitable[T]]) -> T:
        """``read()``, at once for a small body, in its client's turn for a large one (see ``lane``)."""
        lane = self.lane(request)
        if lane is None:
            return await read()
        async with lane:
            return await read()

    def lane(self, request: web.Request) -> "Lane | None":
        """Where a large body waits for its client's turn to be read; None for a small one, read at once.

        Reading a body costs the loop 2-3 ms per megabyte (copies from the socket, through the HTTP
        parser, into one piece), and the bodies one client sends together arrive together: thirty
        connections' megabytes read in the same few turns of the loop held every other client's
        request back by tens of milliseconds. Read one client's large bodies a few at a time, the
        rest wait unread: their connections stop reading once aiohttp's buffer is full, which costs
        nothing, and the wait counts against the body's deadline like a slow send."""
        if (request.content_length if request.content_length is not None else LARGE + 1) <= LARGE:
            return None
        client = self.client_of(request)
        lane = self._lanes.get(client)
        if lane is None:
            lane = self._lanes[client] = Lane(self.large_per_client, lambda: self._lanes.pop(client, None))
        return lane


class Lane:
    """One client's turns at reading large bodies; forgotten when no body holds or waits for one."""

    def __init__(self, width: int, forget: Callable[[], object]) -> None:
        self._turns = asyncio.Semaphore(width)
        self._users = 0
        self._forget = forget

    async def __aenter__(self) -> None:
        self._users += 1
        try:
            await self._turns.acquire()
        except BaseException:  # gave up waiting: past the body's deadline, or the client left
            self._leave()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._turns.release()
        self._leave()

    def _leave(self) -> None:
        self._users -= 1
        if not self._users:
            self._forget()


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
        self.raw: bytes | None = None  # the body's bytes as sent, when asked for (to send them on unchanged)

    @classmethod
    async def read(cls, request: web.Request, limits: BodyLimits, limit: int | None = None,
                   keep_raw: bool = False) -> "Inputs":
        """``limit``: a route's own body limit, above or below the server's. ``keep_raw``: keep the body's
        bytes as sent in ``raw``, besides the parameters read from them."""
        body = request.clone(client_max_size=limit) if limit else request
        inputs = cls(request, body)
        if (request.content_length or 0) > body.client_max_size:
            raise BodyTooLarge()  # refused unread, whatever the method or content type
        if request.headers.get("Content-Encoding", "identity").strip().lower() not in ("", "identity"):
            raise UnsupportedMediaType("a compressed body")  # refused unread: inflating is the attacker's lever
        if request.body_exists:
            try:
                async with asyncio.timeout(limits.timeout):
                    await limits.in_turn(request, lambda: inputs._read_body(limits, keep_raw))
            except web.HTTPRequestEntityTooLarge:
                raise BodyTooLarge() from None
            except TimeoutError:
                raise BodyTimeout(f"not received in {limits.timeout} s") from None
            except (ValueError, LookupError, RecursionError, HttpProcessingError, ConnectionError,
                    BadContentDispositionHeader, UnreadablePart) as error:
                # undecodable bytes, an unknown charset, a multipart body without a boundary or cut
                # short, too many fields, JSON nested beyond reason, a client gone mid-body: all the
                # client's doing
                raise MalformedBody(type(error).__name__) from None
        return inputs

    async def _read_body(self, limits: BodyLimits, keep_raw: bool) -> None:
        body = self._body
        kind = body.content_type
        if kind == MULTIPART and not keep_raw:  # read part by part, never whole
            self.multipart = await _multipart(await body.multipart(), body.client_max_size, limits.parts)
            return
        data = await whole(body)
        if keep_raw:
            self.raw = data
        if kind == FORM:  # parsed here, not by request.post(), which skips GET bodies
            self.form = MultiDictProxy(MultiDict(forms.fields(data.decode(body.charset or "utf-8"),
                                                              limits.parameters)))
        elif kind == MULTIPART:
            self.multipart = await _multipart(_replayed(body, data), body.client_max_size, limits.parts)
        elif kind == "application/json" or kind.endswith("+json"):
            self.json = _json_object(data)
        elif data:
            raise UnsupportedMediaType(kind)

    def get(self, source: str, name: str) -> Any:
        return SOURCES[source](self, name)


async def raw_body(request: web.Request, limits: BodyLimits, limit: int | None = None) -> bytes:
    """The body's bytes as sent, unparsed (to send on to a legacy server), within the same bounds of size
    and time as a body read for parameters."""
    body = request.clone(client_max_size=limit) if limit else request
    if (request.content_length or 0) > body.client_max_size:
        raise BodyTooLarge()
    try:
        async with asyncio.timeout(limits.timeout):
            return await limits.in_turn(request, lambda: whole(body))
    except TimeoutError:
        raise BodyTimeout(f"not received in {limits.timeout} s") from None
    except (HttpProcessingError, ConnectionError) as error:
        raise MalformedBody(type(error).__name__) from None


@dataclass(frozen=True)
class Upload:
    """A multipart file. Its Content-Type is dropped here, unread; its name is
    kept only to be judged (a shell.php holding a PNG is an attack, not an
    avatar) and never reaches a path."""
    data: bytes
    filename: str | None


async def whole(body: web.Request) -> bytes:
    """The body's bytes, read as they come. Not aiohttp's ``read()``: it first raises the connection's
    buffer to the whole body limit, so a large body already sent is taken off the socket in one turn of
    the loop, and every large body that arrived together in that same turn, while other requests wait.
    Read here, the buffer stays at aiohttp's default and each turn takes a slice of each body."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await body.content.readany():
        size += len(chunk)
        if size > body.client_max_size:
            raise BodyTooLarge()
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _replayed(body: web.Request, raw: bytes) -> MultipartReader:
    """A multipart reader over bytes already read."""
    loop = asyncio.get_running_loop()
    stream = StreamReader(BaseProtocol(loop), 2 ** 16, loop=loop)
    stream.feed_data(raw)
    stream.feed_eof()
    return MultipartReader(body.headers, stream)


class UnreadablePart(Exception):
    """aiohttp's multipart reader raised on the client's bytes: what it raises there is not its documented
    interface (a ``_charset_`` part too long is a RuntimeError, an unknown transfer encoding too), so it is
    caught where the reader is called and named here, as the client's doing."""

    def __init__(self, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")


# What aiohttp's multipart reader raises on bytes it did not expect; ours (a timeout, too large, a client
# gone) pass through to Inputs.read as they are.
_READER_ERRORS = (RuntimeError, AssertionError, ValueError, LookupError, TypeError, KeyError, IndexError,
                  HttpProcessingError, BadContentDispositionHeader)


async def _parts(reader: MultipartReader) -> AsyncIterator[BodyPartReader]:
    while True:
        try:
            part = await reader.next()
        except _READER_ERRORS as error:
            raise UnreadablePart(error) from None
        if part is None:
            return
        if not isinstance(part, BodyPartReader):
            raise ValueError("a multipart body inside a part")
        yield part


async def _chunk(part: BodyPartReader) -> bytes:
    try:
        return await part.read_chunk()
    except _READER_ERRORS as error:
        raise UnreadablePart(error) from None


async def _multipart(reader: MultipartReader, size: int, parts: int) -> MultiDictProxy:
    """Fields as text and files as Uploads, read into memory part by part: at most ``parts`` parts (each
    costs a fraction of a millisecond of parsing) and the body limit's bytes in all. A part's own
    Content-Encoding or Content-Transfer-Encoding is never applied (a compressed part would be a bomb
    too): no legacy client sent one."""
    read: MultiDict = MultiDict()
    room = size
    seen = 0
    async for part in _parts(reader):
        seen += 1
        if seen > parts:
            raise ValueError(f"more than {parts} parts")
        data = bytearray()
        while chunk := await _chunk(part):
            room -= len(chunk)
            if room < 0:
                raise web.HTTPRequestEntityTooLarge(max_size=size, actual_size=size)
            data += chunk
        name, filename = _disposition(part.headers.get("Content-Disposition", ""))
        if name is not None:
            read.add(name, Upload(bytes(data), filename) if filename is not None else _text(part, data))
    return MultiDictProxy(read)


def _text(part: BodyPartReader, data: bytearray) -> str:
    """A field's text, in its own charset or the body's ``_charset_`` (either may name no codec at all)."""
    try:
        charset = part.get_charset("utf-8")
    except _READER_ERRORS as error:
        raise UnreadablePart(error) from None
    return data.decode(charset)  # an unknown codec is a LookupError: the client's too


def _disposition(header: str) -> tuple[str | None, str | None]:
    """A part's name and file name, read once (aiohttp's reader parses the header anew for each)."""
    parsed = Message()
    parsed["Content-Disposition"] = header
    name = parsed.get_param("name", header="Content-Disposition")
    return (None if name is None else collapse_rfc2231_value(name)), parsed.get_filename()


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
