"""Searches at the gateway: the rule on a virtual clock, and the daemon told by a real
retained order on the broker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.clock import VirtualClock
from mimamori.edge.daemon import EdgeDaemon
from mimamori.edge.rules.search import SearchWatch
from mimamori.mqtt import LinkSettings, MqttLink
from mimamori.protocol.search import SearchOrder, encode_search
from tests.edge.helpers import ScriptedReceiver, eventually, gateway_config, tag_id
from tests.edge.test_daemon import listening, running

T0 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
STRANGER = "ibeacon:00000000-0000-0000-0000-000000000001:1:1"


def order(*tags: str, until: datetime = T0 + timedelta(hours=1)) -> SearchOrder:
    return SearchOrder(id="s-1", tags=list(tags), until=until)


def test_a_searched_tag_is_reported_at_its_first_advert_however_weak() -> None:
    watch = SearchWatch()
    watch.apply("s-1", order(tag_id(1)))
    [draft] = watch.observe(tag_id(1), -101, "r1", 10.0, T0)
    assert draft.kind == "tag.seen"
    assert draft.data == {
        "tag": tag_id(1), "receiver": "r1", "rssi": -101, "adverts": 1, "search": "s-1",
    }  # fmt: skip
    assert watch.observe(tag_id(2), -50, "r1", 10.0, T0) == []


def test_adverts_within_the_interval_are_folded_into_the_next_report() -> None:
    watch = SearchWatch(min_interval_s=1.0)
    watch.apply("s-1", order(tag_id(1)))
    assert len(watch.observe(tag_id(1), -70, "r1", 10.0, T0)) == 1
    for n in range(9):  # ten adverts a second
        assert watch.observe(tag_id(1), -70, "r1", 10.1 + n * 0.1, T0) == []
    [later] = watch.observe(tag_id(1), -70, "r1", 11.0, T0 + timedelta(seconds=1))
    assert later.data["adverts"] == 10


def test_an_ended_or_expired_search_reports_nothing() -> None:
    watch = SearchWatch()
    watch.apply("s-1", order(tag_id(1)))
    watch.apply("s-1", None)
    assert watch.observe(tag_id(1), -60, "r1", 1.0, T0) == []
    watch.apply("s-2", SearchOrder(id="s-2", tags=[tag_id(2)], until=T0 + timedelta(minutes=1)))
    assert watch.observe(tag_id(2), -60, "r1", 1.0, T0 + timedelta(minutes=2)) == []
    # Past its end the tag is no longer let past the gateway's own lists.
    assert not watch.watching(tag_id(2), T0 + timedelta(minutes=2))
    assert watch.watching(tag_id(2), T0)
    assert watch.expire(T0 + timedelta(minutes=2)) == ["s-2"]
    assert len(watch) == 0 and not watch.watching(tag_id(2))


async def test_a_retained_order_makes_the_gateway_report_the_tag_at_once(
    broker: PrivateBroker, tmp_path: Path, unique_id: str
) -> None:
    # The stranger's tag is on no allow-list here: the hub asked for it by name.
    config = gateway_config(
        unique_id, broker.port, tmp_path, presence={"report_interval_s": 60, "leave_after_s": 120}
    )
    # The gateway's clock, moved by the test: it stamps the adverts, and so drives the
    # search's throttle (search_interval_s, 1 s) without waiting for it.
    clock = VirtualClock(T0)
    hub = MqttLink(LinkSettings("127.0.0.1", broker.port, f"hub-{unique_id}"), name="test hub")
    hub_task = asyncio.create_task(hub.run())
    await asyncio.wait_for(hub.connected.wait(), 5)
    search_id = f"s-{unique_id}"
    topic = f"mimamori/v1/search/{search_id}"
    sent = SearchOrder(id=search_id, tags=[STRANGER], until=T0 + timedelta(hours=1))
    await hub.publish(topic, encode_search(sent), retain=True)
    receiver = ScriptedReceiver("r1", clock)
    daemon = EdgeDaemon(config, clock=clock, drivers=[receiver])
    try:
        async with listening(broker.port, unique_id) as listener, running(daemon):
            await eventually(lambda: daemon.search.watching(STRANGER), within=5)
            for _ in range(3):
                receiver.advert(STRANGER, -95)  # too weak to "arrive", still a clue
                receiver.advert(STRANGER, -95)  # within the interval: told in the next report
                clock.advance(1.1)
            await listener.wait_for(lambda: len(listener.events()) >= 3)
            reports = [e for e in listener.events() if e["data"].get("search") == search_id]
            assert [e["kind"] for e in reports] == ["tag.seen"] * 3
            assert [e["data"]["adverts"] for e in reports] == [1, 2, 2]
            # The hub ends the search: the gateway goes back to its own lists.
            await hub.publish(topic, b"", retain=True)
            await eventually(lambda: not daemon.search.watching(STRANGER), within=5)
            receiver.advert(STRANGER, -50)
            await eventually(lambda: daemon.counters["adverts"] == 7, within=5)
            assert daemon.counters["adverts_not_allowed"] == 1
            assert daemon.counters["search_reports"] == 3
            # A malformed order is refused and counted, and changes nothing.
            await hub.publish(f"mimamori/v1/search/{search_id}x", b"{not json", retain=False)
            await eventually(lambda: daemon.counters["search_orders_rejected"] == 1, within=5)
    finally:
        hub_task.cancel()
        await asyncio.gather(hub_task, return_exceptions=True)
