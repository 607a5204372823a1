"""The town's in-process gateways: the edge's own rules and the v1 wire, without the rest.

A watch point runs the gateway's presence rule (``PresenceTracker``) on the adverts
the town's radio lets it hear; a home gateway runs the household rules (the check-in
ladder and the button's health). What they decide leaves as a real gateway's uplink
sends it: events numbered by a per-gateway sequence, each with a fresh id, batched per
tick on ``mimamori/v1/gw/{id}/events`` at QoS 1, and a retained status every
``status_interval_s`` on ``.../status`` (with the last will "offline" set at connect).

What they leave out, on purpose: advert parsing and the allow list (the town hands the
rule tag ids), and the outbox (nothing is stored on disk; a publish while the
connection is down is counted, not kept). Both are measured in ``bench edge``, and a
few real ``mimamori edge`` processes run in the same town (town_edges.py).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from datetime import UTC, datetime

from mimamori import __version__
from mimamori.bench.town_homes import BUTTON
from mimamori.bench.town_mqtt import LoopClient
from mimamori.edge.observations import DeviceReport, Press
from mimamori.edge.rules.household import Household
from mimamori.edge.rules.presence import PresenceParams, PresenceTracker
from mimamori.mqtt import Will
from mimamori.protocol.codec import encode_event_bodies, encode_status
from mimamori.protocol.events import Card, EventDraft, EventKind, new_event_id
from mimamori.protocol.search import SEARCH_SUBSCRIPTION
from mimamori.protocol.status import DriverStatus, GatewayStatus, OutboxStatus
from mimamori.protocol.topics import events_topic, status_topic

# configs/gateway-vending.yaml: the product's presence settings.
PRESENCE = PresenceParams(
    enter_rssi=-85, exit_rssi=-92, smoothing=0.3, leave_after_s=120.0, report_interval_s=60.0
)
RECEIVER = "vm"
KEEPALIVE_S = 60
BATCH_MAX = 100  # the uplink's batch (outbox.batch_size)

# (gateway id, what the hub will tell: missed / consult / sos, the event's time)
TriggerSink = Callable[[str, str, datetime], None]


def _alert_of(draft: EventDraft) -> str | None:
    """The alert the hub opens on this home event (hub/alerts/rules.py), if any."""
    if draft.kind == EventKind.CHECKIN_MISSED and int(draft.data.get("level", 0)) >= 1:
        return "missed"
    if draft.kind == EventKind.CHECKIN_CONSULT:
        return "consult"
    if draft.kind == EventKind.CHECKIN_SOS:
        return "sos"
    return None


class SimGateway:
    """What every town gateway shares: its connection, sequence, events and status."""

    driver = "serial_line"
    device = RECEIVER

    def __init__(self, gateway_id: str, status_interval_s: float, rng: random.Random) -> None:
        self.id = gateway_id
        offline = encode_status(GatewayStatus(gw=gateway_id, state="offline"))
        self.client = LoopClient(
            f"mimamori-gw-{gateway_id}",
            will=Will(status_topic(gateway_id), offline, qos=1, retain=True),
            keepalive_s=KEEPALIVE_S,
            on_message=self._order,
            on_connected=self._announce,
        )
        self.status_interval_s = status_interval_s
        # Gateways boot at different moments: their refreshes do not come in step.
        self.next_status = rng.uniform(0, status_interval_s)
        self.seq = 0
        self.counters = {"events": 0, "messages": 0, "statuses": 0, "search_orders": 0}
        self._pending: list[EventDraft] = []
        self.published_ts: list[datetime] = []  # of every event handed to the connection
        self._config_hash = hashlib.sha256(gateway_id.encode()).hexdigest()[:12]

    def _order(self, _topic: str, _payload: bytes) -> None:
        self.counters["search_orders"] += 1  # heard, as a gateway hears them; not acted on

    def _announce(self) -> None:
        """Just connected: take the hub's search orders, say who we are."""
        self.client.subscribe(SEARCH_SUBSCRIPTION, 1)
        self.publish_status(datetime.now(UTC))

    def queue(self, drafts: list[EventDraft]) -> None:
        self._pending.extend(drafts)

    def flush(self) -> None:
        """Number what was decided and publish it, as the uplink batches its outbox."""
        pending, self._pending = self._pending, []
        for first in range(0, len(pending), BATCH_MAX):
            bodies = []
            batch = pending[first : first + BATCH_MAX]
            for draft in batch:
                self.seq += 1
                bodies.append(draft.numbered(new_event_id(), self.seq).model_dump_json())
            payload = encode_event_bodies(self.id, bodies)
            if self.client.publish(events_topic(self.id), payload, qos=1):
                self.counters["events"] += len(bodies)
                self.counters["messages"] += 1
                self.published_ts.extend(draft.ts for draft in batch)

    def _extra(self, now: datetime) -> dict[str, object]:
        return {}

    def status(self, now: datetime) -> GatewayStatus:
        return GatewayStatus.model_validate(
            {
                "gw": self.id,
                "state": "online",
                "ts": now,
                "version": __version__,
                "config_hash": self._config_hash,
                "drivers": {
                    self.device: DriverStatus(driver=self.driver, state="up", last_frame=now)
                },
                "outbox": OutboxStatus(depth=0),
                "counters": {"events": self.seq},
                "interval_s": self.status_interval_s,
                **self._extra(now),
            }
        )

    def publish_status(self, now: datetime) -> None:
        payload = encode_status(self.status(now))
        if self.client.publish(status_topic(self.id), payload, qos=1, retain=True):
            self.counters["statuses"] += 1
            self.counters["messages"] += 1


