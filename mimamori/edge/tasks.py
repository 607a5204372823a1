"""asyncio helpers of the gateway."""

from __future__ import annotations

import asyncio
import gc
import inspect
import logging
from collections.abc import Coroutine
from pathlib import Path
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


def where_waiting(task: asyncio.Task[Any]) -> str:
    """Where a pending task waits: its chain of awaits, outermost first.

    ``Task.get_stack`` gives only the task's own frame; following ``cr_await``
    (and an async generator's ``ag_await``) down to the innermost frame names the
    line that does not return -- what a stop that hangs needs to be told apart.
    """
    steps: list[str] = []
    awaited: Any = task.get_coro()
    for _ in range(64):  # a chain of awaits is short; a bound in case it is not
        if type(awaited).__name__ in _ASYNC_GENERATOR_STEPS:
            # ``async for`` awaits the generator's step object, which only the
            # garbage collector links back to the generator it advances.
            awaited = next((r for r in gc.get_referents(awaited) if inspect.isasyncgen(r)), None)
        frame = getattr(awaited, "cr_frame", None) or getattr(awaited, "ag_frame", None)
        if frame is None:
            break
        code = frame.f_code
        steps.append(f"{Path(code.co_filename).name}:{frame.f_lineno} {code.co_name}")
        awaited = getattr(awaited, "cr_await", None) or getattr(awaited, "ag_await", None)
    if awaited is not None:
        steps.append("a future")
    return " > ".join(steps) or repr(task)


_ASYNC_GENERATOR_STEPS = frozenset({"async_generator_asend", "async_generator_athrow"})


def log_pending_tasks(log: logging.Logger, why: str) -> None:
    """Log every task of the running loop that has not ended, and where it waits."""
    for task in asyncio.all_tasks():
        if not task.done():
            log.warning("%s: task %s waits at %s", why, task.get_name(), where_waiting(task))
