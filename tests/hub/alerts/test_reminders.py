"""Reminders for the person: a level-0 missed check-in beeps the home's button and
reaches the person's own channels, once, and the hub records what it really did.

On both engines, on the hub's (virtual) clock. The broker is the outside edge here:
``Sent`` records what would be published (tests/hub/alerts/test_reminders_broker.py
and tests/e2e/test_reminders.py publish for real).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mimamori.errors import BrokerError
from mimamori.hub.alerts.channels import AppriseSender
from mimamori.hub.alerts.delivery import MAX_ATTEMPTS, DeliveryWorker, retry_delay
from mimamori.hub.alerts.reminders import Reminders
from mimamori.hub.config import ReminderSettings
from mimamori.hub.households.summary import detail
from mimamori.hub.model.alerts import LINE_CHANNEL
from mimamori.hub.register.loading import load_registry
from mimamori.hub.store.sql_store import SqlStore
from mimamori.hub.web.household_view import calendar
from mimamori.hub.web.i18n import texts
from mimamori.protocol import GatewayStatus
from mimamori.protocol.commands import RemindCommand, decode_command
from tests.hub.helpers import (
    CONSENT,
    MIN,
    T0,
    HubClock,
    alerts_document,
    import_register_of,
    ingest,
    missed,
    query,
)
from tests.hub.receivers import webhook


@dataclass
class Sent:
    """What the hub published: (topic, command, expiry in seconds)."""

    commands: list[tuple[str, RemindCommand, int]] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, topic: str, payload: bytes, expiry_s: int) -> None:
        if self.fail:
            raise BrokerError("not connected")
        self.commands.append((topic, decode_command(payload), expiry_s))


def town(
    tmp_path: Path, *, own_channels: bool = False, self_url: str = "json://127.0.0.1:9/self"
) -> dict[str, Any]:
    """The alert engine's town, with a person living at hh-1 (and her own phone)."""
    doc = alerts_document(tmp_path)
    person: dict[str, Any] = {"id": "p-1", "name": "宮城 カマド", "consent": CONSENT}
    if own_channels:
        (tmp_path / "self.channels").write_text(f"{self_url}\n")
        doc["recipients"].append(
            {
                "id": "r-self",
                "name": "宮城 カマド",
                "relation": "本人",
                "channels_file": str(tmp_path / "self.channels"),
            }
        )
        person["contacts"] = ["r-self", "r-family"]
    doc["people"] = [person]
    doc["households"][0]["people"] = ["p-1"]
    return doc


async def reminders(
    tmp_path: Path, store: SqlStore, sent: Sent, clock: HubClock, **kw: Any
) -> Reminders:
    await import_register_of(store, town(tmp_path, **kw), clock)
    registry = await load_registry(store)
    return Reminders(ReminderSettings(), registry, store, clock=clock, send=sent)


async def gateway_with(store: SqlStore, state: str = "online", **drivers: str) -> None:
    status = GatewayStatus.model_validate(
        {
            "gw": "gw-home",
            "state": state,
            "ts": T0,
            "drivers": {name: {"driver": kind, "state": "up"} for name, kind in drivers.items()},
        }
    )
    await store.ingest([], [status], T0)


def what(found: list[Any]) -> list[tuple[str, str]]:
    return [(r.channel, r.outcome) for r in found]


async def test_a_level_0_miss_beeps_the_home_button_once_and_says_so(
    tmp_path: Path, store: SqlStore
) -> None:
    sent, clock = Sent(), HubClock(T0 + MIN)
    remind = await reminders(tmp_path, store, sent, clock)
    await gateway_with(store, door="serial_button", bed="bthome")
    reminder = missed(0, T0)
    await ingest(store, reminder, missed(1, T0 + MIN))  # level 1 is for others
    assert what(await remind.process()) == [("button", "sending")]
    command = RemindCommand(ref=reminder.id, for_s=3600)
    assert sent.commands == [("mimamori/v1/gw/gw-home/cmd", command, 1800)]
    assert await remind.process() == []  # nothing new: nothing repeated
    [row] = await store.reminders_of(["hh-1"], T0, T0 + MIN)
    assert (row.event_id, row.channel, row.outcome, row.detail) == (
        reminder.id,
        "button",
        "sent",
        "told: door",
    )


async def test_a_second_hub_worker_or_a_restart_does_not_remind_again(
    tmp_path: Path, store: SqlStore
) -> None:
    sent, clock = Sent(), HubClock(T0 + MIN)
    first = await reminders(tmp_path, store, sent, clock)
    second = Reminders(ReminderSettings(), first.registry, store, clock=clock, send=sent)
    await gateway_with(store, door="serial_button")
    await ingest(store, missed(0, T0))
    assert len(await first.process()) == 1
    assert await second.process() == []
    assert len(sent.commands) == 1


async def test_an_offline_gateway_or_ble_buttons_only_cannot_be_told_and_it_is_recorded(
    tmp_path: Path, store: SqlStore
) -> None:
    sent, clock = Sent(), HubClock(T0 + MIN)
    remind = await reminders(tmp_path, store, sent, clock)
    await gateway_with(store, "offline", door="serial_button")
    await ingest(store, missed(0, T0))
    await remind.process()
    rows = await store.reminders_of(["hh-1"], T0, T0 + MIN)
    assert [(r.channel, r.outcome, r.detail) for r in rows] == [
        ("button", "not_possible", "the home gateway is offline")
    ]
    await gateway_with(store, bed="bthome")  # online again, with a BLE button only
    await ingest(store, missed(0, T0 + MIN))
    [ble] = await remind.process()
    assert (ble.channel, ble.outcome, ble.detail) == (
        "button",
        "not_possible",
        "BLE buttons cannot receive: bed",
    )
    assert sent.commands == []


