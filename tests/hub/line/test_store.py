"""LINE's part of the store on both engines: a code binds one LINE user however many
try it at once; handled webhook events are kept for a while, then forgotten."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from mimamori.hub.line.events import KEEP
from mimamori.hub.line.linking import issue_code, redeem
from mimamori.hub.store.sql_store import SqlStore
from tests.line_server import user_id

T0 = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)


async def test_a_code_tried_by_several_users_at_once_binds_exactly_one(store: SqlStore) -> None:
    code = await issue_code(store, "r-miyagi", T0, timedelta(hours=1))
    users = [user_id() for _ in range(8)]
    outcomes = await asyncio.gather(*(redeem(store, code.code, u, T0) for u in users))
    assert sorted(o.outcome for o in outcomes) == ["bound"] + ["used"] * 7
    [winner] = [u for u, o in zip(users, outcomes, strict=True) if o.outcome == "bound"]
    assert await store.line_user_of("r-miyagi") == winner


async def test_handled_events_are_forgotten_after_a_week_and_pending_ones_never(
    store: SqlStore,
) -> None:
    assert await store.add_line_events([("e-1", "{}"), ("e-2", "{}")], T0) == (2, 0)
    assert await store.add_line_events([("e-1", "{}")], T0 + KEEP) == (0, 1)  # a replay
    [first, _] = await store.claim_line_events(T0, 60)
    await store.finish_line_event(first.id, None, T0)
    # The events loop purges what was received more than KEEP before its now.
    six_days_on, a_week_on = T0 + timedelta(days=6), T0 + KEEP + timedelta(seconds=1)
    assert await store.purge_line_events(six_days_on - KEEP) == 0  # still recognised
    assert await store.purge_line_events(a_week_on - KEEP) == 1
    # The one still waiting stays, and its lease ran out long ago: it is taken again.
    [waiting] = await store.claim_line_events(T0 + KEEP, 60)
    assert waiting.event_id == "e-2"
