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
from typing import TYPE_CHECKING, Any

from mimamori.hub.cli.common import CommandError, Invocation, command

if TYPE_CHECKING:
    from mimamori.hub.store.port_quarantine import QuarantineStore


async def _list(run: Invocation) -> None:
    store: QuarantineStore = await run.store()
    entries = await store.quarantined(run.args.limit, failures_only=run.args.failures)
    for e in entries:
        what = "FAILED " if e.item.failure else "refused"
        print(
            f"{e.id}\t{e.at:%Y-%m-%d %H:%M:%S}Z\t{what}\t{e.item.source}"
            f"\t{e.item.gateway_id or '-'}\t{e.item.reason}\t{e.item.detail[:120]}"
        )
    if not entries:
        print("the quarantine is empty")


async def _show(run: Invocation) -> None:
    store: QuarantineStore = await run.store()
    entry = await store.quarantine_entry(run.args.id)
    if entry is None:
        raise CommandError(
            f"隔離された項目 {run.args.id} はありません",
            f"no entry {run.args.id} in the quarantine",
        )
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


async def _clear(run: Invocation) -> None:
    store: QuarantineStore = await run.store()
    removed = await store.clear_quarantine(run.args.up_to)
    print(f"{removed} entries cleared")


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
    listing.set_defaults(func=command("hub quarantine list", _list))
    show = verbs.add_parser("show", help="one entry, with its payload")
    show.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    show.add_argument("id", type=int, metavar="ID")
    show.set_defaults(func=command("hub quarantine show", _show))
    clear = verbs.add_parser("clear", help="forget entries up to an id")
    clear.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    clear.add_argument("--up-to", type=int, required=True, metavar="ID")
    clear.set_defaults(func=command("hub quarantine clear", _clear))
