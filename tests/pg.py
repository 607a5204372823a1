"""Fresh PostgreSQL databases for tests: each a copy of one migrated template.

``CREATE DATABASE ... TEMPLATE`` copies the template's files (about 50 ms here),
far less than migrating every test's database anew.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from typing import Any

import asyncpg

from mimamori.demo.postgres import SUPERUSER, PrivatePostgres
from mimamori.hub.config import DatabaseSettings
from mimamori.hub.store.opening import open_store

TEMPLATE = "hub_template"


class PgDatabases:
    def __init__(self, cluster: PrivatePostgres) -> None:
        self.cluster = cluster
        self._names = itertools.count(1)
        self._template_ready = False
        self._lock = threading.Lock()

    async def _admin(self) -> Any:
        return await asyncpg.connect(
            host=self.cluster.host, port=self.cluster.port, user=SUPERUSER, database="postgres"
        )

    async def _fresh(self) -> dict[str, Any]:
        admin = await self._admin()
        try:
            if not self._template_ready:
                await admin.execute(f"CREATE DATABASE {TEMPLATE}")
                store = await open_store(
                    DatabaseSettings.model_validate(self.cluster.database(TEMPLATE))
                )
                await store.close()
                self._template_ready = True
            name = f"test_{next(self._names)}"
            await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE} STRATEGY FILE_COPY")
        finally:
            await admin.close()
        return self.cluster.database(name)

    def fresh(self) -> dict[str, Any]:
        """A new empty database at today's schema: its ``hub.database`` section.

        Callable from inside a running event loop (hub configs are built by plain
        functions): the work runs on a loop of its own in a thread."""
        with self._lock:
            result: list[dict[str, Any]] = []
            errors: list[BaseException] = []

            def run() -> None:
                try:
                    result.append(asyncio.run(self._fresh()))
                except BaseException as exc:
                    errors.append(exc)

            thread = threading.Thread(target=run, name="pg-fresh-database")
            thread.start()
            thread.join()
            if errors:
                raise errors[0]
            return result[0]
