"""What a reporter hears (調布's ④結果報告): that the care centre started on what they
reported, and that it is done. Nothing else: not who lives there, not what was found,
not what was decided (the seeds: partners keep reporting when they hear back; the
person's privacy is not theirs to share). Each message is queued in the transaction
that triages or closes the case, once per reporter (its dedupe key), and sent by this
worker with retries, through the alert channels' sender (apprise: mail, LINE Notify,
webhooks...). The channel's URL is read from the store for each send, never kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from mimamori.errors import StoreError
from mimamori.hub.alerts.channels import Delivery, Sender
from mimamori.hub.alerts.delivery import MAX_ATTEMPTS, retry_delay
from mimamori.hub.model.cases import FeedbackDraft, Step
from mimamori.hub.model.clock import Clock
from mimamori.hub.store.port import Store
from mimamori.hub.store.port_cases import Reporter

log = logging.getLogger(__name__)

LEASE_S = 120.0  # longer than a send's timeout (AppriseSender: 20 s)
EVERY_S = 1.0  # as the alerts' delivery worker: a reporter hears within a second or so
TOKYO = ZoneInfo("Asia/Tokyo")  # the reporter's day and time are Japan's

TEXTS = {
    "ja": {
        "title": "みまもり：お知らせいただいた件について",
        Step.TRIAGE: "地域包括支援センターが対応を始めました。",
        Step.CLOSE: "対応が終わりました。",
        "body": (
            "{when}にお知らせいただいた件について、{what}\n"
            "ご連絡ありがとうございました。また気づいたことがあれば、同じリンクからお知らせください。\n\n"
            "（見守られている方のことは、このお知らせには書いていません。）"
        ),
        "when": "{d.month}月{d.day}日 {d:%H:%M}",
    },
    "en": {
        "title": "mimamori: about what you reported",
        Step.TRIAGE: "the care centre (地域包括支援センター) has started to act on it.",
        Step.CLOSE: "it has been dealt with.",
        "body": (
            "About what you reported on {when}: {what}\n"
            "Thank you. If you notice anything again, please use the same link.\n\n"
            "(This message says nothing about the person concerned.)"
        ),
        "when": "{d:%d %b %H:%M}",
    },
}


def drafts(case_id: int, step: Step, reporters: list[Reporter]) -> tuple[FeedbackDraft, ...]:
    """The messages a triage or a closing sends: one per reporter with a channel."""
    out = []
    for r in reporters:
        text = TEXTS.get(r.lang, TEXTS["ja"])
        when = str(text["when"]).format(d=r.first_at.astimezone(TOKYO))
        body = str(text["body"]).format(when=when, what=text[step])
        key = f"case:{case_id}:{step.value}:{r.link_id}"
        out.append(FeedbackDraft(r.link_id, key, str(text["title"]), body))
    return tuple(out)


class FeedbackWorker:
    def __init__(self, store: Store, sender: Sender, clock: Clock) -> None:
        self.store = store
        self.sender = sender
        self.clock = clock
        self.wake = asyncio.Event()

    async def deliver_due(self) -> int:
        """Send what is due; how many were tried."""
        batch = await self.store.claim_feedback(self.clock(), LEASE_S)
        for item in batch:
            url = await self.store.feedback_channel(item.link_id)
            if url is None:
                result = Delivery(False, "the link has no channel any more")
            else:
                try:
                    result = await self.sender.send(
                        url, item.title, item.body, dedupe_key=item.dedupe_key
                    )
                except Exception as exc:  # one message's failure is that message's
                    log.exception("feedback %d: the sender failed", item.id)
                    result = Delivery(False, f"sending failed: {type(exc).__name__}")
            attempts = item.attempts + 1
            now = self.clock()
            retry_at = None
            if not result.ok and url is not None and attempts < MAX_ATTEMPTS:
                retry_at = now + timedelta(seconds=retry_delay(attempts))
            await self.store.record_feedback(item.id, result.ok, result.error, now, retry_at)
            if result.ok:
                log.info("feedback %d sent to link %d", item.id, item.link_id)
            else:
                log.warning("feedback %d to link %d failed (attempt %d): %s%s", item.id,
                            item.link_id, attempts, result.error,
                            "" if retry_at else "; giving up")  # fmt: skip
        return len(batch)

    async def run(self) -> None:
        failing = False
        while True:
            try:
                while await self.deliver_due():
                    pass
                if failing:
                    log.info("feedback to reporters: sending again")
                failing = False
            except StoreError as exc:
                if not failing:
                    log.warning("feedback to reporters: %s; retrying", exc)
                failing = True
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(EVERY_S):
                    await self.wake.wait()
            self.wake.clear()
