"""Who may sign in and how: roles, users and their credentials."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

# admin: everything, the audit log; staff (care centre): the households, alerts and
# people of their areas, and the desk; volunteer (民生委員): the households assigned
# to them; family: their own.
Role = Literal["admin", "staff", "volunteer", "family"]


ROLES: tuple[Role, ...] = ("admin", "staff", "volunteer", "family")


class CredentialKind(StrEnum):
    SIGNIN = "signin"  # a family's one-time link
    SESSION = "session"  # a browser's cookie
    TOKEN = "token"  # an API client's bearer token
    ENROLL = "enroll"  # a gateway's one-time enrollment code (its name: the gateway id)


@dataclass(frozen=True)
class Credential:
    kind: CredentialKind
    role: Role
    family_id: str | None
    name: str
    created_at: datetime
    expires_at: datetime | None
    user_id: str | None = None  # a credential of an account (sessions, tokens)


@dataclass(frozen=True)
class User:
    id: str
    name: str
    role: Role
    family_id: str | None
    households: tuple[str, ...]  # a volunteer's assigned households
    disabled: bool = False
    areas: tuple[str, ...] = ()  # staff: the care-centre areas they work in


class Redeemed(StrEnum):
    OK = "ok"
    USED = "used"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Attempts:
    """Sign-in failures counted against one key (``user:ID``, ``addr:NET``,
    ``device:NONCE``): how many, and when the last one came."""

    failures: int
    last_at: datetime
