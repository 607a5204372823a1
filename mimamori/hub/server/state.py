"""What every request handler reaches: the hub's parts, built once per process.

``compose.assemble`` builds it, whole, before the server answers; nothing is set on
it later (it is frozen). Without the hub's loops (``with_ingest=False``: tools and
tests of the API alone) there is no ingest and no alert engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mimamori.hub.access.signin_guard import SigninGuard
from mimamori.hub.alerts.engine import AlertEngine
from mimamori.hub.checkins.line import LineCheckins
from mimamori.hub.config import HubConfig
from mimamori.hub.eid.service import EidService
from mimamori.hub.ingest.loop import Ingest
from mimamori.hub.live.after_commit import AfterCommit
from mimamori.hub.live.fanout import LiveHub
from mimamori.hub.model.clock import Clock
from mimamori.hub.register.changes import RegisterChanges
from mimamori.hub.register.registry import Registry
from mimamori.hub.rollcall.service import RollCalls
from mimamori.hub.searches.bulletins import Bulletins
from mimamori.hub.searches.service import SearchService
from mimamori.hub.server.supervise import LoopHealth
from mimamori.hub.store.port import Store

if TYPE_CHECKING:  # made only when the hub has a LINE account (compose.py)
    from mimamori.hub.line.service import LineService


@dataclass(frozen=True)
class HubState:
    config: HubConfig
    registry: Registry  # the lookups, kept up to date in place as the register changes
    register: RegisterChanges  # the one way to change the register (hub/register/)
    store: Store
    clock: Clock  # the hub's time: tests pass a virtual one
    live: LiveHub
    after_commit: AfterCommit  # what follows a commit of new events, wherever made
    searches: SearchService
    bulletins: Bulletins  # the SOS network's bulletins to partners (issue 18)
    eid: EidService | None  # None: the registry names no tag with rotating ids
    signin: SigninGuard
    ingest: Ingest | None = None  # None: the API alone
    alerts: AlertEngine | None = None
    line: LineService | None = None  # None: no ``hub.line`` (no LINE account)
    rollcall: RollCalls | None = None  # the safety roll-call (issue 19)
    checkins: LineCheckins | None = None  # check-in by LINE: with ``line`` and the loops
    loops: LoopHealth = field(default_factory=LoopHealth)
