"""asyncio helpers of the gateway."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


async def run_to_end(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` to its end even if we are cancelled meanwhile (then re-raise).

    For writes that must not stop half-way: an outbox append the rules started
    (or they would have decided events that exist nowhere), a delete of what the
    broker acknowledged (or the outbox's depth would count rows that are gone).
    """
    task = asyncio.ensure_future(coro)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await task
        raise
