"""The SOS network's store on both engines: a link's opt-in (not a revoked one's),
the first consent stands, one bulletin per search and link however often it is
sent (with its notice, once), withdrawn once the search ended (with its notice),
and a 「見かけた」 counted on its bulletin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.cases import Partner, PartnerKind, link_recipient
from mimamori.hub.model.federation import PeerGateway
from mimamori.hub.model.privacy import PersonScope
from mimamori.hub.model.searches import Participant, Search
from mimamori.hub.model.sos import ShareConsent
from mimamori.hub.store.sql_store import SqlStore

NOW = datetime(2031, 5, 12, 3, 0, tzinfo=UTC)


async def _town(store: SqlStore) -> tuple[int, int, int]:
    await store.add_partner(
        Partner("news", "琉球新報 宜野湾", PartnerKind.NEWSPAPER, ("south",), NOW)
    )
    await store.add_partner(
        Partner("post", "宜野湾郵便局", PartnerKind.POST, ("south", "north"), NOW)
    )
    ids = []
    for pid, label, channel, h in (
        ("news", "配達員", "mailto://a@example.jp", "h1"),
        ("post", "窓口", "mailto://b@example.jp", "h2"),
        ("post", "channel-less", None, "h3"),
    ):
        link = await store.add_partner_link(
            pid, label, channel=channel, lang="ja", token_hash=h, at=NOW
        )
        ids.append(link.id)
    return ids[0], ids[1], ids[2]


async def _search(store: SqlStore) -> Search:
    search = Search("s-1", "p-kama", "active", "花子", NOW, NOW + timedelta(hours=6))
    await store.add_search(search, Participant("花子", "family", "f-miyagi", None, NOW))
    return search


def _draft(key: str, link_id: int) -> NotificationDraft:
    return NotificationDraft(None, link_recipient(link_id), 0, key, "title", "body")


async def _queued(store: SqlStore, prefix: str) -> list[str]:
    rows = await store._query(
        "SELECT dedupe_key FROM notifications WHERE dedupe_key LIKE ? ORDER BY id", [f"{prefix}%"]
    )
    return [r[0] for r in rows]


async def test_only_opted_in_links_with_a_channel_receive_bulletins(store: SqlStore) -> None:
    news, post, bare = await _town(store)
    assert await store.bulletin_links() == []
    for link in (news, post, bare):
        assert await store.set_link_bulletins("news" if link == news else "post", link, True)
    assert not await store.set_link_bulletins("news", post, True)  # another partner's link
    got = await store.bulletin_links()
    assert [(b.link_id, b.areas) for b in got] == [(news, ("south",)), (post, ("south", "north"))]
    await store.revoke_partner_link("post", post, NOW)
    assert [b.link_id for b in await store.bulletin_links()] == [news]
    assert not await store.set_link_bulletins("post", post, False)  # revoked: unchanged
    assert (await store.partner_links("news"))[0].bulletins


async def test_the_first_consent_stands_and_only_active_consented_searches_are_announced(
    store: SqlStore,
) -> None:
    search = await _search(store)
    assert await store.searches_to_announce() == []
    first = ShareConsent(search.id, "長女 花子", "新垣", "staff", NOW, "80代の女性", "紺の上着")
    assert await store.record_consent(first)
    assert not await store.record_consent(
        ShareConsent(search.id, "長男", "x", "family", NOW, "宮城さん", "")
    )
    assert await store.consent_of(search.id) == first
    assert await store.searches_to_announce() == [search.id]
    await store.end_search(search.id, "found", "花子", "", NOW + timedelta(hours=1))
    assert await store.searches_to_announce() == []


async def test_a_bulletin_is_sent_once_per_link_and_withdrawn_once_after_the_end(
    store: SqlStore,
) -> None:
    news, post, _ = await _town(store)
    search = await _search(store)
    links = [(news, "news"), (post, "post")]
    drafts = [_draft(f"b:{search.id}:{link}", link) for link, _ in links]
    assert await store.send_bulletins(search.id, links, drafts, NOW) == 2
    assert await store.send_bulletins(search.id, links, drafts, NOW) == 0  # again: nothing
    assert len(await _queued(store, "b:")) == 2
    assert await store.bulletins_to_withdraw() == []  # still searching

    await store.count_bulletin_view(search.id, news)
    tap = await store.add_bulletin_sighting(
        search.id, news, NOW, lat=26.28, lon=127.77, note="駅の東口"
    )
    assert tap > 0
    got = await store.bulletin(search.id, news)
    assert got is not None and (got.views, got.seen, got.partner_id) == (1, 1, "news")

    await store.end_search(search.id, "found", "花子", "", NOW + timedelta(hours=1))
    ending = await store.bulletins_to_withdraw()
    assert [b.link_id for b in ending] == [news, post]
    later = NOW + timedelta(hours=1, seconds=5)
    await store.withdraw_bulletins(
        ending, [_draft(f"w:{b.link_id}", b.link_id) for b in ending], later
    )
    assert await store.bulletins_to_withdraw() == []
    assert all(b.withdrawn_at == later for b in await store.bulletins_of(search.id))
    assert len(await _queued(store, "w:")) == 2


async def test_partners_notes_and_the_clothing_go_n_days_after_the_search_ended(
    store: SqlStore,
) -> None:
    news, _, _ = await _town(store)
    search = await _search(store)
    await store.record_consent(
        ShareConsent(search.id, "長女 花子", "新垣", "staff", NOW, "80代の女性", "紺の上着")
    )
    await store.send_bulletins(search.id, [(news, "news")], [], NOW)
    await store.add_bulletin_sighting(search.id, news, NOW, lat=26.2, lon=127.7, note="駅")
    ended_at = NOW + timedelta(hours=2)
    assert await store.forget_bulletin_details(ended_at) == 0  # still searching: kept
    await store.end_search(search.id, "found", "花子", "", ended_at)
    assert await store.forget_bulletin_details(ended_at) == 0  # not before the end
    assert await store.forget_bulletin_details(ended_at + timedelta(days=30)) == 1
    consent = await store.consent_of(search.id)
    assert consent is not None and consent.clothing == "" and consent.agreed_by == "長女 花子"
    rows = await store._query("SELECT count(*) FROM bulletin_sightings", [])
    assert rows[0][0] == 0
    bulletin = await store.bulletin(search.id, news)
    assert bulletin is not None and bulletin.seen == 1  # the figures stay


async def test_forgetting_the_person_removes_consent_bulletins_taps_places_and_notices(
    store: SqlStore,
) -> None:
    news, _, _ = await _town(store)
    search = await _search(store)
    await store.record_consent(
        ShareConsent(search.id, "長女 花子", "新垣", "staff", NOW, "80代の女性", "紺の上着")
    )
    key = f"notice-search:{search.id}:bulletin:{news}"
    await store.send_bulletins(search.id, [(news, "news")], [_draft(key, news)], NOW)
    tap = await store.add_bulletin_sighting(search.id, news, NOW, lat=26.2, lon=127.7, note="駅")
    await store.add_peer_gateways(
        [PeerGateway(f"bulletin-{tap}", "partner", "見かけた", 26.2, 127.7)]
    )
    await store.end_search(search.id, "found", "花子", "", NOW + timedelta(hours=1))
    report = await store.forget_person(PersonScope("p-kama", ()), NOW + timedelta(hours=2), by="t")
    for table in ("search_consents", "search_bulletins", "bulletin_sightings", "bulletin_places"):
        assert report.removed[table] == 1, report.removed
    assert report.removed["notifications"] == 1
    assert await store.peer_gateways() == []
    assert await store.consent_of(search.id) is None
