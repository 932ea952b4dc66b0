"""One value read straight over libpq (psycopg.pq) on a pooled connection: a statement
prepared by name once per connection, its parameters as text, the value back in binary.

Used for the tile functions, whose answer is one bytea. Measured in one process on uvloop,
the same z14 tiles read in turn three ways (900 reads, 3 runs, medians): psycopg's async
`execute` + `fetchone` took 53-61 us more than the benchmark's synchronous psycopg read
(its raw-SQL reference), this path 56-67 us less. The difference is psycopg's work around
the statement (cursor, query and parameter conversion, prepared-statement bookkeeping, row
making) and its wait (a timer per wait beside the reader), not the SQL: the statement, the
role and the connection's settings are the same (the pool's statement timeout and jit=off
apply).

Errors are psycopg's: a failed statement raises the class of its SQLSTATE (a statement
timeout is QueryCanceled, 57014) with its diagnostics; a connection that breaks raises
OperationalError and is `broken`, so `api.pooled_reads.fetch_value` retries it once and
the pool discards it. A request cancelled mid-read leaves the connection busy, and the pool
discards it when it comes back (not IDLE).
"""

from __future__ import annotations

import asyncio
from typing import Any

from psycopg import AsyncConnection, errors, pq

# The names prepared on a connection by this module (kept on the connection: a new
# connection, as after a reconnect, prepares again).
PREPARED_ON = "_halo_prepared_values"
BINARY = 1


class PreparedValue:
    """A one-value read: `query` with $1, $2 ... placeholders, prepared as `name`."""

    def __init__(self, name: str, query: str) -> None:
        self.name = name.encode()
        self.query = query.encode()

    async def value(self, conn: AsyncConnection[Any], params: tuple[object, ...]) -> bytes | None:
        """The first column of the first row (None for no row or NULL), in binary."""
        pgconn = conn.pgconn
        prepared: set[bytes] | None = getattr(conn, PREPARED_ON, None)
        if prepared is None:
            prepared = set()
            setattr(conn, PREPARED_ON, prepared)
        if self.name not in prepared:
            pgconn.send_prepare(self.name, self.query)
            await _result(pgconn, pq.ExecStatus.COMMAND_OK)
            prepared.add(self.name)
        pgconn.send_query_prepared(
            self.name, [str(p).encode() for p in params], result_format=BINARY
        )
        result = await _result(pgconn, pq.ExecStatus.TUPLES_OK)
        if result.ntuples == 0:
            return None
        return result.get_value(0, 0)


async def _result(pgconn: pq.abc.PGconn, expected: pq.ExecStatus) -> pq.abc.PGresult:
    """Flush the sent command and wait for its result (the last of its results); raise the
    statement's error or OperationalError when the connection broke."""
    loop = asyncio.get_running_loop()
    fd = pgconn.socket
    while pgconn.flush():  # 1: the socket's buffer is full; wait until it takes more
        await _ready(loop, fd, writing=True)
    result: pq.abc.PGresult | None = None
    while True:
        # Read only once the socket is readable: right after sending, the answer is not there
        # yet, and a read then is one system call for nothing.
        if pgconn.is_busy():
            await _ready(loop, fd, writing=False)
            pgconn.consume_input()
            continue
        last = pgconn.get_result()
        if last is None:
            break
        result = last
    if result is None:
        raise errors.OperationalError(f"no result: {pgconn.get_error_message()}")
    if result.status != expected:
        if result.status == pq.ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result)
        raise errors.InternalError(f"unexpected result {pq.ExecStatus(result.status).name}")
    return result


async def _ready(loop: asyncio.AbstractEventLoop, fd: int, writing: bool) -> None:
    """Wait until the socket is readable (or writable)."""
    ready = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    if writing:
        loop.add_writer(fd, wake)
        try:
            await ready
        finally:
            loop.remove_writer(fd)
    else:
        loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            loop.remove_reader(fd)
