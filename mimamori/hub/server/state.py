"""What every request handler reaches: the hub's parts, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mimamori.hub.access.signin_guard import SigninGuard
from mimamori.hub.config import HubConfig
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.model.clock import Clock, system_clock
from mimamori.hub.register.registry import Registry
from mimamori.hub.server.supervise import LoopHealth
from mimamori.hub.store.port import Store

if TYPE_CHECKING:
    from mimamori.hub.alerts.engine import AlertEngine
    from mimamori.hub.eid.service import EidService
    from mimamori.hub.ingest.loop import Ingest
    from mimamori.hub.searches.service import SearchService


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
