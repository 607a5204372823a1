"""Tag identifiers as they travel on the wire.

A gateway names a tag by what the tag broadcasts, never by whom it belongs to:

    ibeacon:{uuid}:{major}:{minor}           ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:100:7
    eddystone-uid:{namespace}:{instance}     eddystone-uid:00112233445566778899:a1b2c3d4e5f6
    eddystone-eid:{ephemeral id}             eddystone-eid:7dd8169dae94258c

UUIDs and hex are lower-case, numbers decimal, so one tag always has one spelling.
An Eddystone-EID id changes every rotation period of its tag: it names one period of
one tag, and only the hub, which holds the tag's identity key, knows which tag (eid.py).
"""

from __future__ import annotations

import re
import uuid
from enum import StrEnum


class TagFormat(StrEnum):
    IBEACON = "ibeacon"
    EDDYSTONE_UID = "eddystone-uid"
    EDDYSTONE_EID = "eddystone-eid"


TAG_ID_PATTERN = (
    r"^(ibeacon:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r":(?:0|[1-9][0-9]{0,4}):(?:0|[1-9][0-9]{0,4})"
    r"|eddystone-uid:[0-9a-f]{20}:[0-9a-f]{12}"
    r"|eddystone-eid:[0-9a-f]{16})$"
)
_TAG_ID = re.compile(TAG_ID_PATTERN)


def is_valid_tag_id(value: str) -> bool:
    return bool(_TAG_ID.match(value))


def ibeacon_id(proximity_uuid: uuid.UUID, major: int, minor: int) -> str:
    return f"{TagFormat.IBEACON}:{proximity_uuid}:{major}:{minor}"


def eddystone_uid_id(namespace: bytes, instance: bytes) -> str:
    return f"{TagFormat.EDDYSTONE_UID}:{namespace.hex()}:{instance.hex()}"


def eddystone_eid_id(eid: bytes) -> str:
    if len(eid) != 8:
        raise ValueError(f"an Eddystone-EID is 8 bytes, not {len(eid)}")
    return f"{TagFormat.EDDYSTONE_EID}:{eid.hex()}"


def tag_format(tag_id: str) -> TagFormat:
    return TagFormat(tag_id.split(":", 1)[0])


def matches(pattern: str, tag_id: str) -> bool:
    """Allow-list match: an exact id, or a prefix ending in ``*``.

    ``ibeacon:fda50693-a4e2-4fb1-afcf-c6eb07647825:*`` admits every tag of one
    town's UUID, which is how fleets of iBeacon tags are usually told apart.
    """
    if pattern.endswith("*"):
        return tag_id.startswith(pattern[:-1])
    return tag_id == pattern
