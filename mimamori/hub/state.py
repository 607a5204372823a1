"""What every request handler reaches: the hub's parts, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .config import HubConfig
from .live import LiveHub
from .registry import Registry
from .signin_guard import SigninGuard
from .store.base import Store

if TYPE_CHECKING:
    from .alerts.engine import AlertEngine
    from .eid.service import EidService
    from .ingest import Ingest
    from .searches.service import SearchService


@dataclass
class HubState:
    config: HubConfig
    registry: Registry
    store: Store
    live: LiveHub
    ingest: Ingest | None = None
    alerts: AlertEngine | None = None
    searches: SearchService | None = None
    eid: EidService | None = None  # None: the registry names no tag with rotating ids
    # The hub's time for credentials (expiry, sign-in waits); tests move it.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    signin: SigninGuard = field(init=False)

    def __post_init__(self) -> None:
        self.signin = SigninGuard(self.store)
