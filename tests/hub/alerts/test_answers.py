"""Acknowledging is not resolving (issue 15): 対応します pauses the chain for the
policy's handling timeout, 行けない・次の人へ and a call nobody answered bring the next
step at once, a call answered "fine" resolves. On a real database and a virtual clock,
on ``alerts_document``'s policy: the family at once, the volunteer after 2 h, the care
centre after 6 h, the latest step again every 30 min; 対応します holds for 2 h."""

from __future__ import annotations

from pathlib import Path

from mimamori.hub.alerts.engine import STEP_BATCH, AlertEngine
from mimamori.hub.alerts.responses import called, respond
from mimamori.hub.model.alerts import Alert
from mimamori.hub.model.escalation import Answer
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import EventKind
from tests.hub.helpers import MIN, T0, HubClock, engine, event, ingest, missed


async def opened(tmp_path: Path, store: SqlStore) -> tuple[AlertEngine, HubClock, Alert]:
    clock = HubClock(T0)
    alerts = await engine(tmp_path, store, clock)
    await ingest(store, missed(1, T0))
    [alert] = (await alerts.process_events()).opened
    assert await alerts.escalate(T0) == 1  # the family, at once
    return alerts, clock, alert


async def answer(alerts: AlertEngine, alert: Alert, what: Answer, who: str) -> Alert | None:
    return await respond(
        alerts.store, alerts.registry, alerts.clock, alert.id, what, who=who, role="family"
    )


async def told(store: SqlStore, alert: Alert) -> list[str]:
    """Who was told, in order (one entry per step or repeat, not per channel)."""
    timeline = await store.alert_timeline(alert.id)
    return [e.who or "" for e in timeline if e.what == "step"]


