"""``mimamori hub quarantine ...``: what the hub set aside (docs/faults.md, "No poison").

    mimamori hub quarantine list --config FILE [--failures] [--limit N]
    mimamori hub quarantine show --config FILE ID
    mimamori hub quarantine clear --config FILE --up-to ID

``list`` shows the newest entries: when, from where, why. ``show`` prints one with its
payload as it came (escaped: it may be anything). ``clear`` forgets entries a
technician has looked at.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from mimamori.hub.store.port import Store

T = TypeVar("T")


async def _with_store(config_file: str, work: Callable[[Store], Awaitable[T]]) -> T:
    from mimamori.hub.config import load_hub_config
    from mimamori.hub.store.opening import open_store

    config = load_hub_config(Path(config_file))
    store = await open_store(config.hub.database)
    try:
        return await work(store)
    finally:
        await store.close()


def _list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        entries = await store.quarantined(args.limit, failures_only=args.failures)
        for e in entries:
            what = "FAILED " if e.item.failure else "refused"
            print(
                f"{e.id}\t{e.at:%Y-%m-%d %H:%M:%S}Z\t{what}\t{e.item.source}"
                f"\t{e.item.gateway_id or '-'}\t{e.item.reason}\t{e.item.detail[:120]}"
            )
        if not entries:
            print("the quarantine is empty")
        return 0

    return asyncio.run(_with_store(args.config, work))


def _show(args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        entry = await store.quarantine_entry(args.id)
        if entry is None:
            print(f"no entry {args.id} in the quarantine")
            return 1
        item = entry.item
        print(f"id:       {entry.id}\nat:       {entry.at.isoformat()}")
        print(f"source:   {item.source}\ngateway:  {item.gateway_id or '-'}")
        print(f"topic:    {item.topic or '-'}\nreason:   {item.reason}")
        print(f"failure:  {'yes (valid data the hub could not handle)' if item.failure else 'no'}")
        print(f"detail:   {item.detail}\nsize:     {entry.size} bytes")
        payload = item.payload or b""
        kept = f" (first {len(payload)} kept)" if len(payload) < entry.size else ""
        print(f"payload{kept}:")
        print(payload.decode("utf-8", "backslashreplace").encode("unicode_escape").decode())
        return 0

    return asyncio.run(_with_store(args.config, work))


def _clear(args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        removed = await store.clear_quarantine(args.up_to)
        print(f"{removed} entries cleared")
        return 0

    return asyncio.run(_with_store(args.config, work))


def _count(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"{value} is not between 1 and 10000")
    return value


def add_parser(actions: Any) -> None:
    quarantine = actions.add_parser("quarantine", help="what the hub set aside")
    verbs = quarantine.add_subparsers(dest="quarantine_command", required=True, metavar="ACTION")
    listing = verbs.add_parser("list", help="the newest entries")
    listing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    listing.add_argument("--failures", action="store_true", help="only what failed")
    listing.add_argument("--limit", type=_count, default=50, metavar="N", help="1 to 10000")
    listing.set_defaults(func=_list)
    show = verbs.add_parser("show", help="one entry, with its payload")
    show.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    show.add_argument("id", type=int, metavar="ID")
    show.set_defaults(func=_show)
    clear = verbs.add_parser("clear", help="forget entries up to an id")
    clear.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    clear.add_argument("--up-to", type=int, required=True, metavar="ID")
    clear.set_defaults(func=_clear)
