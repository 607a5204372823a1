"""Which peer is calling: ``X-Mimamori-Town`` names it, the bearer secret proves it."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, HTTPException

from ..config import Peer
from ..deps import Hub

TOWN_HEADER = "X-Mimamori-Town"


def calling_peer(
    hub: Hub,
    authorization: Annotated[str, Header()] = "",
    town: Annotated[str, Header(alias=TOWN_HEADER)] = "",
) -> Peer:
    federation = hub.config.hub.federation
    peer = next((p for p in federation.peers if p.id == town), None) if federation else None
    scheme, _, secret = authorization.partition(" ")
    try:
        known = peer.read_secret() if peer else ""
    except OSError:
        known = ""  # a missing secret file lets nobody in
    if (
        peer is None
        or scheme.lower() != "bearer"
        or not known
        or not hmac.compare_digest(secret.strip().encode(), known.encode())
    ):
        raise HTTPException(
            status_code=401,
            detail="a peer hub's town and secret are required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return peer


CallingPeer = Annotated[Peer, Depends(calling_peer)]
