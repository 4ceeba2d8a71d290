"""How a stage says a mapping is wrong: naming the file, the route, and the reason."""
from __future__ import annotations

FILE_LEVEL = "-"


class MappingError(Exception):
    def __init__(self, file: str, route: str, reason: str) -> None:
        super().__init__(f"{file}: {route}: {reason}")
        self.file, self.route, self.reason = file, route, reason


class RouteError(Exception):
    def __init__(self, route: str, reason: str) -> None:
        super().__init__(reason)
        self.route, self.reason = route, reason

