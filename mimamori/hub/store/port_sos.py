"""The port of the SOS network (``sql_sos`` implements it on both engines; issue 18,
``hub/searches/bulletins.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from mimamori.hub.model.alerts import NotificationDraft
from mimamori.hub.model.sos import Bulletin, BulletinLink, ShareConsent


class SosStore(Protocol):
    async def set_link_bulletins(self, partner_id: str, link_id: int, on: bool) -> bool:
        """Opt a partner's link in (or out of) search bulletins; False: no such link of
        this partner, or it is revoked."""
        ...

    async def bulletin_links(self) -> list[BulletinLink]:
        """Links opted in, not revoked, with a channel to hear on."""
        ...

    async def record_consent(self, consent: ShareConsent) -> bool:
        """Keep the search's consent; False: one is recorded already (it stands)."""
        ...

    async def consent_of(self, search_id: str) -> ShareConsent | None: ...

    async def searches_to_announce(self) -> list[str]:
        """Active searches with a consent to share."""
        ...

    async def send_bulletins(
        self,
        search_id: str,
        links: Sequence[tuple[int, str]],
        drafts: Sequence[NotificationDraft],
        at: datetime,
    ) -> int:
        """Record a bulletin per (link, partner) not sent yet and queue the notices, in
        one transaction (each notice's dedupe key keeps it once); how many were new."""
        ...

    async def bulletin(self, search_id: str, link_id: int) -> Bulletin | None: ...

    async def bulletins_of(self, search_id: str) -> list[Bulletin]: ...

    async def count_bulletin_view(self, search_id: str, link_id: int) -> None: ...

    async def bulletins_to_withdraw(self) -> list[Bulletin]:
        """Bulletins of searches that ended, not withdrawn yet."""
        ...

    async def withdraw_bulletins(
        self, bulletins: Sequence[Bulletin], drafts: Sequence[NotificationDraft], at: datetime
    ) -> None:
        """Mark them withdrawn and queue the notices, in one transaction."""
        ...

    async def add_bulletin_sighting(
        self,
        search_id: str,
        link_id: int,
        at: datetime,
        *,
        lat: float | None,
        lon: float | None,
        note: str,
    ) -> int:
        """A 「見かけた」 as tapped (the bulletin's count goes up with it); its id."""
        ...

    async def forget_bulletin_details(self, ended_before: datetime) -> int:
        """Partners' notes and positions and today's clothing of searches that ended
        before then; how many taps were deleted."""
        ...
