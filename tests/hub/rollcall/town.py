"""The roll-call's test town: two care-centre areas, three homes, a watch point.

北 (north): 宮城さん宅 (hh-1, on the support list, a home gateway with a button
that can beep, her own phone and her son's) and 比嘉さん宅 (hh-2, a home gateway
that never said what it has, a family contact); 南 (south): 金城さん宅 (hh-3,
nobody to message). The watch point gw-a hears tags in the street.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from mimamori.errors import BrokerError
from mimamori.hub.access.policy import Principal
from mimamori.hub.register.loading import load_registry
from mimamori.hub.rollcall.service import RollCalls
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol import GatewayStatus
from mimamori.protocol.commands import RemindCommand, decode_command
from mimamori.protocol.events import Event, EventKind
from mimamori.protocol.timefmt import format_ts
from tests.hub.helpers import CONSENT, T0, TAG_KAMA, HubClock, event, import_register_of

ADMIN = Principal("admin", None, "管理者")
NORTH_STAFF = Principal("staff", None, "北の職員", areas=("north",))
SOUTH_STAFF = Principal("staff", None, "南の職員", areas=("south",))
VOLUNTEER = Principal("volunteer", None, "民生委員 山田", households=("hh-2",))
FAMILY = Principal("family", "fam-1", "比嘉 花子")


@dataclass
class Sent:
    """What the hub published: (topic, command, expiry in seconds)."""

    commands: list[tuple[str, RemindCommand, int]] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, topic: str, payload: bytes, expiry_s: int) -> None:
        if self.fail:
            raise BrokerError("not connected")
        self.commands.append((topic, decode_command(payload), expiry_s))


def town(tmp_path: Path) -> dict[str, Any]:
    for name in ("self", "son", "family"):
        (tmp_path / f"{name}.channels").write_text(f"json://127.0.0.1:9/{name}\n")
    return {
        "hub": {"database": {"path": str(tmp_path / "hub.sqlite3")}, "broker": {"host": "x"}},
        "areas": [{"id": "north", "name": "北地区"}, {"id": "south", "name": "南地区"}],
        "gateways": [
            {"id": "gw-home", "name": "自宅", "lat": 26.2, "lon": 127.7, "site": "home",
             "area": "north"},
            {"id": "gw-2", "name": "比嘉さん宅", "lat": 26.2, "lon": 127.7, "site": "home",
             "area": "north"},
            {"id": "gw-3", "name": "金城さん宅", "lat": 26.2, "lon": 127.7, "site": "home",
             "area": "south"},
            {"id": "gw-a", "name": "公民館前", "lat": 26.2, "lon": 127.7, "area": "north"},
        ],
        "recipients": [
            {"id": "r-self", "name": "宮城 カマド", "relation": "本人", "phone": "090-1111-2222",
             "channels_file": str(tmp_path / "self.channels")},
            {"id": "r-son", "name": "宮城 一郎", "relation": "長男", "phone": "090-3333-4444",
             "lang": "en", "channels_file": str(tmp_path / "son.channels")},
            {"id": "r-family", "name": "比嘉 花子", "phone": "090-5555-6666",
             "channels_file": str(tmp_path / "family.channels")},
        ],
        "policies": [{"id": "default", "steps": [{"after_min": 0, "notify": ["r-son"]}]}],
        "households": [
            {"id": "hh-1", "name": "宮城さん宅", "area": "north", "gateways": ["gw-home"],
             "evacuation_support": True},
            {"id": "hh-2", "name": "比嘉さん宅", "area": "north",
             "gateways": ["gw-2"]},
            {"id": "hh-3", "name": "金城さん宅", "area": "south",
             "gateways": ["gw-3"]},
        ],
        "people": [
            {"id": "p-1", "name": "宮城 カマド", "consent": CONSENT, "household": "hh-1",
             "area": "north", "tags": [TAG_KAMA], "contacts": ["r-self", "r-son"]},
            {"id": "p-2", "name": "比嘉 ツル", "consent": CONSENT, "household": "hh-2",
             "area": "north", "contacts": ["r-family"]},
            {"id": "p-3", "name": "金城 ウシ", "consent": CONSENT, "household": "hh-3",
             "area": "south"},
        ],
        "families": [{"id": "fam-1", "name": "比嘉家", "households": ["hh-2"]}],
    }  # fmt: skip


async def rollcalls(
    tmp_path: Path, store: SqlStore, clock: HubClock, sent: Sent | None = None
) -> RollCalls:
    await import_register_of(store, town(tmp_path), clock)
    registry = await load_registry(store)
    return RollCalls(
        registry, store, clock=clock, public_url="https://hub.example.jp", send=sent or Sent()
    )


async def home_gateway(store: SqlStore, state: str = "online", **drivers: str) -> None:
    status = GatewayStatus.model_validate(
        {
            "gw": "gw-home",
            "state": state,
            "ts": T0,
            "drivers": {name: {"driver": kind, "state": "up"} for name, kind in drivers.items()},
        }
    )
    await store.ingest([], [status], T0)


def press(at: datetime, card: str = "genki") -> Event:
    kind = {"genki": EventKind.CHECKIN_DONE, "sos": EventKind.CHECKIN_SOS}[card]
    return event(kind, at, device="door", card=card, next_due=format_ts(T0))
