"""What the fleet pages draw, as pure functions: a receiver's day as a sparkline (gaps
where nothing was taken in, red marks where nothing was heard, scaled to the day's
busiest quarter) and the gateways' map (north up, east right, the worst on top)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mimamori.hub.desk.fleet import FleetRow, ReceiverRow
from mimamori.hub.desk.fleet_map import HEIGHT, MARGIN, WIDTH, layout
from mimamori.hub.desk.sparkline import PAD, SLOTS, STEP, sparkline
from mimamori.hub.model.fleet import RATE_BUCKET, OpenAlert, RateBucket, rate_bucket
from mimamori.hub.register.schema import GatewayEntry

NOW = datetime(2031, 5, 12, 3, 7, tzinfo=UTC)
FIRST = rate_bucket(NOW) - (SLOTS - 1) * RATE_BUCKET  # the day's first quarter


def quarter(i: int, per_min: float, minutes: int = 15) -> RateBucket:
    return RateBucket(FIRST + i * RATE_BUCKET, minutes, round(per_min * minutes))


def ys(points: str) -> list[float]:
    return [float(p.split(",")[1]) for p in points.split()]


def test_the_quarter_hour_is_the_hubs_utc_quarter() -> None:
    assert rate_bucket(NOW) == datetime(2031, 5, 12, 3, 0, tzinfo=UTC)
    assert rate_bucket(NOW + timedelta(minutes=8)) == datetime(2031, 5, 12, 3, 15, tzinfo=UTC)


def test_a_day_without_minutes_taken_in_draws_nothing() -> None:
    assert sparkline([], NOW) is None
    assert sparkline([quarter(-1, 9), quarter(3, 5, minutes=0)], NOW) is None  # too old; none


def test_the_line_breaks_where_nothing_was_taken_in_and_zeros_are_marked() -> None:
    day = [quarter(i, 8) for i in range(10)] + [quarter(i, 0) for i in range(10, 14)]
    day += [quarter(i, 4) for i in range(50, SLOTS)]  # offline from quarter 14 to 49
    spark = sparkline(list(reversed(day)), NOW)
    assert spark is not None
    assert len(spark.segments) == 2 and spark.quarters == 14 + SLOTS - 50
    assert spark.zeros == tuple(i * STEP for i in range(10, 14))
    assert spark.peak == 8
    first, second = (ys(s) for s in spark.segments)
    assert first[0] == PAD  # the busiest quarter at the top
    assert first[-1] == spark.height - PAD  # a deaf quarter at the bottom
    assert second[0] == (spark.height - PAD + PAD) / 2  # half the peak, half way up
    assert spark.segments[1].split()[-1].startswith(f"{(SLOTS - 1) * STEP + 1},")  # now: right


def test_a_lone_quarter_is_a_short_dash_and_a_silent_day_lies_flat() -> None:
    spark = sparkline([quarter(40, 0)], NOW)
    assert spark is not None and spark.peak == 0
    bottom = spark.height - PAD
    assert spark.segments == (f"{40 * STEP},{bottom} {40 * STEP + 2},{bottom}",)
    assert spark.zeros == (40 * STEP,)


@given(st.lists(st.tuples(st.integers(-200, 200), st.integers(0, 15), st.integers(0, 10**6))))
def test_any_day_stays_inside_its_frame(quarters: list[tuple[int, int, int]]) -> None:
    spark = sparkline([RateBucket(FIRST + i * RATE_BUCKET, m, a) for i, m, a in quarters], NOW)
    if spark is None:
        assert all(not 0 <= i < SLOTS or m == 0 for i, m, _ in quarters)
        return
    for segment in spark.segments:
        for point in segment.split():
            x, y = (float(v) for v in point.split(","))
            assert 0 <= x <= spark.width and PAD <= y <= spark.height - PAD


def row(gid: str, lat: float, lon: float, *, online: bool | None = True, alerts: tuple[str, ...]
        = (), heard: float | None = 3.0) -> FleetRow:  # fmt: skip
    entry = GatewayEntry.model_validate(
        {"id": gid, "name": gid, "lat": lat, "lon": lon, "area": "a-1"}
    )
    return FleetRow(
        entry=entry, online=online, since=None, last_status=None, version=None,
        config_hash=None, outbox=None, restarts=0, clock_offset_s=None, clock_wrong=False,
        disk=None, receivers=(ReceiverRow("vm", "up", heard, None),),
        alerts=tuple(OpenAlert(n, kind, f"gateway:{gid}") for n, kind in enumerate(alerts)),
    )  # fmt: skip


def test_each_gateway_has_one_health_the_worst_first() -> None:
    assert row("a", 26.0, 127.0, online=False, alerts=("receiver_deaf",)).health == "offline"
    assert row("a", 26.0, 127.0, alerts=("disk_low", "receiver_deaf")).health == "deaf"
    assert row("a", 26.0, 127.0, alerts=("disk_low",)).health == "alert"
    assert row("a", 26.0, 127.0, online=None, heard=None).health == "never"
    assert row("a", 26.0, 127.0, heard=0.0).health == "quiet"
    assert row("a", 26.0, 127.0, heard=None).health == "ok"  # no rate said: nothing to judge
    assert row("a", 26.0, 127.0).health == "ok"


def test_the_map_puts_north_up_and_east_right_and_the_worst_on_top() -> None:
    rows = [
        row("sw", 26.27, 127.76, online=False),
        row("ne", 26.29, 127.78),
        row("mid", 26.28, 127.77, heard=0.0),
    ]
    drawn = layout(rows)
    at = {d.row.entry.id: (d.x, d.y) for d in drawn.dots}
    assert at["sw"][0] < at["mid"][0] < at["ne"][0]  # east is right
    assert at["ne"][1] < at["mid"][1] < at["sw"][1]  # north is up
    assert [d.row.entry.id for d in drawn.dots] == ["ne", "mid", "sw"]  # ok, quiet, offline
    assert drawn.counts == {"offline": 1, "quiet": 1, "ok": 1}
    # The fleet fills the frame's height (it is taller than wide at this latitude).
    assert at["ne"][1] == MARGIN and at["sw"][1] == HEIGHT - MARGIN
    assert at["sw"][0] > MARGIN and at["ne"][0] < WIDTH - MARGIN


def test_a_fleet_in_one_place_is_drawn_in_the_middle() -> None:
    drawn = layout([row("a", 26.28, 127.77), row("b", 26.28, 127.77)])
    assert {(d.x, d.y) for d in drawn.dots} == {(WIDTH / 2, HEIGHT / 2)}
    assert layout([]).dots == ()
