"""Keeping the registry up to date as the register changes.

In the worker that made a change, at once: the change service awaits ``changed``
after its commit, so the caller's next request sees it. In every other worker (and
after a change by a command, ``mimamori hub import`` say), within ``EVERY_S`` and the
time a reload takes: ``run`` polls the register's version, one small query, and
reloads when it moved (the pattern of ``live/follow.py``). A reload reads the whole
entries that changed since (``loading.load_changes``: the audit names them) and swaps
the new lookups into the one ``Registry`` every part holds
(``Registry.replace_with``): one synchronous step, no await in the middle.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from mimamori.errors import StoreError
from mimamori.hub.register.loading import load_changes
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port_register import RegisterStore

log = logging.getLogger(__name__)

# Staff expect another worker's page to show their change at once (the issue asks for
# about a second); one indexed read of one row, twice a second, costs nothing.
EVERY_S = 0.5


class RegistryReloader:
    """``before``: what must be read before the new register is taken in (outside the
    swap: the forgotten people's tags, so a person the change forgot is never a
    stranger for a moment); ``after``: what follows it (releasing a forgotten
    person's tag now given to someone else)."""

    def __init__(
        self,
        registry: Registry,
        store: RegisterStore,
        *,
        before: Sequence[Callable[[], Awaitable[None]]] = (),
        after: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        self.registry = registry
        self.store = store
        self.before = list(before)
        self.after = list(after)
        self.reloads = 0
        self._one = asyncio.Lock()

    async def reload(self) -> bool:
        """Read what changed in the register and take it in; whether anything had."""
        async with self._one:  # the poll and a change's own reload: one at a time
            started = time.perf_counter()
            fresh = await load_changes(self.store, self.registry)
            if fresh is None:
                return False
            await self._each(self.before)
            before = self.registry.version
            self.registry.replace_with(fresh)  # one synchronous step
            self.reloads += 1
            log.info(
                "register %d -> %d: %d people, %d households, %d watch points (%.0f ms)",
                before,
                fresh.version,
                len(fresh.people),
                len(fresh.households),
                len(fresh.gateways),
                (time.perf_counter() - started) * 1000,
            )
        await self._each(self.after)
        return True

    @staticmethod
    async def _each(hooks: Sequence[Callable[[], Awaitable[None]]]) -> None:
        for hook in hooks:
            try:
                await hook()
            except StoreError as exc:  # the reload stands; the next one tries again
                log.warning("around the register's reload: %s", exc)

    async def changed(self, version: int) -> None:
        """A change committed as ``version`` in this worker: show it at once."""
        if version > self.registry.version:
            await self.reload()

    async def run(self) -> None:
        failing = False
        while True:
            try:
                if await self.store.register_version() != self.registry.version:
                    await self.reload()
                if failing:
                    log.info("following the register's changes again")
                failing = False
            except StoreError as exc:
                if not failing:
                    log.warning("cannot follow the register's changes: %s", exc)
                failing = True
            await asyncio.sleep(EVERY_S)
