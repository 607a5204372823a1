"""Which peer is calling, proven by the request's signature (``signing``), and its
body, read within a bound. Nonces are kept in the database for as long as their time
is in the window, so a replay is refused by every hub worker and after a restart."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from mimamori.hub.access.deps import Hub
from mimamori.hub.config import Peer
from mimamori.hub.federation.signing import (
    MAX_BODY,
    NONCE_HEADER,
    SIGNATURE_HEADER,
    TIME_HEADER,
    TOWN_HEADER,
    WINDOW,
    BadSignature,
    read_headers,
    verify,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeerRequest:
    peer: Peer
    body: bytes
    now: datetime  # the hub's time when the request was taken


def _refuse(why: str) -> HTTPException:
    return HTTPException(status_code=401, detail=why, headers={"WWW-Authenticate": "Signature"})


async def _body(request: Request) -> bytes:
    """The body, refused with 413 past ``MAX_BODY`` (said or not by Content-Length)."""
    too_big = HTTPException(status_code=413, detail=f"a peer's request is at most {MAX_BODY} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


async def calling_peer(request: Request, hub: Hub) -> PeerRequest:
    now = hub.clock()  # the hub's time: tests move it
    federation = hub.config.hub.federation
    town = request.headers.get(TOWN_HEADER, "")
    peer = next((p for p in federation.peers if p.id == town), None) if federation else None
    if federation is None or peer is None:
        raise _refuse(f"{TOWN_HEADER} names no peer of this hub")
    try:
        claims = read_headers(
            town,
            request.headers.get(TIME_HEADER, ""),
            request.headers.get(NONCE_HEADER, ""),
            request.headers.get(SIGNATURE_HEADER, ""),
        )
        secret = peer.read_secret()
    except BadSignature as exc:
        raise _refuse(str(exc)) from None
    except OSError:
        log.error("peer %s: its secret file cannot be read: nobody gets in as it", peer.id)
        raise _refuse("this hub cannot check that peer's requests now") from None
    if not secret:
        raise _refuse("this hub cannot check that peer's requests now")
    body = await _body(request)
    try:
        verify(
            secret,
            claims,
            method=request.method,
            path=request.url.path,
            receiver=federation.town,
            body=body,
            now=now,
        )
    except BadSignature as exc:
        log.info("peer %s: request to %s refused: %s", peer.id, request.url.path, exc)
        raise _refuse(str(exc)) from None
    # Checked after the signature, so nobody without the secret can fill the table;
    # kept for twice the window, so hubs whose clocks differ a little still agree.
    sent_at = datetime.fromtimestamp(claims.sent_at, UTC)
    if not await hub.store.first_use_of_nonce(peer.id, claims.nonce, sent_at, now - 2 * WINDOW):
        log.warning("peer %s: a replayed request to %s refused", peer.id, request.url.path)
        raise _refuse(f"{NONCE_HEADER} was used already: a replay, refused")
    return PeerRequest(peer, body, now)


CallingPeer = Annotated[PeerRequest, Depends(calling_peer)]
