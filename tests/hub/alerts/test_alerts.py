"""Alerts from events and their escalation, on a real SQLite file and a virtual clock."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventKind, GatewayStatus, format_ts, to_epoch_ms
from tests.hub.helpers import (
    MIN,
    T0,
    HubClock,
    engine,
    event,
    ingest,
    missed,
    open_test_store,
    publishing_gateway,
    query,
    running_hub,
    until,
)

_seq = itertools.count(1)
MS = timedelta(milliseconds=1)


async def test_a_missed_check_in_opens_one_alert_that_later_levels_update(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await engine(tmp_path, store)
    await ingest(store, missed(0, T0))  # the reminder is for the person only
    assert (await alerts.process_events()).opened == []
    await ingest(store, missed(1, T0 + MIN))
    [opened] = (await alerts.process_events()).opened
    assert (opened.kind, opened.subject, opened.severity, opened.state) == (
        "checkin_missed",
        "household:hh-1",
        2,
        "open",
    )
    await ingest(store, missed(2, T0 + 2 * MIN))
    counts = await alerts.process_events()
    assert counts.opened == []
    [updated] = counts.updated
    assert (updated.id, updated.severity, updated.events, updated.detail["level"]) == (
        opened.id,
        3,
        2,
        2,
    )


async def test_a_check_in_resolves_the_missed_alert_and_says_so(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await engine(tmp_path, store)
    await ingest(store, missed(1, T0))
    await alerts.process_events()
    press = event(
        EventKind.CHECKIN_DONE, T0 + 10 * MIN, device="door", card="genki", next_due=format_ts(T0)
    )
    await ingest(store, press)
    [resolved] = (await alerts.process_events()).resolved
    assert (resolved.state, resolved.resolved_by, resolved.resolve_note) == (
        "resolved",
        "automatic",
        "checked in",
    )
    # A new miss later is a new alert, not the old one reopened.
    await ingest(store, missed(1, T0 + 48 * 60 * MIN))
    [again] = (await alerts.process_events()).opened
    assert again.id != resolved.id


async def test_sos_consult_device_and_power_cut_alerts(tmp_path: Path, store: SqlStore) -> None:
    alerts = await engine(tmp_path, store)
    await ingest(
        store,
        event(EventKind.CHECKIN_SOS, T0, device="door", card="sos", next_due=format_ts(T0)),
        event(EventKind.DEVICE_SILENT, T0, device="door", silent_s=3600),
        event(EventKind.DEVICE_BACK, T0 + MIN, device="door"),
    )
    await store.ingest([], [GatewayStatus(gw="gw-home", state="online", ts=T0)], T0)
    await store.ingest([], [GatewayStatus(gw="gw-home", state="offline")], T0 + MIN)
    counts = await alerts.process_events()
    assert sorted((a.kind, a.severity) for a in counts.opened) == [
        ("device_silent", 2),
        ("home_offline", 2),
        ("sos", 3),
    ]
    assert [(a.kind, a.resolve_note) for a in counts.resolved] == [
        ("device_silent", "the device was heard again")
    ]


async def test_escalation_goes_step_by_step_repeats_and_handling_pauses_it_until_resolved(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await engine(tmp_path, store)
    await ingest(store, missed(1, T0))
    [alert] = (await alerts.process_events()).opened

    async def queued() -> list[tuple[str, str]]:
        log = await store.notification_log(alert.id)
        return sorted((n["recipient_id"], str(n["channel"])) for n in log)

    assert await alerts.escalate(T0) == 1  # the family at once: both channels
    assert await queued() == [("r-family", "0"), ("r-family", "1")]
    assert await alerts.escalate(T0 + 29 * MIN) == 0
    assert await alerts.escalate(T0 + 30 * MIN) == 1  # nobody answered: again
    assert len(await queued()) == 4
    assert await alerts.escalate(T0 + 120 * MIN) == 2  # the volunteer, and the family again
    volunteer = [r for r, _ in await queued() if r == "r-volunteer"]
    assert len(volunteer) == 2
    acked = await store.handle_alert(
        alert.id, by="民生委員 山城", role="volunteer", note="向かいます",
        now=T0 + 130 * MIN, until=T0 + 250 * MIN,
    )  # fmt: skip
    assert acked is not None and acked.state == "acknowledged"
    before = len(await queued())
    assert await alerts.escalate(T0 + 249 * MIN) == 0  # no repeat while she handles it
    assert len(await queued()) == before
    # Handling is not resolving: not resolved in her two hours, it escalates again.
    assert await alerts.escalate(T0 + 250 * MIN) == 1
    assert [r for r, _ in await queued()].count("r-center") == 2
    resolved = await store.resolve_alert(
        alert.id, "民生委員 山城", "訪問済み", T0 + 370 * MIN, "safe"
    )
    assert resolved is not None and resolved.resolved_by == "民生委員 山城"
    assert resolved.outcome == "safe"
    assert await alerts.escalate(T0 + 24 * 60 * MIN) == 0  # resolved: nothing more
    late = await store.handle_alert(
        alert.id, by="x", role="family", note="", now=T0 + 380 * MIN, until=T0 + 500 * MIN
    )
    assert late is None


async def test_escalation_goes_step_by_step_as_the_hubs_clock_moves(
    tmp_path: Path, store: SqlStore
) -> None:
    """The engine's own step reads the hub's clock (here in 2031, years from the wall
    clock): each step is taken exactly when that clock reaches it."""
    clock = HubClock()
    alerts = await engine(tmp_path, store, clock)
    await store.ingest([("gw-home", missed(1, clock()))], [], clock())
    assert await alerts.step() == 1  # opened, and the family told at once
    [alert] = await store.alerts(None, include_resolved=True)
    assert alert.opened_at == clock()
    clock.advance(30 * MIN - MS)
    assert await alerts.step() == 0
    clock.advance(MS)
    assert await alerts.step() == 1  # 30 minutes, nobody answered: the family again
    clock.advance(90 * MIN - MS)
    assert await alerts.step() == 1  # the next repeat (due at 60), not yet the volunteer
    clock.advance(MS)
    assert await alerts.step() == 1  # 120 minutes exactly: the volunteer
    recipients = [n["recipient_id"] for n in await store.notification_log(alert.id)]
    assert recipients.count("r-family") == 6 and recipients.count("r-volunteer") == 2
    clock.advance(24 * 60 * MIN)
    until = clock() + 120 * MIN
    await store.handle_alert(
        alert.id, by="民生委員 山城", role="volunteer", note="", now=clock(), until=until
    )
    assert await alerts.step() == 0  # handled: the steps still due wait for the pause
    clock.advance(120 * MIN)
    assert await alerts.step() == 1  # then the care center, still unresolved


async def test_a_running_hub_escalates_on_the_clock_it_was_given(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    (tmp_path / "miyagi.channels").write_text("json://127.0.0.1:9/miyagi\n")
    clock = HubClock()
    async with (
        running_hub(own_broker, tmp_path, clock=clock) as hub,
        publishing_gateway(own_broker, "gw-home") as home,
    ):
        await home.event(EventKind.CHECKIN_MISSED, clock(), level=1, due=format_ts(clock()))

        async def told(times: int) -> Any:
            alerts = await hub.state.store.alerts(None, include_resolved=True)
            log = await hub.state.store.notification_log(alerts[0].id) if alerts else []
            return len(log) >= times

        await until(lambda: told(1))  # step 0, at once on the hub's clock
        clock.advance(30 * MIN)
        await until(lambda: told(2))  # the repeat, when the hub's clock says 30 minutes


async def test_a_hub_restart_mid_escalation_neither_skips_nor_repeats_a_step(
    tmp_path: Path,
) -> None:
    store = await open_test_store(tmp_path)
    await ingest(store, missed(1, T0))
    first = await engine(tmp_path, store)
    [alert] = (await first.process_events()).opened
    await first.escalate(T0)
    await store.close()  # the hub is killed here; it comes back 7 hours later

    store = await open_test_store(tmp_path)
    again = await engine(tmp_path, store)
    assert (await again.process_events()).opened == []  # the event is not seen twice
    assert await again.escalate(T0 + 7 * 60 * MIN) >= 2  # the volunteer and the center, once
    assert await again.escalate(T0 + 7 * 60 * MIN) == 0
    log = await store.notification_log(alert.id)
    by_step = sorted({n["recipient_id"] for n in log})
    assert by_step == ["r-center", "r-family", "r-volunteer"]
    keys = [n["id"] for n in log]
    assert len(keys) == len(set(keys))
    await store.close()


async def test_notification_text_is_japanese_or_english_per_recipient(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await engine(tmp_path, store)
    await ingest(store, missed(2, T0))
    await alerts.process_events()
    await alerts.escalate(T0 + 6 * 60 * MIN)
    claimed = await store.claim_notifications(T0 + 6 * 60 * MIN, lease_s=60, limit=100)
    by_recipient = {n.recipient_id: n for n in claimed}
    family, center = by_recipient["r-family"], by_recipient["r-center"]
    assert "宮城さん宅" in family.title and "連絡が途絶えています（段階 2）" in family.title
    assert "11月23日 11:00" in family.body
    assert "/households/hh-1" in family.body
    assert "A check-in was missed (level 2)" in center.title
    assert "23 Nov 11:00" in center.body
    # Claimed notifications are leased: a second worker does not get them.
    assert await store.claim_notifications(T0 + 6 * 60 * MIN, lease_s=60) == []


async def test_an_event_whose_stored_data_does_not_fit_its_kind_is_set_aside_not_guessed(
    tmp_path: Path, store: SqlStore
) -> None:
    """A row an older hub (or a hand) left: a low battery without a device. Read through
    its kind's model it is refused and set aside, and the event after it still alerts;
    read as a dict with defaults it once became an alert about ``household:hh-1/``."""
    alerts = await engine(tmp_path, store)
    at, bad = to_epoch_ms(T0), "b" * 32
    await query(
        tmp_path,
        "INSERT INTO events (id, gateway_id, seq, ts, kind, tag, data, received_at) VALUES "
        f"('{bad}', 'gw-home', 7, {at}, 'device.battery_low', NULL, '{{}}', {at})",
    )
    sos = event(EventKind.CHECKIN_SOS, T0, device="door", card="sos", next_due=format_ts(T0))
    await ingest(store, sos)
    counts = await alerts.process_events()
    assert [a.kind for a in counts.opened] == ["sos"]
    assert alerts.failures == 1
    [entry] = await store.quarantined(10, failures_only=True)
    assert entry.item.source == "alerts" and "device" in entry.item.detail
