"""The ``mimamori`` console command.

Each subcommand imports its own package only when it runs, so a gateway with
``mimamori[edge]`` installed never loads the hub's web stack.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from mimamori import __version__
from mimamori.errors import ConfigError


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _cmd_check(args: argparse.Namespace) -> int:
    from mimamori.check import check_files

    problems = check_files([Path(f) for f in args.files])
    for problem in problems:
        print(problem)
    errors = [p for p in problems if not p.warning]
    if not errors:
        for f in args.files:
            print(f"{f}: ok")
    return 2 if errors else 0


def _cmd_edge(args: argparse.Namespace) -> int:
    if not args.config:
        print("mimamori edge: --config FILE is required", file=sys.stderr)
        return 2
    from mimamori.edge.main import main as edge_main

    return edge_main(Path(args.config))


def _cmd_edge_diagnose(args: argparse.Namespace) -> int:
    from mimamori.edge.diagnose import report

    sys.stdout.write(report(Path(args.config)))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from mimamori.demo import main as demo_main

    return demo_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mimamori", description="mimamori: a watch-over network for older people"
    )
    parser.add_argument("--version", action="version", version=f"mimamori {__version__}")
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    edge = sub.add_parser("edge", help="run the gateway daemon, diagnose it, or install it")
    edge.add_argument("--config", metavar="FILE", help="gateway YAML file")
    edge.set_defaults(func=_cmd_edge)
    edge_actions = edge.add_subparsers(dest="edge_command", metavar="ACTION")
    diagnose = edge_actions.add_parser(
        "diagnose", help="print a support dump (secrets and tag ids redacted)"
    )
    diagnose.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    diagnose.set_defaults(func=_cmd_edge_diagnose)
    from mimamori.edge.install.cli import add_parser as add_install_parser

    add_install_parser(edge_actions)
    from mimamori.edge.enroll import add_parser as add_enroll_parser

    add_enroll_parser(edge_actions)

    from mimamori.hub.cli.main import add_parser as add_hub_parser

    add_hub_parser(sub)

    check = sub.add_parser("check", help="validate gateway and hub YAML files")
    check.add_argument("files", nargs="+", metavar="FILE")
    check.set_defaults(func=_cmd_check)

    from mimamori.bench.cli import add_town_parser
    from mimamori.firmware_sim.cli import add_parser as add_sim_parser

    add_town_parser(add_sim_parser(sub))

    from mimamori.tag_eid import add_parser as add_tag_parser

    add_tag_parser(sub)

    from mimamori.bench.cli import add_parser as add_bench_parser

    add_bench_parser(sub)

    demo = sub.add_parser("demo", help="broker, hub, three gateways and a walking person")
    demo.add_argument(
        "--dir", type=Path, default=None, help="keep demo files here (default: a temp dir)"
    )
    demo.add_argument("--http-port", type=int, default=0, help="hub port (default: a free one)")
    demo.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.log_level)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
