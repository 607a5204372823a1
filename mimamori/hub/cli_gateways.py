"""``mimamori hub gateway add --config FILE ID``: broker credentials for one gateway.

Writes the gateway's account into Mosquitto's password file (and the hub's own
account, the first time), rewrites the ACL file, and prints the password once with
the lines the technician puts into the gateway's config.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path
from typing import Any

ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
DEFAULT_HUB_USER = "mimamori-hub"


def _add(args: argparse.Namespace) -> int:
    from .broker_accounts import set_account, write_acl
    from .config import load_hub_config

    config = load_hub_config(Path(args.config))
    files = config.hub.mosquitto
    if files is None:
        raise SystemExit("mimamori hub gateway add: the config has no hub.mosquitto files")
    if not ID.match(args.id):
        raise SystemExit(f"mimamori hub gateway add: {args.id!r} is not a gateway id")
    hub_user = config.hub.broker.username or DEFAULT_HUB_USER
    if args.id == hub_user:
        raise SystemExit(f"mimamori hub gateway add: {hub_user!r} is the hub's own account")
    have = files.password_file.read_text().splitlines() if files.password_file.exists() else []
    hub_file = config.hub.broker.password_file
    if hub_file is not None and not any(line.startswith(f"{hub_user}:") for line in have):
        _write_secret(hub_file, set_account(files.password_file, hub_user))
        print(f"# the hub's broker account {hub_user!r}: password written to {hub_file}")
    write_acl(files.acl_file, hub_user)
    password = set_account(files.password_file, args.id)
    print(
        f"# Gateway {args.id}: put this password alone in its password file (chmod 600),\n"
        f"# e.g. /etc/mimamori/broker.password. It is shown only this once.\n"
        f"{password}\n"
        f"# ...and these lines in its gateway.yaml:\n"
        f"broker:\n"
        f"  username: {args.id}\n"
        f"  password_file: /etc/mimamori/broker.password\n"
        f"# Then let the broker read its files again: systemctl reload mosquitto"
    )
    return 0


def _write_secret(path: Path, secret: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret + "\n")


def add_parser(actions: Any) -> None:
    gateway = actions.add_parser("gateway", help="broker credentials for gateways")
    gateway_actions = gateway.add_subparsers(
        dest="gateway_command", required=True, metavar="ACTION"
    )
    add = gateway_actions.add_parser("add", help="create (or renew) a gateway's broker account")
    add.add_argument("--config", metavar="FILE", required=True, default=argparse.SUPPRESS)
    add.add_argument("id", metavar="ID", help="the gateway id (its broker user name)")
    add.set_defaults(func=_add)
