"""The store port: everything the hub keeps, behind one interface.

Callers never see SQL. SQLite is the default engine (``sqlite.py``); PostgreSQL
(``postgres.py``) runs the same statements through the ``sql.Db`` port, tested by the
same suite. Times go in and come out as UTC-aware datetimes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.accounts import Credential, CredentialKind, Redeemed, User
from mimamori.hub.model.events import (
    GatewayClock,
    GatewayState,
    IngestResult,
    Sighting,
    StoredEvent,
)
from mimamori.hub.store.port_acks import AckStore
from mimamori.hub.store.port_alerts import AlertStore, AuditStore
from mimamori.hub.store.port_credentials import CredentialStore
from mimamori.hub.store.port_eid import EidStore
from mimamori.hub.store.port_federation import FederationStore
from mimamori.hub.store.port_privacy import PrivacyStore
from mimamori.hub.store.port_quarantine import QuarantineStore
from mimamori.hub.store.port_searches import SearchStore
from mimamori.protocol.events import Event
from mimamori.protocol.status import GatewayStatus, HouseholdStatus


class Store(
    AckStore,
    AlertStore,
    AuditStore,
    CredentialStore,
    EidStore,
    FederationStore,
    PrivacyStore,
    QuarantineStore,
    SearchStore,
    Protocol,
):
    async def close(self) -> None: ...

    async def ping(self) -> bool:
        """True when the database answers."""
        ...

    async def ingest(
        self,
        events: Sequence[tuple[str, Event]],
        statuses: Sequence[GatewayStatus],
        received_at: datetime,
        *,
        device_times: Mapping[str, datetime] | None = None,
    ) -> IngestResult:
        """Store events (idempotently, by id) and statuses in one committed transaction.

        An event's ``ts`` is the hub's time for it (``hub/model/clock.py``); where the gateway
        said another, ``device_times`` (by event id) keeps it as evidence. A status is
        stamped with ``received_at``: the hub's clock decides when a gateway went quiet.
        Sightings of forgotten tags are refused (counted in ``forgotten``)."""
        ...

    async def gateway_clocks(self) -> dict[str, GatewayClock]: ...

    async def set_gateway_clocks(
        self, clocks: Mapping[str, GatewayClock], at: datetime
    ) -> list[StoredEvent]:
        """Record each gateway's clock offset; a gateway whose clock turns wrong (or
        right again) gets a ``gateway.clock_wrong`` (``clock_ok``) event, once even
        when several workers see it."""
        ...

    async def last_sighting(self, tags: Sequence[str]) -> Sighting | None: ...

    async def sightings(
        self, tags: Sequence[str], since: datetime, until: datetime, limit: int
    ) -> list[Sighting]:
        """Sightings of ``tags`` in [since, until], oldest first, at most ``limit``
        (the newest ones when there are more)."""
        ...

    async def gateway_states(self) -> list[GatewayState]: ...

    async def mark_silent_gateways(self, now: datetime, missed: int) -> list[StoredEvent]:
        """Online gateways whose status is older than ``missed`` of their refresh
        intervals go offline; returns the ``gateway.offline`` events recorded."""
        ...

    async def events_of(
        self, gateway_ids: Sequence[str], kinds: Sequence[str], since: datetime, until: datetime
    ) -> list[StoredEvent]:
        """Events of these gateways and kinds with ``ts`` in [since, until], oldest first."""
        ...

    async def last_event_of(
        self, gateway_ids: Sequence[str], kinds: Sequence[str]
    ) -> StoredEvent | None: ...

    async def last_seqno(self) -> int:
        """The ``seqno`` of the newest event (0: none)."""
        ...

    async def events_after(self, seqno: int, limit: int) -> tuple[int, list[StoredEvent]]:
        """Events after ``seqno``, oldest first, at most ``limit``; and the last one's
        ``seqno`` (``seqno`` itself when there are none)."""
        ...

    async def household_statuses(self, gateway_ids: Sequence[str]) -> list[HouseholdStatus]:
        """The last household block each of these gateways reported."""
        ...

    async def add_credential(self, token_hash: str, credential: Credential) -> None: ...

    async def find_credential(
        self, kind: CredentialKind, token_hash: str, now: datetime
    ) -> Credential | None:
        """A valid (unexpired, unused, not revoked) credential, or None."""
        ...

    async def redeem_signin(
        self, token_hash: str, now: datetime
    ) -> tuple[Redeemed, Credential | None]:
        """Use a one-time sign-in link: atomically, so two clicks cannot both win."""
        ...

    async def delete_credential(self, kind: CredentialKind, token_hash: str) -> bool:
        """Revoke one credential; False if there was none."""
        ...

    async def add_user(self, user: User, password_hash: str, now: datetime) -> None:
        """Create an account; StoreError if the id is taken."""
        ...

    async def user(self, user_id: str) -> tuple[User, str] | None:
        """The account and its password hash."""
        ...

    async def users(self) -> list[User]: ...

    async def set_password_hash(self, user_id: str, password_hash: str) -> None: ...

    async def set_disabled(self, user_id: str, disabled: bool) -> bool:
        """Disable (or enable) an account; disabling also revokes its sessions and
        tokens, so enabling it again brings none of them back. False: no such account."""
        ...
