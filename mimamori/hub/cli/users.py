"""``mimamori hub user ...``: accounts with passwords and roles.

    mimamori hub user add --config FILE --id ID --name NAME --role ROLE
                          [--family ID] [--households ID,ID] [--password-file FILE]
    mimamori hub user list --config FILE
    mimamori hub user disable --config FILE --id ID [--enable]   (ends its sessions and tokens)

The password is read from ``--password-file`` or asked for twice on the terminal;
it never appears on the command line (shell history, process lists).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROLES = ("admin", "staff", "volunteer", "family")
ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        return Path(args.password_file).read_text(encoding="utf-8").strip()
    if not sys.stdin.isatty():
        raise SystemExit("mimamori hub user add: give --password-file, or run it on a terminal")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise SystemExit("mimamori hub user add: the two passwords differ")
    return first


def _check(args: argparse.Namespace, config: Any) -> tuple[str, ...]:
    if not ID.match(args.id):
        raise SystemExit(f"mimamori hub user add: {args.id!r} is not an id ([a-z0-9._-])")
    households = tuple(h for h in (args.households or "").split(",") if h)
    if args.role == "family" and args.family not in {f.id for f in config.families}:
        raise SystemExit(
            "mimamori hub user add: a family account needs --family, one in the config"
        )
    if args.role != "family" and args.family:
        raise SystemExit("mimamori hub user add: --family goes with --role family")
    if args.role == "volunteer":
        known = {h.id for h in config.households}
        if not households or (unknown := [h for h in households if h not in known]):
            raise SystemExit(
                "mimamori hub user add: a volunteer needs --households from the config"
                + (f" (unknown: {', '.join(unknown)})" if households else "")
            )
    elif households:
        raise SystemExit("mimamori hub user add: --households goes with --role volunteer")
    return households


async def _add(args: argparse.Namespace) -> None:
    from mimamori.errors import StoreError
    from mimamori.hub.access.auth import hash_password
    from mimamori.hub.config import load_hub_config
    from mimamori.hub.model.accounts import User
    from mimamori.hub.store.opening import open_store

    config = load_hub_config(Path(args.config))
    households = _check(args, config)
    try:
        hashed = hash_password(_password(args))
    except ValueError as exc:
        raise SystemExit(f"mimamori hub user add: {exc}") from None
    store = await open_store(config.hub.database)
    try:
        user = User(args.id, args.name, args.role, args.family, households)
        await store.add_user(user, hashed, datetime.now(UTC))
    except StoreError as exc:
        raise SystemExit(f"mimamori hub user add: {exc}") from None
    finally:
        await store.close()
    print(f"added {args.role} {args.id} ({args.name})")


async def _list(args: argparse.Namespace) -> None:
    from mimamori.hub.config import load_hub_config
    from mimamori.hub.store.opening import open_store

    config = load_hub_config(Path(args.config))
    store = await open_store(config.hub.database)
    try:
        for user in await store.users():
            where = user.family_id or ",".join(user.households) or "-"
            state = " (disabled)" if user.disabled else ""
            print(f"{user.id}\t{user.role}\t{where}\t{user.name}{state}")
    finally:
        await store.close()


async def _disable(args: argparse.Namespace) -> None:
    from mimamori.hub.config import load_hub_config
    from mimamori.hub.store.opening import open_store

    config = load_hub_config(Path(args.config))
    store = await open_store(config.hub.database)
    try:
        if not await store.set_disabled(args.id, not args.enable):
            raise SystemExit(f"mimamori hub user: no account {args.id!r}")
    finally:
        await store.close()
    if args.enable:
        print(f"{args.id} enabled (sign in again: its old sessions and tokens stay ended)")
    else:
        print(f"{args.id} disabled: its sessions and tokens ended")


def add_parser(actions: Any) -> None:
    user = actions.add_parser("user", help="accounts with passwords and roles")
    user_actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_actions.add_parser("add", help="add an account")
    add.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    add.add_argument("--id", required=True, help="the sign-in name, e.g. yamashiro")
    add.add_argument("--name", required=True, help="shown to others, e.g. 山城 (民生委員)")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--family", metavar="ID", help="for --role family")
    add.add_argument("--households", metavar="ID,ID", help="for --role volunteer")
    add.add_argument("--password-file", metavar="FILE", help="else asked on the terminal")
    add.set_defaults(func=lambda a: asyncio.run(_add(a)) or 0)
    listing = user_actions.add_parser("list", help="list the accounts")
    listing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    listing.set_defaults(func=lambda a: asyncio.run(_list(a)) or 0)
    disable = user_actions.add_parser("disable", help="stop an account at once (--enable: undo)")
    disable.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    disable.add_argument("--id", required=True)
    disable.add_argument("--enable", action="store_true")
    disable.set_defaults(func=lambda a: asyncio.run(_disable(a)) or 0)
