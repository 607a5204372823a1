"""What every request handler reaches: the hub's parts, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .clock import Clock, system_clock
from .config import HubConfig
from .live import LiveHub
from .registry import Registry
from .signin_guard import SigninGuard
from .store.base import Store
from .supervise import LoopHealth

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
    loops: LoopHealth = field(default_factory=LoopHealth)
    clock: Clock = system_clock  # the hub's time: tests pass a virtual one
    signin: SigninGuard = field(init=False)

    def __post_init__(self) -> None:
        self.signin = SigninGuard(self.store)
