"""``mimamori hub ...``: serve the hub; make sign-in links and API tokens.

    mimamori hub --config FILE
    mimamori hub link --config FILE --family ID [--ttl-hours H]
    mimamori hub token create --config FILE (--family ID | --admin | --user ID) --name NAME
                              [--ttl-days D]
    mimamori hub token list|revoke ...  |  mimamori hub session list|revoke ...
                                        (credentials.py)
    mimamori hub user add|list|disable ...  (users.py)
    mimamori hub gateway add --config FILE ID [--renew] | broker-account ...  (gateways.py)
    mimamori hub tag kek|add|list ...  (tags.py)
    mimamori hub pki ca|server|client --dir DIR ...  (pki.py)
    mimamori hub purge | person forget | person export ...  (privacy.py)
    mimamori hub quarantine list|show|clear ...  (quarantine.py)
    mimamori hub line link|list ...  (line.py)
    mimamori hub import --config FILE [--register FILE] [--dry-run]  (register.py)

Every command runs through ``common.command``: one way to load the config, open the
store and say what went wrong. Only the standard library is imported here: the parser
is built for every ``mimamori`` command, also on gateways without the hub's packages.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mimamori.hub.cli import credentials as cli_credentials
from mimamori.hub.cli import gateways as cli_gateways
from mimamori.hub.cli import line as cli_line
from mimamori.hub.cli import pki as cli_pki
from mimamori.hub.cli import privacy as cli_privacy
from mimamori.hub.cli import quarantine as cli_quarantine
from mimamori.hub.cli import register as cli_register
from mimamori.hub.cli import tags as cli_tags
from mimamori.hub.cli import users as cli_users

if TYPE_CHECKING:
    from mimamori.hub.model.accounts import User
from mimamori.hub.cli.common import USAGE, CommandError, Invocation, command

LINK_MAX_HOURS = 24 * 30  # as auth.signin_link_ttl_h allows in the config
TOKEN_DAYS = 90.0  # a bearer token lives a quarter by default: a rotation people keep up
TOKEN_MAX_DAYS = 365.0  # at most a year: a forgotten token ends by itself


def _bounded(unit: str, most: float) -> Callable[[str], float]:
    """An argparse type: a number of ``unit`` above 0 and at most ``most`` (nan, inf
    and the year 2126 are refused with a message, not a traceback)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not 0 < value <= most:  # nan fails every comparison
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of {unit} above 0 and at most {most:g}"
            )
        return value

    return parse


def _serve(run: Invocation) -> int:
    if not run.args.config:
        raise CommandError(
            "--config FILE で設定ファイルを指定してください",
            "--config FILE is required",
            code=USAGE,
        )
    from mimamori.hub.server.serve import serve

    return serve(Path(run.args.config))


async def _issue(run: Invocation, kind: str) -> str:
    from mimamori.hub.access.auth import issue
    from mimamori.hub.model.accounts import CredentialKind

    args, config = run.args, run.config
    family = getattr(args, "family", None)
    if family is not None and family not in (await run.registry()).families:
        raise CommandError(
            f"家族 {family!r} は登録されていません", f"no family {family!r} in the register"
        )
    store = await run.store()  # the whole store: access.auth.issue takes it
    now = datetime.now(UTC)  # a command's "now" is the system clock
    if kind == "signin" and getattr(args, "user", None):
        account = await _account(store, args.user)
        return await issue(
            store,
            CredentialKind.SIGNIN,
            role=account.role,
            family_id=account.family_id,
            name=f"link for {account.id}",
            ttl=timedelta(hours=args.ttl_hours or config.hub.auth.signin_link_ttl_h),
            now=now,
            user_id=account.id,
        )
    if kind == "signin":
        ttl = timedelta(hours=args.ttl_hours or config.hub.auth.signin_link_ttl_h)
        return await issue(
            store,
            CredentialKind.SIGNIN,
            role="family",
            family_id=family,
            name=f"link for {family}",
            ttl=ttl,
            now=now,
        )
    if getattr(args, "user", None):
        account = await _account(store, args.user)
        return await issue(
            store,
            CredentialKind.TOKEN,
            role=account.role,
            family_id=account.family_id,
            name=args.name,
            ttl=timedelta(days=args.ttl_days),
            user_id=args.user,
            now=now,
        )
    return await issue(
        store,
        CredentialKind.TOKEN,
        role="admin" if args.admin else "family",
        family_id=None if args.admin else family,
        name=args.name,
        ttl=timedelta(days=args.ttl_days),
        now=now,
    )


async def _account(store: Any, user_id: str) -> User:
    """The account a link or a token acts as; refused when missing or disabled."""
    account = await store.user(user_id)
    if account is None:
        raise CommandError(f"アカウント {user_id!r} はありません", f"no account {user_id!r}")
    if account[0].disabled:  # it would come back to life with the account
        raise CommandError(
            f"アカウント {user_id!r} は使えなくしてあります",
            f"the account {user_id!r} is disabled",
        )
    found: User = account[0]
    return found


async def _link(run: Invocation) -> None:
    token = await _issue(run, "signin")
    base = run.config.hub.http.public_url.rstrip("/")
    print(f"{base}/signin?token={token}")


async def _token_create(run: Invocation) -> None:
    from mimamori.hub.access.auth import short_id, token_hash

    token = await _issue(run, "token")
    print(token)
    print(
        f"Keep it secret: it is shown only this once. Its id is {short_id(token_hash(token))}; "
        f"it ends in {run.args.ttl_days:g} days (`hub token list`, `hub token revoke`).",
        file=sys.stderr,
    )


def add_parser(sub: Any) -> None:
    hub = sub.add_parser("hub", help="run the hub, or manage it")
    hub.add_argument("--config", metavar="FILE", help="hub YAML file")
    hub.set_defaults(func=command("hub", _serve))
    actions = hub.add_subparsers(dest="hub_command", metavar="ACTION")

    link = actions.add_parser(
        "link", help="print a one-time sign-in link for a family, or for an account (staff)"
    )
    link.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    whom = link.add_mutually_exclusive_group(required=True)
    whom.add_argument("--family", metavar="ID")
    whom.add_argument("--user", metavar="ID", help="an account: the link signs in as it")
    link.add_argument(
        "--ttl-hours",
        type=_bounded("hours", LINK_MAX_HOURS),
        default=None,
        help=f"default: from the config; at most {LINK_MAX_HOURS}",
    )
    link.set_defaults(func=command("hub link", _link))

    token = actions.add_parser("token", help="API bearer tokens")
    token_actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_actions.add_parser("create", help="print a new bearer token")
    create.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    who = create.add_mutually_exclusive_group(required=True)
    who.add_argument("--family", metavar="ID")
    who.add_argument("--admin", action="store_true")
    who.add_argument("--user", metavar="ID", help="an account: the token acts as it")
    create.add_argument("--name", required=True, help="who or what uses it")
    create.add_argument(
        "--ttl-days",
        type=_bounded("days", TOKEN_MAX_DAYS),
        default=TOKEN_DAYS,
        help=f"it ends after this (default {TOKEN_DAYS:g}, at most {TOKEN_MAX_DAYS:g})",
    )
    create.set_defaults(func=command("hub token create", _token_create))
    cli_credentials.add_token_actions(token_actions)

    cli_users.add_parser(actions)
    cli_credentials.add_parser(actions)
    cli_gateways.add_parser(actions)
    cli_tags.add_parser(actions)
    cli_pki.add_parser(actions)
    cli_privacy.add_parser(actions)
    cli_quarantine.add_parser(actions)
    cli_line.add_parser(actions)
    cli_register.add_parser(actions)
