"""Receiver health: a receiver going down (or coming back) becomes an event.

A receiver that is up when the daemon starts says nothing; one that is down at
start, or goes down later, raises ``receiver.down``; the first ``up`` after that
raises ``receiver.up``. Repeated reports of the same state are ignored.
"""

from __future__ import annotations

from mimamori.edge.observations import ReceiverState
from mimamori.protocol.events import EventDraft, EventKind, ReceiverData


class ReceiverHealth:
    def __init__(self) -> None:
        self._up: dict[str, bool] = {}

    def is_up(self, receiver: str) -> bool | None:
        return self._up.get(receiver)

    def observe(self, state: ReceiverState) -> list[EventDraft]:
        before = self._up.get(state.receiver)
        self._up[state.receiver] = state.up
        if before == state.up or (before is None and state.up):
            return []
        kind = EventKind.RECEIVER_UP if state.up else EventKind.RECEIVER_DOWN
        data = ReceiverData(receiver=state.receiver, reason=state.reason[:200])
        return [EventDraft(kind, state.ts, data.model_dump(mode="json"))]
