"""Device health, and a household's state surviving restarts through the real outbox."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from mimamori.edge.clock import VirtualClock
from mimamori.edge.observations import DeviceReport, Press
from mimamori.edge.outbox import Outbox
from mimamori.edge.rules.checkin import Step
from mimamori.edge.rules.devices import DeviceHealth
from mimamori.edge.rules.household import STATE_NAME, Household
from mimamori.edge.rules.schedule import Schedule
from mimamori.protocol import EventKind

BUTTON = "door"


def report(clock: VirtualClock, **kw: object) -> DeviceReport:
    return DeviceReport(BUTTON, clock.monotonic(), clock.now(), **kw)  # type: ignore[arg-type]


def kinds(drafts: list) -> list[EventKind]:  # type: ignore[type-arg]
    return [d.kind for d in drafts]


def test_a_device_that_goes_quiet_is_silent_once_and_back_on_its_next_frame() -> None:
    clock = VirtualClock()
    health = DeviceHealth({BUTTON: 600.0}, 20, clock.monotonic())
    clock.advance(599)
    assert health.expire(clock.monotonic(), clock.now()) == []
    clock.advance(1)
    [silent] = health.expire(clock.monotonic(), clock.now())
    assert silent.kind == EventKind.DEVICE_SILENT
    assert silent.data == {"device": BUTTON, "silent_s": 600}
    clock.advance(3600)
    assert health.expire(clock.monotonic(), clock.now()) == []
    assert kinds(health.observe(report(clock))) == [EventKind.DEVICE_BACK]
    assert health.observe(report(clock)) == []


def test_battery_low_fires_once_and_rearms_only_with_a_new_battery() -> None:
    clock = VirtualClock()
    health = DeviceHealth({BUTTON: 600.0}, 20, clock.monotonic())
    assert health.observe(report(clock, battery_pct=35)) == []
    [low] = health.observe(report(clock, battery_pct=20))
    assert (low.kind, low.data["battery_pct"]) == (EventKind.DEVICE_BATTERY_LOW, 20)
    assert health.observe(report(clock, battery_pct=19)) == []
    assert health.observe(report(clock, battery_pct=22)) == []  # a wobble, not a new battery
    assert health.observe(report(clock, battery_pct=18)) == []
    assert health.observe(report(clock, battery_pct=100)) == []  # replaced: re-armed
    assert kinds(health.observe(report(clock, battery_pct=15))) == [EventKind.DEVICE_BATTERY_LOW]


def test_mains_lost_and_back_follow_the_device() -> None:
    clock = VirtualClock()
    health = DeviceHealth({BUTTON: 600.0}, 20, clock.monotonic())
    assert health.observe(report(clock, mains=True)) == []
    assert kinds(health.observe(report(clock, mains=False))) == [EventKind.DEVICE_MAINS_LOST]
    assert health.observe(report(clock, mains=False)) == []
    assert kinds(health.observe(report(clock, mains=True))) == [EventKind.DEVICE_MAINS_BACK]


def test_frames_from_unknown_devices_are_ignored() -> None:
    clock = VirtualClock()
    health = DeviceHealth({BUTTON: 600.0}, 20, clock.monotonic())
    stray = DeviceReport("other", clock.monotonic(), clock.now(), battery_pct=1)
    assert health.observe(stray) == []


def household(clock: VirtualClock, saved: object = None) -> Household:
    return Household(
        "hh-0001",
        Schedule(ZoneInfo("Asia/Tokyo"), time(10, 0)),
        steps=[Step(timedelta(0), 0), Step(timedelta(hours=23), 1)],
        grace=timedelta(minutes=30),
        silent_after_s={BUTTON: 3600.0},
        battery_low_pct=20,
        now=clock.now(),
        monotonic=clock.monotonic(),
        saved=saved,
    )


async def test_a_restart_through_the_outbox_neither_forgets_nor_repeats(tmp_path: Path) -> None:
    # 07:00 JST on 23 November.
    clock = VirtualClock(datetime(2026, 11, 22, 22, 0, tzinfo=UTC))
    path = tmp_path / "outbox.sqlite3"
    outbox = await Outbox.open(path, 1000)
    home = household(clock)
    await outbox.append([], {STATE_NAME: home.state()})
    # Nobody presses; the device is silent too. Tick every minute until 12:00 JST.
    sent: list[EventKind] = []
    for _ in range(5 * 60):
        clock.advance(60)
        drafts = home.tick(clock.monotonic(), clock.now())
        if drafts:
            await outbox.append(drafts, {STATE_NAME: home.state()})
            sent += kinds(drafts)
    assert sent == [EventKind.DEVICE_SILENT, EventKind.CHECKIN_MISSED]  # 08:00, 10:30
    await outbox.close()  # the power is cut here

    clock.advance(86400)  # back a day later, past level 1's time
    outbox = await Outbox.open(path, 1000)
    home = household(clock, await outbox.load_state(STATE_NAME))
    drafts = home.tick(clock.monotonic(), clock.now())
    assert [(d.kind, d.data.get("level")) for d in drafts] == [(EventKind.CHECKIN_MISSED, 1)]
    await outbox.append(drafts, {STATE_NAME: home.state()})
    # The device is still silent: not reported again; its first frame says it is back.
    clock.advance(7200)
    assert home.tick(clock.monotonic(), clock.now()) == []
    back = home.observe(Press(BUTTON, clock.monotonic(), clock.now(), "genki"))
    assert kinds(back) == [EventKind.DEVICE_BACK, EventKind.CHECKIN_DONE]
    assert back[1].data["late"] is True
    await outbox.append(back, {STATE_NAME: home.state()})
    batch = await outbox.peek(0, 100)
    assert batch is not None and [p.seq for p in batch.events] == [1, 2, 3, 4, 5]
    status = home.status(clock.now())
    assert status["state"] == "ok"
    assert status["last_card"] == "genki"
    await outbox.close()
