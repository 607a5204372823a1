"""The hub's storage: one interface (``Store``), SQLite by default."""

from mimamori.hub.model.accounts import Credential, CredentialKind, Redeemed, Role
from mimamori.hub.model.events import GatewayState, IngestResult, Sighting, StoredEvent
from mimamori.hub.store.port import Store
from mimamori.hub.store.sql_store import SqliteStore

__all__ = [
    "Credential",
    "CredentialKind",
    "GatewayState",
    "IngestResult",
    "Redeemed",
    "Role",
    "Sighting",
    "SqliteStore",
    "Store",
    "StoredEvent",
]
