"""A gateway's broker account, made or renewed: the one way to do it.

``mimamori hub gateway add`` (``hub/cli/gateways.py``), the watch point's page at the
desk (``hub/web/desk_broker.py``) and enrollment (issue 20) all call ``provision``;
each only says the result its own way. It writes the gateway's account into
Mosquitto's password file (and the hub's own account the first time, its password
into ``hub.broker.password_file``), and rewrites the ACL (``accounts.py``).

An id with an account already is refused unless ``renew`` asks for a new password: a
typo must not silently lock a working gateway out. The hub's own accounts are never a
gateway's. Two callers at once (two admins, or the page and the command) take turns
on a lock on the password file's directory, so neither loses the other's account (the
file is read, changed and replaced whole).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mimamori.errors import MimamoriError
from mimamori.hub.broker.accounts import accounts, hub_accounts, set_account, write_acl
from mimamori.hub.config import HubConfig, MosquittoFiles

DEFAULT_HUB_USER = "mimamori-hub"
# Where the gateway reads its password (docs/install-pi.md): what its YAML names.
GATEWAY_PASSWORD_FILE = "/etc/mimamori/broker.password"


class AccountRefused(MimamoriError):
    """Why no account was made, in Japanese and English."""

    def __init__(self, ja: str, en: str) -> None:
        super().__init__(en)
        self.ja = ja
        self.en = en


class AccountExists(AccountRefused):
    """The gateway has an account already and no new password was asked for."""


@dataclass(frozen=True)
class GatewayAccount:
    """A gateway's new password, to be handed over once and never kept by the hub."""

    gateway_id: str
    password: str
    renewed: bool  # the old password stops working when the broker reads its files again
    hub_user: str
    hub_password_file: Path | None  # the hub's own account was made too, its password here

    def gateway_yaml(self) -> str:
        """The lines the gateway's ``gateway.yaml`` needs for this account."""
        return f"broker:\n  username: {self.gateway_id}\n  password_file: {GATEWAY_PASSWORD_FILE}\n"


def hub_user(config: HubConfig) -> str:
    """This hub's (or this worker's) own broker account."""
    return config.hub.broker.account(config.hub.worker_id) or DEFAULT_HUB_USER


def mosquitto_files(config: HubConfig) -> MosquittoFiles:
    files = config.hub.mosquitto
    if files is None:
        raise AccountRefused(
            "設定に hub.mosquitto のファイルがありません", "the config has no hub.mosquitto files"
        )
    return files


def has_account(config: HubConfig, gateway_id: str) -> bool:
    """Whether the gateway has a broker account (False: no hub.mosquitto files)."""
    files = config.hub.mosquitto
    return files is not None and gateway_id in accounts(files.password_file)


@contextmanager
def one_writer(password_file: Path) -> Iterator[None]:
    """One writer of the broker's files at a time, across processes.

    The lock is the directory that holds the password file, not a file of its own: a
    lock file made by root (the command) could not be opened by the hub's user (the
    desk), while both can read the directory. ``mimamori-broker-reload.service`` takes
    the same lock, so the broker reads the files once the writer is done with them."""
    folder = password_file.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_secret(path: Path, secret: str) -> None:
    """``secret`` alone in ``path``, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(secret + "\n")


def provision(config: HubConfig, gateway_id: str, *, renew: bool = False) -> GatewayAccount:
    """Make ``gateway_id``'s broker account (``renew``: or give it a new password).
    Raises AccountRefused (and OSError when the broker's files cannot be written)."""
    files = mosquitto_files(config)
    hub = hub_user(config)
    with one_writer(files.password_file):
        hubs = [*hub_accounts(files.acl_file), hub]
        if gateway_id in hubs:
            raise AccountRefused(
                f"{gateway_id!r} はハブ自身のアカウントです",
                f"{gateway_id!r} is one of the hub's own accounts",
            )
        have = accounts(files.password_file)
        renewed = gateway_id in have
        if renewed and not renew:
            raise AccountExists(
                f"ゲートウェイ {gateway_id} のアカウントはすでにあります。"
                "パスワードは変えていません。新しいパスワードにするときは --renew を付けてください"
                "（古いパスワードは使えなくなります）。",
                f"gateway {gateway_id!r} already has a broker account; its password is unchanged. "
                "To give it a new one (the old one stops working), add --renew.",
            )
        hub_file = config.hub.broker.password_file
        made_hub = hub_file is not None and hub not in have
        if made_hub and hub_file is not None:
            write_secret(hub_file, set_account(files.password_file, hub))
        write_acl(files.acl_file, *hubs)
        password = set_account(files.password_file, gateway_id)
    return GatewayAccount(gateway_id, password, renewed, hub, hub_file if made_hub else None)
