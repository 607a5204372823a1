"""Fixtures for driver tests: run a driver's observations in a task and wait for them."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from mimamori.edge.drivers.base import Driver
from mimamori.edge.observations import Observation
from mimamori.firmware_sim.button import SimButton
from mimamori.firmware_sim.receiver import SimReceiver

Obs = TypeVar("Obs", bound=Observation)
WAIT_S = 5.0  # generous for a loaded CI machine; the happy path takes milliseconds


class Observed:
    """What a driver yielded, in order, with a way to wait for the next of a kind."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self.seen: list[Observation] = []
        self._queue: asyncio.Queue[Observation] = asyncio.Queue()

    async def pump(self) -> None:
        async for observation in self.driver.observations():
            self.seen.append(observation)
            self._queue.put_nowait(observation)

    async def next(
        self, kind: type[Obs], where: Callable[[Obs], bool] = lambda _: True, within: float = WAIT_S
    ) -> Obs:
        """The next observation of ``kind`` matching ``where`` (others are passed over)."""
        async with asyncio.timeout(within):
            while True:
                observation = await self._queue.get()
                if isinstance(observation, kind) and where(observation):
                    return observation


@asynccontextmanager
async def observing(driver: Driver) -> AsyncIterator[Observed]:
    observed = Observed(driver)
    task = asyncio.create_task(observed.pump(), name=f"driver {driver.id}")
    try:
        yield observed
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(condition: Callable[[], Any], within: float = WAIT_S) -> None:
    """Wait for a condition that a real-time process (a backoff timer) makes true.

    Polling, because the condition is a counter inside the driver with no event to
    wait on; used only to let real retries happen, never to wait for logic.
    """
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.01)


@asynccontextmanager
async def observing_up(driver: Driver) -> AsyncIterator[Observed]:
    """``observing``, from the moment the driver's link is up (port open, scanner started).

    What the hardware sends before that is lost on purpose (pyserial flushes a port it
    opens), so tests that send first wait for this.
    """
    async with observing(driver) as observed:
        await until(lambda: driver.status().state == "up")
        yield observed


Observe = Callable[[Driver], AbstractAsyncContextManager[Observed]]
Until = Callable[..., Coroutine[Any, Any, None]]


@pytest.fixture
def observe() -> Observe:
    """``async with observe(driver) as observed:`` runs the driver until the block ends."""
    return observing


@pytest.fixture
def observe_up() -> Observe:
    """``async with observe_up(driver) as observed:`` as observe, once the link is up."""
    return observing_up


@pytest.fixture
def wait_until() -> Until:
    return until


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimReceiver]:
    """A receiver board plugged in at ``tmp_path/rx``, heartbeats sent by hand."""
    receiver = SimReceiver(tmp_path / "rx")
    receiver.plug()
    yield receiver
    receiver.close()


@pytest.fixture
def sim_button(tmp_path: Path) -> Iterator[SimButton]:
    """A check-in button unit plugged in at ``tmp_path/button``, heartbeats sent by hand."""
    unit = SimButton(tmp_path / "button", rng=random.Random(4))
    unit.plug()
    yield unit
    unit.close()
