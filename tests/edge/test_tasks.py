"""The asyncio helpers: where a task that does not end is waiting."""

from __future__ import annotations

import asyncio
import logging

import pytest

from mimamori.edge.tasks import log_pending_tasks, where_waiting


async def _inner(event: asyncio.Event) -> None:
    await event.wait()


async def _outer(event: asyncio.Event) -> None:
    await _inner(event)


async def _generator(event: asyncio.Event):  # type: ignore[no-untyped-def]
    await _outer(event)
    yield 1


async def _drain(event: asyncio.Event) -> None:
    async for _ in _generator(event):
        pass


async def test_a_waiting_task_is_placed_at_its_innermost_await() -> None:
    event = asyncio.Event()
    task = asyncio.create_task(_outer(event), name="stuck")
    await asyncio.sleep(0)
    where = where_waiting(task)
    assert where.startswith("test_tasks.py:")
    names = [step.rsplit(" ", 1)[-1] for step in where.split(" > ")]
    assert names == ["_outer", "_inner", "wait", "future"]
    event.set()
    await task


async def test_the_chain_goes_through_an_async_generator() -> None:
    event = asyncio.Event()
    task = asyncio.create_task(_drain(event))
    await asyncio.sleep(0)
    names = [step.rsplit(" ", 1)[-1] for step in where_waiting(task).split(" > ")]
    assert names[:4] == ["_drain", "_generator", "_outer", "_inner"]
    event.set()
    await task


async def test_every_pending_task_is_logged_by_name(caplog: pytest.LogCaptureFixture) -> None:
    event = asyncio.Event()
    task = asyncio.create_task(_outer(event), name="driver-vm")
    await asyncio.sleep(0)
    with caplog.at_level(logging.WARNING):
        log_pending_tasks(logging.getLogger("t"), "still stopping after 5 s")
    lines = [r.getMessage() for r in caplog.records]
    assert any("task driver-vm waits at" in line and "_inner" in line for line in lines)
    event.set()
    await task
