"""Broker accounts in Mosquitto's own files (the gateway's made by
``hub/broker/gateway_accounts.py``, as the desk's watch point page makes it):

    mimamori hub gateway add --config FILE ID [--renew]   one gateway's account
    mimamori hub broker-account --config FILE [--renew]   this hub's (or worker's) own

``gateway add`` writes the gateway's account into Mosquitto's password file (and the
hub's own account, the first time), rewrites the ACL file, and prints the password
once with the lines the technician puts into the gateway's config. An id that has an
account already is refused unless ``--renew`` asks for a new password: a typo must not
silently lock a working gateway out. ``broker-account`` makes the account a hub
worker connects with (``<username>-<worker_id>``), since the broker binds each
account to one client id.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mimamori.hub.cli.common import CommandError, Invocation, an_id, command

# What the desk's page says too (desk_broker_reload, hub/web/catalogue/desk_en.py).
RELOAD_NOTE = (
    "The broker reads its files again by itself where mimamori-broker-reload.path is "
    "enabled (docs/deploy.md); elsewhere: systemctl reload mosquitto"
)

if TYPE_CHECKING:
    from mimamori.hub.config import HubConfig, MosquittoFiles


def _files(run: Invocation) -> tuple[HubConfig, MosquittoFiles, str]:
    from mimamori.hub.broker.gateway_accounts import AccountRefused, hub_user, mosquitto_files

    config = run.config
    try:
        files = mosquitto_files(config)
    except AccountRefused as exc:
        raise CommandError(exc.ja, exc.en) from exc
    return config, files, hub_user(config)


def _add(run: Invocation) -> None:
    from mimamori.hub.broker.gateway_accounts import (
        GATEWAY_PASSWORD_FILE,
        AccountRefused,
        provision,
    )

    args = run.args
    try:
        made = provision(run.config, args.id, renew=args.renew)
    except AccountRefused as exc:
        raise CommandError(exc.ja, exc.en) from exc
    if made.hub_password_file is not None:
        print(f"# the hub's broker account {made.hub_user!r}: password written to "
              f"{made.hub_password_file}")  # fmt: skip
    print(
        (
            f"# Gateway {args.id}: its NEW password; the old one stops working at the reload.\n"
            if made.renewed
            else ""
        )
        + f"# Gateway {args.id}: put this password alone in its password file (chmod 600),\n"
        f"# e.g. {GATEWAY_PASSWORD_FILE}. It is shown only this once.\n"
        f"{made.password}\n"
        f"# ...and these lines in its gateway.yaml:\n"
        f"{made.gateway_yaml()}"
        f"# {RELOAD_NOTE}"
    )


def _hub_account(run: Invocation) -> None:
    from mimamori.hub.broker.gateway_accounts import one_writer

    config, files, hub_user = _files(run)
    with one_writer(files.password_file):  # the desk may be making a gateway's meanwhile
        _write_hub_account(run, config, files, hub_user)


def _write_hub_account(
    run: Invocation, config: HubConfig, files: MosquittoFiles, hub_user: str
) -> None:
    from mimamori.hub.broker.accounts import accounts, hub_accounts, set_account, write_acl
    from mimamori.hub.broker.gateway_accounts import write_secret

    hub_file = config.hub.broker.password_file
    if config.hub.broker.username is None or hub_file is None:
        raise CommandError(
            "先に hub.broker.username と password_file を設定してください",
            "give hub.broker.username and password_file first",
        )
    hubs = hub_accounts(files.acl_file)
    have = accounts(files.password_file)
    if hub_user in have and hub_user not in hubs:
        raise CommandError(
            f"{hub_user!r} はゲートウェイのアカウントです", f"{hub_user!r} is a gateway's account"
        )
    if hub_user in have and not run.args.renew:
        raise CommandError(
            f"{hub_user!r} のブローカーのアカウントはすでにあります。パスワード（{hub_file}）は"
            "変えていません。新しいパスワードにするときは --renew を付けてください。",
            f"{hub_user!r} already has a broker account; "
            f"its password (in {hub_file}) is unchanged. For a new one, add --renew.",
        )
    write_acl(files.acl_file, *hubs, hub_user)
    write_secret(hub_file, set_account(files.password_file, hub_user))
    print(
        f"# the hub's broker account {hub_user!r}: password written to {hub_file}\n"
        f"# (copy it to that path on the machine that runs this hub, owner-only).\n"
        f"# {RELOAD_NOTE}"
    )


def add_parser(actions: Any) -> None:
    gateway = actions.add_parser("gateway", help="broker credentials for gateways")
    gateway_actions = gateway.add_subparsers(
        dest="gateway_command", required=True, metavar="ACTION"
    )
    add = gateway_actions.add_parser("add", help="create a gateway's broker account")
    add.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    add.add_argument("--renew", action="store_true", help="give an existing gateway a new password")
    add.add_argument(
        "id", type=an_id("a gateway id"), metavar="ID", help="the gateway id (its broker user name)"
    )
    add.set_defaults(func=command("hub gateway add", _add))
    from mimamori.hub.cli.enroll import add_enroll_parser

    add_enroll_parser(gateway_actions)
    hub = actions.add_parser(
        "broker-account",
        help="this hub's own broker account (with hub.worker_id: this worker's)",
    )
    hub.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    hub.add_argument("--renew", action="store_true", help="give the account a new password")
    hub.set_defaults(func=command("hub broker-account", _hub_account))
