"""The hub's storage: one interface (``Store``), SQLite by default."""

from .base import (
    Credential,
    CredentialKind,
    GatewayState,
    IngestResult,
    Redeemed,
    Role,
    Sighting,
    Store,
    StoredEvent,
)
from .sqlite import SqliteStore

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