class WatchPoint(SimGateway):
    """A vending machine's gateway: the presence rule over what its receiver hears."""

    def __init__(self, gateway_id: str, status_interval_s: float, rng: random.Random) -> None:
        super().__init__(gateway_id, status_interval_s, rng)
        self.presence = PresenceTracker(PRESENCE)

    def hear(self, tag: str, rssi: int, at: float, ts: datetime) -> None:
        self._pending.extend(self.presence.observe(tag, rssi, RECEIVER, at, ts))

    def sweep(self, at: float, ts: datetime) -> bool:
        """The leave timers (the daemon's one-second sweep); False once nothing is near."""
        self._pending.extend(self.presence.expire(at, ts))
        return len(self.presence) > 0


class HomeGateway(SimGateway):
    """A home's gateway with its check-in button: the household rules."""

    driver = "serial_button"
    device = BUTTON

    def __init__(
        self,
        gateway_id: str,
        status_interval_s: float,
        rng: random.Random,
        triggers: TriggerSink,
    ) -> None:
        super().__init__(gateway_id, status_interval_s, rng)
        self.household: Household | None = None  # given its schedule when the window opens
        self._triggers = triggers
        self.battery_pct = rng.randint(60, 100)
        self.next_report = rng.uniform(0, 600.0)  # the unit's 10-minute heartbeat

    def queue(self, drafts: list[EventDraft]) -> None:
        for draft in drafts:
            alert = _alert_of(draft)
            if alert is not None:
                self._triggers(self.id, alert, draft.ts)
        super().queue(drafts)

    def _extra(self, now: datetime) -> dict[str, object]:
        if self.household is None:
            return {}
        return {"household": self.household.status(now)}

    def press(self, card: Card, at: float, ts: datetime) -> None:
        if self.household is not None:
            self.queue(self.household.observe(Press(BUTTON, at, ts, card)))

    def report(self, at: float, ts: datetime) -> None:
        """The button's heartbeat: alive, on mains, its battery as it is."""
        if self.household is not None:
            obs = DeviceReport(BUTTON, at, ts, battery_pct=self.battery_pct, mains=True)
            self.queue(self.household.observe(obs))

    def tick(self, at: float, ts: datetime) -> None:
        """The rules' one-second sweep: ladder steps due, a button gone silent."""
        if self.household is not None:
            self.queue(self.household.tick(at, ts))
