"""The hub's schema, for SQLite and PostgreSQL alike: entry N takes a database from
schema N-1 to N.

Each migration is written once; ``{bigint}``, ``{blob}``, ``{real}``, ``{serial}`` and
``{now_ms}`` are what the engines' DDL says differently (``migrations.DDL``), and a
migration whose SQL really differs names its own snippets per engine. How each engine
records its version, and why PostgreSQL's databases start at schema 9, is in
``migrations.py``. Times are epoch milliseconds (UTC); flags are 0/1 integers; JSON is
kept as text.

To change the schema, append a migration at the end; never edit one that has shipped.
The file is the schema's history, read top to bottom, so it stays one file as it grows
past ~400 lines.
"""

from __future__ import annotations

from mimamori.hub.store.migrations import Migration

MIGRATIONS: tuple[Migration, ...] = (
    # 1: events, gateways, credentials.
    Migration("""
    CREATE TABLE events (
        id          TEXT PRIMARY KEY,
        gateway_id  TEXT NOT NULL,
        seq         {bigint} NOT NULL,
        ts          {bigint} NOT NULL,
        kind        TEXT NOT NULL,
        tag         TEXT,
        data        TEXT NOT NULL,
        received_at {bigint} NOT NULL
    );
    CREATE INDEX events_tag_ts ON events (tag, ts) WHERE tag IS NOT NULL;
    CREATE INDEX events_gateway_seq ON events (gateway_id, seq);
    CREATE TABLE gateways (
        id            TEXT PRIMARY KEY,
        online        INTEGER,
        status        TEXT,
        status_at     {bigint},
        last_event_at {bigint}
    );
    CREATE TABLE credentials (
        token_hash TEXT PRIMARY KEY,
        kind       TEXT NOT NULL,
        role       TEXT NOT NULL,
        family_id  TEXT,
        name       TEXT NOT NULL,
        created_at {bigint} NOT NULL,
        expires_at {bigint},
        used_at    {bigint}
    );
    """),
    # 2: home gateways' household status survives their last will; events by gateway
    # and time for household histories.
    Migration("""
    ALTER TABLE gateways ADD COLUMN household TEXT;
    CREATE INDEX events_gateway_ts ON events (gateway_id, ts);
    """),
    # 3: alerts, their escalation plan, and the notification queue with its log.
    Migration("""
    CREATE TABLE alerts (
        id            {serial},
        kind          TEXT NOT NULL,
        subject       TEXT NOT NULL,
        household_id  TEXT,
        severity      INTEGER NOT NULL,
        state         TEXT NOT NULL,
        detail        TEXT NOT NULL,
        events        INTEGER NOT NULL,
        opened_at     {bigint} NOT NULL,
        updated_at    {bigint} NOT NULL,
        acked_at      {bigint},
        acked_by      TEXT,
        ack_note      TEXT,
        resolved_at   {bigint},
        resolved_by   TEXT,
        resolve_note  TEXT
    );
    CREATE UNIQUE INDEX alerts_one_open ON alerts (kind, subject) WHERE state != 'resolved';
    CREATE INDEX alerts_state ON alerts (state, severity);
    CREATE TABLE alert_cursor (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        last_rowid {bigint} NOT NULL
    );
    INSERT INTO alert_cursor (id, last_rowid) VALUES (1, 0);
    CREATE TABLE escalations (
        id          {serial},
        alert_id    {bigint} NOT NULL REFERENCES alerts (id),
        step        INTEGER NOT NULL,
        round       INTEGER NOT NULL,
        due_at      {bigint} NOT NULL,
        recipients  TEXT NOT NULL,
        state       TEXT NOT NULL
    );
    CREATE INDEX escalations_due ON escalations (due_at) WHERE state = 'pending';
    CREATE TABLE notifications (
        id            {serial},
        alert_id      {bigint} REFERENCES alerts (id),
        recipient_id  TEXT NOT NULL,
        channel       INTEGER NOT NULL,
        dedupe_key    TEXT NOT NULL UNIQUE,
        title         TEXT NOT NULL,
        body          TEXT NOT NULL,
        state         TEXT NOT NULL,
        attempts      INTEGER NOT NULL DEFAULT 0,
        next_at       {bigint} NOT NULL,
        claimed_until {bigint},
        last_error    TEXT,
        created_at    {bigint} NOT NULL,
        sent_at       {bigint}
    );
    CREATE INDEX notifications_due ON notifications (next_at) WHERE state = 'pending';
    CREATE TABLE deliveries (
        id              {serial},
        notification_id {bigint} NOT NULL REFERENCES notifications (id),
        at              {bigint} NOT NULL,
        ok              INTEGER NOT NULL,
        error           TEXT
    );
    """),
    # 4: the hub's own secrets (made on first use), and the audit log.
    Migration("""
    CREATE TABLE hub_secrets (
        name  TEXT PRIMARY KEY,
        value {blob} NOT NULL
    );
    CREATE TABLE audit (
        id       {serial},
        at       {bigint} NOT NULL,
        who      TEXT NOT NULL,
        role     TEXT NOT NULL,
        action   TEXT NOT NULL,
        subject  TEXT NOT NULL,
        detail   TEXT
    );
    CREATE INDEX audit_at ON audit (at);
    """),
    # 5: accounts with passwords and roles; credentials may belong to one.
    Migration("""
    CREATE TABLE users (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        role          TEXT NOT NULL,
        family_id     TEXT,
        households    TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at    {bigint} NOT NULL,
        disabled      INTEGER NOT NULL DEFAULT 0
    );
    ALTER TABLE credentials ADD COLUMN user_id TEXT REFERENCES users (id);
    """),
    # 6: searches for a missing person, who takes part, links shared with the police,
    # throttles of notices; alerts about a person (outside the usual area) besides homes.
    Migration("""
    CREATE TABLE searches (
        id          TEXT PRIMARY KEY,
        person_id   TEXT NOT NULL,
        state       TEXT NOT NULL,
        started_by  TEXT NOT NULL,
        started_at  {bigint} NOT NULL,
        expires_at  {bigint} NOT NULL,
        ended_at    {bigint},
        ended_by    TEXT,
        note        TEXT,
        published   TEXT
    );
    CREATE INDEX searches_person ON searches (person_id, started_at);
    CREATE UNIQUE INDEX searches_one_active ON searches (person_id) WHERE state = 'active';
    CREATE TABLE search_participants (
        search_id  TEXT NOT NULL REFERENCES searches (id),
        who        TEXT NOT NULL,
        role       TEXT NOT NULL,
        family_id  TEXT,
        user_id    TEXT,
        joined_at  {bigint} NOT NULL,
        PRIMARY KEY (search_id, who, role)
    );
    CREATE TABLE search_shares (
        id          {serial},
        search_id   TEXT NOT NULL REFERENCES searches (id),
        token_hash  TEXT NOT NULL UNIQUE,
        label       TEXT NOT NULL,
        created_by  TEXT NOT NULL,
        created_at  {bigint} NOT NULL,
        expires_at  {bigint} NOT NULL,
        revoked_at  {bigint},
        revoked_by  TEXT,
        views       INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE notice_throttle (
        key     TEXT PRIMARY KEY,
        last_at {bigint} NOT NULL
    );
    ALTER TABLE alerts ADD COLUMN person_id TEXT;
    """),
    # 7: searches across town borders: what each peer was told of our searches, the
    # searches peers relayed to us (and how far their sightings went back), and the
    # peers' watch points that sightings came from.
    Migration("""
    CREATE TABLE search_relays (
        search_id TEXT NOT NULL REFERENCES searches (id),
        peer      TEXT NOT NULL,
        told      TEXT NOT NULL,
        PRIMARY KEY (search_id, peer)
    );
    CREATE TABLE foreign_searches (
        id           TEXT PRIMARY KEY,
        origin       TEXT NOT NULL,
        remote_id    TEXT NOT NULL,
        tags         TEXT NOT NULL,
        started_at   {bigint} NOT NULL,
        until        {bigint} NOT NULL,
        state        TEXT NOT NULL,
        published    TEXT,
        relayed_rowid {bigint} NOT NULL DEFAULT 0
    );
    CREATE TABLE peer_gateways (
        id    TEXT PRIMARY KEY,
        peer  TEXT NOT NULL,
        name  TEXT NOT NULL,
        lat   {real},
        lon   {real}
    );
    """),
    # 8: tags with rotating ids (Eddystone-EID): identity keys sealed with the hub's
    # key-encryption key, and what the hub learned of each tag's clock.
    Migration("""
    CREATE TABLE eid_tags (
        tag_id     TEXT PRIMARY KEY,
        sealed_key {blob} NOT NULL,
        exponent   INTEGER NOT NULL,
        offset_lo  {bigint} NOT NULL,
        offset_hi  {bigint} NOT NULL,
        created_at {bigint} NOT NULL,
        updated_at {bigint} NOT NULL
    );
    """),
    # 9: keep only what is needed (docs/privacy.md). Events get a row id that is never
    # reused ({serial}): the alert engine reads events past a cursor on it, and once
    # purges and forgets delete rows, SQLite's default max(rowid)+1 would hand the
    # rowid of a deleted newest event to the next one, which the cursor has passed.
    # Sightings get an index by time for the purge; forgotten people's tags are
    # refused at ingest. On PostgreSQL (whose databases start here, made in one step
    # with 1..8, so the old table is always empty) the table keeps the names a
    # PostgreSQL database has had from the start, and no index by gateway and seq: no
    # query uses it (docs/postgres.md).
    Migration(
        """
    CREATE TABLE events_v9 (
        seqno       {serial},
        id          TEXT NOT NULL UNIQUE,
        gateway_id  TEXT NOT NULL,
        seq         {bigint} NOT NULL,
        ts          {bigint} NOT NULL,
        kind        TEXT NOT NULL,
        tag         TEXT,
        data        TEXT NOT NULL,
        received_at {bigint} NOT NULL
    );
    {copy_events};
    DROP TABLE events;
    ALTER TABLE events_v9 RENAME TO events;
    {keep_names}
    CREATE INDEX events_tag_ts ON events (tag, ts) WHERE tag IS NOT NULL;
    {gateway_seq_index}
    CREATE INDEX events_gateway_ts ON events (gateway_id, ts);
    CREATE INDEX events_sightings_ts ON events (ts) WHERE tag IS NOT NULL;
    CREATE TABLE forgotten_tags (
        tag          TEXT PRIMARY KEY,
        person_id    TEXT NOT NULL,
        forgotten_at {bigint} NOT NULL
    );
    """,
        sqlite={
            "copy_events": (
                "INSERT INTO events_v9 (seqno, id, gateway_id, seq, ts, kind, tag, data, "
                "received_at) SELECT rowid, id, gateway_id, seq, ts, kind, tag, data, "
                "received_at FROM events ORDER BY rowid"
            ),
            "keep_names": "",
            "gateway_seq_index": "CREATE INDEX events_gateway_seq ON events (gateway_id, seq);",
        },
        postgres={
            "copy_events": (
                "INSERT INTO events_v9 (id, gateway_id, seq, ts, kind, tag, data, received_at) "
                "SELECT id, gateway_id, seq, ts, kind, tag, data, received_at FROM events "
                "ORDER BY received_at, ts"
            ),
            "keep_names": (
                "ALTER TABLE events RENAME CONSTRAINT events_v9_pkey TO events_pkey;"
                " ALTER TABLE events RENAME CONSTRAINT events_v9_id_key TO events_id_key;"
                " ALTER SEQUENCE events_v9_seqno_seq RENAME TO events_seqno_seq;"
            ),
            "gateway_seq_index": "",
        },
    ),
    # 10: each gateway's status interval in a column of its own: the watch for silent
    # gateways asks SQL which are late, instead of parsing every status (thousands of
    # them every 10 s in a town) while the store waits.
    Migration(
        """
    ALTER TABLE gateways ADD COLUMN interval_ms {bigint};
    UPDATE gateways SET interval_ms = CAST({interval_s} * 1000 AS {bigint})
        WHERE status IS NOT NULL AND {interval_s} IS NOT NULL;
    """,
        sqlite={"interval_s": "json_extract(status, '$.interval_s')"},
        postgres={"interval_s": "(status::json ->> 'interval_s')::double precision"},
    ),
    # 11: no message is poison (docs/faults.md). What the hub refused or failed to
    # handle is kept aside in ``quarantine``; an event's time is the hub's (clock.py),
    # the gateway's own kept in ``device_ts`` when it differs; each gateway's clock
    # offset, and whether it counts as wrong, for the technicians.
    Migration("""
    ALTER TABLE events ADD COLUMN device_ts {bigint};
    ALTER TABLE gateways ADD COLUMN clock_offset_ms {bigint};
    ALTER TABLE gateways ADD COLUMN clock_wrong INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE quarantine (
        id         {serial},
        at         {bigint} NOT NULL,
        source     TEXT NOT NULL,
        gateway_id TEXT,
        topic      TEXT,
        reason     TEXT NOT NULL,
        failure    INTEGER NOT NULL,
        detail     TEXT NOT NULL,
        size       INTEGER NOT NULL,
        payload    {blob}
    );
    CREATE INDEX quarantine_key ON quarantine (source, gateway_id, reason, id);
    CREATE INDEX quarantine_at ON quarantine (at);
    """),
    # 12: every credential ends (docs/alerts.md): bearer tokens made when they had no
    # expiry get the default 90 days (7,776,000,000 ms) from the upgrade; and password
    # sign-in failures, counted per account, address and browser
    # (hub/access/signin_guard.py), kept in the database so the limits hold across
    # restarts and hub workers. Safe to run again (IF NOT EXISTS): tests re-run the
    # upgrades after an older one.
    Migration("""
    UPDATE credentials
        SET expires_at = {now_ms} + 7776000000
        WHERE expires_at IS NULL;
    CREATE TABLE IF NOT EXISTS signin_attempts (
        key      TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_at  {bigint} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS signin_attempts_last_at ON signin_attempts (last_at);
    """),
    # 13: the nonces of peer hubs' signed requests, for as long as their time is in the
    # window: a replay is refused by every worker and after a restart. (IF NOT EXISTS:
    # a test that sets the version back to re-run an older migration runs this again.)
    Migration("""
    CREATE TABLE IF NOT EXISTS peer_nonces (
        peer    TEXT NOT NULL,
        nonce   TEXT NOT NULL,
        sent_at {bigint} NOT NULL,
        PRIMARY KEY (peer, nonce)
    );
    CREATE INDEX IF NOT EXISTS peer_nonces_sent_at ON peer_nonces (sent_at);
    """),
    # 14: end-to-end acknowledgement (hub/ingest/ack_chain.py): per gateway and outbox epoch,
    # the highest seq up to which everything is stored, and the batches' ranges that
    # wait for a gap below them to fill.
    Migration("""
    CREATE TABLE IF NOT EXISTS ack_chains (
        gateway_id TEXT NOT NULL,
        epoch      TEXT NOT NULL,
        confirmed  {bigint} NOT NULL,
        updated_at {bigint} NOT NULL,
        PRIMARY KEY (gateway_id, epoch)
    );
    CREATE TABLE IF NOT EXISTS ack_links (
        gateway_id TEXT NOT NULL,
        epoch      TEXT NOT NULL,
        after_seq  {bigint} NOT NULL,
        last_seq   {bigint} NOT NULL,
        PRIMARY KEY (gateway_id, epoch, after_seq, last_seq)
    );
    """),
    # 15: the town's register, moved from the hub's YAML into the database (issue 14;
    # hub/register/). Each entry is a row with its JSON (``doc``) and a ``version`` a
    # change must name (a stale one is refused); the fields lists search and join on
    # are columns of their own, indexed for 10,000 people (``people_*``); the tables
    # an entry owns (tags, consents, contacts in order, members) go with it. Names and
    # readings compare byte by byte on both engines ({c}: PostgreSQL's "C" collation),
    # so a prefix is a range of the index. Contacts' channel URLs are secrets: a
    # column of their own that no read for display selects. Every change bumps
    # ``register_state.version`` (other workers reload when it moves) and leaves a
    # row in ``register_audit`` with the entry before and after. ``added`` keeps the
    # order entries were registered in (lists show them so, an import the file's).
    Migration(
        """
    CREATE TABLE IF NOT EXISTS register_state (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        version {bigint} NOT NULL
    );
    INSERT INTO register_state (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING;
    CREATE TABLE IF NOT EXISTS areas (
        id      TEXT PRIMARY KEY,
        name    TEXT NOT NULL,
        doc     TEXT NOT NULL,
        version {bigint} NOT NULL,
        added   {bigint} NOT NULL
    );
    CREATE TABLE IF NOT EXISTS contacts (
        id        TEXT PRIMARY KEY,
        name      TEXT NOT NULL,
        family_id TEXT,
        channels  TEXT NOT NULL,
        doc       TEXT NOT NULL,
        version   {bigint} NOT NULL,
        added     {bigint} NOT NULL
    );
    CREATE TABLE IF NOT EXISTS policies (
        id      TEXT PRIMARY KEY,
        doc     TEXT NOT NULL,
        version {bigint} NOT NULL,
        added   {bigint} NOT NULL
    );
    CREATE TABLE IF NOT EXISTS watch_points (
        id      TEXT PRIMARY KEY,
        area_id TEXT NOT NULL REFERENCES areas (id),
        name    TEXT NOT NULL,
        site    TEXT NOT NULL,
        lat     {real} NOT NULL,
        lon     {real} NOT NULL,
        doc     TEXT NOT NULL,
        version {bigint} NOT NULL,
        added   {bigint} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS watch_points_area ON watch_points (area_id, site);
    CREATE TABLE IF NOT EXISTS households (
        id                 TEXT PRIMARY KEY,
        area_id            TEXT NOT NULL REFERENCES areas (id),
        name               TEXT{c} NOT NULL,
        evacuation_support INTEGER NOT NULL,
        doc                TEXT NOT NULL,
        version            {bigint} NOT NULL,
        added              {bigint} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS households_area ON households (area_id, name);
    CREATE TABLE IF NOT EXISTS household_gateways (
        gateway_id   TEXT PRIMARY KEY,
        household_id TEXT NOT NULL REFERENCES households (id) ON DELETE CASCADE
    );
    CREATE INDEX IF NOT EXISTS household_gateways_household
        ON household_gateways (household_id);
    CREATE TABLE IF NOT EXISTS people (
        id           TEXT PRIMARY KEY,
        area_id      TEXT NOT NULL REFERENCES areas (id),
        name         TEXT{c} NOT NULL,
        reading      TEXT{c} NOT NULL,
        household_id TEXT REFERENCES households (id),
        minsei_id    TEXT REFERENCES contacts (id),
        review_on    TEXT,
        doc          TEXT NOT NULL,
        version      {bigint} NOT NULL,
        added        {bigint} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS people_area_reading ON people (area_id, reading, id);
    CREATE INDEX IF NOT EXISTS people_reading ON people (reading, id);
    CREATE INDEX IF NOT EXISTS people_name ON people (name);
    CREATE INDEX IF NOT EXISTS people_household ON people (household_id);
    CREATE INDEX IF NOT EXISTS people_minsei ON people (minsei_id);
    CREATE INDEX IF NOT EXISTS people_area_review ON people (area_id, review_on);
    CREATE INDEX IF NOT EXISTS people_review ON people (review_on);
    CREATE TABLE IF NOT EXISTS person_tags (
        tag       TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE
    );
    CREATE INDEX IF NOT EXISTS person_tags_person ON person_tags (person_id);
    CREATE TABLE IF NOT EXISTS consents (
        person_id    TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        purpose      TEXT NOT NULL,
        by_name      TEXT NOT NULL,
        relation     TEXT NOT NULL,
        given_on     TEXT NOT NULL,
        form_kept    TEXT,
        withdrawn_on TEXT,
        PRIMARY KEY (person_id, purpose)
    );
    CREATE TABLE IF NOT EXISTS person_contacts (
        person_id  TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
        seq        INTEGER NOT NULL,
        contact_id TEXT NOT NULL REFERENCES contacts (id),
        PRIMARY KEY (person_id, seq)
    );
    CREATE INDEX IF NOT EXISTS person_contacts_contact ON person_contacts (contact_id);
    CREATE TABLE IF NOT EXISTS families (
        id      TEXT PRIMARY KEY,
        name    TEXT NOT NULL,
        doc     TEXT NOT NULL,
        version {bigint} NOT NULL,
        added   {bigint} NOT NULL
    );
    CREATE TABLE IF NOT EXISTS family_people (
        family_id TEXT NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        person_id TEXT NOT NULL REFERENCES people (id),
        PRIMARY KEY (family_id, person_id)
    );
    CREATE INDEX IF NOT EXISTS family_people_person ON family_people (person_id);
    CREATE TABLE IF NOT EXISTS family_households (
        family_id    TEXT NOT NULL REFERENCES families (id) ON DELETE CASCADE,
        household_id TEXT NOT NULL REFERENCES households (id),
        PRIMARY KEY (family_id, household_id)
    );
    CREATE INDEX IF NOT EXISTS family_households_household
        ON family_households (household_id);
    CREATE TABLE IF NOT EXISTS register_audit (
        id               {serial},
        at               {bigint} NOT NULL,
        who              TEXT NOT NULL,
        role             TEXT NOT NULL,
        via              TEXT NOT NULL,
        action           TEXT NOT NULL,
        entity           TEXT NOT NULL,
        entity_id        TEXT NOT NULL,
        before_doc       TEXT,
        after_doc        TEXT,
        register_version {bigint} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS register_audit_entry ON register_audit (entity, entity_id);
    CREATE INDEX IF NOT EXISTS register_audit_version ON register_audit (register_version);
    CREATE INDEX IF NOT EXISTS register_audit_at ON register_audit (at);
    """,
        sqlite={"c": ""},
        postgres={"c": ' COLLATE "C"'},
    ),
    # 16: LINE (hub/line/, docs/line.md): which LINE user hears for which recipient
    # (by the recipient's id, a plain string, so it outlives where the register is kept);
    # one-time linking codes (hashed) and each LINE user's failed tries; the webhook's
    # events, kept by LINE's webhookEventId until handled and for a while after (a replay
    # is a no-op); messages pushed per month, against the plan's allowance.
    Migration("""
    CREATE TABLE IF NOT EXISTS line_bindings (
        recipient_id TEXT PRIMARY KEY,
        line_user_id TEXT NOT NULL,
        state        TEXT NOT NULL,
        bound_at     {bigint} NOT NULL,
        changed_at   {bigint} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS line_bindings_user ON line_bindings (line_user_id);
    CREATE TABLE IF NOT EXISTS line_codes (
        code_hash    TEXT PRIMARY KEY,
        recipient_id TEXT NOT NULL,
        created_at   {bigint} NOT NULL,
        expires_at   {bigint} NOT NULL,
        used_at      {bigint},
        used_by      TEXT
    );
    CREATE INDEX IF NOT EXISTS line_codes_recipient ON line_codes (recipient_id);
    CREATE TABLE IF NOT EXISTS line_attempts (
        line_user_id TEXT PRIMARY KEY,
        failures     INTEGER NOT NULL,
        first_at     {bigint} NOT NULL
    );
    CREATE TABLE IF NOT EXISTS line_events (
        id            {serial},
        event_id      TEXT NOT NULL UNIQUE,
        body          TEXT NOT NULL,
        state         TEXT NOT NULL,
        attempts      INTEGER NOT NULL DEFAULT 0,
        received_at   {bigint} NOT NULL,
        claimed_until {bigint},
        error         TEXT
    );
    CREATE INDEX IF NOT EXISTS line_events_pending ON line_events (id) WHERE state = 'pending';
    CREATE INDEX IF NOT EXISTS line_events_received ON line_events (received_at);
    CREATE TABLE IF NOT EXISTS line_usage (
        month  TEXT PRIMARY KEY,
        pushed INTEGER NOT NULL,
        warned INTEGER NOT NULL DEFAULT 0
    );
    """),
    # 17: staff work in care-centre areas (issue 14): the areas of each account. An
    # account made before has none: a staff account sees no one until given its areas
    # (``mimamori hub user areas``), never everyone.
    Migration("""
    CREATE TABLE IF NOT EXISTS user_areas (
        user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        area_id TEXT NOT NULL,
        PRIMARY KEY (user_id, area_id)
    );
    """),
    # 18: contacts told they are registered (issue 14): the last request sent to each
    # contact (a one-time link's hash, the people it named, the contact's version),
    # and whether they confirmed; requests are decided by following the register's
    # audit from ``confirm_cursor``, which starts at the register as it stands, so an
    # upgrade asks nobody about what was registered before it.
    Migration("""
    CREATE TABLE IF NOT EXISTS contact_confirmations (
        contact_id      TEXT PRIMARY KEY,
        token_hash      TEXT NOT NULL UNIQUE,
        people          TEXT NOT NULL,
        contact_version {bigint} NOT NULL,
        asked_at        {bigint} NOT NULL,
        asked_by        TEXT NOT NULL,
        confirmed_at    {bigint}
    );
    CREATE TABLE IF NOT EXISTS confirm_cursor (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        version {bigint} NOT NULL
    );
    INSERT INTO confirm_cursor (id, version) SELECT 1, version FROM register_state
        WHERE true ON CONFLICT (id) DO NOTHING;
    """),
    # 19: reminders for the person (issue 15, hub/alerts/reminders.py): what the hub
    # did about each level-0 missed check-in, per channel, and the cursor it follows
    # the events with. The cursor starts at the newest event, so an upgrade reminds
    # nobody of days gone by.
    Migration("""
    CREATE TABLE IF NOT EXISTS reminders (
        event_id     TEXT NOT NULL,
        channel      TEXT NOT NULL,
        household_id TEXT NOT NULL,
        gateway_id   TEXT NOT NULL,
        at           {bigint} NOT NULL,
        outcome      TEXT NOT NULL,
        detail       TEXT NOT NULL,
        PRIMARY KEY (event_id, channel)
    );
    CREATE INDEX IF NOT EXISTS reminders_household_at ON reminders (household_id, at);
    CREATE TABLE IF NOT EXISTS reminder_cursor (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        seqno  {bigint} NOT NULL
    );
    INSERT INTO reminder_cursor (id, seqno) SELECT 1, coalesce(max(seqno), 0) FROM events
        WHERE true ON CONFLICT (id) DO NOTHING;
    """),
    # 20: partners' reports and the care centre's cases (issue 16, hub/cases/):
    # partners and their personal report links (a token's hash; the channel feedback
    # goes to, write-only); cases about a household or an address (at most one open
    # per household, and per address of an area); a case's timeline (reports, notes,
    # triage, assignment, closing; a resident's report keeps the address as typed, for
    # the public form's bound per address); the feedback to reporters, queued with the change
    # that causes it and sent with retries (``cases/feedback.py``).
    Migration("""
    CREATE TABLE IF NOT EXISTS partners (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        kind       TEXT NOT NULL,
        areas      TEXT NOT NULL,
        created_at {bigint} NOT NULL
    );
    CREATE TABLE IF NOT EXISTS partner_links (
        id         {serial},
        partner_id TEXT NOT NULL REFERENCES partners (id),
        label      TEXT NOT NULL,
        channel    TEXT,
        lang       TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_at {bigint} NOT NULL,
        revoked_at {bigint}
    );
    CREATE INDEX IF NOT EXISTS partner_links_partner ON partner_links (partner_id);
    CREATE TABLE IF NOT EXISTS cases (
        id           {serial},
        area         TEXT NOT NULL,
        household_id TEXT,
        address      TEXT,
        state        TEXT NOT NULL,
        triage       TEXT,
        outcome      TEXT,
        assigned_to  TEXT,
        opened_at    {bigint} NOT NULL,
        updated_at   {bigint} NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS cases_open_household ON cases (household_id)
        WHERE state != 'closed' AND household_id IS NOT NULL;
    CREATE UNIQUE INDEX IF NOT EXISTS cases_open_address ON cases (area, address)
        WHERE state != 'closed' AND address IS NOT NULL;
    CREATE INDEX IF NOT EXISTS cases_area_state ON cases (area, state, opened_at);
    CREATE TABLE IF NOT EXISTS case_timeline (
        id         {serial},
        case_id    {bigint} NOT NULL REFERENCES cases (id),
        at         {bigint} NOT NULL,
        step       TEXT NOT NULL,
        who        TEXT NOT NULL,
        text       TEXT NOT NULL,
        noticed    TEXT,
        partner_id TEXT,
        link_id    {bigint},
        typed      TEXT
    );
    CREATE INDEX IF NOT EXISTS case_timeline_case ON case_timeline (case_id, id);
    CREATE INDEX IF NOT EXISTS case_timeline_typed ON case_timeline (typed, at)
        WHERE typed IS NOT NULL;
    CREATE INDEX IF NOT EXISTS case_timeline_link ON case_timeline (link_id, at)
        WHERE link_id IS NOT NULL;
    CREATE TABLE IF NOT EXISTS case_feedback (
        id         {serial},
        link_id    {bigint} NOT NULL REFERENCES partner_links (id),
        dedupe_key TEXT NOT NULL UNIQUE,
        title      TEXT NOT NULL,
        body       TEXT NOT NULL,
        state      TEXT NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        next_at    {bigint} NOT NULL,
        error      TEXT,
        sent_at    {bigint}
    );
    CREATE INDEX IF NOT EXISTS case_feedback_due ON case_feedback (next_at)
        WHERE state = 'pending';
    """),
    # 21: people's photos (issue 14): re-encoded at the desk (no GPS or other metadata
    # kept), one row per photo, named from the person's entry (``PersonEntry.photo``);
    # a forget deletes them with the person.
    Migration("""
    CREATE TABLE IF NOT EXISTS photos (
        id         TEXT PRIMARY KEY,
        person_id  TEXT NOT NULL,
        media_type TEXT NOT NULL,
        width      INTEGER NOT NULL,
        height     INTEGER NOT NULL,
        data       {blob} NOT NULL,
        stored_at  {bigint} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS photos_person ON photos (person_id);
    """),
    # 22: escalation that follows how towns respond (issue 15): an alert someone is
    # handling waits until ``handling_until``; how it ended (``outcome``); what each
    # step asks (notify, call, visit) and when it was taken; every answer to an alert
    # (handling, decline, a call's result) for its timeline.
    Migration("""
    ALTER TABLE alerts ADD COLUMN handling_until {bigint};
    ALTER TABLE alerts ADD COLUMN outcome TEXT;
    ALTER TABLE escalations ADD COLUMN action TEXT NOT NULL DEFAULT 'notify';
    ALTER TABLE escalations ADD COLUMN done_at {bigint};
    CREATE TABLE IF NOT EXISTS alert_answers (
        id       {serial},
        alert_id {bigint} NOT NULL REFERENCES alerts (id),
        at       {bigint} NOT NULL,
        who      TEXT NOT NULL,
        role     TEXT NOT NULL,
        answer   TEXT NOT NULL,
        note     TEXT
    );
    CREATE INDEX IF NOT EXISTS alert_answers_alert ON alert_answers (alert_id, at);
    CREATE INDEX IF NOT EXISTS escalations_alert ON escalations (alert_id, state);
    """),
    # 23: "not seen for N days" (issue 16, hub/cases/not_seen.py): each absence a case
    # was opened for, by person and last sighting, written in the case's transaction,
    # so neither the next sweep nor a restarted hub files the same absence again.
    Migration("""
    CREATE TABLE IF NOT EXISTS not_seen_filed (
        person_id TEXT NOT NULL,
        last_seen {bigint} NOT NULL,
        case_id   {bigint} REFERENCES cases (id),
        filed_at  {bigint} NOT NULL,
        PRIMARY KEY (person_id, last_seen)
    );
    """),
    # 24 (issue 20): what the hub learned of each watch point's receiver from its
    # statuses (alerts/hearing.py): its quiet run, its normal quiet by day, its rate.
    Migration("""
    CREATE TABLE IF NOT EXISTS receiver_hearing (
        gateway_id  TEXT NOT NULL,
        receiver_id TEXT NOT NULL,
        doc         TEXT NOT NULL,
        PRIMARY KEY (gateway_id, receiver_id)
    );
    """),
    # 25 (issue 15): which notification each reminder queued (its dedupe key), so the
    # household calendar says whether it reached the person, is still being tried, or
    # failed for good (store/sql_reminders.py): one row per notification, as a person
    # may have several channels of one kind.
    Migration("""
    CREATE TABLE IF NOT EXISTS reminder_notices (
        event_id   TEXT NOT NULL,
        channel    TEXT NOT NULL,
        dedupe_key TEXT NOT NULL,
        PRIMARY KEY (event_id, channel, dedupe_key)
    );
    """),
    # 26 (issue 19): the town's figures count a year of alerts, notifications and
    # searches by when each began (store/sql_figures.py); without these indexes each
    # count would read every row the hub ever kept.
    Migration("""
    CREATE INDEX IF NOT EXISTS alerts_opened ON alerts (opened_at);
    CREATE INDEX IF NOT EXISTS notifications_created ON notifications (created_at);
    CREATE INDEX IF NOT EXISTS searches_started ON searches (started_at);
    """),
    # 27 (issue 20, the fleet page): the events the hub itself records of its gateways
    # (seq 0: online, offline, clock) by kind, gateway and time, so the page learns
    # since when each gateway is online or offline, and its restarts of the day, in one
    # query for the town instead of a scan of every sighting.
    Migration("""
    CREATE INDEX IF NOT EXISTS events_hub_kind ON events (kind, gateway_id, ts) WHERE seq = 0;
    """),
    # 28 (issue 18, hub/found/): found-person QR stickers (a sheet's token kept as its
    # hash only), each scan (for the town's figures), a finder's 「保護しています」 with
    # the position they chose to share, and the thread's messages (deleted N days
    # after the person is safe: privacy.found_messages_days).
    Migration("""
    CREATE TABLE IF NOT EXISTS found_stickers (
        id         {serial},
        person_id  TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        issued_at  {bigint} NOT NULL,
        issued_by  TEXT NOT NULL,
        revoked_at {bigint},
        scans      {bigint} NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS found_stickers_person ON found_stickers (person_id);
    CREATE TABLE IF NOT EXISTS found_scans (
        sticker_id {bigint} NOT NULL REFERENCES found_stickers (id),
        at         {bigint} NOT NULL
    );
    CREATE INDEX IF NOT EXISTS found_scans_at ON found_scans (at);
    CREATE TABLE IF NOT EXISTS found_reports (
        id         {serial},
        sticker_id {bigint} NOT NULL REFERENCES found_stickers (id),
        person_id  TEXT NOT NULL,
        opened_at  {bigint} NOT NULL,
        lat        {real},
        lon        {real},
        state      TEXT NOT NULL,
        safe_at    {bigint},
        phone      TEXT
    );
    CREATE UNIQUE INDEX IF NOT EXISTS found_reports_open ON found_reports (sticker_id)
        WHERE state = 'open';
    CREATE INDEX IF NOT EXISTS found_reports_person ON found_reports (person_id, opened_at);
    CREATE TABLE IF NOT EXISTS found_messages (
        id        {serial},
        report_id {bigint} NOT NULL REFERENCES found_reports (id),
        at        {bigint} NOT NULL,
        side      TEXT NOT NULL,
        body      TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS found_messages_report ON found_messages (report_id, id);
    """),
    # 29 (issue 16) a reporter's feedback is a notification of the one queue (alerts/
    # delivery.py), to the partner link's channel: what ``case_feedback`` held moves
    # there (its states and attempts are the queue's own words) and the table goes.
    Migration("""
    INSERT INTO notifications (alert_id, recipient_id, channel, dedupe_key, title, body,
        state, attempts, next_at, last_error, created_at, sent_at)
    SELECT NULL, 'partner-link:' || CAST(link_id AS TEXT), 0, dedupe_key, title, body,
        state, attempts, next_at, error, next_at, sent_at
    FROM case_feedback ORDER BY id;
    DROP TABLE case_feedback;
    """),
    # 30 (issue 16) each line of a utility's batch that was filed, by partner and the
    # line's stable key (cases/anomalies.py): the same CSV uploaded twice files its
    # reports once, and says how many were filed already.
    Migration("""
    CREATE TABLE IF NOT EXISTS batch_lines (
        partner_id TEXT NOT NULL REFERENCES partners (id),
        line_key   TEXT NOT NULL,
        case_id    {bigint} REFERENCES cases (id),
        filed_at   {bigint} NOT NULL,
        PRIMARY KEY (partner_id, line_key)
    );
    """),
    # 31 (issue 16) a report's photo (re-encoded, in ``photos``: owned by its case) and
    # the pin of the reporter's phone; both for staff only (the case page).
    Migration("""
    ALTER TABLE case_timeline ADD COLUMN photo TEXT;
    ALTER TABLE case_timeline ADD COLUMN lat {real};
    ALTER TABLE case_timeline ADD COLUMN lon {real};
    """),
    # 32 (issue 19): the safety roll-call (hub/rollcall/): one row per roll-call (its
    # cursor through the events, moved by compare-and-set, so presses and sightings
    # after the start are read once across workers; its report kept at the end), one
    # per household asked (its link's token as a SHA-256 hash, its answer, a visit).
    Migration("""
    CREATE TABLE IF NOT EXISTS rollcalls (
        id         {serial},
        area       TEXT,
        message    TEXT NOT NULL,
        started_by TEXT NOT NULL,
        started_at {bigint} NOT NULL,
        seqno      {bigint} NOT NULL,
        ended_at   {bigint},
        ended_by   TEXT,
        report     TEXT
    );
    CREATE TABLE IF NOT EXISTS rollcall_households (
        rollcall_id  {bigint} NOT NULL REFERENCES rollcalls (id),
        household_id TEXT NOT NULL,
        area         TEXT NOT NULL,
        support      INTEGER NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        button       TEXT NOT NULL,
        notices      INTEGER NOT NULL,
        answer       TEXT,
        how          TEXT,
        answered_at  {bigint},
        seen_at      {bigint},
        seen_where   TEXT,
        visit        TEXT,
        visit_at     {bigint},
        visit_by     TEXT,
        PRIMARY KEY (rollcall_id, household_id)
    );
    CREATE INDEX IF NOT EXISTS rollcall_households_button
        ON rollcall_households (button) WHERE button = 'pending';
    """),
    # 33 (issue 17) check-in by LINE: each person's check-in state as the hub keeps it
    # (hub/checkins/): the open period, the ladder steps sent, the prompt sent; moved
    # by compare-and-set on ``version`` so one hub worker decides each step once.
    Migration("""
    CREATE TABLE IF NOT EXISTS line_checkins (
        person_id  TEXT PRIMARY KEY,
        version    {bigint} NOT NULL,
        state      TEXT NOT NULL,
        updated_at {bigint} NOT NULL
    );
    """),
    # 34 (issue 19) the roll-call's list by page: its order (not answered first, the
    # support list first, then who is not even seen; help before safe) as an expression
    # the page's ORDER BY repeats word for word (``store/sql_rollcall.py``), so a page
    # of a 10,000-household roll-call is read from the index, not sorted.
    Migration("""
    CREATE INDEX IF NOT EXISTS rollcall_households_rank ON rollcall_households (
        rollcall_id,
        (CASE WHEN answer IS NULL THEN 0 ELSE 4 END
         + CASE WHEN support = 1 THEN 0 ELSE 2 END
         + CASE WHEN answer = 'safe' OR (answer IS NULL AND seen_at IS NOT NULL)
           THEN 1 ELSE 0 END),
        household_id
    );
    """),
    # 35 (issue 19) the tags' arrivals at each gateway, by hour, kept when the purge
    # removes the sightings (store/sql_privacy.py): the town's map of watch points by
    # activity counts a year, and sightings are kept ``privacy.sightings_days`` only.
    Migration("""
    CREATE TABLE IF NOT EXISTS gateway_arrivals (
        gateway_id TEXT NOT NULL,
        hour       {bigint} NOT NULL,
        arrivals   {bigint} NOT NULL,
        PRIMARY KEY (gateway_id, hour)
    );
    """),
    # 36 (issue 18, part 2) the town's SOS network (hub/searches/bulletins.py): a
    # partner link may opt in to search bulletins; the family's consent to share, per
    # search (who agreed, who recorded it, when, how the person is named); one bulletin
    # per search and partner link (sent, viewed, 見かけた, withdrawn) and what was tapped.
    Migration("""
    ALTER TABLE partner_links ADD COLUMN bulletins INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE IF NOT EXISTS search_consents (
        search_id   TEXT PRIMARY KEY REFERENCES searches (id),
        agreed_by   TEXT NOT NULL,
        recorded_by TEXT NOT NULL,
        role        TEXT NOT NULL,
        at          {bigint} NOT NULL,
        shown_as    TEXT NOT NULL,
        clothing    TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS search_bulletins (
        search_id    TEXT NOT NULL REFERENCES searches (id),
        link_id      {bigint} NOT NULL REFERENCES partner_links (id),
        partner_id   TEXT NOT NULL,
        sent_at      {bigint} NOT NULL,
        views        {bigint} NOT NULL DEFAULT 0,
        seen         {bigint} NOT NULL DEFAULT 0,
        withdrawn_at {bigint},
        PRIMARY KEY (search_id, link_id)
    );
    CREATE TABLE IF NOT EXISTS bulletin_sightings (
        id        {serial},
        search_id TEXT NOT NULL,
        link_id   {bigint} NOT NULL,
        at        {bigint} NOT NULL,
        lat       {real},
        lon       {real},
        note      TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS bulletin_sightings_search ON bulletin_sightings (search_id);
    """),
    # 37 (issue 20) each receiver's rate over the last day for the fleet page's sparkline:
    # the minutes and adverts taken in (alerts/deafness.py) per quarter hour of the hub's
    # clock; the purge (privacy/retention.py) deletes what is older than two days.
    Migration("""
    CREATE TABLE IF NOT EXISTS receiver_rates (
        bucket      {bigint} NOT NULL,
        gateway_id  TEXT NOT NULL,
        receiver_id TEXT NOT NULL,
        minutes     {bigint} NOT NULL,
        adverts     {bigint} NOT NULL,
        PRIMARY KEY (bucket, gateway_id, receiver_id)
    );
    """),
    # 38 (issue 20) each gateway's YAML as the hub keeps it, one row per version: who
    # wrote it and when, its SHA-256, and what became of it (proposed, sent, then the
    # gateway's word: applied, rolled_back or refused, with its reason and the config
    # hash it runs afterwards). No personal data: the gateway's config model has none.
    Migration("""
    CREATE TABLE IF NOT EXISTS gateway_configs (
        gateway_id  TEXT NOT NULL,
        version     {bigint} NOT NULL,
        yaml        TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        created_by  TEXT NOT NULL,
        created_at  {bigint} NOT NULL,
        state       TEXT NOT NULL,
        sent_at     {bigint},
        reason      TEXT,
        config_hash TEXT,
        result_at   {bigint},
        PRIMARY KEY (gateway_id, version)
    );
    """),
)
