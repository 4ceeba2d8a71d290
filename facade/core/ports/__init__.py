"""The ports the core needs from storage, declared in the core's own terms.

One narrow interface per aggregate (users, sessions, codes, ...), reached
through a unit of work: everything written inside one ``store.write()``
commits together or not at all. Look-ups are typed methods; no column name
or SQL crosses this boundary, and the core imports no backend.

Rules a backend must keep:
- ``write()`` is one transaction; leaving it by an exception (cancellation
  included) rolls back everything written in it.
- ``claim(*keys)`` serialises: until the transaction ends, no other
  transaction, in this process or another, gets past a claim of the same
  key. Claim every key a transaction needs in one call, before reading what
  they protect (a count, a throttle); that makes "read, decide, write"
  atomic across processes.
- A write refused by a uniqueness rule raises ``Taken(field)`` and ends the
  transaction: let it propagate (everything in it is rolled back) and, to
  try again, open a new one.

Each aggregate's port lives in a module of its own; this package names them all, so
``from facade.core.ports import Account`` reads the same wherever the port lives.
"""
from __future__ import annotations

from facade.core.ports.apps import App, Apps
from facade.core.ports.codes import Code, Codes, NewCode, Sent
from facade.core.ports.files import File, Files
from facade.core.ports.flows import Flows
from facade.core.ports.legacy import LegacyAccount, LegacyLogin
from facade.core.ports.sessions import NewSession, Sessions
from facade.core.ports.settings import Settings, UserConfig
from facade.core.ports.throttles import Strikes, Throttles
from facade.core.ports.users import (Account, Brought, Held, Identifier, IdentifierKind, NewAccount, ProfileChange,
                                     Users)
from facade.core.ports.work import SWEPT, Store, Taken, Work

__all__ = ["App", "Apps", "Code", "Codes", "NewCode", "Sent", "File", "Files", "Flows", "LegacyAccount", "LegacyLogin",
           "NewSession", "Sessions", "Settings", "UserConfig", "Strikes", "Throttles", "Account", "Brought", "Held",
           "Identifier", "IdentifierKind", "NewAccount", "ProfileChange", "Users", "SWEPT", "Store", "Taken", "Work"]
