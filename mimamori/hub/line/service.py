"""The hub's LINE, built once from ``hub.line``: the webhook's door, the events' loop,
the push that the delivery worker uses, and what ``/healthz`` says of them."""

from __future__ import annotations

import logging
from typing import Any

from linebot.v3.webhook import WebhookParser

from mimamori.hub.config import LineSettings
from mimamori.hub.line.client import LineClient
from mimamori.hub.line.contacts import Contacts
from mimamori.hub.line.events import LineEvents
from mimamori.hub.line.pace import Pace
from mimamori.hub.line.push import LinePush
from mimamori.hub.line.webhook import Refused, verify
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.quarantine import Quarantined
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)


class LineService:
    def __init__(
        self,
        settings: LineSettings,
        store: Store,
        contacts: Contacts,
        *,
        clock: Clock,
        public_url: str | None = None,
    ) -> None:
        """Reads the secret and the token from their files (OSError if it cannot)."""
        self.settings = settings
        self.store = store
        self.clock = clock
        self.parser = WebhookParser(settings.read_secret())
        self.client = LineClient(
            settings.api_url, settings.read_token(), Pace(settings.push_per_s)
        )
        self.events = LineEvents(store, self.client, contacts, clock=clock)
        self.push = LinePush(
            self.client,
            store,
            contacts,
            allowance=settings.monthly_allowance,
            clock=clock,
            public_url=public_url,
        )
        self.refused = 0  # webhook requests refused (unsigned, wrongly signed, malformed)
        self.replayed = 0  # events LINE (or someone) sent again: kept once

    async def accept(self, body: bytes, signature: str | None) -> tuple[int, int]:
        """Keep a signed request's events to handle; (kept, replayed). Refused else."""
        try:
            verified = verify(self.parser, body, signature)
        except Refused as exc:
            self.refused += 1
            if self.refused % 100 == 1:  # a flood is one line a while
                log.warning("LINE webhook refused (%d so far): %s", self.refused, exc.reason)
            raise
        now = self.clock()
        if verified.without_id:
            items = [
                Quarantined("line", "no_event_id", "a LINE event without a webhookEventId",
                            False, None, None, text.encode())
                for text in verified.without_id
            ]  # fmt: skip
            await self.store.quarantine(items, now)
        kept, replayed = await self.store.add_line_events(verified.events, now)
        self.replayed += replayed
        if kept:
            self.events.wake.set()
        return kept, replayed

    async def health(self) -> dict[str, Any]:
        usage = await self.push.usage()
        return {
            "month": usage.month,
            "pushed": usage.pushed,
            "allowance": usage.allowance,
            "warning": usage.warning,
            "quota_refusals": self.push.quota_refusals,
            "webhook_refused": self.refused,
            "events_set_aside": self.events.failures,
            "replies_failed": self.events.replies_failed,
            "pushes_paced": self.client.pace.waited,
        }

    async def close(self) -> None:
        await self.client.close()
