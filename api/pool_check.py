"""The pool's check of a connection at checkout, skipped for a connection that came back in
a good state moments ago.

psycopg_pool's `check_connection` costs a round trip to the server on every checkout. On the
loaded two-core machine, py-spy under wrk showed that round trip taking more of an uncached
request (risk at a point, an uncached tile) than the query itself: the API's time was 2.1x
the SQL's. A connection the pool took back in a good state (idle, no error) less than
`RECENT_S` ago is handed out unchecked; an older one is checked as before, so after a
database restart every connection from before it is checked again (a request that gets one
returned in the last second before the restart fails like any request during the outage,
with a 503).
"""

from __future__ import annotations

import time
from weakref import WeakKeyDictionary

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

RECENT_S = 1.0
_returned_at: WeakKeyDictionary[AsyncConnection, float] = WeakKeyDictionary()


async def mark_returned(conn: AsyncConnection) -> None:
    """The pool's reset hook: called when a connection comes back idle and unbroken."""
    _returned_at[conn] = time.monotonic()


async def check_unless_recent(conn: AsyncConnection) -> None:
    """The pool's check hook: a round trip only for a connection idle over RECENT_S."""
    returned = _returned_at.pop(conn, None)
    if returned is not None and time.monotonic() - returned < RECENT_S:
        return
    await AsyncConnectionPool.check_connection(conn)
