"""Who hears of a partner's 「見かけた」 (issue 18, part 2): the person's family and
their 民生委員 (``found/thread.py``'s recipients, every channel), and the care
centre of the person's area when it has a channel of its own (``found/centre.py``).
The notice names the partner and gives the position and the note; the search page
(sign-in) shows the trail."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from mimamori.hub.found import centre, thread
from mimamori.hub.model.searches import Search
from mimamori.hub.register.schema import Recipient
from mimamori.hub.server.state import HubState

TOKYO = ZoneInfo("Asia/Tokyo")


async def tell_seen(
    hub: HubState,
    search: Search,
    partner: str,
    *,
    tap: int,
    lat: float | None,
    lon: float | None,
    note: str,
) -> int:
    person = hub.registry.people.get(search.person_id)
    name = person.name if person else search.person_id
    at = hub.clock().astimezone(TOKYO)
    url = f"{hub.config.hub.http.public_url.rstrip('/')}/searches/{search.id}"

    def words(r: Recipient) -> tuple[str, str]:
        if r.lang == "en":
            where = f" at {lat:.5f}, {lon:.5f}" if lat is not None and lon is not None else ""
            said = f' They wrote: "{note}".' if note else ""
            return (
                f"{name} was seen by a partner ({partner})",
                f"{partner} saw {name}{where} at {at:%H:%M}.{said} The search: {url}",
            )
        where = f"緯度 {lat:.5f}, 経度 {lon:.5f} で" if lat is not None and lon is not None else ""
        said = f"「{note}」" if note else ""
        return (
            f"【見守り】{name}さんを見かけたと協力事業者から連絡（{partner}）",
            f"{at:%H:%M}に{partner}の方が{where}{name}さんを見かけました。{said}"
            f"\n捜索のページ: {url}",
        )

    recipients = [
        *thread.recipients_of(hub.registry, search.person_id),
        *centre.recipients_of(hub.registry, search.person_id),
    ]
    return await thread.notify(hub, recipients, f"notice-search:{search.id}:seen:{tap}", words)
