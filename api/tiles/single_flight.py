"""One render per missing answer, however many requests ask for it at once (single flight).

The first request of a missing answer renders it itself, in its own task; the requests that
come while it renders wait for its answer. A task per render (the design before) cost an
uncached z14 tile ~20 us more in the server: one more turn of the event loop and a shield
(A/B with the memory cache on and every answer evicted, docs/map-api.md). If the first
request is cancelled mid-render (the server stopping, a client's task cancelled), the render
starts again in a task of its own, so those waiting still get their answer and nobody's
cancellation becomes another request's error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Concurrent `run`s of one key share one call of `produce`."""

    def __init__(self) -> None:
        self._answers: dict[Hashable, asyncio.Future[T]] = {}

    async def run(self, key: Hashable, produce: Callable[[], Awaitable[T]]) -> T:
        """`produce()`'s value, or the value of the call already running for `key`."""
        shared = self._answers.get(key)
        if shared is not None:
            # Shielded: a waiter that goes away does not cancel the answer others wait for.
            return await asyncio.shield(shared)
        shared = asyncio.get_running_loop().create_future()
        self._answers[key] = shared
        try:
            value = await produce()
        except asyncio.CancelledError:
            again = asyncio.ensure_future(produce())
            again.add_done_callback(lambda done: self._settle(key, shared, done))
            raise
        except BaseException as exc:
            self._answers.pop(key, None)
            shared.set_exception(exc)
            shared.exception()  # retrieved: an error nobody else waited for is not logged as lost
            raise
        self._answers.pop(key, None)
        shared.set_result(value)
        return value

    def __len__(self) -> int:
        """Keys being produced now."""
        return len(self._answers)

    def _settle(self, key: Hashable, shared: asyncio.Future[T], done: asyncio.Future[T]) -> None:
        """Hand the render started again after a cancellation to those waiting."""
        self._answers.pop(key, None)
        if done.cancelled():
            shared.cancel()
        elif (error := done.exception()) is not None:
            shared.set_exception(error)
            shared.exception()
        else:
            shared.set_result(done.result())
