"""The delivery worker: queued notifications -> channels, with retries and a log.

Each due notification is leased (so a second worker skips it), sent through the
``Sender`` port (apprise in production), and its outcome recorded: sent, or failed
with the reason and a retry time that backs off (30 s, 1 min, 2 min, ... up to an
hour). After ``MAX_ATTEMPTS`` it stays failed and shows on the staff side. Delivery
is at-least-once: a worker killed after sending but before recording sends again,
with the same dedupe key, which the channels that support one use to drop it. The
town's only worker (``sole``) ends such leases as it starts; beside other workers, a
lease ends after ``LEASE_S``.

A notice on a recipient's LINE (``LINE_CHANNEL``) goes through the ``NoticeSender``
given (``hub/line/push.py``). When LINE refuses it for good (the month's allowance is
used up, the user unfollowed), or it has failed ``LINE_FALLBACK_AFTER`` times, the same
notice is queued on each of the recipient's other channels (a partner link's: its own
apprise channel): never dropped, and each
fallback at most once (its dedupe key); its text there is the sender's
(``fallback_text``: a check-in's 「元気ですか？」 gets a link instead of buttons).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Protocol

from mimamori.errors import StoreError
from mimamori.hub.alerts.channels import Delivery, Sender
from mimamori.hub.model.alerts import LINE_CHANNEL, NotificationDraft, QueuedNotification
from mimamori.hub.model.cases import link_of_recipient
from mimamori.hub.model.clock import Clock
from mimamori.hub.store.port import Store

log = logging.getLogger(__name__)

LEASE_S = 120.0  # longer than the slowest channel's timeout
FIRST_RETRY_S = 30.0
MAX_RETRY_S = 3600.0
MAX_ATTEMPTS = 12  # about five hours of trying (30 s, 1, 2, 4 ... 60 min)
EVERY_S = 1.0
# A LINE notice that failed this often (30 s + 1 min after the first try: LINE is down,
# or the rate limit holds) also goes to the recipient's other channels, while LINE
# keeps being tried: an alert must not wait hours for LINE to come back.
LINE_FALLBACK_AFTER = 3


class NoticeSender(Protocol):
    """A channel that is not a URL: the LINE push (``hub/line/push.py``)."""

    async def deliver(self, n: QueuedNotification) -> Delivery: ...

    async def fallback_text(self, n: QueuedNotification) -> tuple[str, str]:
        """The title and body of ``n`` on the recipient's other channels."""
        ...


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` failed ones (1, 2, ...)."""
    return float(min(FIRST_RETRY_S * 2 ** (attempts - 1), MAX_RETRY_S))


class DeliveryWorker:
    def __init__(
        self,
        store: Store,
        sender: Sender,
        *,
        clock: Clock,
        line: NoticeSender | None = None,
        sole: bool = False,
    ) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.line = line
        self.sole = sole  # the town's only delivery worker (a hub without hub.worker_id)
        self.wake = asyncio.Event()

    async def _url(self, n: QueuedNotification) -> str | None:
        """The channel's URL as the register holds it now (read from the store for
        this one notification: the secret is never kept in memory). A reporter's
        feedback (issue 16, ``cases/feedback.py``) goes to their partner link's channel."""
        link_id = link_of_recipient(n.recipient_id)
        if link_id is not None:
            return await self.store.feedback_channel(link_id)
        channels = await self.store.contact_channels(n.recipient_id)
        if channels is None:
            return None
        return channels[n.channel] if n.channel < len(channels) else None

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many were attempted."""
        now = self.clock()
        batch = await self.store.claim_notifications(now, LEASE_S)
        for n in batch:
            if n.channel == LINE_CHANNEL:
                result = await self._via_line(n)
                retryable = not result.refused
            else:
                url = await self._url(n)
                retryable = url is not None
                if url is None:
                    result = Delivery(False, "the recipient or channel is no longer configured")
                else:
                    try:
                        result = await self.sender.send(
                            url, n.title, n.body, dedupe_key=n.dedupe_key
                        )
                    except Exception as exc:  # one channel's failure is that notification's
                        log.exception("notification %d: the sender failed", n.id)
                        result = Delivery(False, f"sending failed: {type(exc).__name__}")
            attempts = n.attempts + 1
            done = self.clock()
            retry_at = None
            if not result.ok and retryable and attempts < MAX_ATTEMPTS:
                retry_at = done + timedelta(seconds=retry_delay(attempts))
            gave_up = not retryable or retry_at is None or attempts == LINE_FALLBACK_AFTER
            if n.channel == LINE_CHANNEL and not result.ok and gave_up:
                await self._fall_back(n, done)  # before the record: a crash repeats it
            await self.store.record_delivery(n.id, result.ok, result.error, done, retry_at)
            if result.ok:
                log.info("notification %d sent to %s", n.id, n.recipient_id)
            else:
                log.warning(
                    "notification %d to %s failed (attempt %d): %s%s",
                    n.id,
                    n.recipient_id,
                    attempts,
                    result.error,
                    "" if retry_at else "; giving up",
                )
        return len(batch)

    async def _via_line(self, n: QueuedNotification) -> Delivery:
        if self.line is None:
            return Delivery(False, "LINE is not configured (hub.line)", refused=True)
        try:
            return await self.line.deliver(n)
        except Exception as exc:  # as a channel's failure: that notification's alone
            log.exception("notification %d: the LINE push failed", n.id)
            return Delivery(False, f"sending failed: {type(exc).__name__}")

    async def _other_channels(self, recipient_id: str) -> int:
        """How many channels a recipient has besides LINE: a contact's channels file,
        or a partner link's own apprise channel (one, or none)."""
        link_id = link_of_recipient(recipient_id)
        if link_id is not None:
            return 1 if await self.store.feedback_channel(link_id) else 0
        return len(await self.store.contact_channels(recipient_id) or [])

    async def _fall_back(self, n: QueuedNotification, now: datetime) -> None:
        """Queue a LINE notice on each of the recipient's other channels (once each)."""
        count = await self._other_channels(n.recipient_id)
        if count == 0:
            log.warning(
                "notification %d: %s has no channel besides LINE to fall back on",
                n.id,
                n.recipient_id,
            )
            return
        title, body = await self.line.fallback_text(n) if self.line else (n.title, n.body)
        drafts = [
            NotificationDraft(
                n.alert_id, n.recipient_id, i, f"{n.dedupe_key}-fallback-{i}", title, body
            )
            for i in range(count)
        ]
        await self.store.queue_notifications(drafts, now)
        log.info("notification %d: also queued on %d other channels", n.id, count)

    async def release_leases(self) -> None:
        """The town's only worker, starting, ends the leases its killed predecessor
        left: their notices go now, not after ``LEASE_S``. One sent just before the kill
        goes again, with its dedupe key (LINE's retry key: LINE answers 409, shown once)."""
        if not self.sole:
            return  # another worker may hold them, alive
        released = await self.store.release_notification_claims()
        if released:
            log.info("delivery: %d notifications leased before a restart are due again", released)

    async def run(self) -> None:
        try:
            await self.release_leases()
        except StoreError as exc:
            log.warning("delivery worker: leases not released (%s): they end by themselves", exc)
        while True:
            try:
                while await self.deliver_due():
                    pass
            except StoreError as exc:
                log.warning("delivery worker: %s; retrying", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), EVERY_S)
            self.wake.clear()
