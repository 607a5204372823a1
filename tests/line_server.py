"""A local LINE for the tests: the parts of the Messaging API the hub calls, on
127.0.0.1 on a free port, spoken as LINE documents them, and a LINE platform that sends
the hub webhooks signed with the test channel secret. The hub's real SDK talks to it.

- ``POST /v2/bot/message/push`` and ``POST /v2/bot/message/reply``: JSON bodies,
  ``Authorization: Bearer <channel access token>`` (401 otherwise), 1 to 5 messages
  (400 with ``details`` otherwise), ``X-Line-Retry-Key`` (a second push with an
  accepted key: 409 with ``x-line-accepted-request-id``), a reply token usable once and
  only for an event it sent (400 "Invalid reply token"), ``x-line-request-id`` on every
  answer. ``push_answers`` scripts the next answers: a status (429: the rate limit), or
  "quota" (429 "You have reached your monthly limit.").
- ``webhook(url, *events)``: a request as LINE's platform sends it, with
  ``X-Line-Signature`` = base64(HMAC-SHA256(channel secret, body)).

Everything received is recorded (``pushes``, ``replies``) for the tests to read.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mimamori.demo.mosquitto import free_port

SECRET = "0123456789abcdef0123456789abcdef"  # a channel secret is 32 hex digits
TOKEN = "test-channel-access-token"
_ids = itertools.count(1)


def user_id() -> str:
    """A LINE user id: U and 32 hex digits."""
    return "U" + secrets.token_hex(16)


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@dataclass(frozen=True)
class Sent:
    to: str  # the LINE user: a push's "to", or the user of the replied event
    messages: list[dict[str, Any]]
    retry_key: str | None = None

    @property
    def text(self) -> str:
        return str(self.messages[0]["text"])

    def buttons(self) -> list[dict[str, Any]]:
        quick = self.messages[0].get("quickReply") or {}
        return [item["action"] for item in quick.get("items", [])]


def _error(status: int, message: str, **more: Any) -> JSONResponse:
    return JSONResponse({"message": message, **more}, status_code=status,
                        headers={"x-line-request-id": secrets.token_hex(16)})  # fmt: skip


@dataclass
class LocalLine:
    port: int
    pushes: list[Sent] = field(default_factory=list)
    replies: list[Sent] = field(default_factory=list)
    push_answers: list[int | str] = field(default_factory=list)
    refused_pushes: int = 0
    _reply_tokens: dict[str, str] = field(default_factory=dict)  # token -> user
    _accepted_keys: dict[str, str] = field(default_factory=dict)  # retry key -> request id

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- the Messaging API ---------------------------------------------------------------

    async def _checked(self, request: Request) -> dict[str, Any] | JSONResponse:
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return _error(401, "Authentication failed. Confirm that the access token in the "
                               "authorization header is valid.")  # fmt: skip
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "The request body has 1 error(s)",
                          details=[{"message": "malformed JSON", "property": ""}])  # fmt: skip
        messages = body.get("messages") if isinstance(body, dict) else None
        if not isinstance(messages, list) or not 1 <= len(messages) <= 5:
            return _error(400, "The request body has 1 error(s)",
                          details=[{"message": "Size must be between 1 and 5",
                                    "property": "messages"}])  # fmt: skip
        for message in messages:
            if message.get("type") == "text" and not 1 <= len(message.get("text", "")) <= 5000:
                return _error(400, "The request body has 1 error(s)",
                              details=[{"message": "Length must be between 1 and 5000",
                                        "property": "messages[0].text"}])  # fmt: skip
        return body

    async def _push(self, request: Request) -> JSONResponse:
        body = await self._checked(request)
        if isinstance(body, JSONResponse):
            return body
        key = request.headers.get("x-line-retry-key")
        if key is not None and key in self._accepted_keys:
            return JSONResponse(
                {"message": "The retry key is already accepted", "sentMessages": []},
                status_code=409,
                headers={"x-line-accepted-request-id": self._accepted_keys[key]},
            )
        if self.push_answers:
            answer = self.push_answers.pop(0)
            self.refused_pushes += 1
            if answer == "quota":
                return _error(429, "You have reached your monthly limit.")
            if answer == 429:
                return _error(429, "The API rate limit has been exceeded. Try again later.")
            return _error(int(answer), "An error occurred in the backend server.")
        request_id = secrets.token_hex(16)
        if key is not None:
            self._accepted_keys[key] = request_id
        self.pushes.append(Sent(str(body.get("to")), body["messages"], key))
        return JSONResponse(
            {"sentMessages": [{"id": str(next(_ids)), "quoteToken": secrets.token_urlsafe(16)}
                              for _ in body["messages"]]},
            headers={"x-line-request-id": request_id},
        )  # fmt: skip

    async def _reply(self, request: Request) -> JSONResponse:
        body = await self._checked(request)
        if isinstance(body, JSONResponse):
            return body
        user = self._reply_tokens.pop(str(body.get("replyToken")), None)
        if user is None:
            return _error(400, "Invalid reply token")
        self.replies.append(Sent(user, body["messages"]))
        return JSONResponse({"sentMessages": [{"id": str(next(_ids))} for _ in body["messages"]]})

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v2/bot/message/push", self._push, methods=["POST"]),
                Route("/v2/bot/message/reply", self._reply, methods=["POST"]),
            ]
        )

    # -- the platform's webhooks ----------------------------------------------------------

    def _event(self, kind: str, user: str, reply: bool = True, **more: Any) -> dict[str, Any]:
        event: dict[str, Any] = {
            "type": kind,
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user},
            "webhookEventId": "01" + secrets.token_hex(12).upper(),  # ULID-like, 26 chars
            "deliveryContext": {"isRedelivery": False},
            **more,
        }
        if reply:
            token = secrets.token_hex(16)
            self._reply_tokens[token] = user
            event["replyToken"] = token
        return event

    def follow(self, user: str) -> dict[str, Any]:
        return self._event("follow", user, follow={"isUnblocked": False})

    def unfollow(self, user: str) -> dict[str, Any]:
        return self._event("unfollow", user, reply=False)

    def text(self, user: str, text: str) -> dict[str, Any]:
        message = {"id": str(next(_ids)), "type": "text", "text": text,
                   "quoteToken": secrets.token_urlsafe(16)}  # fmt: skip
        return self._event("message", user, message=message)

    def postback(self, user: str, data: str) -> dict[str, Any]:
        return self._event("postback", user, postback={"data": data})

    async def webhook(
        self, url: str, *events: dict[str, Any], signature: str | None = None,
        secret: str = SECRET,
    ) -> httpx.Response:  # fmt: skip
        """Send ``events`` to the hub's webhook ``url`` as LINE does (signed unless
        ``signature`` is given: "" sends none)."""
        body = json.dumps({"destination": "U" + "0" * 32, "events": list(events)}).encode()
        headers = {"content-type": "application/json; charset=utf-8"}
        signature = sign(body, secret) if signature is None else signature
        if signature:
            headers["x-line-signature"] = signature
        async with httpx.AsyncClient(timeout=10) as client:
            return await client.post(url, content=body, headers=headers)

    def replies_to(self, user: str) -> list[str]:
        return [r.text for r in self.replies if r.to == user]


@asynccontextmanager
async def local_line() -> AsyncIterator[LocalLine]:
    line = LocalLine(free_port())
    server = uvicorn.Server(
        uvicorn.Config(line.app(), host="127.0.0.1", port=line.port, log_level="warning",
                       lifespan="off")
    )  # fmt: skip
    task = asyncio.create_task(server.serve())
    async with asyncio.timeout(10):
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
    try:
        yield line
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
