"""The town's households: when each check-in is due, and what the person does.

A day cannot be waited for, so the schedules are set for the run instead: each home's
daily check-in falls due at a time of day inside the measured window (the first 5 % to
65 % of it), with no grace, and the ladder calls on others (level 1) ``ladder_s`` after
the reminder (level 0). The real rules of a home gateway (``edge/rules/household.py``)
decide everything from there, on the real clock, so every event carries a real time.
Due times have seconds, which a gateway's YAML (``by: "HH:MM"``) cannot say: the rules
take any time of day.

Most people press 元気だよ in time. Of the rest (shares below, ``miss_share`` given):
some never press, so the ladder reaches level 1 and the hub opens an alert; some press
late, after the reminder and before level 1; some press 相談 or SOS, which open alerts
of their own. Each of those alerts is a notification to the care centre's webhook.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from mimamori.edge.rules.checkin import Step
from mimamori.edge.rules.household import Household
from mimamori.edge.rules.schedule import Schedule
from mimamori.protocol.events import Card

ZONE = ZoneInfo("Asia/Tokyo")
BUTTON = "door"
DUE_SPAN = (0.05, 0.65)  # shares of the window in which check-ins fall due
LATE_SHARE = 0.03
CONSULT_SHARE = 0.02
SOS_SHARE = 0.01
BUTTON_SILENT_S = 3600.0  # the serial button's default (edge/config.py)
BATTERY_LOW_PCT = 20


@dataclass(frozen=True)
class CheckinPlan:
    due: datetime
    press_at: datetime | None  # None: nobody presses
    card: Card
    alert: str | None  # what the hub should tell the care centre: missed, consult, sos


def ladder_s(window_s: float) -> float:
    """Seconds from the reminder to calling on others: a minute, less in short runs so
    that the last ones still fall inside the window."""
    return min(60.0, 0.2 * window_s)


def plan_checkins(
    homes: int, start: datetime, window_s: float, miss_share: float, rng: random.Random
) -> list[CheckinPlan]:
    ladder = timedelta(seconds=ladder_s(window_s))
    plans = []
    for _ in range(homes):
        # Whole seconds (a schedule's time of day has no fraction), never before the draw.
        due = start + timedelta(seconds=rng.uniform(*DUE_SPAN) * window_s)
        due = due.replace(microsecond=0) + timedelta(seconds=1)
        on_time = start + (due - start) * rng.uniform(0.1, 0.95)
        roll = rng.random()
        if roll < miss_share:
            plans.append(CheckinPlan(due, None, "genki", "missed"))
        elif roll < miss_share + LATE_SHARE:
            plans.append(CheckinPlan(due, due + ladder / 2, "genki", None))
        elif roll < miss_share + LATE_SHARE + CONSULT_SHARE:
            plans.append(CheckinPlan(due, on_time, "soudan", "consult"))
        elif roll < miss_share + LATE_SHARE + CONSULT_SHARE + SOS_SHARE:
            plans.append(CheckinPlan(due, on_time, "sos", "sos"))
        else:
            plans.append(CheckinPlan(due, on_time, "genki", None))
    return plans


def household_rules(household_id: str, plan: CheckinPlan, window_s: float) -> Household:
    """The home gateway's own rules, with the schedule of ``plan``, starting now."""
    local = plan.due.astimezone(ZONE)
    return Household(
        household_id,
        Schedule(zone=ZONE, by=local.time()),
        steps=[Step(timedelta(0), 0), Step(timedelta(seconds=ladder_s(window_s)), 1)],
        grace=timedelta(0),
        silent_after_s={BUTTON: BUTTON_SILENT_S},
        battery_low_pct=BATTERY_LOW_PCT,
        now=datetime.now(UTC),
        monotonic=time.monotonic(),
    )
