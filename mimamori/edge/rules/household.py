"""A home: the check-in rule and the devices' health, with one persisted state.

Pure logic; the daemon commits ``state()`` together with the events each call
returns (``Outbox.append(drafts, state)``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mimamori.edge.observations import DeviceReport, Press
from mimamori.edge.rules.checkin import CheckinRule, CheckinState, Step
from mimamori.edge.rules.devices import DeviceHealth
from mimamori.edge.rules.schedule import Schedule
from mimamori.protocol.events import EventDraft
from mimamori.protocol.timefmt import format_ts

STATE_NAME = "household"


class Household:
    def __init__(
        self,
        household_id: str,
        schedule: Schedule,
        *,
        steps: list[Step],
        grace: timedelta,
        silent_after_s: dict[str, float],
        battery_low_pct: int,
        now: datetime,
        monotonic: float,
        saved: Any = None,
    ) -> None:
        """``saved``: what ``state()`` returned before a restart (None on first start)."""
        self.id = household_id
        saved = saved if isinstance(saved, dict) else {}
        checkin = saved.get("checkin")
        self.checkin = CheckinRule(
            schedule, steps, grace, now, CheckinState.from_json(checkin) if checkin else None
        )
        self.devices = DeviceHealth(
            silent_after_s, battery_low_pct, monotonic, saved.get("devices")
        )

    def state(self) -> dict[str, Any]:
        return {"checkin": self.checkin.state.to_json(), "devices": self.devices.to_json()}

    def observe(self, obs: Press | DeviceReport) -> list[EventDraft]:
        drafts = self.devices.observe(obs)
        if isinstance(obs, Press):
            drafts += self.checkin.press(obs.device, obs.card, obs.ts)
        return drafts

    def tick(self, monotonic: float, now: datetime) -> list[EventDraft]:
        return self.checkin.tick(now) + self.devices.expire(monotonic, now)

    def status(self, now: datetime) -> dict[str, Any]:
        """The household block of the gateway status (no personal data: ids and times)."""
        state, level = self.checkin.period_state(now)
        s = self.checkin.state
        return {
            "id": self.id,
            "state": state,
            "level": level,
            "next_due": format_ts(s.due),
            "last_checkin": format_ts(s.last_checkin) if s.last_checkin else None,
            "last_card": s.last_card,
            "devices": self.devices.health(),
        }
