"""``mimamori hub user ...``: accounts with passwords and roles.

    mimamori hub user add --config FILE --id ID --name NAME --role ROLE
                          [--family ID] [--households ID,ID] [--area ID ...]
                          [--password-file FILE]
    mimamori hub user areas --config FILE --id ID --area ID [--area ID ...]
    mimamori hub user list --config FILE
    mimamori hub user disable --config FILE --id ID [--enable]   (ends its sessions and tokens)

The password is read from ``--password-file`` or asked for twice on the terminal;
it never appears on the command line (shell history, process lists). Staff work in
one or more care-centre areas (``--area``, each in the register): they see and change
the people, households and watch points of those areas only.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mimamori.hub.cli.common import CommandError, Invocation, an_id, command

if TYPE_CHECKING:
    from mimamori.hub.store.port_users import UserStore

ROLES = ("admin", "staff", "volunteer", "family")


def _password(args: argparse.Namespace) -> str:
    if args.password_file:
        return Path(args.password_file).read_text(encoding="utf-8").strip()
    if not sys.stdin.isatty():
        raise CommandError(
            "--password-file を指定するか、端末で実行してください",
            "give --password-file, or run it on a terminal",
        )
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Again: "):
        raise CommandError("二つのパスワードが違います", "the two passwords differ")
    return first


def _areas(areas: list[str] | None, registry: Any) -> tuple[str, ...]:
    """Staff's areas: at least one, each in the register."""
    given = tuple(dict.fromkeys(areas or ()))
    unknown = [a for a in given if a not in registry.areas]
    if not given or unknown:
        known = ", ".join(registry.areas) or "-"
        raise CommandError(
            "職員には、登録されている地域を --area で指定してください"
            + (f"（登録されていない地域: {', '.join(unknown)}）" if unknown else "")
            + f"（地域: {known}）",
            "staff need --area, one or more areas of the register"
            + (f" (unknown: {', '.join(unknown)})" if unknown else "")
            + f" (areas: {known})",
        )
    return given


def _check(args: argparse.Namespace, registry: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The account's households (volunteers) and areas (staff)."""
    if args.role != "staff" and args.area:
        raise CommandError(
            "--area は --role staff のときだけ指定します", "--area goes with --role staff"
        )
    areas = _areas(args.area, registry) if args.role == "staff" else ()
    households = tuple(h for h in (args.households or "").split(",") if h)
    if args.role == "family" and args.family not in registry.families:
        raise CommandError(
            "家族のアカウントには、登録されている家族を --family で指定してください",
            "a family account needs --family, one in the register",
        )
    if args.role != "family" and args.family:
        raise CommandError(
            "--family は --role family のときだけ指定します", "--family goes with --role family"
        )
    if args.role == "volunteer":
        known = registry.households
        if not households or (unknown := [h for h in households if h not in known]):
            missing = ", ".join(unknown) if households else ""
            raise CommandError(
                "ボランティアには、登録されている世帯を --households で指定してください"
                + (f"（登録されていない世帯: {missing}）" if missing else ""),
                "a volunteer needs --households from the register"
                + (f" (unknown: {missing})" if missing else ""),
            )
    elif households:
        raise CommandError(
            "--households は --role volunteer のときだけ指定します",
            "--households goes with --role volunteer",
        )
    return households, areas


async def _add(run: Invocation) -> None:
    from mimamori.errors import StoreConflict
    from mimamori.hub.access.auth import hash_password
    from mimamori.hub.model.accounts import User

    args = run.args
    households, areas = _check(args, await run.registry())
    try:
        hashed = hash_password(_password(args))
    except ValueError as exc:
        raise CommandError("このパスワードは使えません", str(exc)) from None
    store: UserStore = await run.store()
    user = User(args.id, args.name, args.role, args.family, households, areas=areas)
    try:
        await store.add_user(user, hashed, datetime.now(UTC))
    except StoreConflict as exc:
        raise CommandError(f"アカウント {args.id!r} はすでにあります", str(exc)) from None
    where = f" in {', '.join(areas)}" if areas else ""
    print(f"added {args.role} {args.id} ({args.name}){where}")


async def _set_areas(run: Invocation) -> None:
    args = run.args
    areas = _areas(args.area, await run.registry())
    store: UserStore = await run.store()
    found = await store.user(args.id)
    if found is None:
        raise CommandError(f"アカウント {args.id!r} はありません", f"no account {args.id!r}")
    if found[0].role != "staff":
        raise CommandError(
            "地域を持つのは職員（staff）のアカウントだけです", "only staff accounts have areas"
        )
    await store.set_areas(args.id, areas)
    print(f"{args.id} works in {', '.join(areas)} (from its next request on)")


async def _list(run: Invocation) -> None:
    store: UserStore = await run.store()
    for user in await store.users():
        where = user.family_id or ",".join(user.households or user.areas) or "-"
        state = " (disabled)" if user.disabled else ""
        print(f"{user.id}\t{user.role}\t{where}\t{user.name}{state}")


async def _disable(run: Invocation) -> None:
    args = run.args
    store: UserStore = await run.store()
    if not await store.set_disabled(args.id, not args.enable):
        raise CommandError(f"アカウント {args.id!r} はありません", f"no account {args.id!r}")
    if args.enable:
        print(f"{args.id} enabled (sign in again: its old sessions and tokens stay ended)")
    else:
        print(f"{args.id} disabled: its sessions and tokens ended")


def add_parser(actions: Any) -> None:
    user = actions.add_parser("user", help="accounts with passwords and roles")
    user_actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = user_actions.add_parser("add", help="add an account")
    add.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    add.add_argument(
        "--id", type=an_id("an id"), required=True, help="the sign-in name, e.g. yamashiro"
    )
    add.add_argument("--name", required=True, help="shown to others, e.g. 山城 (民生委員)")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--family", metavar="ID", help="for --role family")
    add.add_argument("--households", metavar="ID,ID", help="for --role volunteer")
    add.add_argument(
        "--area", metavar="ID", action="append", help="for --role staff: an area (repeat for more)"
    )
    add.add_argument("--password-file", metavar="FILE", help="else asked on the terminal")
    add.set_defaults(func=command("hub user add", _add))
    areas = user_actions.add_parser("areas", help="the areas a staff account works in")
    areas.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    areas.add_argument("--id", required=True)
    areas.add_argument("--area", metavar="ID", action="append", required=True)
    areas.set_defaults(func=command("hub user areas", _set_areas))
    listing = user_actions.add_parser("list", help="list the accounts")
    listing.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    listing.set_defaults(func=command("hub user list", _list))
    disable = user_actions.add_parser("disable", help="stop an account at once (--enable: undo)")
    disable.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    disable.add_argument("--id", required=True)
    disable.add_argument("--enable", action="store_true")
    disable.set_defaults(func=command("hub user disable", _disable))
