"""The driver port: one adapter per kind of receiver hardware.

A driver owns its hardware connection for the life of the daemon: it opens it,
survives its loss (reopening with backoff), and yields observations. It never
raises for a bad frame (that is counted) nor for a lost device (that becomes a
``ReceiverState(up=False)``); it raises only when it cannot work at all.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Protocol

from mimamori.edge.observations import Observation
from mimamori.protocol.status import DriverStatus


class Driver(Protocol):
    @property
    def id(self) -> str: ...

    def observations(self) -> AsyncGenerator[Observation, None]:
        """Yield observations until cancelled; ``aclose()`` releases the hardware."""
        ...

    def status(self) -> DriverStatus:
        """State and counters for the gateway status message."""
        ...
