"""One connection, one writer at a time: a store's methods run one after another.

The hub's store shares one aiosqlite connection between its tasks (ingest, the alert
engine, the delivery worker, requests); the gateway's outbox, between the rules and
the uplink. A transaction on a connection is the
connection's, not the task's: a statement another task sends while a transaction is
open would land inside it (or ``BEGIN`` would fail: "cannot start a transaction within
a transaction"). So every public store method holds the store's lock for its whole
run. The lock is re-entrant per task, so a method may call another.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S", bound="Serialized")


class Serialized:
    __lock: asyncio.Lock | None = None
    __holder: asyncio.Task[Any] | None = None

    @asynccontextmanager
    async def _serial(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self.__holder is task:
            yield  # this task holds it already
            return
        if self.__lock is None:
            self.__lock = asyncio.Lock()
        async with self.__lock:
            self.__holder = task
            try:
                yield
            finally:
                self.__holder = None


def serialized(
    method: Callable[Concatenate[S, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    async def run(store: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        async with store._serial():
            return await method(store, *args, **kwargs)

    run.__name__, run.__qualname__, run.__doc__ = (
        method.__name__,
        method.__qualname__,
        method.__doc__,
    )
    return run
