"""What a running roll-call hears without anyone at the desk: presses of the home
buttons, tags at watch points; and the home buttons it still has to tell.

Presses are read from the events the ingest stored, after the roll-call's cursor (the
last event stored when it started), so a press that a gateway kept in its outbox while
the broker was away counts when it arrives. A press counts if the gateway made it at
or after the start (its ``ts``, as the ingest stored it): one made before the start and
delivered late says nothing of the person since. The cursor moves by compare-and-set
in the transaction that records the answers, so two hub workers never apply a batch
twice, and a restart reads on from where the last commit left it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from mimamori.errors import BrokerError
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.rollcall import Answer, Button, Heard, RollCall
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store
from mimamori.protocol.commands import RemindCommand, encode_command
from mimamori.protocol.events import CHECKIN_KINDS, EventKind, TagData
from mimamori.protocol.topics import command_topic

log = logging.getLogger(__name__)

BATCH = 500
BUTTONS = 200  # home buttons told per round
# The button blinks and beeps for 3 hours, or until pressed; a gateway away longer than
# 1 hour gets nothing (MQTT v5 expiry): by then staff call or visit (issue 19).
BEEP_FOR_S = 3 * 3600
EXPIRY_S = 3600
BUTTON_DRIVERS = frozenset({"serial_button"})  # as alerts/reminders.py: buttons that can be told
SEEN_KINDS = frozenset({EventKind.TAG_ARRIVED, EventKind.TAG_SEEN})

Send = Callable[[str, bytes, int], Awaitable[None]]  # topic, payload, expiry (s)


def heard_of(event: StoredEvent, call: RollCall, registry: Registry) -> Heard | None:
    """What one event says of a household in ``call`` (None: nothing)."""
    if event.ts < call.started_at:
        return None  # made before the start, delivered late
    if event.kind in CHECKIN_KINDS:
        home = registry.household_of_gateway.get(event.gateway_id)
        if home is None:
            return None
        answer: Answer = "help" if event.kind == EventKind.CHECKIN_SOS else "safe"
        return Heard(home, event.ts, answer=answer)
    if event.kind in SEEN_KINDS and event.gateway_id not in registry.household_of_gateway:
        person = registry.person_of_tag.get(event.data_as(TagData).tag)
        home = registry.household_of_person.get(person) if person else None
        if home is not None:
            return Heard(home, event.ts, seen_where=registry.place(event.gateway_id).name)
    return None


class Follower:
    def __init__(self, registry: Registry, store: Store, send: Send | None) -> None:
        self.registry = registry
        self.store = store
        self.send = send  # None: no broker here (the API alone): another worker tells
        self.failures = 0

    async def follow(self, rollcall_id: int) -> int:
        """Read the events after the roll-call's cursor; the number of them read."""
        read = 0
        while True:
            found = await self.store.rollcall(rollcall_id)
            if found is None or not found[0].open:
                return read
            call, cursor = found
            upto, events = await self.store.events_after(cursor, BATCH)
            if not events:
                return read
            heard: list[Heard] = []
            for event in events:
                try:
                    if (h := heard_of(event, call, self.registry)) is not None:
                        heard.append(h)
                except Exception:  # one bad event must not stop the roll-call
                    self.failures += 1
                    log.exception("roll-call %d: event %s could not be read", call.id, event.id)
            if await self.store.rollcall_heard(call.id, cursor, upto, heard):
                read += len(events)
            # else another worker took them: read on from its cursor

    async def tell_buttons(self) -> int:
        """Tell the home buttons still waiting; the number told."""
        if self.send is None:
            return 0
        told = 0
        while claimed := await self.store.claim_rollcall_buttons(BUTTONS):
            for rollcall_id, home in claimed:
                told += await self._tell(rollcall_id, home)
        return told

    async def _tell(self, rollcall_id: int, home: str) -> int:
        assert self.send is not None
        household = self.registry.households.get(home)
        command = encode_command(RemindCommand(ref=f"rollcall-{rollcall_id}", for_s=BEEP_FOR_S))
        told = 0
        offline = False
        for gateway_id in household.gateways if household else []:
            online, drivers = await self.store.gateway_drivers(gateway_id)
            if not any(kind in BUTTON_DRIVERS for kind in drivers.values()):
                continue
            if not online:
                offline = True
                continue
            try:
                await self.send(command_topic(gateway_id), command, EXPIRY_S)
                told += 1
            except BrokerError as exc:
                log.warning("roll-call %d: %s could not be told: %s", rollcall_id, gateway_id, exc)
                await self.store.rollcall_button(rollcall_id, home, "failed")
                return 0
        outcome: Button = "sent" if told else "not_possible"
        if not told:
            why = "offline" if offline else "no button that can beep"
            log.info("roll-call %d: the button of %s cannot be told (%s)", rollcall_id, home, why)
        await self.store.rollcall_button(rollcall_id, home, outcome)
        return told
