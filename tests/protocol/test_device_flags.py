"""Device flags are declared once (``protocol.events.DEVICE_FLAGS``) and every place that
deals with them follows: the gateway's status, the edge's device rule and its saved
state, the hub's alerts and their words, the household summary. A flag declared there
and nowhere else fails here, per place, with the place named."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mimamori.edge.clock import VirtualClock
from mimamori.edge.observations import DeviceReport
from mimamori.edge.rules.devices import DeviceHealth
from mimamori.hub.alerts.messages import what_of
from mimamori.hub.alerts.rules import decide
from mimamori.hub.households.summary import DeviceOut
from mimamori.hub.model.alerts import FLAG_ALERTS, Alert, Clear, Raise
from mimamori.hub.model.events import StoredEvent
from mimamori.protocol.events import (
    DEVICE_FLAGS,
    DEVICE_KINDS,
    DeviceData,
    DeviceFlag,
    EventDraft,
    EventKind,
)
from mimamori.protocol.status import DeviceHealthStatus, HouseholdStatus
from tests.hub.helpers import alerts_document, registry_of_doc

BUTTON = "door"
SILENT_AFTER_S = 600.0
LOW_PCT = 20
Drafts = list[EventDraft]


def _report(clock: VirtualClock, **said: int | bool) -> Callable[[DeviceHealth], Drafts]:
    def observe(health: DeviceHealth) -> Drafts:
        clock.advance(1)
        return health.observe(DeviceReport(BUTTON, clock.monotonic(), clock.now(), **said))  # type: ignore[arg-type]

    return observe


def _quiet(clock: VirtualClock) -> Callable[[DeviceHealth], Drafts]:
    def expire(health: DeviceHealth) -> Drafts:
        clock.advance(SILENT_AFTER_S)
        return health.expire(clock.monotonic(), clock.now())

    return expire


# How each flag goes up at the gateway, and down again. A flag declared in protocol/
# and missing here is one the edge rule was never taught to raise.
UP: dict[DeviceFlag, Callable[[VirtualClock], Callable[[DeviceHealth], Drafts]]] = {
    DeviceFlag.SILENT: _quiet,
    DeviceFlag.MAINS_LOST: lambda clock: _report(clock, mains=False),
    DeviceFlag.BATTERY_LOW: lambda clock: _report(clock, battery_pct=LOW_PCT - 5),
}
DOWN: dict[DeviceFlag, Callable[[VirtualClock], Callable[[DeviceHealth], Drafts]]] = {
    DeviceFlag.SILENT: _report,  # any frame: a sign of life
    DeviceFlag.MAINS_LOST: lambda clock: _report(clock, mains=True),
    DeviceFlag.BATTERY_LOW: lambda clock: _report(clock, battery_pct=100),  # a new battery
}


def test_every_flag_has_a_way_up_and_down_at_the_gateway() -> None:
    assert set(UP) == set(DOWN) == set(DeviceFlag) == set(DEVICE_FLAGS)


def test_the_device_event_kinds_are_the_flags_events() -> None:
    kinds = {k for e in DEVICE_FLAGS.values() for k in (e.raised, e.cleared) if k is not None}
    assert kinds == DEVICE_KINDS
    assert all(k.value.startswith("device.") for k in kinds)


def _flags(health: DeviceHealth) -> tuple[DeviceFlag, ...]:
    """What the gateway's status says of the device: through the wire model."""
    status = HouseholdStatus.model_validate(
        {"id": "hh-1", "state": "ok", "next_due": "2031-01-01T00:00:00.000Z",
         "devices": health.health()}
    )  # fmt: skip
    return status.devices[BUTTON].raised


@pytest.mark.parametrize("flag", list(DeviceFlag))
def test_each_flag_goes_up_and_down_at_the_gateway_with_its_events_and_survives_a_restart(
    flag: DeviceFlag,
) -> None:
    clock = VirtualClock()
    health = DeviceHealth({BUTTON: SILENT_AFTER_S}, LOW_PCT, clock.monotonic())
    _report(clock, battery_pct=80, mains=True)(health)  # a healthy device to start from
    up = UP[flag](clock)(health)
    assert [d.kind for d in up] == [DEVICE_FLAGS[flag].raised]
    assert _flags(health) == (flag,)
    # saved with the events it caused: a restart neither forgets nor repeats it
    again = DeviceHealth({BUTTON: SILENT_AFTER_S}, LOW_PCT, clock.monotonic(), health.to_json())
    assert _flags(again) == (flag,)
    down = DOWN[flag](clock)(again)
    cleared = DEVICE_FLAGS[flag].cleared
    assert [d.kind for d in down] == ([cleared] if cleared else [])
    assert _flags(again) == ()


def test_the_status_and_the_summary_carry_one_field_per_flag() -> None:
    names = {flag.value for flag in DeviceFlag}
    assert names <= set(DeviceHealthStatus.model_fields)
    assert names <= set(DeviceOut.model_fields)
    raised = DeviceHealthStatus.model_validate({flag.value: True for flag in DeviceFlag})
    assert raised.raised == tuple(DEVICE_FLAGS)  # the worst first, as declared
    out = DeviceOut(id=BUTTON, **raised.model_dump())
    assert out.raised == tuple(DEVICE_FLAGS)


def _stored(kind: EventKind, at: datetime) -> StoredEvent:
    data = DeviceData(device=BUTTON, battery_pct=15).model_dump(mode="json", exclude_none=True)
    return StoredEvent("e" * 32, "gw-home", 1, at, kind.value, data, at)


@pytest.mark.parametrize("flag", list(DeviceFlag))
def test_the_hub_opens_words_and_closes_an_alert_for_each_flag(
    flag: DeviceFlag, tmp_path: Path
) -> None:
    registry = registry_of_doc(alerts_document(tmp_path))
    at = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)
    alert = FLAG_ALERTS[flag]  # a flag without the hub's judgement fails here
    [opened] = decide(_stored(DEVICE_FLAGS[flag].raised, at), registry)
    assert isinstance(opened, Raise)
    assert (opened.kind, opened.subject, opened.severity) == (
        alert.kind,
        f"household:hh-1/{BUTTON}",
        alert.severity,
    )
    words = Alert(1, opened.kind, opened.subject, "hh-1", opened.severity, "open",
                  opened.detail, 1, at, at)  # fmt: skip
    for lang in ("ja", "en"):
        assert what_of(words, lang) != alert.kind, f"no {lang} words for {alert.kind}"
    cleared_by = DEVICE_FLAGS[flag].cleared
    assert (alert.cleared is not None) == (cleared_by is not None)
    if cleared_by is not None:
        [closed] = decide(_stored(cleared_by, at), registry)
        assert isinstance(closed, Clear)
        assert (closed.kind, closed.subject, closed.note) == (
            alert.kind,
            opened.subject,
            alert.cleared,
        )
