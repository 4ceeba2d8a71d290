"""The store's one failure of its own: what every backend raises when it cannot do a unit of work."""
from __future__ import annotations


class StoreFault(Exception):
    """The store could not do its work: a wait that ran out (for a connection, for a turn to write), a
    connection lost or refused, a lock another process held too long. Not the caller's outcome, nor a bug:
    the request fails as the 'internal' outcome, in one log line. ``name`` says which it was: the class of
    the database driver's error it stands for, or "StoreFault" for the store's own waits."""

    def __init__(self, reason: str, name: str = "StoreFault") -> None:
        super().__init__(reason)
        self.reason = reason
        self.name = name


def store_fault(error: BaseException) -> str | None:
    """The name of a store fault (what it is counted as), or None for any other failure."""
    return error.name if isinstance(error, StoreFault) else None


def fault_reason(fault: StoreFault) -> str:
    """What a store fault says, as it may be logged: the driver's first line (no statement's values: the
    drivers' messages name constraints and columns, not values), bounded."""
    return fault.reason[:200]
