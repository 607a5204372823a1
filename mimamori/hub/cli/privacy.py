"""``mimamori hub purge`` and ``mimamori hub person ...``: keep only what is needed.

    mimamori hub purge --config FILE [--dry-run]
    mimamori hub person forget --config FILE ID (--dry-run | --yes)
    mimamori hub person export --config FILE ID [--output FILE]

They work on the hub's database while the hub runs (SQLite takes one writer at a
time; the hub waits for the command's transactions). See docs/privacy.md.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mimamori.hub.cli.common import CommandError, Invocation, command
from mimamori.hub.model.escalation import TimelineEntry

if TYPE_CHECKING:
    pass


def _operator() -> str:
    """Who ran the command, for the audit log."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid {os.getuid()}"


async def _purge(run: Invocation) -> None:
    from mimamori.hub.privacy.retention import describe, purge

    config = run.config
    report = await purge(
        await run.store(),  # the whole store: privacy.retention.purge takes it
        await run.registry(),
        config.hub.privacy,
        datetime.now(UTC),
        dry_run=run.args.dry_run,
    )
    print(describe(report))
    for kind, count in report.removed.items():
        print(f"  {kind}\t{count}")


def _person(registry: Any, person_id: str) -> Any:
    person = registry.people.get(person_id)
    if person is None:
        raise CommandError(
            f"{person_id!r} という人は登録されていません",
            f"no person {person_id!r} in the register",
        )
    return person


async def _forget(run: Invocation) -> None:
    from mimamori.errors import StoreError
    from mimamori.hub.privacy.admission import person_scope
    from mimamori.hub.register.forgetting import forget_writes

    args = run.args
    registry = await run.registry()
    person = _person(registry, args.id)
    scope = person_scope(registry, person.id, alone_only=True)
    store = await run.store()  # the privacy and the register ports
    try:
        writes = await forget_writes(store, registry, scope)
        report = await store.forget_person(
            scope, datetime.now(UTC), by=_operator(), dry_run=args.dry_run, register=writes
        )
    except StoreError as exc:
        raise CommandError(
            f"{person.id} の記録を消せませんでした（理由は次の行）", str(exc)
        ) from None
    verb = "would remove" if args.dry_run else "removed"
    print(f"{person.id} ({person.name}): {verb} {sum(report.removed.values())} record(s)")
    for what, count in report.removed.items():
        print(f"  {what}\t{count}")
    shared = [
        h.id for h in registry.households.values() if person.id in h.people and len(h.people) > 1
    ]
    if shared:
        print(f"kept: the check-ins of {', '.join(shared)}, shared with others")
    print("kept: the audit log (who viewed their location, and this forget)")
    if report.register:
        verb = "would leave" if args.dry_run else "left"
        gone = ", ".join(f"{kind} {entry_id}" for kind, entry_id in report.register)
        print(f"{verb} the register: {gone}; its audit keeps who changed them, not their data")
    if person.contacts or person.minsei:
        named = ", ".join([*person.contacts, *([person.minsei] if person.minsei else [])])
        print(f"kept: the contacts {named} (other people: remove them at the desk if unused)")
    if args.dry_run:
        print("nothing was changed: run again with --yes to forget them")
        return
    if report.blocked_tags:
        print(f"refused from now on: sightings of {', '.join(report.blocked_tags)}")


def _entry(entry: TimelineEntry) -> dict[str, Any]:
    found = {k: v for k, v in asdict(entry).items() if v is not None}
    return {**found, "at": entry.at.isoformat(timespec="seconds")}


async def _export(run: Invocation) -> None:
    from mimamori.hub.model.register import Entity
    from mimamori.hub.privacy.admission import person_scope

    args = run.args
    registry = await run.registry()
    person = _person(registry, args.id)
    scope = person_scope(registry, person.id, alone_only=False)
    now = datetime.now(UTC)
    store = await run.store()  # the privacy, register and audit ports
    records = await store.person_records(scope)
    for alert in records["alerts"]:  # every step of each alert: who was told, who answered
        alert["timeline"] = [_entry(e) for e in await store.alert_timeline(alert["id"])]
    changes = await store.register_audit_log(
        entity=Entity.PERSON, entity_id=person.id, limit=10_000
    )
    await store.audit(
        now,
        who=_operator(),
        role="admin",
        action="person.export",
        subject=f"person:{person.id}",
    )
    seen_at = {e["gateway"] for e in records["sightings"] + records["home_events"]}
    document = {
        "v": 1,
        "exported_at": now.isoformat(timespec="seconds"),
        "person": person.model_dump(mode="json"),
        "area": registry.areas[person.area].model_dump(mode="json")
        if person.area in registry.areas
        else None,
        "contacts": [  # in order; channels masked (secrets stay at the hub)
            registry.recipients[c].model_dump(mode="json")
            for c in [*person.contacts, *([person.minsei] if person.minsei else [])]
            if c in registry.recipients
        ],
        "families": [
            {"id": f.id, "name": f.name}
            for f in registry.families.values()
            if person.id in f.people
        ],
        "households": [registry.households[h].model_dump(mode="json") for h in scope.households],
        "gateways": {
            g.id: {"name": g.name, "lat": g.lat, "lon": g.lon, "site": g.site}
            for g in registry.gateways.values()
            if g.id in seen_at
        },
        **records,
        "register_changes": [_change(c) for c in reversed(changes)],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if args.output is None:
        sys.stdout.write(text)
        return
    # Personal data: readable by the operator only.
    fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    counts = ", ".join(f"{k} {len(v)}" for k, v in records.items())
    print(f"wrote {args.output}: {counts}", file=sys.stderr)


def _change(change: Any) -> dict[str, Any]:
    """One change to their register entry, as the audit keeps it."""

    def doc(text: str | None) -> Any:
        return None if text is None else json.loads(text)

    return {
        "at": change.at.isoformat(timespec="seconds"),
        "who": change.who,
        "role": change.role,
        "via": change.via,
        "action": change.action,
        "before": doc(change.before),
        "after": doc(change.after),
    }


def add_parser(actions: Any) -> None:
    purge = actions.add_parser("purge", help="purge sightings older than the retention")
    purge.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    purge.set_defaults(func=command("hub purge", _purge))

    person = actions.add_parser("person", help="one person's data: forget it, export it")
    person_actions = person.add_subparsers(dest="person_command", required=True, metavar="ACTION")
    forget = person_actions.add_parser("forget", help="delete what the hub keeps about a person")
    forget.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    forget.add_argument("id", metavar="ID")
    sure = forget.add_mutually_exclusive_group(required=True)
    sure.add_argument("--dry-run", action="store_true", help="show what would go, change nothing")
    sure.add_argument("--yes", action="store_true", help="really delete it")
    forget.set_defaults(func=command("hub person forget", _forget))
    export = person_actions.add_parser("export", help="everything kept about a person, as JSON")
    export.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    export.add_argument("id", metavar="ID")
    export.add_argument("--output", metavar="FILE", help="default: standard output")
    export.set_defaults(func=command("hub person export", _export))
