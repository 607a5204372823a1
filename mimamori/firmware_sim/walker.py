"""A person walking a route: where they are at time t.

The route is a list of (lat, lon) points walked in straight lines at a steady
speed. Between two points close together (a town's streets) interpolating
latitude and longitude linearly is exact to well under a metre.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from mimamori.firmware_sim.radio import LatLon, distance_m

# Comfortable gait of healthy people in their 70s is ~1.3 m/s (Bohannon, Age and
# Ageing 1997); older people who are frail or have dementia walk slower.
DEFAULT_SPEED_MPS = 1.0


class Walker:
    def __init__(
        self,
        route: Sequence[LatLon],
        speed_mps: float = DEFAULT_SPEED_MPS,
        *,
        back_and_forth: bool = False,
        start_delay_s: float = 0.0,
    ) -> None:
        if not route:
            raise ValueError("a route needs at least one point")
        if speed_mps <= 0:
            raise ValueError("speed must be positive")
        if start_delay_s < 0:
            raise ValueError("start delay must not be negative")
        self.route: tuple[LatLon, ...] = tuple((float(lat), float(lon)) for lat, lon in route)
        self.speed_mps = speed_mps
        self.back_and_forth = back_and_forth
        self.start_delay_s = start_delay_s
        # _marks[i]: metres walked on arriving at route[i]
        self._marks = [0.0]
        for a, b in zip(self.route, self.route[1:], strict=False):
            self._marks.append(self._marks[-1] + distance_m(a, b))

    @property
    def length_m(self) -> float:
        return self._marks[-1]

    def walked_m(self, t: float) -> float:
        """Metres along the route at ``t`` seconds (folded back when walking back and forth)."""
        walked = max(0.0, t - self.start_delay_s) * self.speed_mps
        total = self.length_m
        if total == 0:
            return 0.0
        if not self.back_and_forth:
            return min(walked, total)
        walked %= 2 * total
        return walked if walked <= total else 2 * total - walked

    def position(self, t: float) -> LatLon:
        """Where the walker is at ``t`` seconds; at the start before the delay, at the end after."""
        along = self.walked_m(t)
        i = bisect.bisect_right(self._marks, along) - 1
        if i >= len(self.route) - 1:
            return self.route[-1]
        span = self._marks[i + 1] - self._marks[i]
        share = (along - self._marks[i]) / span if span else 0.0
        (lat1, lon1), (lat2, lon2) = self.route[i], self.route[i + 1]
        return (lat1 + (lat2 - lat1) * share, lon1 + (lon2 - lon1) * share)
