"""What a reporter hears (調布's ④結果報告): that the care centre started on what they
reported, and that it is done. Nothing else: not who lives there, not what was found,
not what was decided (the seeds: partners keep reporting when they hear back; the
person's privacy is not theirs to share). Each message is a notification of the hub's
one queue, queued in the transaction that triages or closes the case, once per
reporter (its dedupe key), and sent by the alerts' delivery worker
(``alerts/delivery.py``: leased, so sent once across workers; retried with its back-off)
to the partner link (``model.cases.link_recipient``): in LINE first when a LINE user is
bound to the link (the desk's one-time code, ``line/linking.py``), else on the link's
own apprise channel (mail, SMS, webhooks...; not LINE Notify, which ended on
2025-03-31), whose URL is read from the link for each send, never kept. A LINE push
refused for good (the month's allowance, an unknown user) goes to that apprise channel
(the delivery worker's fallback).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from mimamori.hub.model.alerts import LINE_CHANNEL, NotificationDraft
from mimamori.hub.model.cases import Step, link_recipient
from mimamori.hub.store.port_cases import Reporter

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


def drafts(case_id: int, step: Step, reporters: list[Reporter]) -> tuple[NotificationDraft, ...]:
    """The messages a triage or a closing sends: one per reporter that can be reached
    (in LINE when bound there)."""
    out = []
    for r in reporters:
        text = TEXTS.get(r.lang, TEXTS["ja"])
        when = str(text["when"]).format(d=r.first_at.astimezone(TOKYO))
        body = str(text["body"]).format(when=when, what=text[step])
        key = f"case:{case_id}:{step.value}:{r.link_id}"
        recipient = link_recipient(r.link_id)
        channel = LINE_CHANNEL if r.on_line else 0
        out.append(NotificationDraft(None, recipient, channel, key, str(text["title"]), body))
    return tuple(out)
