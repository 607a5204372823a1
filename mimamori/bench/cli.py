"""``mimamori bench ...``: benchmarks that print figures (and JSON with --json)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _alerts(args: argparse.Namespace) -> int:
    if args.outage:
        from mimamori.bench.outage import main as outage

        return outage(args.outage, args.json)
    from mimamori.bench.alerts import main

    return main(args.events, args.gap_s, args.json)


def _cases(args: argparse.Namespace) -> int:
    from mimamori.bench.cases import main

    return main(args.reports, args.json)


def _found(args: argparse.Namespace) -> int:
    from mimamori.bench.found import main

    return main(args.samples, args.json)


def _rollcall(args: argparse.Namespace) -> int:
    from mimamori.bench.rollcall import main

    return main(args.households, args.answers, args.json)


def _line(args: argparse.Namespace) -> int:
    from mimamori.bench.line import main

    return main(args.notices, args.limit, args.kill_at, args.json)


def _sightings(args: argparse.Namespace) -> int:
    from mimamori.bench.sightings import main

    return main(args.samples, args.json)


def _eid(args: argparse.Namespace) -> int:
    from mimamori.bench.eid import main

    sizes = [int(n) for n in args.tags.split(",")]
    return main(sizes, args.lookups, args.json)


def _desk(args: argparse.Namespace) -> int:
    from mimamori.bench.desk import main

    return main(args.people, args.households, args.rounds, args.json)


def _purge(args: argparse.Namespace) -> int:
    from mimamori.bench.purge import main

    return main(args.rows, args.json)


def _pgsize(args: argparse.Namespace) -> int:
    from mimamori.bench.pg_size import main

    return main(args.days, args.per_day, args.tags, args.gateways, args.json)


def _edge(args: argparse.Namespace) -> int:
    from mimamori.bench.edge import EdgeSizes, main

    sizes = EdgeSizes(
        adverts=args.adverts,
        tags=args.tags,
        rate=args.rate,
        cpu_s=args.cpu_s,
        hours=args.hours,
        interval_s=args.advert_interval_s,
        outbox_events=args.outbox_events,
    )
    return main(sizes, args.json)


def _hub(args: argparse.Namespace) -> int:
    from mimamori.bench.hub_ingest import main

    return main(args.events, args.gateways, args.batch, args.store, args.json, workers=args.workers)


def _town(args: argparse.Namespace) -> int:
    from mimamori.bench.town import TownSizes, main

    sizes = TownSizes(
        gateways=args.gateways,
        tags=args.tags,
        households=args.households,
        minutes=args.minutes,
        seed=args.seed,
        real_edges=args.real_edges,
        miss_share=args.miss_share,
        area_km2=args.area_km2,
        status_interval_s=args.status_interval_s,
        warmup_s=args.warmup_s,
        hub_config=args.hub_config,
    )
    return main(sizes, args.json)


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 0.9:
        raise argparse.ArgumentTypeError(f"{text} is not a share between 0 and 0.9")
    return value


def _not_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is below zero")
    return value


def add_town_parser(kinds: Any) -> None:
    """``town``: under ``mimamori sim`` (the command) and ``mimamori bench`` (the same)."""
    town = kinds.add_parser(
        "town",
        help="a whole town against the real broker and hub: hub CPU, memory, ingest and "
        "alert latency",
    )
    town.add_argument(
        "--gateways",
        type=_positive(int),
        default=2000,
        help="watch points (vending machines, shops), one MQTT connection each",
    )
    town.add_argument(
        "--tags",
        type=_positive(int),
        default=500,
        help="people walking with tags between nearby watch points",
    )
    town.add_argument(
        "--households",
        type=_not_negative,
        default=1000,
        help="homes, each with its own home gateway and check-in button",
    )
    town.add_argument(
        "--minutes", type=_positive(float), default=10.0, help="length of the measured window"
    )
    town.add_argument("--seed", type=int, default=1, help="same seed, same town")
    town.add_argument(
        "--real-edges",
        type=_not_negative,
        default=3,
        help="watch points run by real `mimamori edge` processes on ptys",
    )
    town.add_argument(
        "--miss-share",
        type=_share,
        default=0.05,
        help="share of households that do not press (their ladder opens an alert)",
    )
    town.add_argument(
        "--area-km2",
        type=_positive(float),
        default=None,
        help="the town's area (default: Ginowan's 19.8 km² per 2,000 gateways)",
    )
    town.add_argument(
        "--status-interval-s",
        type=_positive(float),
        default=60.0,
        help="how often each gateway refreshes its retained status",
    )
    town.add_argument(
        "--warmup-s",
        type=float,
        default=None,
        help="seconds between every gateway announced and the window "
        "(default: 60, or a quarter of a shorter window)",
    )
    town.add_argument(
        "--hub-config",
        type=Path,
        default=None,
        metavar="FILE",
        help="a hub YAML whose `hub:` section (its database above all) the hub "
        "uses; the town writes broker, HTTP and the registry",
    )
    town.add_argument("--json", action="store_true", help="one JSON object")
    town.set_defaults(func=_town)


def _positive(kind: type[int] | type[float]) -> Any:
    def parse(text: str) -> int | float:
        value = kind(text)
        if value <= 0:
            raise argparse.ArgumentTypeError(f"{text} is not above zero")
        return value

    return parse


def _add_edge(kinds: Any) -> None:
    edge = kinds.add_parser(
        "edge", help="gateway: pipeline adverts/s, memory, CPU, uplink economy, outbox replay"
    )
    edge.add_argument(
        "--adverts", type=_positive(int), default=300_000, help="advert lines through the pipeline"
    )
    edge.add_argument("--tags", type=_positive(int), default=1_000, help="tags at the site")
    edge.add_argument(
        "--rate", type=_positive(int), default=200, help="adverts a second at the busy site"
    )
    edge.add_argument(
        "--cpu-s",
        type=_positive(float),
        default=20.0,
        help="seconds the busy site's CPU is measured",
    )
    edge.add_argument(
        "--hours",
        type=_positive(float),
        default=1.0,
        help="how long the tag lingers for the uplink economy (virtual time)",
    )
    edge.add_argument(
        "--advert-interval-s",
        type=_positive(float),
        default=1.0,
        help="the lingering tag's advert interval",
    )
    edge.add_argument(
        "--outbox-events",
        type=_positive(int),
        default=100_000,
        help="events buffered during the outage",
    )
    edge.add_argument("--json", action="store_true", help="one JSON object")
    edge.set_defaults(func=_edge)


def _add_hub(kinds: Any) -> None:
    hub = kinds.add_parser("hub", help="hub ingest events/s, against the broker's own rate")
    hub.add_argument("--events", type=_positive(int), default=200_000, help="events to send")
    hub.add_argument(
        "--gateways", type=_positive(int), default=100, help="gateways the publisher plays"
    )
    hub.add_argument(
        "--batch",
        type=_positive(int),
        default=100,
        help="events a message (a gateway's uplink sends up to 100)",
    )
    # Checked by hub_ingest.main against its STORES: importing them here would load the
    # hub's stack into every ``mimamori`` command, ``mimamori edge`` included.
    hub.add_argument("--store", default="sqlite", help="the hub's store: sqlite, postgres")
    hub.add_argument(
        "--workers",
        type=_positive(int),
        default=0,
        help="PostgreSQL: this many hub worker processes share the events "
        "(default: the hub's ingest in the bench's own process)",
    )
    hub.add_argument("--json", action="store_true", help="one JSON object")
    hub.set_defaults(func=_hub)


def _add_people_side(kinds: Any) -> None:
    """The benches of the people who run the network: LINE, partners' reports, finders,
    roll-calls."""
    line = kinds.add_parser(
        "line", help="LINE fan-out: N queued notices to a rate-limited LINE across a hub SIGKILL"
    )
    line.add_argument("--notices", type=_positive(int), default=10_000, help="notices queued")
    line.add_argument(
        "--limit", type=_positive(int), default=2000,
        help="pushes a second the local LINE accepts (LINE documents 2,000)",
    )  # fmt: skip
    line.add_argument(
        "--kill-at", type=float, default=0.5, help="share of notices accepted at the hub's kill"
    )
    line.add_argument("--json", action="store_true", help="one JSON object")
    line.set_defaults(func=_line)
    cases = kinds.add_parser("cases", help="partner report -> case on the desk, p50/p99")
    cases.add_argument("--reports", type=int, default=200, help="reports, one per home")
    cases.add_argument("--json", action="store_true", help="one JSON object")
    cases.set_defaults(func=_cases)
    found = kinds.add_parser(
        "found", help="a finder's 保護しています -> the family's notice delivered, p50/p99"
    )
    found.add_argument("--samples", type=int, default=100, help="taps, one thread each")
    found.add_argument("--json", action="store_true", help="one JSON object")
    found.set_defaults(func=_found)
    rollcall = kinds.add_parser("rollcall", help="a town's safety roll-call: asked, answers")
    rollcall.add_argument("--households", type=int, default=10_000, help="households asked")
    rollcall.add_argument("--answers", type=int, default=100, help="link answers timed")
    rollcall.add_argument("--json", action="store_true", help="one JSON object")
    rollcall.set_defaults(func=_rollcall)


def add_parser(sub: Any) -> None:
    bench = sub.add_parser("bench", help="benchmarks that print figures")
    kinds = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    _add_edge(kinds)
    _add_hub(kinds)
    add_town_parser(kinds)
    sightings = kinds.add_parser(
        "e2e",
        aliases=["sightings"],
        help="end to end: receiver line -> page live stream latency, normal and in a search",
    )
    sightings.add_argument("--samples", type=int, default=40, help="adverts per mode")
    sightings.add_argument("--json", action="store_true", help="one JSON object")
    sightings.set_defaults(func=_sightings)
    alerts = kinds.add_parser("alerts", help="event -> delivered notification latency")
    alerts.add_argument("--events", type=int, default=50, help="one SOS in each of N homes")
    alerts.add_argument("--gap-s", type=float, default=0.1, help="seconds between events")
    alerts.add_argument(
        "--outage", type=int, default=0, metavar="N",
        help="instead: N alerts escalating at once (a town-wide outage); steps' lateness",
    )  # fmt: skip
    alerts.add_argument("--json", action="store_true", help="one JSON object")
    alerts.set_defaults(func=_alerts)
    _add_people_side(kinds)
    eid = kinds.add_parser("eid", help="rotating tag ids: resolution cost as tags grow")
    eid.add_argument(
        "--tags", default="100,1000,10000", metavar="N,N,...", help="numbers of tags to try"
    )
    eid.add_argument("--lookups", type=int, default=20_000, help="adverts resolved per size")
    eid.add_argument("--json", action="store_true", help="one JSON object")
    eid.set_defaults(func=_eid)
    desk = kinds.add_parser(
        "desk", help="the desk's lists, searches and person pages with a city's register"
    )
    desk.add_argument("--people", type=_positive(int), default=10_000, help="people watched")
    desk.add_argument("--households", type=_positive(int), default=5_000, help="their homes")
    desk.add_argument(
        "--rounds", type=_positive(int), default=50, help="times each request is asked"
    )
    desk.add_argument("--json", action="store_true", help="one JSON object")
    desk.set_defaults(func=_desk)
    purge = kinds.add_parser("purge", help="retention purge and migration 9 on N sightings")
    purge.add_argument("--rows", type=int, default=200_000, help="old sightings to purge")
    purge.add_argument("--json", action="store_true", help="one JSON object")
    purge.set_defaults(func=_purge)
    pgsize = kinds.add_parser(
        "pgsize", help="PostgreSQL: bytes per event, index sizes, query times on a big table"
    )
    # A town of Ginowan's size: 160 watch points, a few hundred tags (docs/postgres.md).
    pgsize.add_argument("--days", type=_positive(int), default=60, help="days of sightings")
    pgsize.add_argument("--per-day", type=_positive(int), default=40_000, help="events a day")
    pgsize.add_argument("--tags", type=_positive(int), default=500, help="tags in the town")
    pgsize.add_argument("--gateways", type=_positive(int), default=160, help="watch points")
    pgsize.add_argument("--json", action="store_true", help="one JSON object")
    pgsize.set_defaults(func=_pgsize)
