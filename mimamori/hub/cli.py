"""``mimamori hub ...``: serve the hub, and manage sign-in links and API tokens."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _serve(args: argparse.Namespace) -> int:
    from .server import serve

    return serve(Path(args.config))


def add_parser(sub: Any) -> None:
    hub = sub.add_parser("hub", help="run the hub, or manage it")
    hub.add_argument("--config", metavar="FILE", help="hub YAML file")
    hub.set_defaults(func=_serve)
