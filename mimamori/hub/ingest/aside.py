"""What ingest keeps aside: payloads it refused and events or statuses that could not
be stored even alone, each with the reason (docs/faults.md#no-poison).

A misbehaving gateway can send the same bad thing thousands of times a minute, so a
refused payload is logged and kept at most once per gateway and reason each
``EVERY_S`` (``once_a_minute``); the counters (in ``/healthz``) count every one. What
is valid but could not be stored is kept every time (nothing valid is lost), and
logged as rarely. Kept in memory until the commit of the bunch it came in, then
stored in the quarantine before anything of the bunch is acknowledged.
"""

from __future__ import annotations

import time

from mimamori.hub.model.quarantine import Quarantined
from mimamori.mqtt import Message

EVERY_S = 60.0


class Aside:
    def __init__(self) -> None:
        self._kept: list[Quarantined] = []
        self._last: dict[tuple[str, str], float] = {}

    def once_a_minute(self, gateway: str, reason: str) -> bool:
        """Whether this gateway's ``reason`` is to be logged and kept now."""
        now = time.monotonic()
        if now - self._last.get((gateway, reason), -EVERY_S) < EVERY_S:
            return False
        self._last[(gateway, reason)] = now
        return True

    def keep(
        self,
        message: Message,
        gateway: str,
        reason: str,
        detail: str,
        *,
        failure: bool,
        payload: bytes,
    ) -> None:
        """``failure``: valid but could not be handled (degrades ``/healthz``); else refused."""
        self._kept.append(
            Quarantined(
                "mqtt",
                reason,
                detail,
                failure,
                None if gateway == "?" else gateway,
                message.topic,
                payload,
            )
        )

    def take(self) -> list[Quarantined]:
        """What was kept since the last take, to store."""
        kept, self._kept = self._kept, []
        return kept
