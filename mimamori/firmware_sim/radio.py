"""How strongly a receiver hears a tag: the log-distance path loss model.

    rssi = tx_power_1m - 10 * n * log10(d / 1 m) + N(0, noise_db)

(Rappaport, *Wireless Communications*, 2nd ed., 4.9: n is 2 in free space and
2.7-3.5 in urban areas; the Gaussian term is log-normal shadowing.) An advert is
lost with a fixed probability (collisions, the receiver's scan window) and when
it arrives below the receiver's sensitivity. Randomness comes from a seeded
``random.Random`` so a scenario replays the same way.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

LatLon = tuple[float, float]

# The IUGG mean Earth radius; haversine on a sphere errs by < 0.5 %, plenty for
# a town where receivers are tens of metres apart.
EARTH_RADIUS_M = 6_371_008.8
# Closer than this the far-field model means nothing; it also keeps log10 finite.
MIN_DISTANCE_M = 0.1
# The wire's RSSI range (Bluetooth Core Vol 4 Part E, 7.7.65.2).
MIN_RSSI, MAX_RSSI = -127, 20


def distance_m(a: LatLon, b: LatLon) -> float:
    """Great-circle distance between two (lat, lon) points in degrees, in metres."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class RadioModel:
    # 2.5: between free space (2) and a street lined with buildings and cars.
    path_loss_exponent: float = 2.5
    # BLE RSSI readings of a still tag scatter by a few dB; 4 dB is a middle value.
    noise_db: float = 4.0
    loss: float = 0.1  # share of adverts lost however close the tag is
    # nRF52832 product specification: -96 dBm sensitivity at BLE 1 Mbps.
    sensitivity_dbm: float = -96.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))

    def mean_rssi(self, tx_power_1m: float, distance: float) -> float:
        """The expected RSSI at ``distance`` metres, without noise or loss."""
        d = max(distance, MIN_DISTANCE_M)
        return tx_power_1m - 10.0 * self.path_loss_exponent * math.log10(d)

    def rssi(self, tx_power_1m: float, distance: float) -> int | None:
        """One advert's RSSI at the receiver, or None when it is not heard."""
        if self.rng.random() < self.loss:
            return None
        value = self.mean_rssi(tx_power_1m, distance)
        if self.noise_db > 0:
            value += self.rng.gauss(0.0, self.noise_db)
        if value < self.sensitivity_dbm:
            return None
        return max(MIN_RSSI, min(MAX_RSSI, round(value)))

    def range_m(self, tx_power_1m: float) -> float:
        """Where the mean RSSI meets the sensitivity: how far a tag is heard on average."""
        exponent = (tx_power_1m - self.sensitivity_dbm) / (10.0 * self.path_loss_exponent)
        return float(10**exponent)
