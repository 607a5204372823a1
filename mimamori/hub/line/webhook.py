"""What LINE's webhook brings, checked before anything is kept.

A request must carry ``X-Line-Signature``, the HMAC-SHA256 of its body with the
channel secret (checked by LINE's SDK, ``WebhookParser``): a missing or wrong one is a
401 and nothing changes. A signed body is parsed by the SDK; each event is kept by its
``webhookEventId`` to be handled after the answer (``events.py``), so LINE gets its 200
at once and a redelivered or replayed event is kept only once. The body is bounded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the SDK comes with the parser (client.py says why it is imported late)
    from linebot.v3.webhook import WebhookParser

# LINE sends a few events per request, each a few hundred bytes (a text message holds at
# most 5,000 characters): 256 KiB is far above any real request.
MAX_BODY = 256 * 1024
MAX_EVENT_ID = 64  # a ULID is 26 characters


class Refused(Exception):
    """The request is not one to act on: its status (401, 400, 413) and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


@dataclass(frozen=True)
class Verified:
    events: list[tuple[str, str]]  # (webhookEventId, the event's JSON)
    without_id: list[str]  # events with no usable id: set aside, not handled


def verify(parser: WebhookParser, body: bytes, signature: str | None) -> Verified:
    """The events of a webhook request signed with the channel secret; Refused else."""
    from linebot.v3.exceptions import InvalidSignatureError

    if not signature:
        raise Refused(401, "no X-Line-Signature")
    if len(body) > MAX_BODY:
        raise Refused(413, f"body over {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the body is not UTF-8") from None
    try:
        parser.parse(text, signature)
    except InvalidSignatureError:
        raise Refused(401, "wrong X-Line-Signature") from None
    except Exception as exc:  # signed, but not LINE's JSON: say so, keep nothing
        raise Refused(400, f"not a webhook body: {type(exc).__name__}") from None
    raw: Any = json.loads(text).get("events")
    events: list[tuple[str, str]] = []
    without_id: list[str] = []
    for item in raw if isinstance(raw, list) else []:
        event_id = item.get("webhookEventId") if isinstance(item, dict) else None
        as_text = json.dumps(item, ensure_ascii=False)
        if isinstance(event_id, str) and 0 < len(event_id) <= MAX_EVENT_ID:
            events.append((event_id, as_text))
        else:
            without_id.append(as_text)
    return Verified(events, without_id)
