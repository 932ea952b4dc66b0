"""Pooled connections without a round trip per checkout, and idempotent reads retried once.

psycopg_pool's `check_connection` sends an empty query at every checkout: on the loaded
2-core machine that round trip cost more than a whole tile or risk-at-a-point query (py-spy
under wrk; in-server time 1.4-2.8x the SQL's). A backend that died while its connection sat
in the pool (pg_terminate_backend, a server restart, an idle-session timeout) has already
sent its FATAL message and closed the socket, so the socket is readable: checking that is a
system call, not a round trip. A readable socket, a connection in a transaction or one not
handed out for `FULL_CHECK_IDLE_S` gets the full check (a silently dropped network path sends
nothing). A death between the check and the query is left: the reads that may run twice
(tiles, risk at a point) go through `fetch_one` (or `fetch_value`), which retries once on
a new connection when the connection broke; a statement timeout (57014) is no broken
connection and is not retried.
"""

from __future__ import annotations

import select
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from psycopg import AsyncConnection, OperationalError, sql
from psycopg.pq import ConnStatus, TransactionStatus
from psycopg_pool import AsyncConnectionPool

from api.prepared_value import PreparedValue

T = TypeVar("T")

# A connection last handed out longer ago than this gets the full check (one round trip).
FULL_CHECK_IDLE_S = 30.0
# When the pool last handed the connection out: an upper bound of its idle time, kept on the
# connection (a `reset` callback could note the return, but psycopg_pool then returns every
# connection through a worker task, one more task switch per request).
HANDED_OUT_AT = "_halo_handed_out_at"


def socket_readable(fd: int) -> bool:
    """Data or EOF waits on an idle connection's socket (a FATAL, a close, a notice)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class HotFirstPool(AsyncConnectionPool):
    """A pool handing out the connection returned last (psycopg_pool hands out the one
    returned longest ago), and without its locked path when nothing contends.

    After a burst has grown the pool, psycopg_pool's order sends a lone client's reads round
    all its connections in turn, each backend process cold when its turn comes. Measured with
    `wrk -c1` after a `-c32` burst (pool at 10), uncached tiles, in-server time over the raw
    SQL's (4 and 3 interleaved runs, medians): z14 1.96x in turn, 1.55x last-returned first;
    z11 1.62x and 1.31x. The connections not used for `max_idle` are still the ones closed
    when the pool shrinks (psycopg_pool closes from the other end).

    psycopg_pool's checkout and return each go through a lock, a chain of coroutines and
    bookkeeping for waiting clients, resets and expiry: ~40 us of CPU a read on this machine
    (in one process, 150 z14 tile reads x 12, CPU per read: 95-99 us through the pool, 79-85
    us with the path below, 59-70 us on a connection held outside any pool). When the pool is
    open, its lock free, a connection ready and nobody waiting, the checkout takes the last
    returned connection and checks it (`check_connection`); a return of an idle, unexpired
    connection with nobody waiting puts it back. Between the tests and the deque operation
    there is no await, so no other task can interleave (one event loop). Anything else (a
    waiting client, a connection in a transaction or broken, expired, a reset callback, the
    pool filling or closing) takes psycopg_pool's own path. Relies on psycopg_pool's internals
    (3.3, pinned; tested in tests/test_prepared_value.py)."""

    async def getconn(self, timeout: float | None = None) -> AsyncConnection[Any]:
        if not self._pool or self._closed or self._lock.locked():
            return await super().getconn(timeout)
        self._stats[self._REQUESTS_NUM] += 1
        conn = self._pool.pop()  # the connection returned last
        if len(self._pool) < self._nconns_min:
            self._nconns_min = len(self._pool)
        try:
            await self._check_connection(conn)
        except Exception:  # noqa: BLE001 - discarded by the pool's return; then its own path
            await self._putconn(conn, from_getconn=True)
            return await super().getconn(timeout)
        conn._pool = self
        return conn

    async def putconn(self, conn: AsyncConnection[Any]) -> None:
        if (
            conn._pool is self
            and not self._closed
            and not self._waiting
            and self._reset is None
            and self._pool_full_event is None
            and not self._lock.locked()
            and conn.pgconn.transaction_status == TransactionStatus.IDLE
            and conn._created_at > self._drained_at
            and conn._expire_at > time.monotonic()
        ):
            conn._pool = None
            self._pool.append(conn)
            return
        await super().putconn(conn)

    async def _get_ready_connection(self, timeout: float | None) -> AsyncConnection[Any] | None:
        if len(self._pool) > 1:
            self._pool.rotate(1)  # the last returned first; the others keep their order
        return await super()._get_ready_connection(timeout)


async def check_connection(conn: AsyncConnection[Any]) -> None:
    """The pool's `check`: raise if the connection is not usable, without a round trip when
    it was handed out recently and its socket is quiet."""
    pgconn = conn.pgconn
    now = time.monotonic()
    handed_out_at: float | None = getattr(conn, HANDED_OUT_AT, None)
    setattr(conn, HANDED_OUT_AT, now)
    if (
        conn.broken
        or pgconn.status != ConnStatus.OK
        or pgconn.transaction_status != TransactionStatus.IDLE
        or handed_out_at is None
        or now - handed_out_at > FULL_CHECK_IDLE_S
        or socket_readable(pgconn.socket)
    ):
        await AsyncConnectionPool.check_connection(conn)


async def fetch_one(
    pool: AsyncConnectionPool,
    query: str | sql.Composed,
    params: tuple[Any, ...],
    *,
    binary: bool = False,
) -> tuple[Any, ...] | None:
    """The first row of an idempotent read; once more on another connection when the
    connection broke under it (its backend killed, the server restarted).

    getconn/putconn rather than `pool.connection()`: the context manager adds a generator
    frame and a COMMIT check through the connection's lock (an autocommit read has nothing
    to commit), ~20 us of CPU a read (measured, uvloop, 1,500 reads)."""
    return await _once_more_if_broken(pool, lambda conn: _first_row(conn, query, params, binary))


async def fetch_value(
    pool: AsyncConnectionPool, read: PreparedValue, params: tuple[object, ...]
) -> bytes | None:
    """`read`'s one value (api/prepared_value.py), retried once like `fetch_one`."""
    return await _once_more_if_broken(pool, lambda conn: read.value(conn, params))


async def _once_more_if_broken(
    pool: AsyncConnectionPool, read: Callable[[AsyncConnection[Any]], Awaitable[T]]
) -> T:
    """`read` on a pooled connection; once more on another when the connection broke under
    it (an idempotent read only)."""
    conn = await pool.getconn()
    try:
        return await read(conn)
    except OperationalError:
        if not conn.broken:
            raise
    finally:
        await pool.putconn(conn)
    conn = await pool.getconn()
    try:
        return await read(conn)
    finally:
        await pool.putconn(conn)


async def _first_row(
    conn: AsyncConnection[Any], query: str | sql.Composed, params: tuple[Any, ...], binary: bool
) -> tuple[Any, ...] | None:
    cur = await conn.execute(query, params, binary=binary)
    return await cur.fetchone()
