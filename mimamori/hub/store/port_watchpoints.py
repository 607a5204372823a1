"""The port the watch-point watch needs beyond events and gateways (``sql_watchpoints``
implements it on both engines)."""

from __future__ import annotations

from typing import Protocol


class WatchPointStore(Protocol):
    async def open_alert_subjects(self, kind: str) -> set[str]:
        """The subjects of the alerts of ``kind`` that are not resolved."""
        ...
