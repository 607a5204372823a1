"""What a partner's bulletin link opens (issue 18, part 2), and 「見かけた」.

While the search runs: the photo, the description, what the family said of today's
clothing, how the family chose to name the person, and where and when they were last
seen (a home only as 「個人宅付近」: never an address). Nothing else: no name beyond
what the family chose, no address, no number. Once the search ended the view holds
no data at all (``Withdrawn``), whatever the link. Each view and each tap is counted
and audited as the partner link's.

「見かけた」 with the phone's position (asked, never required) joins the search's live
trail the way a finder's does (``found/sighting.py``); the note goes to the family
and the care centre with it (``notices.py``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from mimamori.hub.alerts.links import BadLink
from mimamori.hub.found import sighting
from mimamori.hub.model.cases import link_recipient
from mimamori.hub.model.federation import PeerGateway
from mimamori.hub.model.searches import Search, SearchState
from mimamori.hub.model.sos import Bulletin, ShareConsent
from mimamori.hub.searches import bulletins, sos_notices
from mimamori.hub.searches.trail import search_out
from mimamori.hub.server.state import HubState
from mimamori.protocol.timefmt import from_iso

log = logging.getLogger(__name__)

TOKYO = ZoneInfo("Asia/Tokyo")
PARTNER = "partner"  # the "peer" of partners' sightings, and their receiver


@dataclass(frozen=True)
class Withdrawn:
    state: SearchState  # found | cancelled | expired


@dataclass(frozen=True)
class Open:
    search: Search
    bulletin: Bulletin
    consent: ShareConsent
    partner_name: str
    description: str
    has_photo: bool
    last_place: str | None  # a watch point's name; a home as the trail masks it
    last_at: datetime | None


async def open_bulletin(hub: HubState, token: str, *, view: bool) -> Open | Withdrawn:
    """The bulletin a token names; BadLink("invalid" | "expired") otherwise (a link
    of a revoked partner link, or of a bulletin never sent, is invalid). ``view``: a
    partner looked at it (counted and audited)."""
    secret = await hub.store.secret(bulletins.SECRET)
    now = hub.clock()
    search_id, link_id = bulletins.read_token(secret, token, now)
    search = await hub.store.search(search_id)
    bulletin = await hub.store.bulletin(search_id, link_id)
    consent = await hub.store.consent_of(search_id)
    if search is None or bulletin is None or consent is None:
        raise BadLink("invalid")
    partner = await hub.store.partner(bulletin.partner_id)
    links = await hub.store.partner_links(bulletin.partner_id)
    if partner is None or not any(k.id == link_id and not k.revoked for k in links):
        raise BadLink("invalid")
    if view:
        await hub.store.count_bulletin_view(search_id, link_id)
        await hub.store.audit(
            now, who=link_recipient(link_id), role="partner", action="sos.view",
            subject=f"search:{search_id}", detail=f"partner {partner.id}",
        )  # fmt: skip
    if not search.active:
        return Withdrawn(search.state)
    person = hub.registry.people.get(search.person_id)
    homes = frozenset(g for g, e in hub.registry.gateways.items() if e.site == "home")
    trail = await search_out(hub.store, hub.registry, search, now, hidden=homes, participants=None)
    last = trail.sightings[-1] if trail.sightings else trail.last_before
    return Open(
        search, bulletin, consent, partner.name,
        (person.description or "") if person else "",
        bool(person and person.photo),
        last.gateway_name if last else None, from_iso(last.ts) if last else None,
    )  # fmt: skip


def local_time(at: datetime) -> str:
    """「12月4日 15:20」 in Japan's time: what a partner in the town reads."""
    here = at.astimezone(TOKYO)
    return f"{here.month}月{here.day}日 {here:%H:%M}"


async def saw(hub: HubState, found: Open, lat: float | None, lon: float | None, note: str) -> bool:
    """「見かけた」: kept, audited, on the trail when a position came with it, and told
    to the family and the care centre. True when it joined the trail."""
    now = hub.clock()
    search, link_id = found.search, found.bulletin.link_id
    tap = await hub.store.add_bulletin_sighting(
        search.id, link_id, now, lat=lat, lon=lon, note=note
    )
    await hub.store.audit(
        now, who=link_recipient(link_id), role="partner", action="sos.seen",
        subject=f"search:{search.id}",
        detail=f"partner {found.bulletin.partner_id}{'' if lat is None else ' with a position'}",
    )  # fmt: skip
    placed = False
    if lat is not None and lon is not None:
        name = f"見かけた: {found.partner_name}"
        place = PeerGateway(f"bulletin-{tap}", PARTNER, name, lat, lon)
        try:
            placed = await sighting.add_to_trail(hub, search, place, f"bulletin-sighting:{tap}")
        except Exception:  # kept and told all the same; never the partner's error
            log.exception("bulletin sighting %d: could not join search %s", tap, search.id)
    try:
        await sos_notices.tell_seen(
            hub, search, found.partner_name, tap=tap, lat=lat, lon=lon, note=note
        )
    except Exception:
        log.exception("bulletin sighting %d: the notices could not be queued", tap)
    return placed
