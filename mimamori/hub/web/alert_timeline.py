"""An alert's timeline in words, for the pages that show it (the one-tap page): each
entry of ``store.alert_timeline`` as a local time and one line in the reader's
language, with contacts by name (never a channel's address)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from mimamori.hub.model.escalation import TimelineEntry
from mimamori.hub.register.registry import Registry
from mimamori.hub.web.i18n import Texts

_ZONE = ZoneInfo("Asia/Tokyo")


@dataclass(frozen=True)
class Line:
    at: str
    text: str
    what: str  # the entry's kind, for the page's class (tl-step, tl-answer...)
    note: str | None


def _names(registry: Registry, t: Texts, ids: str | None) -> str:
    if not ids or ids == "automatic":
        return t("tl_automatic")
    found = [
        registry.recipients[i].name if i in registry.recipients else i for i in ids.split(", ")
    ]
    return t.join(found)


def _text(entry: TimelineEntry, registry: Registry, t: Texts, what_of: str) -> str:
    who = _names(registry, t, entry.who)
    if entry.what == "opened":
        return f"{t('tl_opened')}: {what_of}"
    if entry.what == "step":
        text = t(f"tl_step_{entry.detail or 'notify'}", who=who)
        return text + (t("tl_again") if entry.round else "")
    if entry.what == "notified":
        channel = "LINE" if entry.channel == "line" else f"#{int(entry.channel or 0) + 1}"
        return t(f"tl_{entry.state or 'pending'}", who=who, channel=channel)
    if entry.what == "answer":
        return t(f"tl_answer_{entry.detail}", who=who)
    outcome = t(f"outcome_{entry.detail}") if entry.detail else ""
    return t("tl_resolved", who=who, outcome=outcome)


def lines(entries: list[TimelineEntry], registry: Registry, t: Texts, what_of: str) -> list[Line]:
    """The timeline as the page shows it; ``what_of`` says what the alert is about."""
    return [
        Line(
            t.date_time(e.at.astimezone(_ZONE)),
            _text(e, registry, t, what_of),
            e.what,
            e.note if e.what != "notified" else None,
        )
        for e in entries
    ]
