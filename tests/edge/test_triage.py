"""The advert triage on a virtual clock: formats, the allow-list, and a search's precedence.

The route table is checked against ``protocol.tags.matches`` (the documented meaning of
an allow-list entry); the triage with the real presence and search rules behind it,
fed the adverts real tags send (``firmware_sim``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mimamori.edge.adverts import TagFrame, parse_ad_structures
from mimamori.edge.clock import VirtualClock
from mimamori.edge.observations import Advert
from mimamori.edge.rules.presence import PresenceParams, PresenceTracker
from mimamori.edge.rules.search import SearchWatch
from mimamori.edge.rules.triage import AdvertTriage, Route, TagPolicy, route
from mimamori.firmware_sim.frames import ad_structure, adv_for_tag
from mimamori.protocol.events import EventDraft, EventKind
from mimamori.protocol.search import SearchOrder
from mimamori.protocol.tags import TagFormat, matches, tag_format

TOWN = "fda50693-a4e2-4fb1-afcf-c6eb07647825"
ELSEWHERE = "00000000-0000-0000-0000-000000000001"
NAMESPACE = "00112233445566778899"
OURS = f"ibeacon:{TOWN}:1:7"
STRANGER = f"ibeacon:{ELSEWHERE}:1:1"
EVERY_FORMAT = frozenset(TagFormat)
TOWN_ONLY = TagPolicy.of(EVERY_FORMAT, [f"ibeacon:{TOWN}:*"])
PARAMS = PresenceParams(
    enter_rssi=-80, exit_rssi=-90, smoothing=0.5, leave_after_s=30, report_interval_s=10
)

# Tag ids from a small world, so that allow-list entries made from them do match.
ibeacon_ids = st.builds(
    lambda town, major, minor: f"ibeacon:{TOWN if town else ELSEWHERE}:{major}:{minor}",
    st.booleans(),
    st.integers(0, 12),
    st.integers(0, 12),
)
uid_ids = st.builds(
    lambda instance: f"eddystone-uid:{NAMESPACE}:{instance:012x}", st.integers(0, 300)
)
eid_ids = st.binary(min_size=8, max_size=8).map(lambda eid: f"eddystone-eid:{eid.hex()}")
tag_ids = st.one_of(ibeacon_ids, uid_ids, eid_ids)


@st.composite
def allow_entries(draw: st.DrawFn) -> str:
    """An exact id, or any prefix of one followed by ``*`` (``eddystone-eid:*`` too)."""
    tag = draw(tag_ids)
    if draw(st.booleans()):
        return tag
    return tag[: draw(st.integers(0, len(tag)))] + "*"


allow_lists = st.lists(allow_entries(), max_size=6)
format_sets = st.frozensets(st.sampled_from(list(TagFormat)))


def frame_of(tag: str) -> TagFrame:
    return TagFrame(tag, tag_format(tag), -59)


def allowed(allow: list[str], tag: str) -> bool:
    return any(matches(p, tag) for p in allow)


@settings(max_examples=500, deadline=None)
@given(allow_lists, st.lists(tag_ids, max_size=10))
def test_the_policy_allows_exactly_what_an_allow_list_entry_matches(
    allow: list[str], tags: list[str]
) -> None:
    policy = TagPolicy.of(EVERY_FORMAT, allow)
    for tag in tags + [p for p in allow if not p.endswith("*")]:
        assert policy.allows(tag) == allowed(allow, tag)


@given(format_sets, allow_lists, st.booleans())
def test_an_advert_that_is_no_tag_goes_nowhere(
    formats: frozenset[TagFormat], allow: list[str], searched: bool
) -> None:
    assert route(None, TagPolicy.of(formats, allow), searched) is Route.UNKNOWN_FORMAT


@given(tag_ids, format_sets, allow_lists)
def test_a_searched_tag_goes_to_the_search_whatever_the_lists_say(
    tag: str, formats: frozenset[TagFormat], allow: list[str]
) -> None:
    assert route(frame_of(tag), TagPolicy.of(formats, allow), True) is Route.SEARCH


@settings(max_examples=300)
@given(tag_ids, format_sets, allow_lists)
def test_without_a_search_only_an_allowed_tag_of_a_taken_format_reaches_presence(
    tag: str, formats: frozenset[TagFormat], allow: list[str]
) -> None:
    way = route(frame_of(tag), TagPolicy.of(formats, allow), False)
    if tag_format(tag) not in formats:
        assert way is Route.UNKNOWN_FORMAT  # the format is checked before the list
    elif not allowed(allow, tag):
        assert way is Route.NOT_ALLOWED
    else:
        assert way is Route.PRESENCE


# -- the triage, with the presence and search rules behind it ------------------------


def triage(policy: TagPolicy = TOWN_ONLY) -> AdvertTriage:
    return AdvertTriage(policy, PresenceTracker(PARAMS), SearchWatch(min_interval_s=1.0))


def heard(tag: str, rssi: int, clock: VirtualClock) -> Advert:
    manufacturer, service_data = parse_ad_structures(adv_for_tag(tag))
    return Advert("r1", clock.monotonic(), clock.now(), rssi, manufacturer, service_data)


def search_for(t: AdvertTriage, tag: str, until: datetime) -> None:
    t.search.apply("s-1", SearchOrder(id="s-1", tags=[tag], until=until))


def kinds(drafts: list[EventDraft]) -> list[tuple[EventKind, str | None]]:
    return [(d.kind, d.data.get("search")) for d in drafts]


def test_an_allowed_tag_arrives_and_a_stranger_is_counted_and_dropped() -> None:
    clock = VirtualClock()
    t = triage()
    assert kinds(t.observe(heard(OURS, -60, clock))) == [(EventKind.TAG_ARRIVED, None)]
    assert t.observe(heard(STRANGER, -40, clock)) == []
    assert t.counters == {
        "adverts": 2, "adverts_unknown_format": 0, "adverts_not_allowed": 1, "search_reports": 0
    }  # fmt: skip


def test_adverts_that_carry_no_tag_frame_are_counted_as_unknown() -> None:
    clock = VirtualClock()
    t = triage()
    tlm = ad_structure(0x16, bytes.fromhex("aafe") + bytes.fromhex("20 00 0bb8 1900") + bytes(8))
    for data in (tlm, ad_structure(0xFF, bytes.fromhex("5900 0102"))):
        manufacturer, service_data = parse_ad_structures(data)
        advert = Advert("r1", clock.monotonic(), clock.now(), -50, manufacturer, service_data)
        assert t.observe(advert) == []
    assert t.counters["adverts_unknown_format"] == 2 and len(t.presence) == 0


def test_a_format_left_out_of_the_config_is_dropped_even_if_its_id_is_allowed() -> None:
    clock = VirtualClock()
    uid = f"eddystone-uid:{NAMESPACE}:000000000001"
    t = triage(TagPolicy.of({TagFormat.IBEACON}, [f"eddystone-uid:{NAMESPACE}:*"]))
    assert t.observe(heard(uid, -50, clock)) == []
    assert t.counters["adverts_unknown_format"] == 1 and t.counters["adverts_not_allowed"] == 0


def test_a_searched_tag_is_reported_at_once_though_the_lists_leave_it_out() -> None:
    clock = VirtualClock()
    # Neither its format nor its id is on the gateway's lists: the hub named it.
    t = triage(TagPolicy.of({TagFormat.EDDYSTONE_UID}, [f"eddystone-uid:{NAMESPACE}:*"]))
    search_for(t, STRANGER, clock.now() + timedelta(hours=1))
    [report] = t.observe(heard(STRANGER, -101, clock))  # too weak to arrive, still a clue
    assert report.kind is EventKind.TAG_SEEN
    assert report.data == {
        "tag": STRANGER, "receiver": "r1", "rssi": -101, "adverts": 1, "search": "s-1"
    }  # fmt: skip
    assert t.counters["search_reports"] == 1
    assert t.counters["adverts_unknown_format"] == t.counters["adverts_not_allowed"] == 0


def test_a_searched_tag_near_enough_also_arrives_through_presence() -> None:
    clock = VirtualClock()
    t = triage()
    search_for(t, STRANGER, clock.now() + timedelta(hours=1))
    assert kinds(t.observe(heard(STRANGER, -60, clock))) == [
        (EventKind.TAG_SEEN, "s-1"),
        (EventKind.TAG_ARRIVED, None),
    ]


def test_past_the_orders_end_a_searched_tag_meets_the_lists_again() -> None:
    # The hub's empty message that ends the search has not come: ``until`` is enough.
    clock = VirtualClock()
    t = triage()
    search_for(t, STRANGER, clock.now() + timedelta(minutes=1))
    assert len(t.observe(heard(STRANGER, -60, clock))) == 2
    clock.advance(60)
    assert t.observe(heard(STRANGER, -60, clock)) == []
    assert t.counters["adverts_not_allowed"] == 1


def test_search_reports_are_throttled_by_the_adverts_own_clock_readings() -> None:
    clock = VirtualClock()
    t = triage()
    search_for(t, STRANGER, clock.now() + timedelta(hours=1))
    reports = []
    for _ in range(25):  # ten adverts a second for 2.5 s
        reports += t.observe(heard(STRANGER, -95, clock))
        clock.advance(0.1)
    assert [d.data["adverts"] for d in reports] == [1, 10, 10]


def test_a_new_policy_takes_effect_at_the_next_advert() -> None:
    clock = VirtualClock()
    t = triage()
    assert t.observe(heard(STRANGER, -60, clock)) == []
    t.policy = TagPolicy.of(EVERY_FORMAT, [STRANGER])  # a reload (SIGHUP)
    assert kinds(t.observe(heard(STRANGER, -60, clock))) == [(EventKind.TAG_ARRIVED, None)]
    t.policy = TagPolicy()  # no tags section: nothing passes
    clock.advance(1)
    assert t.observe(heard(OURS, -60, clock)) == []
    assert t.counters["adverts_unknown_format"] == 1


@settings(max_examples=150, deadline=None)
@given(
    allow_lists,
    st.lists(st.tuples(tag_ids, st.integers(-127, 0), st.floats(0, 40)), max_size=60),
)
def test_without_a_search_no_tag_off_the_lists_ever_causes_an_event(
    allow: list[str], adverts: list[tuple[str, int, float]]
) -> None:
    clock = VirtualClock()
    t = triage(TagPolicy.of(EVERY_FORMAT, allow))
    drafts: list[EventDraft] = []
    for tag, rssi, gap in adverts:
        drafts += t.observe(heard(tag, rssi, clock))
        clock.advance(gap)
        drafts += t.presence.expire(clock.monotonic(), clock.now())
    clock.advance(PARAMS.leave_after_s + 1)
    drafts += t.presence.expire(clock.monotonic(), clock.now())
    assert all(allowed(allow, d.data["tag"]) for d in drafts)
    refused = sum(not allowed(allow, tag) for tag, _, _ in adverts)
    assert t.counters["adverts"] == len(adverts)
    assert t.counters["adverts_not_allowed"] == refused


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(-127, 0), st.floats(0, 3)), max_size=60))
def test_while_a_search_stands_its_reports_are_of_the_searched_tag_alone(
    adverts: list[tuple[bool, int, float]],
) -> None:
    clock = VirtualClock()
    t = triage(TagPolicy.of(EVERY_FORMAT, [OURS]))
    searched = f"ibeacon:{ELSEWHERE}:2:2"
    search_for(t, searched, clock.now() + timedelta(hours=1))
    reports: list[EventDraft] = []
    for is_searched, rssi, gap in adverts:
        drafts = t.observe(heard(searched if is_searched else OURS, rssi, clock))
        reports += [d for d in drafts if "search" in d.data]
        clock.advance(gap)
    assert all(d.data["tag"] == searched for d in reports)
    assert t.counters["search_reports"] == len(reports)
    # The first advert is reported at once; later ones may be folded into the next.
    heard_searched = sum(s for s, _, _ in adverts)
    assert bool(reports) == (heard_searched > 0)
    assert sum(d.data["adverts"] for d in reports) <= heard_searched
