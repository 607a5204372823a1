"""The Messaging API as the hub uses it: push a text (with quick-reply buttons) to one
LINE user, reply to an event. Through LINE's own SDK (``line-bot-sdk`` v3, async); every
call bounded in time, every answer turned into a ``Sent`` that says whether a later try
can help, never an exception.

LINE's answers (Messaging API reference, "Status codes" and "Error responses"):
200 sent; 409 a push with this retry key was already accepted (sent before: our retry
after a lost answer); 429 either the rate limit (try again later) or the month's
allowance used up ("You have reached your monthly limit."): only LINE's message tells
them apart; 5xx LINE's own trouble; other 4xx a refusal no retry changes (a user id
LINE does not know, a bad token).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mimamori.hub.line.pace import Pace

if TYPE_CHECKING:
    from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, TextMessage
    from linebot.v3.messaging.exceptions import ApiException

# LINE's SDK is imported where it is called, not above: importing it takes about 0.9 s,
# a third of the hub's start (python -X importtime), and a hub without ``hub.line``, or
# a module that only needs ``Button``, never calls it.

log = logging.getLogger(__name__)

TIMEOUT_S = 20.0  # as the apprise channels (alerts/channels.py): a slow LINE is retried
MAX_TEXT = 5000  # LINE's limit for one text message
_QUOTA = "monthly limit"
# A namespace of our own for retry keys: the same notification always gets the same key.
_RETRY_KEYS = uuid.UUID("7a1f3c2e-5b1d-4e8a-9c6f-2d4b8e0a1c37")


@dataclass(frozen=True)
class Button:
    """A quick-reply button whose tap comes back as a postback event with ``data``, or,
    with a ``uri``, opens that page instead (nothing comes back)."""

    label: str  # at most 20 characters (LINE's limit)
    data: str  # at most 300 characters
    shown: str  # what appears in the chat as the user's answer
    uri: str | None = None  # at most 1,000 characters (LINE's limit)


@dataclass(frozen=True)
class Sent:
    ok: bool
    status: int = 0  # LINE's HTTP status; 0: no answer at all
    error: str = ""  # why not, in a few words (LINE's message, never the token)

    @property
    def quota(self) -> bool:
        """Refused for the month's allowance: no retry helps before next month."""
        return self.status == 429 and _QUOTA in self.error.lower()

    @property
    def retry(self) -> bool:
        """A later try may go through: no answer, the rate limit, LINE's own trouble."""
        return self.status == 0 or self.status >= 500 or (self.status == 429 and not self.quota)


def retry_key(dedupe_key: str) -> str:
    """The push's X-Line-Retry-Key: LINE accepts one push per key (for 24 hours), so a
    push retried after a lost answer is not shown twice."""
    return str(uuid.uuid5(_RETRY_KEYS, dedupe_key))


def _message(text: str, buttons: list[Button]) -> TextMessage:
    from linebot.v3.messaging import (
        PostbackAction,
        QuickReply,
        QuickReplyItem,
        TextMessage,
        URIAction,
    )

    quick = None
    if buttons:
        quick = QuickReply(
            items=[
                QuickReplyItem(
                    action=URIAction(label=b.label, uri=b.uri)
                    if b.uri
                    else PostbackAction(label=b.label, data=b.data, displayText=b.shown)
                )
                for b in buttons
            ]
        )
    return TextMessage(text=text[:MAX_TEXT], quickReply=quick)


def _refusal(exc: ApiException) -> Sent:
    body: Any = exc.body
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    status = int(exc.status or 0)
    return Sent(status == 409, status, f"LINE {status}: {text[:200]}")


class LineClient:
    """One connection pool to the Messaging API, opened on first use in the running
    loop (the SDK's aiohttp session belongs to it) and closed with the hub. Pushes wait
    their turn under LINE's rate limit (``pace``); replies answer one person's tap and
    have an endpoint, and a limit, of their own."""

    def __init__(self, api_url: str, access_token: str, pace: Pace) -> None:
        from linebot.v3.messaging import Configuration

        self._configuration = Configuration(host=api_url.rstrip("/"), access_token=access_token)
        self._client: AsyncApiClient | None = None
        self.pace = pace

    def _api(self) -> AsyncMessagingApi:
        from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi

        if self._client is None:
            self._client = AsyncApiClient(self._configuration)
        return AsyncMessagingApi(self._client)

    async def push(self, to: str, text: str, buttons: list[Button], *, key: str) -> Sent:
        from linebot.v3.messaging import PushMessageRequest

        request = PushMessageRequest(to=to, messages=[_message(text, buttons)])
        await self.pace.turn()
        return await self._call(
            "push",
            self._api().push_message(
                request, x_line_retry_key=retry_key(key), _request_timeout=TIMEOUT_S
            ),
        )

    async def reply(self, reply_token: str, text: str, buttons: list[Button] | None = None) -> Sent:
        from linebot.v3.messaging import ReplyMessageRequest

        request = ReplyMessageRequest(
            replyToken=reply_token, messages=[_message(text, buttons or [])]
        )
        return await self._call(
            "reply", self._api().reply_message(request, _request_timeout=TIMEOUT_S)
        )

    async def _call(self, what: str, call: Any) -> Sent:
        from linebot.v3.messaging.exceptions import ApiException

        try:
            await asyncio.wait_for(call, TIMEOUT_S + 5)
        except ApiException as exc:
            return _refusal(exc)
        except TimeoutError:
            return Sent(False, 0, f"LINE {what}: no answer within {TIMEOUT_S:g} s")
        except Exception as exc:  # the connection: refused, reset, a name that does not resolve
            return Sent(False, 0, f"LINE {what}: {type(exc).__name__}")
        return Sent(True, 200)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
