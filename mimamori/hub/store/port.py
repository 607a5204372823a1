"""The store port: everything the hub keeps, behind one interface made of one port
per concern (``port_*.py``). A module that needs one concern takes that port; the
server, which hands the store to all of them, holds the whole ``Store``.

Callers never see SQL. SQLite is the default engine (``sqlite.py``); PostgreSQL
(``postgres.py``) runs the same statements through the ``sql.Db`` port, tested by the
same suite. Times go in and come out as UTC-aware datetimes.
"""

from __future__ import annotations

from typing import Protocol

from mimamori.hub.store.port_acks import AckStore
from mimamori.hub.store.port_alerts import AlertStore, AuditStore
from mimamori.hub.store.port_cases import CaseStore
from mimamori.hub.store.port_checkins import CheckinStore
from mimamori.hub.store.port_confirmations import ConfirmationStore
from mimamori.hub.store.port_credentials import CredentialStore
from mimamori.hub.store.port_eid import EidStore
from mimamori.hub.store.port_escalation import EscalationStore
from mimamori.hub.store.port_events import EventStore
from mimamori.hub.store.port_federation import FederationStore
from mimamori.hub.store.port_figures import FigureStore
from mimamori.hub.store.port_found import FoundStore
from mimamori.hub.store.port_gateway_configs import GatewayConfigStore
from mimamori.hub.store.port_gateways import GatewayStore
from mimamori.hub.store.port_line import LineStore
from mimamori.hub.store.port_photos import PhotoStore
from mimamori.hub.store.port_privacy import PrivacyStore
from mimamori.hub.store.port_quarantine import QuarantineStore
from mimamori.hub.store.port_register import RegisterStore
from mimamori.hub.store.port_reminders import ReminderStore
from mimamori.hub.store.port_rollcall import RollCallStore
from mimamori.hub.store.port_searches import SearchStore
from mimamori.hub.store.port_sos import SosStore
from mimamori.hub.store.port_users import UserStore
from mimamori.hub.store.port_watchpoints import WatchPointStore


class Store(
    AckStore,
    AlertStore,
    AuditStore,
    CaseStore,
    CheckinStore,
    ConfirmationStore,
    CredentialStore,
    EidStore,
    EscalationStore,
    EventStore,
    FederationStore,
    FoundStore,
    FigureStore,
    GatewayConfigStore,
    GatewayStore,
    LineStore,
    PhotoStore,
    PrivacyStore,
    QuarantineStore,
    RegisterStore,
    ReminderStore,
    RollCallStore,
    SearchStore,
    SosStore,
    UserStore,
    WatchPointStore,
    Protocol,
):
    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the database answers."""
        ...
