"""A busy site's radio traffic, as receiver lines, for the edge benchmarks.

What a receiver in a vending machine hears is not only the town's tags: phones,
earbuds and other people's beacons advertise too, and every one of them costs the
gateway a parse before the rules can ignore it. The mix used here (stated in
docs/performance.md): 80 % adverts of the town's tags (iBeacon and Eddystone-UID,
all on the allow list), 10 % iBeacons of another fleet (parsed, not allowed) and
10 % adverts that are no tag at all (a phone's manufacturer data). RSSI per tag is
drawn around a mean between -88 and -58 dBm with the radio model's noise, so some
tags hover at the enter/exit thresholds and the hysteresis does real work.

Imports only what a gateway has (``mimamori[edge]``).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from mimamori.firmware_sim.frames import AD_MANUFACTURER, ad_structure, adv_for_tag
from mimamori.firmware_sim.receiver import advert_line

TOWN_UUID = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
OTHER_UUID = "0bd1a9a5-2b4d-4d51-8a32-b2ae2f4f3a10"
EDDY_NAMESPACE = "8b0ca750e7a74e14bd99"
ALLOW = [f"ibeacon:{TOWN_UUID}:*", f"eddystone-uid:{EDDY_NAMESPACE}:*"]
MICROSOFT = 0x0006  # a Bluetooth SIG company id phones and PCs advertise under
NOISE_DB = 4.0  # firmware_sim.radio's default RSSI scatter
VARIANTS = 16  # distinct RSSI readings kept per tag (the parser caches nothing)


def town_tag(n: int) -> str:
    """Tag ``n`` of the town: three in four are iBeacons, the rest Eddystone-UID."""
    if n % 4 == 3:
        return f"eddystone-uid:{EDDY_NAMESPACE}:{n:012x}"
    return f"ibeacon:{TOWN_UUID}:{n // 65536}:{n % 65536}"


def town_people(tags: int) -> list[dict[str, Any]]:
    """Hub registry entries for the first ``tags`` town tags, one person each, with the
    consent to locate them on record (without it the hub drops their sightings)."""
    consent = {"by": "本人", "at": "2026-01-05", "purposes": ["location", "search"]}
    return [
        {"id": f"p-{n}", "name": f"利用者 {n}", "tags": [town_tag(n)], "consent": consent}
        for n in range(tags)
    ]


def _address(rng: random.Random) -> str:
    return ":".join(f"{rng.randrange(256):02X}" for _ in range(6))


def _variants(rng: random.Random, adv: bytes, mean: float) -> list[bytes]:
    addr = _address(rng)
    lines = []
    for _ in range(VARIANTS):
        rssi = max(-127, min(20, round(rng.gauss(mean, NOISE_DB))))
        lines.append(advert_line(addr, rssi, adv))
    return lines


def line_pool(tags: int, seed: int = 1) -> tuple[list[list[bytes]], list[list[bytes]]]:
    """(town tags' lines, others' lines): ``VARIANTS`` lines per device, RSSI drawn."""
    rng = random.Random(seed)
    town = [_variants(rng, adv_for_tag(town_tag(n)), rng.uniform(-88, -58)) for n in range(tags)]
    others: list[list[bytes]] = []
    for n in range(max(1, tags // 4)):
        foreign = adv_for_tag(f"ibeacon:{OTHER_UUID}:7:{n}")
        phone = ad_structure(0x01, b"\x1a") + ad_structure(
            AD_MANUFACTURER, MICROSOFT.to_bytes(2, "little") + rng.randbytes(24)
        )
        others.append(_variants(rng, foreign, rng.uniform(-95, -60)))
        others.append(_variants(rng, phone, rng.uniform(-95, -60)))
    return town, others


def site_lines(count: int, tags: int, seed: int = 1) -> bytes:
    """``count`` advert lines of the mix above, in a random order, as one byte string."""
    town, others = line_pool(tags, seed)
    rng = random.Random(seed + 1)
    out = []
    for _ in range(count):
        group = town if rng.random() < 0.8 else others
        out.append(rng.choice(rng.choice(group)))
    return b"".join(out)


def gateway_doc(gw: str, broker_port: int, receiver_port: str, data_dir: Path) -> dict[str, Any]:
    """A vending-machine gateway as configs/gateway-vending.yaml sets it up (no TLS)."""
    return {
        "gateway": {"id": gw, "name": "ベンチ 自販機", "lat": 26.2822, "lon": 127.7788},
        "broker": {"host": "127.0.0.1", "port": broker_port, "keepalive_s": 30},
        "receivers": [{"id": "vm", "driver": "serial_line", "port": receiver_port}],
        "tags": {"formats": ["ibeacon", "eddystone-uid"], "allow": ALLOW},
        "presence": {
            "enter_rssi": -85,
            "exit_rssi": -92,
            "smoothing": 0.3,
            "leave_after_s": 120,
            "report_interval_s": 60,
            "search_interval_s": 1,
        },
        "outbox": {"max_events": 100_000, "batch_size": 100},
        "data_dir": str(data_dir),
        "status_interval_s": 60,
    }
