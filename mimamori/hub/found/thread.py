"""The family's side of a found thread: the notice when a finder taps 「保護しています」
(every channel of each of the person's contacts and of their 民生委員, through the
notification queue; a recipient bound to LINE hears there, its other channels being
LINE's fallback), and what the family does through the notice's link: answer, show
one of their numbers to the finder, mark the person safe (which closes the thread).

The notice names the person (it goes to their family), never the finder; the
finder's page never shows a name or a number unless the family shows one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from mimamori.hub.found import centre
from mimamori.hub.found.links import (
    LINK_TTL,
    THREAD_SECRET,
    BadThreadLink,
    ThreadLink,
    make_link,
    read_link,
)
from mimamori.hub.model.alerts import LINE_CHANNEL, NotificationDraft
from mimamori.hub.model.found import FoundMessage, FoundReport
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import Recipient
from mimamori.hub.server.state import HubState

log = logging.getLogger(__name__)

MESSAGE_MAX = 300  # a few lines on a phone: 「すぐ向かいます、〇〇にいてください」
MAX_SHOWN = 200  # messages a thread's page shows (a thread is a few dozen at most)


@dataclass(frozen=True)
class FamilyView:
    link: ThreadLink
    token: str
    report: FoundReport
    person_name: str
    recipient: Recipient | None
    messages: list[FoundMessage]


def recipients_of(registry: Registry, person_id: str) -> list[Recipient]:
    """The person's contacts in order, then their 民生委員 (the care centre's eyes)."""
    person = registry.people.get(person_id)
    if person is None:
        return []
    ids = [*person.contacts, *([person.minsei] if person.minsei else [])]
    seen: list[Recipient] = []
    for rid in ids:
        recipient = registry.recipients.get(rid)
        if recipient is not None and recipient not in seen:
            seen.append(recipient)
    return seen


def _words(lang: str, name: str, report: FoundReport, url: str) -> tuple[str, str]:
    where_ja = where_en = ""
    if report.lat is not None and report.lon is not None:
        where_ja = f"発見者が知らせた位置: 緯度 {report.lat:.5f}, 経度 {report.lon:.5f}。"
        where_en = f" The finder shared a position: {report.lat:.5f}, {report.lon:.5f}."
    if lang == "en":
        return (
            f"{name} has been found and is being looked after",
            f"Someone who scanned {name}'s QR sticker is with them now.{where_en} "
            f"Answer them here (valid for 24 hours): {url}",
        )
    return (
        f"【見守り】{name}さんが保護されています",
        f"{name}さんのQRステッカーを読んだ方が、いま一緒にいます。{where_ja}"
        f"こちらから返事をしてください（24時間有効）: {url}",
    )


async def notify(
    hub: HubState,
    recipients: list[Recipient],
    key: str,
    words: Callable[[Recipient], tuple[str, str]],
) -> int:
    """Queue ``words(r)`` (a title and a body) to every channel of each recipient (to
    their LINE alone when they are bound to it: its other channels are LINE's
    fallback), dedupe keys made from ``key``; the delivery worker woken. How many."""
    on_line = (
        await hub.store.line_bound([r.id for r in recipients]) if hub.config.hub.line else set()
    )
    drafts: list[NotificationDraft] = []
    for r in recipients:
        title, body = words(r)
        numbers = [LINE_CHANNEL] if r.id in on_line else list(range(len(r.channels)))
        drafts += [
            NotificationDraft(None, r.id, n, f"{key}-{r.id}-{'line' if n < 0 else n}", title, body)
            for n in numbers
        ]
    if drafts:
        await hub.store.queue_notifications(drafts, hub.clock())
        if hub.alerts is not None and hub.alerts.on_queued is not None:
            hub.alerts.on_queued()  # the delivery worker, at once (not at its next poll)
    return len(drafts)


async def tell_family(hub: HubState, report: FoundReport) -> int:
    """Queue the notice to every recipient's every channel; how many were queued."""
    person = hub.registry.people.get(report.person_id)
    name = person.name if person else report.person_id
    now = hub.clock()
    secret = await hub.store.secret(THREAD_SECRET)
    base = hub.config.hub.http.public_url.rstrip("/")

    def words(r: Recipient) -> tuple[str, str]:
        token = make_link(secret, ThreadLink(report.id, r.id, now + LINK_TTL))
        return _words(r.lang, name, report, f"{base}/found/thread/{token}")

    recipients = [
        *recipients_of(hub.registry, report.person_id),
        *centre.recipients_of(hub.registry, report.person_id),  # the care centre's own
    ]
    count = await notify(hub, recipients, f"found-{report.id}", words)
    if not count:
        log.error("found report %d: %s has no contact with a channel", report.id, report.person_id)
    log.warning("found report %d for %s: %d notices queued", report.id, report.person_id, count)
    return count


async def family_view(hub: HubState, token: str) -> FamilyView:
    """The thread a link opens; BadThreadLink when it is not one (or ran out)."""
    secret = await hub.store.secret(THREAD_SECRET)
    link = read_link(secret, token, hub.clock())
    report = await hub.store.found_report(link.report_id)
    if report is None:  # signed by us for a report since gone: as any bad link
        raise BadThreadLink("invalid")
    person = hub.registry.people.get(report.person_id)
    messages = await hub.store.found_messages(report.id, 0, MAX_SHOWN)
    return FamilyView(
        link, token, report, person.name if person else report.person_id,
        hub.registry.recipients.get(link.recipient_id), messages,
    )  # fmt: skip


def cleaned(text: str) -> str:
    """A message as kept: trimmed, control characters (but new lines) dropped."""
    kept = "".join(c for c in text if c == "\n" or c.isprintable())
    return kept.strip()


async def answer(hub: HubState, view: FamilyView, body: str) -> FoundMessage | None:
    message = await hub.store.add_found_message(view.report.id, "family", body, hub.clock())
    if message is not None:
        await _audit(hub, view, "found.answer")
    return message


async def reveal(hub: HubState, view: FamilyView, show: bool) -> bool:
    """Show (or hide again) the number of the recipient the link was sent to."""
    phone = view.recipient.phone if view.recipient is not None and show else None
    if show and phone is None:
        return False
    done = await hub.store.reveal_found_phone(view.report.id, phone)
    if done:
        await _audit(hub, view, "found.reveal" if show else "found.hide")
    return done


async def mark_safe(hub: HubState, view: FamilyView) -> FoundReport | None:
    report = await hub.store.mark_found_safe(view.report.id, hub.clock())
    await _audit(hub, view, "found.safe")
    log.warning("found report %d: %s marked safe", view.report.id, view.report.person_id)
    return report


async def _audit(hub: HubState, view: FamilyView, action: str) -> None:
    await hub.store.audit(
        hub.clock(), who=view.link.recipient_id, role="family", action=action,
        subject=f"person:{view.report.person_id}", detail=f"found report {view.report.id}",
    )  # fmt: skip
