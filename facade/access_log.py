"""The access log: method, path, status, size and time, never the query string.

Every dialect may take passwords and tokens from the query, so the request
line aiohttp logs by default (``%r``) would write them to disk.
"""
from __future__ import annotations

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %s %d %.4fs", request.remote, request.method, request.path,
                         response.status, response.body_length, time)
