"""Notices decided from one event, beside alerts: new sightings for the people
searching, and opted-in "went out / came home". Pure logic over the event, the
registry and what the engine looked up (running searches, channel counts).

A notice goes to each recipient's LINE when they are bound to it (the queue falls back
on their other channels when LINE cannot take it), else to every channel they have;
its ``key`` throttles it in the
store (one per search and gateway per ``notify_every_min``; one per outing way per
``OUTING_EVERY_S``), in the same transaction as the alert cursor moves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mimamori.hub.alerts.messages import render_outing, render_sighting
from mimamori.hub.model.alerts import LINE_CHANNEL, Notice, NotificationDraft
from mimamori.hub.model.events import StoredEvent
from mimamori.hub.model.searches import Participant, Search
from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import Recipient
from mimamori.protocol.events import EventKind
from mimamori.protocol.timefmt import to_epoch_ms

OUTING_EVERY_S = 10 * 60.0  # a person lingering at the door is not going out and in
_TAG_KINDS = (EventKind.TAG_ARRIVED, EventKind.TAG_SEEN, EventKind.TAG_LEFT)


@dataclass(frozen=True)
class Running:
    """A running search and the recipients who hear of its sightings."""

    search: Search
    recipients: tuple[Recipient, ...]


def contacts(
    participants: Sequence[Participant], recipients: Sequence[Recipient]
) -> list[Recipient]:
    """The recipients of the families and accounts taking part in a search."""
    families = {p.family_id for p in participants if p.family_id}
    users = {p.user_id for p in participants if p.user_id}
    return [r for r in recipients if (r.family in families) or (r.user in users)]


def _drafts(
    key: str,
    at_ms: int,
    recipients: Sequence[Recipient],
    channels: Mapping[str, Sequence[int]],
    text: dict[str, tuple[str, str]],
) -> tuple[NotificationDraft, ...]:
    return tuple(
        NotificationDraft(None, r.id, n, f"notice-{key}-{at_ms}-{r.id}-{_way(n)}", *text[r.lang])
        for r in recipients
        for n in channels.get(r.id, ())
    )


def _way(channel: int) -> str:
    return "line" if channel == LINE_CHANNEL else str(channel)


def notices_for(
    event: StoredEvent,
    registry: Registry,
    running: Mapping[str, Running],
    recipients: Mapping[str, Recipient],
    channels: Mapping[str, Sequence[int]],
    *,
    public_url: str,
    search_every_s: float,
    now: datetime,
) -> list[Notice]:
    if event.kind not in _TAG_KINDS:
        return []
    person_id = registry.person_of_tag.get(event.tag or "")
    person = registry.people.get(person_id or "")
    if person is None:
        return []
    place = registry.place(event.gateway_id).name
    base = public_url.rstrip("/")
    at_ms = to_epoch_ms(event.ts)
    found: list[Notice] = []
    search = running.get(person.id)
    if search and event.kind != EventKind.TAG_LEFT and event.ts >= search.search.started_at:
        key = f"search:{search.search.id}:{event.gateway_id}"
        link = f"{base}/searches/{search.search.id}"
        text = {
            lang: render_sighting(person.name, place, event.ts, lang, link) for lang in ("ja", "en")
        }
        drafts = _drafts(key, at_ms, search.recipients, channels, text)
        found.append(Notice(key, event.ts, search_every_s, drafts, now))
    outings = person.outings
    if outings and event.gateway_id in outings.gateways and event.kind != EventKind.TAG_SEEN:
        way = "out" if event.kind == EventKind.TAG_LEFT else "home"
        key = f"outing:{person.id}:{way}"
        link = f"{base}/map?person={person.id}"
        text = {
            lang: render_outing(person.name, place, way, event.ts, lang=lang, link=link)
            for lang in ("ja", "en")
        }
        told = [recipients[r] for r in outings.notify if r in recipients]
        drafts = _drafts(key, at_ms, told, channels, text)
        found.append(Notice(key, event.ts, OUTING_EVERY_S, drafts, now))
    return found
