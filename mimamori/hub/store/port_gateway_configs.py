"""The port of gateways' configs as the hub keeps them (issue 20; ``sql_gateway_configs``
implements it on both engines). A gateway's result is recorded by ``ingest`` itself,
in the transaction that stores its ``config.result`` event."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from mimamori.hub.model.fleet import GatewayConfigVersion


class GatewayConfigStore(Protocol):
    async def add_gateway_config(
        self, gateway_id: str, yaml: str, sha256: str, who: str, at: datetime
    ) -> GatewayConfigVersion:
        """The next version of this gateway's config, ``proposed``."""
        ...

    async def mark_gateway_config_sent(self, gateway_id: str, version: int, at: datetime) -> bool:
        """``proposed`` -> ``sent``; False when it was not proposed any more."""
        ...

    async def gateway_configs(self, gateway_id: str, limit: int) -> list[GatewayConfigVersion]:
        """This gateway's versions, the newest first."""
        ...
