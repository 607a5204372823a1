"""``mimamori sim ...``: run the simulated hardware.

    mimamori sim walk --scenario FILE
    mimamori sim receiver --link PATH [--tag TAG] [--rssi -60] [--every 1.0]
    mimamori sim button --link PATH [--every-s N --card genki] [--heartbeat-s 600]
                        [--answer-after-s N]

All run until SIGINT or SIGTERM, then unplug their boards (the links go away)
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
    from mimamori.firmware_sim.button import Reminder, SimButton
    from mimamori.firmware_sim.receiver import SimReceiver
    from mimamori.firmware_sim.serial_pty import SerialPty


def add_parser(sub: Any) -> Any:
    """Add ``mimamori sim``; returns its subcommands, so ``sim town`` (which runs the hub
    and the gateways' rules, and so lives in ``mimamori.bench``) can join them."""
    sim = sub.add_parser("sim", help="simulated receivers, tags and walkers")
    commands = sim.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND")

    walk = commands.add_parser(
        "walk", help="run a scenario: receivers on pseudo-terminals, people walking with tags"
    )
    walk.add_argument("--scenario", required=True, type=Path, metavar="FILE", help="scenario YAML")
    walk.set_defaults(func=_cmd_walk)

    receiver = commands.add_parser(
        "receiver",
        help="one receiver on a pseudo-terminal, optionally with a tag nearby",
        epilog="SIGUSR1 makes its radio deaf (its heartbeats go on); SIGUSR2 makes it hear.",
    )
    _link_argument(receiver, "receiver")
    receiver.add_argument(
        "--tag",
        default=None,
        metavar="TAG",
        help="a tag id (ibeacon:... or eddystone-uid:...) to report",
    )
    receiver.add_argument("--rssi", type=int, default=-60, help="RSSI of the tag's adverts (dBm)")
    _seconds_argument(receiver, "--every", 1.0, "seconds between the tag's adverts")
    _seconds_argument(receiver, "--heartbeat", 10.0, "seconds between heartbeat lines")
    receiver.set_defaults(func=_cmd_receiver)

    button = commands.add_parser(
        "button", help="one check-in button unit on a pseudo-terminal, optionally pressing"
    )
    _link_argument(button, "button")
    _seconds_argument(button, "--every-s", None, "press the button every SECONDS (default: never)")
    button.add_argument(
        "--card", choices=("genki", "soudan", "sos"), default="genki", help="the card pressed"
    )
    _seconds_argument(button, "--heartbeat-s", 600.0, "seconds between heartbeat lines")
    _seconds_argument(
        button,
        "--answer-after-s",
        None,
        "press (with --card) this long after a reminder starts beeping (default: nobody does)",
    )
    button.set_defaults(func=_cmd_button)
    return commands


def _link_argument(parser: argparse.ArgumentParser, whose: str) -> None:
    parser.add_argument(
        "--link",
        required=True,
        type=Path,
        metavar="PATH",
        help=f"symlink to create for the {whose}'s serial port",
    )


def _seconds_argument(
    parser: argparse.ArgumentParser, flag: str, default: float | None, text: str
) -> None:
    parser.add_argument(flag, type=float, default=default, metavar="SECONDS", help=text)


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


def _run_board(name: str, sim: SerialPty, activity: Coroutine[Any, Any, None] | None) -> int:
    """Plug ``sim`` in and run its heartbeat (and ``activity``) until a signal; unplug."""

    async def work() -> None:
        sim.plug()
        print(f"{name}: {sim.link} -> {sim.device}", flush=True)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(sim.run(), name="heartbeat")
                if activity is not None:
                    group.create_task(activity, name=name)
        finally:
            sim.unplug()

    try:
        return _run_until_signal(work())
    except OSError as exc:
        if activity is not None:
            activity.close()  # never started: no "coroutine was never awaited" warning
        print(f"mimamori sim {name}: {exc}", file=sys.stderr)
        return 1


def _cmd_walk(args: argparse.Namespace) -> int:
    from mimamori.firmware_sim.scene import Scene, load_scenario

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
    from mimamori.firmware_sim.frames import adv_for_tag
    from mimamori.firmware_sim.receiver import SimReceiver

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
    tag = _advertise(sim, adv, args.rssi, args.every) if adv else None
    return _run_board("receiver", sim, tag)


async def _advertise(sim: SimReceiver, adv: bytes, rssi: int, every: float) -> None:
    address = "C0:FF:EE:00:00:01"  # a random static address (top bits 11)

    def deaf(yes: bool) -> None:
        sim.deaf = yes
        print("receiver: deaf" if yes else "receiver: hears again", flush=True)

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, deaf, True)
    loop.add_signal_handler(signal.SIGUSR2, deaf, False)
    while True:
        sim.advert(address, rssi, adv)
        await asyncio.sleep(every)


def _cmd_button(args: argparse.Namespace) -> int:
    from mimamori.firmware_sim.button import SimButton

    given = (args.every_s, args.answer_after_s)
    if any(s is not None and s <= 0 for s in given) or args.heartbeat_s <= 0:
        print(
            "mimamori sim button: --every-s, --heartbeat-s and --answer-after-s must be positive",
            file=sys.stderr,
        )
        return 2
    sim = SimButton(args.link, heartbeat_s=args.heartbeat_s)
    answer_after: float | None = args.answer_after_s

    def reminded(reminder: Reminder, state: str) -> None:
        # One line per change, for whoever watches the unit (the e2e tests do).
        print(f"reminder {reminder.ref} {state}", flush=True)
        if state == "on" and answer_after is not None:
            asyncio.get_running_loop().call_later(answer_after, sim.press, args.card)

    sim.on_reminder = reminded
    every: float | None = args.every_s

    async def activity() -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(sim.listen(), name="listen")
            if every is not None:
                group.create_task(_press(sim, args.card, every), name="presses")

    return _run_board("button", sim, activity())


async def _press(sim: SimButton, card: str, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        sim.press(card)
