"""How people answer an alert, what its timeline holds, and which kinds share a route.

Acknowledging is not resolving (issue 15): someone *handling* an alert pauses its chain
for a while, a *decline* sends it to the next step at once, and only a *resolve* (with
an outcome) ends it. A call to the person is recorded as one of three results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from mimamori.hub.model.alerts import AlertKind

Answer = Literal["handling", "decline", "resolve"]
CallResult = Literal["fine", "needs_help", "no_answer"]
ANSWERS: tuple[Answer, ...] = ("handling", "decline", "resolve")
CALL_RESULTS: tuple[CallResult, ...] = ("fine", "needs_help", "no_answer")

# How an alert ended: a fixed list, so the figures (how many were false alarms, how
# many needed an ambulance) can be counted; the note says the rest.
Outcome = Literal["safe", "away", "hospital", "emergency", "device", "false_alarm", "other"]
OUTCOMES: tuple[Outcome, ...] = (
    "safe",  # 本人の無事を確認
    "away",  # 外出・家族宅など（無事）
    "hospital",  # 入院・受診
    "emergency",  # 救急・警察に通報
    "device",  # 機器の不具合
    "false_alarm",  # 誤報
    "other",  # その他（メモに記入）
)

# Groups a policy's route may name instead of each kind. Device and gateway problems
# are a technician's matter, never a family's (issue 15). "watchpoint_offline" is the
# kind a watch point's silence raises (hub/alerts/rules.py).
ROUTE_GROUPS: dict[str, tuple[str, ...]] = {
    "device": (
        AlertKind.DEVICE_SILENT,
        AlertKind.BATTERY_LOW,
        AlertKind.MAINS_LOST,
        AlertKind.HOME_OFFLINE,
        AlertKind.GATEWAY_CLOCK,
        "watchpoint_offline",
        AlertKind.RECEIVER_DEAF,
        AlertKind.OUTBOX_GROWING,
        AlertKind.GATEWAY_RESTARTS,
        AlertKind.DISK_LOW,
    ),
}

# What an entry of the timeline records.
TimelineWhat = Literal[
    "opened",  # the alert opened (detail: its kind)
    "step",  # a step came due: who was asked, to do what (detail: notify | call | visit)
    "notified",  # one notification: its channel, delivered or failed
    "answer",  # someone answered (detail: handling | decline | call_fine ...)
    "resolved",  # the alert ended (detail: the outcome)
]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    what: TimelineWhat
    who: str | None  # a contact's id, an account's name, "automatic"
    detail: str | None = None
    channel: str | None = None  # "line", "0", "1"... (the line of the contact's channels)
    state: str | None = None  # a notification's: pending | sent | failed
    note: str | None = None
    step: int | None = None  # a step's place in its route, from 0
    round: int | None = None  # 0 for the step, 1.. for its repeats
