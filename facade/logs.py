"""Logging: the request id on every line a request causes, text or JSON, and
the access line.

The id lives in a context variable set by the request-id middleware, so any
logger anywhere below a handler carries it without being handed it. The
access line never shows the query string: every dialect may take passwords
and tokens from it, so aiohttp's default request line (``%r``) would write
them to disk. Its path is the one the client sent, still percent-encoded: decoded,
a ``%0A`` in it would end the line and forge the next.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from facade.keys import DIALECT, OUTCOME, REQUEST_ID, ROUTE

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
WELL_FORMED_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")  # a proxy's id, kept; anything else is replaced
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_clock = time.time
_blank = object.__new__
ACCESS_FIELDS = ("remote", "method", "path", "status", "bytes", "seconds", "dialect", "route", "outcome")


def _stamped(make):
    """Every record is born with the id of the request being served ('-' outside one), whichever
    handler (the console, a test's capture) reads it; an access record brings its own."""
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.request_id = request_id.get()
        return record
    factory.stamps_request_ids = True
    return factory


if not getattr(logging.getLogRecordFactory(), "stamps_request_ids", False):
    logging.setLogRecordFactory(_stamped(logging.getLogRecordFactory()))


class _SecondsCached(logging.Formatter):
    """Formats each second's time once: at thousands of lines a second, strftime is a fair share of a line's cost."""
    converter = time.gmtime
    _second, _text = -1, ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second = int(record.created)
        if second != self._second:
            self._second, self._text = second, time.strftime(datefmt or "%Y-%m-%d %H:%M:%S", self.converter(second))
        return self._text if datefmt else f"{self._text},{int(record.msecs):03d}"


class JsonFormatter(_SecondsCached):
    """One JSON object per line: time, level, logger, request id, message, and the access fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage()}
        line.update({name: getattr(record, name) for name in ACCESS_FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class _Stderr(logging.StreamHandler):
    """Writes to sys.stderr as it is when a line is written, not as it was when logging was set up."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def setup(level: str, form: str) -> None:
    """The process's one console handler, replacing an earlier one of ours but no one else's."""
    handler = _Stderr()
    handler.set_name("facade")
    if form == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_SecondsCached(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "facade"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # No line shows a thread, a process or a process name: don't look them up for every record
    # (the logging HOWTO's own advice for a busy server).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False


class AccessLogger(AbstractAccessLogger):
    """One line per request: who, what, the answer, and which dialect, route and outcome gave it.

    The record is made directly, not through ``Logger.info``: that would look up the caller's file
    and line on every request, a third of the line's cost, for a field this line never shows. And
    what every access record holds alike (the logger, level, file, process and the like) is filled
    in once, by the record factory, into a first record that each line's record copies: per
    request only the time, the fields and the id are new."""
    LINE = "%s %s %s %s %d %.4fs %s %s %s"

    def __init__(self, logger: logging.Logger, log_format: str) -> None:
        super().__init__(logger, log_format)
        self._factory: Any = None
        self._first: logging.LogRecord | None = None

    def _template(self) -> logging.LogRecord:
        """The first record, made again if the record factory has changed since."""
        factory = logging.getLogRecordFactory()
        if self._first is None or factory is not self._factory:
            self._factory = factory
            self._first = self.logger.makeRecord(self.logger.name, logging.INFO, __file__, 0, self.LINE, (), None)
        return self._first

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        dialect, route = request.get(DIALECT), request.get(ROUTE)
        fields = {"remote": request.remote, "method": request.method, "path": request.raw_path.partition("?")[0],
                  "status": response.status, "bytes": response.body_length, "seconds": round(time, 6),
                  "dialect": dialect.name if dialect else "-", "route": route.name if route else "-",
                  "outcome": request.get(OUTCOME, "-")}
        first = self._template()
        now = _clock()
        record = _blank(type(first))
        record.__dict__ = {
            **first.__dict__, **fields, "created": now, "msecs": int((now - int(now)) * 1000) + 0.0,  # as LogRecord
            "relativeCreated": first.relativeCreated + (now - first.created) * 1000,
            "args": (fields["remote"], fields["method"], fields["path"], fields["status"], fields["bytes"], time,
                     fields["dialect"], fields["route"], fields["outcome"]),
            "request_id": request.get(REQUEST_ID, "-")}  # the handler's context is gone by now
        self.logger.handle(record)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def incoming_id(request: web.Request) -> str | None:
    given = request.headers.get("X-Request-Id", "")
    return given if WELL_FORMED_ID.fullmatch(given) else None
