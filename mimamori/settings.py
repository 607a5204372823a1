"""Building blocks shared by the gateway and hub config files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from mimamori.protocol.topics import ID_PATTERN

Id = Annotated[
    str, Field(pattern=ID_PATTERN, description="lower-case letters, digits, '.', '_', '-'")
]


def _relative_to_file(value: Path, info: ValidationInfo) -> Path:
    """Relative paths in a config file mean: next to that file."""
    base = (info.context or {}).get("base_dir")
    if base is not None and not value.is_absolute():
        return Path(base) / value
    return value


FilePath = Annotated[Path, AfterValidator(_relative_to_file)]


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Tokyo)") from exc
    return value


TimeZone = Annotated[str, AfterValidator(_known_zone)]  # an IANA zone name


class Strict(BaseModel):
    """Frozen, and every unknown key is an error (a typo must never pass silently)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TlsSettings(Strict):
    ca_file: FilePath | None = None  # None: the system's certificate authorities
    cert_file: FilePath | None = None  # a client certificate, when the broker asks for one
    key_file: FilePath | None = None

    @model_validator(mode="after")
    def _cert_and_key_together(self) -> TlsSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together")
        return self


class BrokerSettings(Strict):
    host: str = Field(min_length=1)
    port: int = Field(default=1883, ge=1, le=65535)
    tls: TlsSettings | None = None
    username: str | None = None
    # A file, never the secret itself: config files get pasted into support chats.
    password_file: FilePath | None = None
    keepalive_s: int = Field(default=30, ge=5, le=600)
    # Reconnect delays double from 0.5 s up to this, half of each random: a town's
    # gateways do not all knock at once when the broker returns.
    reconnect_max_s: float = Field(default=30.0, ge=1.0, le=600.0)

    @model_validator(mode="after")
    def _password_needs_user(self) -> BrokerSettings:
        if self.password_file is not None and self.username is None:
            raise ValueError("password_file needs a username")
        return self

    def read_password(self) -> str | None:
        if self.password_file is None:
            return None
        return self.password_file.read_text(encoding="utf-8").strip()


def context_for(path: Path) -> dict[str, Any]:
    return {"base_dir": path.resolve().parent}
