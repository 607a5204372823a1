"""The room left on the data dir's file system, for the gateway's status.

A Pi's SD card fills with logs or a long outage's outbox; once full, the outbox can
write nothing and events are lost. The hub raises ``disk_low`` from this
(``hub/alerts/gateway_health.py``)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from mimamori.protocol.status import DiskStatus

log = logging.getLogger(__name__)


def disk_of(path: Path) -> DiskStatus | None:
    """Free and total bytes of the file system holding ``path``, as an unprivileged
    process may use them (``f_bavail``: root's reserve is not ours); None when it
    cannot be read (said in the log: the status still goes out)."""
    try:
        stat = os.statvfs(path)
    except OSError as exc:
        log.warning("cannot read the free space of %s: %s", path, exc)
        return None
    total = stat.f_blocks * stat.f_frsize
    if total <= 0:  # a pseudo file system: nothing to say
        return None
    return DiskStatus(free_bytes=min(stat.f_bavail * stat.f_frsize, total), total_bytes=total)
