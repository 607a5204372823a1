"""``mimamori sim ...``: run the simulated hardware."""

from __future__ import annotations

from typing import Any


def add_parser(sub: Any) -> None:
    sim = sub.add_parser("sim", help="simulated receivers, tags and walkers")
    sim.add_subparsers(dest="sim_command", required=True, metavar="SIM_COMMAND")
