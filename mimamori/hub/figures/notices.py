"""Notices in the town's figures (issue 19): alerts' notifications by channel (LINE,
e-mail, ...) and the share delivered, by the month they were queued. A channel's kind
is the scheme of the recipient's channel in the register (``mailto://`` is e-mail);
a notice whose channel is gone from the register counts as ``other``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from mimamori.hub.figures.table import MONTHS, Family, Row, counted, rate
from mimamori.hub.model.alerts import LINE_CHANNEL
from mimamori.hub.store.port_figures import FigureStore

# Apprise's schemes by what a reader calls them (docs/notifications.md lists them).
KINDS = {"mailto": "email", "mailtos": "email", "ntfy": "ntfy", "ntfys": "ntfy",
         "json": "webhook", "jsons": "webhook", "line": "line"}  # fmt: skip


def channel_kind(channels: Mapping[str, Sequence[str]], recipient: str, number: int) -> str:
    if number == LINE_CHANNEL:
        return "line"
    urls = channels.get(recipient, ())
    if not 0 <= number < len(urls):
        return "other"
    scheme = urls[number].partition("://")[0].lower()
    return KINDS.get(scheme, scheme or "other")


async def notice_families(
    store: FigureStore,
    areas: Sequence[str] | None,
    edges: Sequence[datetime],
    channels: Mapping[str, Sequence[str]],
) -> list[Family]:
    """``channels``: each recipient's channel URLs (masked is enough: the scheme)."""
    queued: dict[str, list[int]] = {"total": [0] * MONTHS}
    sent: dict[str, list[int]] = {"total": [0] * MONTHS}
    ended: dict[str, list[int]] = {"total": [0] * MONTHS}  # sent or failed for good
    for month, recipient, number, state, n in await store.notice_counts(edges, areas):
        kind = channel_kind(channels, recipient, number)
        for key in ("total", kind):
            for table in (queued, sent, ended):
                table.setdefault(key, [0] * MONTHS)
            queued[key][month] += n
            sent[key][month] += n if state == "sent" else 0
            ended[key][month] += n if state in ("sent", "failed") else 0
    keys = ["total", *sorted(k for k in queued if k != "total")]
    rates = tuple(
        Row(
            k,
            tuple(rate(sent[k][m], ended[k][m]) for m in range(MONTHS)),
            rate(sum(sent[k]), sum(ended[k])),
        )
        for k in keys
    )
    return [
        counted("notices_by_channel", {k: queued[k] for k in keys}, chart="total"),
        Family("delivery_rate", "percent", rates, chart="total"),
    ]
