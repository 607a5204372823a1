"""SIGHUP: read the gateway's config file again, and apply it if that is safe live.

What may change while running (``LIVE_KEYS``) is what the rules read on every
advert or every status: the presence thresholds and timers, which tags may leave
the gateway, and how often the status is sent. Everything else needs a restart
(``systemctl restart mimamori-edge``): the receivers and buttons own hardware, the
broker section owns the connection and its secrets, the gateway id names the
outbox's events, the household's rules carry their state in the outbox.

A reload is all or nothing: a file that is not valid, or that changes anything
beyond ``LIVE_KEYS``, is refused with one error line naming why, and the running
config is kept whole. The status's ``config_hash`` always names the config in use.
Secrets read from files (the broker password, TLS keys) are read at start only.
The file read is the one in use: the hub's copy in ``data_dir`` once the hub sent one
(``config_push.py``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from mimamori.edge.config import GatewayConfig
from mimamori.errors import ConfigError

if TYPE_CHECKING:
    from mimamori.edge.config_push import ConfigFiles
    from mimamori.edge.daemon import EdgeDaemon

log = logging.getLogger(__name__)

LIVE_KEYS = frozenset({"presence", "tags", "status_interval_s"})


def changed_keys(
    old: GatewayConfig, new: GatewayConfig, *, exclude: frozenset[str] = frozenset()
) -> list[str]:
    """The top-level sections that differ between two configs, in file order."""
    return [
        key
        for key in GatewayConfig.model_fields
        if key not in exclude and getattr(old, key) != getattr(new, key)
    ]


def reload_config(daemon: EdgeDaemon, files: ConfigFiles) -> bool:
    """Apply the file in use to the running ``daemon`` if it can be; True when it is."""
    daemon.notifier.reloading()
    try:
        old = daemon.config
        if daemon.pushes is not None and daemon.pushes.busy:
            log.error("config reload refused: a config from the hub is being applied")
            return False
        try:
            _, new = files.in_use()
        except ConfigError as exc:
            log.error(
                "config reload refused, still running config %s: %s",
                old.digest(),
                "; ".join(str(p) for p in exc.problems),
            )
            return False
        if restart := changed_keys(old, new, exclude=LIVE_KEYS):
            log.error(
                "config reload refused, still running config %s: changing %s needs a "
                "restart (systemctl restart mimamori-edge)",
                old.digest(),
                ", ".join(restart),
            )
            return False
        if not (live := changed_keys(old, new)):
            log.info("config reloaded: nothing changed (config %s)", old.digest())
            return True
        daemon.reconfigure(new)
        log.info(
            "config reloaded: %s changed (config %s -> %s)",
            ", ".join(live),
            old.digest(),
            new.digest(),
        )
        return True
    finally:
        daemon.notifier.ready("running")
