"""Check-ins: presses close periods, a ladder escalates a period that stays open.

Pure logic over presses and wall-clock readings; no I/O. The state is a small value
the daemon commits to the outbox database in the same transaction as the events it
caused, so a restart neither forgets a missed check-in nor repeats a step.

* There is always one **open period**, ending at its due time ``due``. A press counts
  for it when it comes after ``opened_at`` (the end of the previous period, or the
  previous closing press) and no later than ``due + grace``.
* Such a press closes the period; the next one opens and ends at the next due time.
  A press before ``opened_at`` (a second press the same day) is reported but closes
  nothing.
* A press later than ``due + grace`` closes the open (missed) period late, and also
  counts for the period it falls in.
* While the period stays open, each ladder step fires once, ``after_h`` hours after
  ``due + grace``: level 0 reminds the person, level 1 and up call on others. The
  period stays open across later due times (three days without a press is one missed
  period at level 2, not three at level 1).

Wall-clock time is used because dues are calendar times. A Pi without a real-time
clock boots with a stale clock until NTP syncs; a reading earlier than the state
already knows is ignored rather than trusted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from mimamori.edge.rules.schedule import Schedule
from mimamori.protocol.events import Card, CheckinData, EventDraft, EventKind, MissedData
from mimamori.protocol.timefmt import format_ts, from_iso

KIND_OF_CARD: dict[Card, EventKind] = {
    "genki": EventKind.CHECKIN_DONE,
    "soudan": EventKind.CHECKIN_CONSULT,
    "sos": EventKind.CHECKIN_SOS,
}

PeriodState = Literal["ok", "due", "missed"]


@dataclass(frozen=True, slots=True)
class Step:
    after: timedelta
    level: int


@dataclass(frozen=True, slots=True)
class CheckinState:
    due: datetime  # the open period's due time
    opened_at: datetime  # presses after this count for the open period
    fired: frozenset[int] = field(default_factory=frozenset)  # ladder levels already sent
    last_checkin: datetime | None = None
    last_card: Card | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "due": format_ts(self.due),
            "opened_at": format_ts(self.opened_at),
            "fired": sorted(self.fired),
            "last_checkin": format_ts(self.last_checkin) if self.last_checkin else None,
            "last_card": self.last_card,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> CheckinState:
        last = value.get("last_checkin")
        return cls(
            due=from_iso(value["due"]),
            opened_at=from_iso(value["opened_at"]),
            fired=frozenset(int(level) for level in value.get("fired", [])),
            last_checkin=from_iso(last) if last else None,
            last_card=value.get("last_card"),
        )


class CheckinRule:
    def __init__(
        self,
        schedule: Schedule,
        steps: list[Step],
        grace: timedelta,
        now: datetime,
        state: CheckinState | None = None,
    ) -> None:
        self.schedule = schedule
        self.steps = sorted(steps, key=lambda s: s.after)
        self.grace = grace
        # First start: the first period runs from now to the next due time.
        self.state = state or CheckinState(due=schedule.due_after(now), opened_at=now)

    # -- what the hub and the status show ---------------------------------------------

    def period_state(self, now: datetime) -> tuple[PeriodState, int | None]:
        """``ok`` before the due time; ``due`` from then until a level >= 1 fires;
        then ``missed`` with the highest level fired."""
        alerting = [level for level in self.state.fired if level >= 1]
        if alerting:
            return "missed", max(alerting)
        return ("due", None) if now >= self.state.due else ("ok", None)

    # -- decisions ------------------------------------------------------------------

    def press(self, device: str, card: Card, ts: datetime) -> list[EventDraft]:
        s = self.state
        deadline = s.due + self.grace
        closed: datetime | None = None
        if ts <= s.opened_at:
            new = s  # an extra press in a period already closed
        elif ts <= deadline:
            closed = s.due
            due = self.schedule.due_after(max(ts, s.due))
            new = CheckinState(due=due, opened_at=max(ts, s.due))
        else:
            closed = s.due
            window = self.schedule.due_at_or_after(ts)  # this press also counts for it
            new = CheckinState(due=self.schedule.due_after(window), opened_at=window)
        self.state = replace(new, last_checkin=ts, last_card=card)
        data = CheckinData(
            device=device,
            card=card,
            closed=closed,
            late=closed is not None and ts > closed,
            next_due=self.state.due,
        )
        return [EventDraft(KIND_OF_CARD[card], ts, data.model_dump(mode="json"))]

    def tick(self, now: datetime) -> list[EventDraft]:
        """The ladder steps that have come due by ``now`` and were not sent yet."""
        s = self.state
        if now < s.opened_at:
            return []  # the wall clock is behind what we know: not synced yet
        deadline = s.due + self.grace
        drafts: list[EventDraft] = []
        fired = set(s.fired)
        for step in self.steps:
            if step.level in fired or now < deadline + step.after:
                continue
            fired.add(step.level)
            data = MissedData(level=step.level, due=s.due, last_checkin=s.last_checkin)
            drafts.append(EventDraft(EventKind.CHECKIN_MISSED, now, data.model_dump(mode="json")))
        if drafts:
            self.state = replace(s, fired=frozenset(fired))
        return drafts
