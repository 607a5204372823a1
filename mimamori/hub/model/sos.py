"""The town's SOS network (issue 18, part 2; 和木 はいかいSOSネットワーク): during a
search the family agreed to share, partner organisations of the person's area that
opted in get a bulletin, may tap 「見かけた」, and are told when it is withdrawn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ShareConsent:
    """The family's consent to send one search's bulletin to partners: who agreed,
    who recorded it (a family member themselves, or staff after a phone call), when,
    and what the family chose the bulletin to say of the person."""

    search_id: str
    agreed_by: str  # the family member who agreed, as they gave their name
    recorded_by: str  # the signed-in principal's display name
    role: str
    at: datetime
    shown_as: str  # how the bulletin names the person: 「80代の女性」, 「宮城さん」
    clothing: str  # clothing today, as the family said ("": not given)


@dataclass(frozen=True)
class BulletinLink:
    """A partner link that opted in, with what deciding its recipients needs."""

    link_id: int
    partner_id: str
    partner_name: str
    areas: tuple[str, ...]
    lang: str


@dataclass(frozen=True)
class Bulletin:
    """One search's bulletin to one partner link."""

    search_id: str
    link_id: int
    partner_id: str
    sent_at: datetime
    views: int
    seen: int  # 「見かけた」 taps
    withdrawn_at: datetime | None
