"""The finder's side (issue 18): what a scan of a sticker opens, and 「保護しています」.

No account: the sticker's token is the permission. A scan is counted (for the town's
figures, issue 19) and audited, revoked sheets too; an unknown token gets the same
page as a revoked one, so a guessed token learns nothing. The finder's position is
asked by the page, never required; what they write is bounded and kept only until
``privacy.found_messages_days`` after the person is safe (``sweep.py``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.auth import token_hash
from mimamori.hub.found import sighting, thread
from mimamori.hub.model.found import FoundMessage, FoundReport, Sticker
from mimamori.hub.server.state import HubState

log = logging.getLogger(__name__)

TOKEN_MAX = 100  # token_urlsafe(32) is 43 characters


@dataclass(frozen=True)
class FinderView:
    sticker: Sticker | None  # None: no such sheet
    report: FoundReport | None  # the thread this finder follows, if any
    messages: list[FoundMessage]

    @property
    def valid(self) -> bool:
        return self.sticker is not None and not self.sticker.revoked


def _plausible(token: str) -> bool:
    return 0 < len(token) <= TOKEN_MAX


async def scan(hub: HubState, token: str) -> Sticker | None:
    """Count a scan (the first screen's GET) and audit it; the sheet, if any."""
    if not _plausible(token):
        return None
    now = hub.clock()
    sticker = await hub.store.scan_sticker(token_hash(token), now)
    if sticker is not None:
        await hub.store.audit(
            now, who="finder", role="public", action="found.scan",
            subject=f"person:{sticker.person_id}",
            detail=f"sticker {sticker.id}{' (revoked)' if sticker.revoked else ''}",
        )  # fmt: skip
    return sticker


async def view(hub: HubState, token: str, report_id: int | None) -> FinderView:
    """The sheet and the thread ``report_id`` (only if it is this sheet's)."""
    sticker = await hub.store.sticker_of(token_hash(token)) if _plausible(token) else None
    report = None
    if sticker is not None and report_id is not None:
        report = await hub.store.found_report(report_id)
        if report is not None and report.sticker_id != sticker.id:
            report = None
    messages = await hub.store.found_messages(report.id, 0, thread.MAX_SHOWN) if report else []
    return FinderView(sticker, report, messages)


def position(lat: str, lon: str) -> tuple[float | None, float | None]:
    """The position the phone gave (both empty: none shared); ChangeRefused otherwise."""
    if not lat.strip() and not lon.strip():
        return None, None
    try:
        la, lo = float(lat), float(lon)
    except ValueError:
        la = lo = math.nan
    if not (-90 <= la <= 90 and -180 <= lo <= 180):  # NaN fails both
        raise ChangeRefused(
            [FieldProblem("position", "位置を読み取れませんでした", "the position is not valid")]
        )
    return round(la, 6), round(lo, 6)


def message_of(text: str) -> str:
    body = thread.cleaned(text)
    if len(body) > thread.MESSAGE_MAX:
        raise ChangeRefused(
            [
                FieldProblem(
                    "message",
                    f"{thread.MESSAGE_MAX}文字までにしてください",
                    f"at most {thread.MESSAGE_MAX} characters",
                )
            ]
        )
    return body


async def protect(
    hub: HubState, sticker: Sticker, lat: float | None, lon: float | None, message: str
) -> FoundReport:
    """「保護しています」: the sheet's thread (opened now, or the one already open),
    the family told once, the position on an open search's trail."""
    report, opened = await hub.store.open_found(sticker, lat, lon, message, hub.clock())
    await hub.store.audit(
        hub.clock(), who="finder", role="public", action="found.protect",
        subject=f"person:{sticker.person_id}",
        detail=f"found report {report.id}{' with a position' if lat is not None else ''}",
    )  # fmt: skip
    if opened:
        try:
            await thread.tell_family(hub, report)
        except Exception:  # the report is kept: the desk shows it; never the finder's error
            log.exception("found report %d: the family's notice could not be queued", report.id)
    try:
        await sighting.join_search(hub, report)
    except Exception:
        log.exception("found report %d: could not join the search's trail", report.id)
    return report


async def say(hub: HubState, report: FoundReport, message: str) -> FoundMessage | None:
    """A finder's further message; None when the thread is closed."""
    if not message:
        return None
    return await hub.store.add_found_message(report.id, "finder", message, hub.clock())
