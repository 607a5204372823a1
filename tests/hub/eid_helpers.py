"""A hub registry with tags on rotating ids, their keys sealed in a real store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mimamori.hub.config import HubConfig
from mimamori.hub.eid.keys import seal
from mimamori.hub.model.eid import EidTagRecord
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.sql_store import SqlStore
from mimamori.protocol.eid import compute_eid
from tests.hub.helpers import hub_document, registry_of_doc, service_of

KEK = bytes(range(32))
KEK_HEX = KEK.hex()
K = 10
P = 1 << K
T0 = 1_790_000_000.0
OFFSET = 65_280 - int(T0)  # the tag's counter minus Unix time
TSURU_KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
TSURU = "eid:tsuru"


def with_eid(tmp_path: Path) -> Callable[[dict[str, Any]], None]:
    """An edit of the test hub's config (see running_hub): a KEK in a file of its own,
    and 比嘉 ツル carrying an EID tag instead of her iBeacon."""
    kek_file = tmp_path / "eid.kek"
    kek_file.write_text(KEK_HEX + "\n")

    def edit(doc: dict[str, Any]) -> None:
        doc["hub"]["eid"] = {"kek_file": str(kek_file)}
        doc["people"][0]["tags"] = [TSURU]

    return edit


def eid_document(tmp_path: Path, broker_port: int = 1883, http_port: int = 0) -> dict[str, Any]:
    """The test town (``hub_document``) with ``with_eid``'s edit."""
    doc = hub_document(tmp_path, broker_port, http_port)
    with_eid(tmp_path)(doc)
    return doc


def eid_config(tmp_path: Path, broker_port: int = 1883, http_port: int = 0) -> HubConfig:
    return service_of(eid_document(tmp_path, broker_port, http_port))


def eid_registry(tmp_path: Path) -> Registry:
    return registry_of_doc(eid_document(tmp_path))


async def register(
    store: SqlStore, tag: str = TSURU, key: bytes = TSURU_KEY, offset: int = OFFSET
) -> None:
    now = datetime.now(UTC)
    sealed = seal(KEK, tag, key)
    await store.put_eid_tag(EidTagRecord(tag, sealed, K, offset, offset, now, now), replace=False)


def shown(at: float, key: bytes = TSURU_KEY, offset: int = OFFSET) -> str:
    """The wire tag id of what the tag shows at Unix time ``at``."""
    return f"eddystone-eid:{compute_eid(key, K, int(at) + offset).hex()}"
