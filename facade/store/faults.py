"""Database drivers' errors as the core's StoreFault: the one way a backend's failures leave the store."""
from __future__ import annotations

from types import TracebackType

from facade.core.faults import StoreFault

DRIVERS = ("sqlite3", "aiosqlite", "asyncpg")


def as_fault(error: BaseException) -> StoreFault | None:
    """A database driver's error (a lock held too long, a connection lost, a rule the database enforces) as
    a StoreFault named after it; None for anything else, which passes as it is."""
    if not isinstance(error, Exception) or type(error).__module__.split(".")[0] not in DRIVERS:
        return None
    return StoreFault(reason(error), type(error).__name__)


def reason(error: BaseException) -> str:
    """A failure's first line, or its name when it says nothing."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror + (f": {error.filename}" if error.filename else "")
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class DriverFaults:
    """Around a unit of work: a driver's error raised inside leaves as a StoreFault. A class, not a
    generator: every read enters one."""
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> bool:
        if error is not None and (fault := as_fault(error)) is not None:
            raise fault from error
        return False


DRIVER_FAULTS = DriverFaults()  # holds nothing: one serves every unit of work
