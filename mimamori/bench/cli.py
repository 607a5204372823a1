"""``mimamori bench ...``: benchmarks that print figures (and JSON with --json)."""

from __future__ import annotations

import argparse
from typing import Any


def _alerts(args: argparse.Namespace) -> int:
    from .alerts import main

    return main(args.events, args.gap_s, args.json)


def _sightings(args: argparse.Namespace) -> int:
    from .sightings import main

    return main(args.samples, args.json)


def _eid(args: argparse.Namespace) -> int:
    from .eid import main

    sizes = [int(n) for n in args.tags.split(",")]
    return main(sizes, args.lookups, args.json)


def _purge(args: argparse.Namespace) -> int:
    from .purge import main

    return main(args.rows, args.json)


def add_parser(sub: Any) -> None:
    bench = sub.add_parser("bench", help="benchmarks that print figures")
    kinds = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    alerts = kinds.add_parser("alerts", help="event -> delivered notification latency")
    alerts.add_argument("--events", type=int, default=50, help="one SOS in each of N homes")
    alerts.add_argument("--gap-s", type=float, default=0.1, help="seconds between events")
    alerts.add_argument("--json", action="store_true", help="one JSON object")
    alerts.set_defaults(func=_alerts)
    sightings = kinds.add_parser(
        "sightings", help="receiver line -> page live stream latency, normal and in a search"
    )
    sightings.add_argument("--samples", type=int, default=40, help="adverts per mode")
    sightings.add_argument("--json", action="store_true", help="one JSON object")
    sightings.set_defaults(func=_sightings)

    eid = kinds.add_parser("eid", help="rotating tag ids: resolution cost as tags grow")
    eid.add_argument(
        "--tags", default="100,1000,10000", metavar="N,N,...", help="numbers of tags to try"
    )
    eid.add_argument("--lookups", type=int, default=20_000, help="adverts resolved per size")
    eid.add_argument("--json", action="store_true", help="one JSON object")
    eid.set_defaults(func=_eid)
    purge = kinds.add_parser("purge", help="retention purge and migration 9 on N sightings")
    purge.add_argument("--rows", type=int, default=200_000, help="old sightings to purge")
    purge.add_argument("--json", action="store_true", help="one JSON object")
    purge.set_defaults(func=_purge)
