"""What every ``mimamori hub`` command shares: its config and its store, opened on
first use and closed whatever happens, and one way of saying what went wrong.

    async def _list(run: Invocation) -> int | None:
        quarantine: QuarantineStore = await run.store()
        ...

    listing.set_defaults(func=command("hub quarantine list", _list))

``command`` runs the work (a coroutine function on an event loop of its own, or a
plain function) and turns every failure into one message on standard error, in
Japanese and then in English, each line starting with the command's name (the people
who run these are technicians and staff in Japan; what they paste into a support
request should be readable by everyone). The exit code says what kind of failure:

    0  done
    1  refused or failed, said why: no such account, a database that cannot be
       opened, a file that cannot be written
    2  the command line or the config file is wrong (as argparse and ``mimamori check``)

Only the standard library is imported at the top: the parser is built for every
``mimamori`` command, also on gateways without the hub's packages.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mimamori.configfile import YamlDocument
    from mimamori.hub.config import HubConfig
    from mimamori.hub.register.registry import Registry
    from mimamori.hub.store.port import Store

OK, REFUSED, USAGE = 0, 1, 2


class CommandError(Exception):
    """A command cannot do what was asked: why, in Japanese and in English."""

    def __init__(self, ja: str, en: str, *, code: int = REFUSED) -> None:
        super().__init__(en)
        self.ja, self.en, self.code = ja, en, code


class Invocation:
    """One run of a command: its arguments, and its hub config and store, each made on
    first use (a command that refuses its arguments opens nothing)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._config: HubConfig | None = None
        self._store: Store | None = None

    @property
    def config(self) -> HubConfig:
        """The hub's config from ``--config``; ConfigError if it is not valid."""
        if self._config is None:
            from mimamori.hub.config import load_hub_config

            self._config = load_hub_config(Path(self.args.config))
        return self._config

    def service_config(self) -> tuple[HubConfig, YamlDocument | None]:
        """The hub's service settings from ``--config``, and the register's keys the file
        may still hold (None: none), for the command that moves them (``hub import``)."""
        from mimamori.hub.config import load_service

        self._config, register = load_service(Path(self.args.config))
        return self._config, register

    async def store(self) -> Store:
        """The database the config names, migrated; closed when the command ends."""
        if self._store is None:
            from mimamori.hub.store.opening import open_store

            self._store = await open_store(self.config.hub.database)
        return self._store

    async def registry(self) -> Registry:
        """The register in the database, as the hub's lookups."""
        from mimamori.hub.register.loading import load_registry

        return await load_registry(await self.store())

    async def finish(self, work: Awaitable[int | None]) -> int | None:
        try:
            return await work
        finally:
            if self._store is not None:
                await self._store.close()


Work = Callable[[Invocation], Awaitable[int | None] | int | None]


def command(name: str, work: Work) -> Callable[[argparse.Namespace], int]:
    """The ``func`` argparse calls for ``mimamori NAME``: runs ``work`` and says any
    failure one way (module docstring); returns the exit code."""

    def run(args: argparse.Namespace) -> int:
        from mimamori.errors import ConfigError, StoreError

        invocation = Invocation(args)
        try:
            done = work(invocation)
            if inspect.isawaitable(done):
                done = asyncio.run(invocation.finish(done))
        except CommandError as exc:
            say(name, exc.ja, exc.en)
            return exc.code
        except ConfigError as exc:
            say(name, "設定ファイルに誤りがあります", "the config file has mistakes")
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            return USAGE
        except StoreError as exc:
            say(name, "データベースを使えません（理由は次の行）", str(exc))
            return REFUSED
        except OSError as exc:
            say(name, "ファイルを読み書きできません（理由は次の行）", str(exc))
            return REFUSED
        return OK if done is None else int(done)

    return run


def an_id(what: str) -> Callable[[str], str]:
    """An argparse type: an id as the config and the wire write them (lower-case
    letters, digits, ``._-``, at most 63), or a command-line error naming ``what``."""

    def parse(text: str) -> str:
        from mimamori.protocol.topics import ID_PATTERN  # not for every command's parser

        if re.match(ID_PATTERN, text) is None:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} ([a-z0-9._-], at most 63)")
        return text

    return parse


def say(name: str, ja: str, en: str) -> None:
    """A failure, as every command says it: Japanese first, then English."""
    print(f"mimamori {name}: {ja}\nmimamori {name}: {en}", file=sys.stderr)
