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

import asyncio
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
        """Tell the home buttons still waiting; the number of gateways told. A batch
        at a time: one query for its gateways, the commands published side by side
        (QoS 1: each waits for the broker's PUBACK), one transaction for the outcomes."""
        if self.send is None:
            return 0
        told = 0
        while claimed := await self.store.claim_rollcall_buttons(BUTTONS):
            told += await self._tell(claimed)
        return told

    async def _tell(self, claimed: list[tuple[int, str]]) -> int:
        homes = {home: self.registry.households.get(home) for _, home in claimed}
        gateway_ids = sorted({g for h in homes.values() if h for g in h.gateways})
        known = await self.store.button_gateways(gateway_ids)
        targets: dict[tuple[int, str], list[str]] = {}
        outcomes: dict[tuple[int, str], Button] = {}
        for rollcall_id, home in claimed:
            household = homes[home]
            beeping = [
                g for g in (household.gateways if household else [])
                if any(kind in BUTTON_DRIVERS for kind in known.get(g, (None, {}))[1].values())
            ]  # fmt: skip
            online = [g for g in beeping if known[g][0]]
            if online:
                targets[(rollcall_id, home)] = online
            else:
                why = "offline" if beeping else "no button that can beep"
                log.info(
                    "roll-call %d: the button of %s cannot be told (%s)", rollcall_id, home, why
                )
                outcomes[(rollcall_id, home)] = "not_possible"
        keys = [(key, g) for key, gateways in targets.items() for g in gateways]
        results = await asyncio.gather(
            *(self._send(key[0], g) for key, g in keys), return_exceptions=True
        )
        told = 0
        for (key, gateway_id), result in zip(keys, results, strict=True):
            if isinstance(result, BaseException):
                if not isinstance(result, BrokerError):
                    raise result
                log.warning("roll-call %d: %s could not be told: %s", key[0], gateway_id, result)
                outcomes.setdefault(key, "failed")
            else:
                told += 1
                outcomes[key] = "sent"
        await self.store.rollcall_buttons([(r, h, o) for (r, h), o in outcomes.items()])
        return told

    async def _send(self, rollcall_id: int, gateway_id: str) -> None:
        assert self.send is not None
        command = RemindCommand(ref=f"rollcall-{rollcall_id}", for_s=BEEP_FOR_S)
        await self.send(command_topic(gateway_id), encode_command(command), EXPIRY_S)
