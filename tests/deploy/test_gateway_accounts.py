"""The one function that makes a gateway's broker account (``hub gateway add``, the
desk's watch point page, enrollment): writers of the broker's files take turns, so a
page and a command at the same moment never lose each other's account."""

from __future__ import annotations

import threading
from pathlib import Path

from mimamori.hub.broker.accounts import accounts
from mimamori.hub.broker.gateway_accounts import one_writer, provision
from mimamori.hub.config import HubConfig


def config(root: Path) -> HubConfig:
    return HubConfig.model_validate(
        {
            "hub": {
                "database": {"path": str(root / "hub.sqlite3")},
                "broker": {"host": "127.0.0.1"},
                "mosquitto": {
                    "password_file": str(root / "broker" / "passwd"),
                    "acl_file": str(root / "broker" / "acl"),
                },
            }
        }
    )


def test_a_second_writer_waits_for_the_first_and_both_accounts_are_kept(tmp_path: Path) -> None:
    town = config(tmp_path)
    assert town.hub.mosquitto is not None
    passwd = town.hub.mosquitto.password_file
    provision(town, "gw-a")
    done = threading.Event()

    def second() -> None:
        provision(town, "gw-b")
        done.set()

    with one_writer(passwd):  # another process (the command) is writing the files
        thread = threading.Thread(target=second)
        thread.start()
        # Bounded: had it not waited, gw-b's account would be written well within this.
        assert not done.wait(0.5), "the second writer did not wait its turn"
        assert accounts(passwd) == {"gw-a"}
    thread.join(10)
    assert done.is_set() and accounts(passwd) == {"gw-a", "gw-b"}
