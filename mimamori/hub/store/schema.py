"""The SQLite schema, as migrations: entry N takes a database from version N-1 to N.

``PRAGMA user_version`` holds the version; ``SqliteStore.open`` applies what is
missing, each migration in its own transaction. Times are epoch milliseconds (UTC).
"""

from __future__ import annotations

# Each entry moves the schema one version up; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE events (
        id          TEXT PRIMARY KEY,
        gateway_id  TEXT NOT NULL,
        seq         INTEGER NOT NULL,
        ts          INTEGER NOT NULL,
        kind        TEXT NOT NULL,
        tag         TEXT,
        data        TEXT NOT NULL,
        received_at INTEGER NOT NULL
    );
    CREATE INDEX events_tag_ts ON events (tag, ts) WHERE tag IS NOT NULL;
    CREATE INDEX events_gateway_seq ON events (gateway_id, seq);
    CREATE TABLE gateways (
        id            TEXT PRIMARY KEY,
        online        INTEGER,
        status        TEXT,
        status_at     INTEGER,
        last_event_at INTEGER
    );
    CREATE TABLE credentials (
        token_hash TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        role       TEXT NOT NULL,
        family_id  TEXT,
        name       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        used_at    INTEGER
    );
    """,
    # 2: home gateways' household status survives their last will; events by gateway
    # and time for household histories.
    """
    ALTER TABLE gateways ADD COLUMN household TEXT;
    CREATE INDEX events_gateway_ts ON events (gateway_id, ts);
    """,
)
