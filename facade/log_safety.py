"""No secret in any log, at any level, whatever a library would write.

At DEBUG, aiosqlite logs every statement it runs with its parameters: the
JWT signing key, password and code hashes, tokens' hashes. Such loggers are
held at INFO whatever the configured level, so their DEBUG records are never
made. (aiohttp's own error pages and log lines for requests it cannot parse
echo the request's first bytes: facade.serving answers and logs those
without them. The access log never writes a query string: facade.logs.)
"""
from __future__ import annotations

import logging

ECHOING = ("aiosqlite",)  # loggers whose DEBUG records hold the data they were handed
FLOOR = logging.INFO


def install() -> None:
    """Idempotent: called wherever the store may be opened or the app built."""
    for name in ECHOING:
        logger = logging.getLogger(name)
        if logger.level < FLOOR:  # NOTSET too: it would inherit the root's DEBUG
            logger.setLevel(FLOOR)