async def test_handling_pauses_the_chain_for_the_timeout_then_the_next_is_told(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts, clock, alert = await opened(tmp_path, store)
    clock.advance(10 * MIN)
    handled = await answer(alerts, alert, "handling", "比嘉 花子")
    assert handled is not None and handled.state == "acknowledged"
    assert handled.handling_until == T0 + 130 * MIN
    # No repeat to her and no volunteer while she handles it ...
    assert await alerts.escalate(T0 + 130 * MIN - MIN) == 0
    # ... but nobody resolved it: the chain goes on where it was, the volunteer next.
    assert await alerts.escalate(T0 + 130 * MIN) == 1
    assert await told(store, alert) == ["r-family", "r-volunteer"]
    again = await store.alert(alert.id)
    assert again is not None and again.state == "open"
    # The care centre moved with the pause (6 h + 10 min), it was not dropped.
    assert await alerts.escalate(T0 + 370 * MIN - MIN) == 1  # the volunteer's repeat only
    assert await alerts.escalate(T0 + 370 * MIN) == 1
    assert (await told(store, alert))[-1] == "r-center"


async def test_handling_at_the_last_step_asks_it_again_when_the_pause_ends(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts, clock, alert = await opened(tmp_path, store)
    clock.advance(360 * MIN)
    assert await alerts.escalate(clock()) >= 2  # the volunteer and the care centre
    clock.advance(5 * MIN)
    await answer(alerts, alert, "handling", "地域包括支援センター")
    assert await alerts.escalate(T0 + 485 * MIN - MIN) == 0
    assert await alerts.escalate(T0 + 485 * MIN) == 1
    [*_, last] = await store.due_escalations(T0 + 10_000 * MIN) or [None]
    assert last is not None and last.recipients == ("r-center",)  # and on it repeats
    assert (await told(store, alert))[-1] == "r-center"


async def test_a_decline_tells_the_next_step_at_once_even_during_a_pause(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts, clock, alert = await opened(tmp_path, store)
    clock.advance(5 * MIN)
    await answer(alerts, alert, "handling", "比嘉 花子")
    clock.advance(MIN)
    declined = await answer(alerts, alert, "decline", "比嘉 花子")  # far away: cannot go
    assert declined is not None and declined.state == "open"
    assert await alerts.escalate(clock()) == 1
    assert await told(store, alert) == ["r-family", "r-volunteer"]


async def test_a_call_nobody_answers_moves_on_and_an_answered_fine_resolves(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts, clock, alert = await opened(tmp_path, store)
    clock.advance(3 * MIN)
    await called(store, clock, alert.id, "no_answer", who="山城 清", role="volunteer")
    assert await alerts.escalate(clock()) == 1
    assert await told(store, alert) == ["r-family", "r-volunteer"]
    clock.advance(3 * MIN)
    await called(store, clock, alert.id, "needs_help", who="山城 清", role="volunteer")
    assert await alerts.escalate(clock()) == 1  # someone must go: the next, at once
    assert (await told(store, alert))[-1] == "r-center"
    clock.advance(3 * MIN)
    done = await called(
        store, clock, alert.id, "fine", who="山城 清", role="volunteer", note="声を聞けた"
    )
    assert done is not None and (done.state, done.outcome) == ("resolved", "safe")
    assert await alerts.escalate(T0 + 24 * 60 * MIN) == 0
    answers = [
        (e.detail, e.note) for e in await store.alert_timeline(alert.id) if e.what == "answer"
    ]
    assert answers == [
        ("call_no_answer", None),
        ("call_needs_help", None),
        ("call_fine", "声を聞けた"),
    ]
    assert await called(store, clock, alert.id, "no_answer", who="x", role="staff") is None


async def test_resolving_records_the_outcome_and_the_timeline_has_every_step(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts, clock, alert = await opened(tmp_path, store)
    clock.advance(MIN)
    await answer(alerts, alert, "decline", "比嘉 花子")
    await alerts.escalate(clock())
    clock.advance(MIN)
    await answer(alerts, alert, "handling", "山城 清")
    clock.advance(MIN)
    done = await respond(
        store, alerts.registry, clock, alert.id, "resolve", who="山城 清", role="volunteer",
        note="訪問して無事を確認", outcome="safe",
    )  # fmt: skip
    assert done is not None and done.outcome == "safe"
    timeline = await store.alert_timeline(alert.id)
    assert [(e.what, e.detail, e.who) for e in timeline if e.what != "notified"] == [
        ("opened", "checkin_missed", None),
        ("step", "notify", "r-family"),
        ("answer", "decline", "比嘉 花子"),
        ("step", "notify", "r-volunteer"),
        ("answer", "handling", "山城 清"),
        ("resolved", "safe", "山城 清"),
    ]
    notified = [(e.who, e.channel, e.state) for e in timeline if e.what == "notified"]
    assert notified == [  # two channels each, queued (the delivery worker is not running)
        ("r-family", "0", "pending"),
        ("r-family", "1", "pending"),
        ("r-volunteer", "0", "pending"),
        ("r-volunteer", "1", "pending"),
    ]


async def test_handling_not_resolved_in_time_escalates_again_sooner_than_planned(
    tmp_path: Path, store: SqlStore
) -> None:
    """The volunteer said 対応します at 2 h 10 min and did not resolve it in two hours:
    the care centre is told then, not at the 6 h it was planned for."""
    alerts, clock, alert = await opened(tmp_path, store)
    clock.advance(120 * MIN)
    assert await alerts.escalate(clock()) >= 1  # the volunteer
    clock.advance(10 * MIN)
    await answer(alerts, alert, "handling", "山城 清")
    assert await alerts.escalate(T0 + 250 * MIN - MIN) == 0
    assert await alerts.escalate(T0 + 250 * MIN) == 1
    assert (await told(store, alert))[-1] == "r-center"


async def test_one_pass_takes_every_step_due_however_many_came_due_at_once(
    tmp_path: Path, store: SqlStore
) -> None:
    """A town-wide outage: more steps due at once than one batch reads. Each pass of
    the engine (every 2 s) once took 100, leaving the last of 1,000 steps 23 s late."""
    alerts = await engine(tmp_path, store)
    many = STEP_BATCH + 50
    await ingest(
        store,
        *(event(EventKind.DEVICE_SILENT, T0, device=f"d{n}", silent_s=3600) for n in range(many)),
    )
    assert len((await alerts.process_events()).opened) == many
    assert await alerts.escalate(T0) == many
