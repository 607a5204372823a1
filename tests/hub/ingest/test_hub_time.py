"""Time is the hub's: a gateway's clock is evidence (docs/protocol.md, "Whose time").

Against a real hub and broker; the pure rules of ``hub/model/clock.py`` are tested by
hypothesis below, on numbers alone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mimamori.hub.model.clock import MAX_AGE, TOLERANCE, clock_is_wrong, clock_offset, place
from mimamori.protocol import EventDraft, EventKind, format_ts, new_event_id
from tests.hub.helpers import TAG_TSURU, Gateway, RunningHub, query, until


async def publish(gw: Gateway, kind: EventKind, ts: datetime, sent: datetime, **data: Any) -> str:
    """A batch as a gateway whose clock says ``sent`` publishes it."""
    event = EventDraft(kind, ts, data).numbered(new_event_id(), next(gw.seq))
    body = {"v": 1, "gw": gw.gw, "sent": format_ts(sent), "events": [json.loads(
        event.model_dump_json())]}  # fmt: skip
    await gw.link.publish(f"mimamori/v1/gw/{gw.gw}/events", json.dumps(body).encode())
    return event.id


async def test_an_sos_dated_an_hour_ahead_is_escalated_at_once(
    hub: RunningHub, home_gateway: Gateway, tmp_path: Path
) -> None:
    # Its gateway's clock runs an hour fast. The policy tells the family at once
    # (after_min 0): that must mean now, not in an hour.
    await hub.set_channels("r-miyagi", "json://127.0.0.1:9/family")
    ahead = datetime.now(UTC) + timedelta(hours=1)
    await publish(home_gateway, EventKind.CHECKIN_SOS, ahead, ahead, device="door", card="sos",
                  next_due=format_ts(ahead + timedelta(days=1)))  # fmt: skip

    async def queued() -> int | None:
        rows = await query(tmp_path, "SELECT count(*) FROM notifications")
        return rows[0][0] or None

    await until(queued, within=10)
    alerts = await hub.state.store.alerts(None, include_resolved=False)
    assert sorted(a.kind for a in alerts) == ["gateway_clock", "sos"]  # the clock: told too
    assert all(a.opened_at <= datetime.now(UTC) for a in alerts)


async def test_a_gateway_clock_far_off_is_a_technicians_alert_and_clears_when_right(
    hub: RunningHub, gateway: Gateway
) -> None:
    now = datetime.now(UTC)
    first = await publish(gateway, EventKind.TAG_SEEN, now, now + timedelta(hours=2),
                          tag=TAG_TSURU, receiver="vm")  # fmt: skip
    await hub.until_stored(first)
    async with hub.client(await hub.token(role="admin")) as admin:

        async def alert(state: str) -> dict[str, Any] | None:
            found = (await admin.get("/api/v1/alerts", params={"state": "all"})).json()
            return next((a for a in found if a["kind"] == "gateway_clock"
                         and a["state"] == state), None)  # fmt: skip

        opened = await until(lambda: alert("open"))
        assert opened["subject"] == "gateway:gw-a" and opened["household_id"] is None
        assert opened["detail"]["offset_s"] == -7200
        async with hub.client(await hub.token(family="f-higa")) as family:
            assert (await family.get("/api/v1/alerts")).json() == []  # not the family's matter
        again = datetime.now(UTC)
        await publish(gateway, EventKind.TAG_SEEN, again, again, tag=TAG_TSURU, receiver="vm")
        resolved = await until(lambda: alert("resolved"))
        assert resolved["resolve_note"] == "the gateway's clock is right again"


async def test_a_replayed_sighting_sorts_into_the_trail_without_taking_last_seen(
    hub: RunningHub, gateway: Gateway
) -> None:
    now = datetime.now(UTC)
    newest = await gateway.send(EventKind.TAG_SEEN, TAG_TSURU)
    await hub.until_stored(newest)
    # gw-a's outbox held this one through an outage: ten minutes old, sent just now.
    replayed = await publish(gateway, EventKind.TAG_SEEN, now - timedelta(minutes=10), now,
                             tag=TAG_TSURU, receiver="vm")  # fmt: skip
    await hub.until_stored(replayed)
    store = hub.state.store
    last = await store.last_sighting([TAG_TSURU])
    assert last is not None and last.event_id == newest
    trail = await store.sightings([TAG_TSURU], now - timedelta(hours=1), now + timedelta(1), 10)
    assert [s.event_id for s in trail] == [replayed, newest]
    assert abs(trail[0].ts - (now - timedelta(minutes=10))) < timedelta(seconds=1)


async def test_a_sighting_from_1970_is_placed_at_the_hubs_time(
    hub: RunningHub, gateway: Gateway, tmp_path: Path
) -> None:
    # A Pi without a real-time clock says 1970 until NTP answers.
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    before = datetime.now(UTC)
    sent = await publish(gateway, EventKind.TAG_SEEN, epoch, epoch, tag=TAG_TSURU, receiver="vm")
    await hub.until_stored(sent)
    [(ts, device_ts)] = await query(
        tmp_path, f"SELECT ts, device_ts FROM events WHERE id = '{sent}'"
    )
    assert ts >= before.timestamp() * 1000 - 1000 and device_ts == 0


# -- the rules, on numbers alone --------------------------------------------------------

RECEIVED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
seconds = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(said=seconds, off=st.none() | seconds)
def test_an_event_is_never_placed_after_it_arrived_nor_older_than_a_month(
    said: float, off: float | None
) -> None:
    device_ts = RECEIVED + timedelta(seconds=said)
    offset = None if off is None else timedelta(seconds=off)
    placed = place(device_ts, RECEIVED, offset)
    assert RECEIVED - MAX_AGE <= placed.ts <= RECEIVED
    assert placed.moved == (placed.ts != device_ts)


@given(age=st.floats(min_value=0, max_value=MAX_AGE.total_seconds(), allow_nan=False))
def test_a_gateway_with_a_right_clock_keeps_its_times(age: float) -> None:
    device_ts = RECEIVED - timedelta(seconds=age)
    assert place(device_ts, RECEIVED, timedelta(seconds=0.2)) == place(device_ts, RECEIVED, None)
    assert place(device_ts, RECEIVED, None).ts == device_ts


def test_a_clock_found_behind_counts_only_while_the_hub_is_live() -> None:
    # A message may have waited in the broker: "behind" could be that wait.
    sent = RECEIVED - timedelta(hours=1)
    assert clock_offset(sent, RECEIVED, live=False) is None
    assert clock_offset(sent, RECEIVED, live=True) == timedelta(hours=1)
    # No wait makes a message arrive before it was sent: "ahead" always counts.
    ahead = RECEIVED + timedelta(hours=1)
    assert clock_offset(ahead, RECEIVED, live=False) == -timedelta(hours=1)
    # ... and neither does one that is right (a clock found right again is believed).
    right = RECEIVED - timedelta(seconds=0.3)
    assert clock_offset(right, RECEIVED, live=False) == timedelta(seconds=0.3)


def test_a_clock_hovering_near_the_limit_does_not_flap() -> None:
    near = TOLERANCE - timedelta(seconds=5)
    assert not clock_is_wrong(near, was_wrong=False)
    assert clock_is_wrong(near, was_wrong=True)  # right again only well inside
    assert not clock_is_wrong(timedelta(seconds=10), was_wrong=True)
