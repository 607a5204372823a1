"""``mimamori sim ...``: run the simulated hardware.

    mimamori sim walk --scenario FILE
    mimamori sim receiver --link PATH [--tag TAG] [--rssi -60] [--every 1.0]

Both run until SIGINT or SIGTERM, then unplug their receivers (the links go away)
and exit 0. Only the standard library is imported here: this module is loaded to
build the parser of every ``mimamori`` command.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .receiver import SimReceiver


def add_parser(sub: Any) -> None:
    sim = sub.add_parser("sim", help="simulated receivers, tags and walkers")
    commands = sim.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND")

    walk = commands.add_parser(
        "walk", help="run a scenario: receivers on pseudo-terminals, people walking with tags"
    )
    walk.add_argument("--scenario", required=True, type=Path, metavar="FILE", help="scenario YAML")
    walk.set_defaults(func=_cmd_walk)

    receiver = commands.add_parser(
        "receiver", help="one receiver on a pseudo-terminal, optionally with a tag nearby"
    )
    receiver.add_argument(
        "--link",
        required=True,
        type=Path,
        metavar="PATH",
        help="symlink to create for the receiver's serial port",
    )
    receiver.add_argument(
        "--tag",
        default=None,
        metavar="TAG",
        help="a tag id (ibeacon:... or eddystone-uid:...) to report",
    )
    receiver.add_argument("--rssi", type=int, default=-60, help="RSSI of the tag's adverts (dBm)")
    receiver.add_argument(
        "--every",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between the tag's adverts",
    )
    receiver.add_argument(
        "--heartbeat",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds between heartbeat lines",
    )
    receiver.set_defaults(func=_cmd_receiver)


def _run_until_signal(work: Coroutine[Any, Any, None]) -> int:
    """Run ``work`` until it ends or SIGINT/SIGTERM arrives; cancel it cleanly then."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        task = asyncio.create_task(work, name="sim")
        stopper = asyncio.create_task(stop.wait(), name="signal")
        await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for pending in (task, stopper):
            pending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task  # re-raises the error if the work failed on its own

    asyncio.run(main())
    return 0


def _cmd_walk(args: argparse.Namespace) -> int:
    from .scene import Scene, load_scenario

    scene = Scene(load_scenario(args.scenario))

    async def work() -> None:
        scene.plug()
        for placed in scene.receivers:
            spec = placed.spec
            print(f"receiver {spec.id}: {spec.link} -> {placed.sim.device}", flush=True)
        print(f"{len(scene.tags)} tag(s) walking; Ctrl-C to stop", flush=True)
        await scene.run()

    try:
        return _run_until_signal(work())
    except OSError as exc:
        print(f"mimamori sim walk: {exc}", file=sys.stderr)
        return 1


def _cmd_receiver(args: argparse.Namespace) -> int:
    from .frames import adv_for_tag
    from .receiver import SimReceiver

    adv = b""
    if args.tag is not None:
        try:
            adv = adv_for_tag(args.tag)
        except ValueError as exc:
            print(f"mimamori sim receiver: --tag: {exc}", file=sys.stderr)
            return 2
    if args.every <= 0 or args.heartbeat <= 0:
        print("mimamori sim receiver: --every and --heartbeat must be positive", file=sys.stderr)
        return 2
    sim = SimReceiver(args.link, heartbeat_s=args.heartbeat)

    async def work() -> None:
        sim.plug()
        print(f"receiver: {sim.link} -> {sim.device}", flush=True)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(sim.run(), name="heartbeat")
                if adv:
                    group.create_task(_advertise(sim, adv, args.rssi, args.every), name="tag")
        finally:
            sim.unplug()

    try:
        return _run_until_signal(work())
    except OSError as exc:
        print(f"mimamori sim receiver: {exc}", file=sys.stderr)
        return 1


async def _advertise(sim: SimReceiver, adv: bytes, rssi: int, every: float) -> None:
    address = "C0:FF:EE:00:00:01"  # a random static address (top bits 11)
    while True:
        sim.advert(address, rssi, adv)
        await asyncio.sleep(every)