async def test_a_home_with_nothing_to_reach_the_person_records_none(
    tmp_path: Path, store: SqlStore
) -> None:
    sent, clock = Sent(), HubClock(T0 + MIN)
    remind = await reminders(tmp_path, store, sent, clock)
    await ingest(store, missed(0, T0))  # the gateway never said what it has
    assert what(await remind.process()) == [("none", "not_possible")]


async def test_a_reminder_learnt_too_late_is_not_sent(tmp_path: Path, store: SqlStore) -> None:
    sent, clock = Sent(), HubClock(T0 + 2 * 60 * MIN)  # the hub was down for two hours
    remind = await reminders(tmp_path, store, sent, clock)
    await gateway_with(store, door="serial_button")
    await ingest(store, missed(0, T0))
    assert what(await remind.process()) == [("none", "stale")]
    assert sent.commands == []


async def test_the_persons_own_channels_get_the_reminder_and_the_family_does_not(
    tmp_path: Path, store: SqlStore
) -> None:
    sent, clock = Sent(), HubClock(T0 + MIN)
    remind = await reminders(tmp_path, store, sent, clock, own_channels=True)
    await gateway_with(store, door="serial_button")
    await ingest(store, missed(0, T0))
    assert what(await remind.process()) == [("button", "sending"), ("json", "queued")]
    queued = await query(tmp_path, "SELECT recipient_id, alert_id, title FROM notifications")
    assert queued == [("r-self", None, "見守り：今日の連絡がまだです")]


async def test_a_broker_that_refuses_is_recorded_as_failed(tmp_path: Path, store: SqlStore) -> None:
    sent, clock = Sent(fail=True), HubClock(T0 + MIN)
    remind = await reminders(tmp_path, store, sent, clock)
    await gateway_with(store, door="serial_button")
    await ingest(store, missed(0, T0))
    await remind.process()
    [row] = await store.reminders_of(["hh-1"], T0, T0 + MIN)
    assert (row.channel, row.outcome, row.detail) == ("button", "failed", "not connected")


async def test_a_person_on_line_is_reminded_there(tmp_path: Path, store: SqlStore) -> None:
    sent, clock = Sent(), HubClock(T0 + MIN)
    remind = await reminders(tmp_path, store, sent, clock, own_channels=True)
    remind.line = True  # the town has a LINE account, and she linked hers
    assert await store.add_line_code("hash-1", "r-self", T0, T0 + 60 * MIN)
    await store.redeem_line_code("hash-1", "U" + "1" * 32, T0, max_failures=5, window=MIN)
    await ingest(store, missed(0, T0))  # no button at all in this home
    assert what(await remind.process()) == [("line", "queued")]
    queued = await query(tmp_path, "SELECT recipient_id, channel FROM notifications")
    assert queued == [("r-self", LINE_CHANNEL)]


async def test_the_calendar_says_whether_the_reminder_reached_the_person(
    tmp_path: Path, store: SqlStore
) -> None:
    """Queued is not told: the calendar follows the reminder's notification through the
    queue, 送信中 while her phone's service refuses it, できませんでした once the queue
    gives up, 届きました the day the service takes it."""
    clock = HubClock(T0 + MIN)
    async with webhook() as phone:
        phone.statuses = [500] * MAX_ATTEMPTS
        remind = await reminders(tmp_path, store, Sent(), clock, own_channels=True,
                                 self_url=phone.url)  # fmt: skip
        home = remind.registry.households["hh-1"]
        zone = ZoneInfo(home.timezone)

        async def today(lang: str = "ja") -> tuple[list[str], str]:
            view = await detail(store, home, clock())
            day = next(d for d in view.history if d.reminded)
            words = {d.date: d.title for d in calendar(view, zone, texts(lang)).days}
            return day.reminded, words[day.date]

        await ingest(store, missed(0, T0))
        assert what(await remind.process()) == [("json", "queued")]
        assert await today() == (["other_trying"], "連絡なし / ご本人の連絡先へお知らせ（送信中）")
        worker = DeliveryWorker(store, AppriseSender(), clock=clock)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert await worker.deliver_due() == 1
            if attempt < MAX_ATTEMPTS:
                assert (await today())[0] == ["other_trying"]
                clock.advance(timedelta(seconds=retry_delay(attempt)))
        assert phone.requests == []
        assert await today() == (
            ["other_failed"],
            "連絡なし / ご本人の連絡先へお知らせできませんでした",
        )
        assert (await today("en"))[1] == (
            "Missed / the reminder to their own phone could not be delivered"
        )

        tomorrow = T0 + timedelta(days=1)
        clock.advance(tomorrow + MIN - clock())
        await store.ingest([("gw-home", missed(0, tomorrow))], [], tomorrow)
        assert what(await remind.process()) == [("json", "queued")]
        assert await worker.deliver_due() == 1
        view = await detail(store, home, clock())
        assert [d.reminded for d in view.history[-2:]] == [["other_failed"], ["other_delivered"]]
        words = calendar(view, zone, texts("ja")).days[-1].title
        assert words == "連絡なし / ご本人の連絡先へお知らせ（届きました）"
        assert len(phone.requests) == 1
