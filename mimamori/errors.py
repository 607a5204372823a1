"""The one error tree of the project.

    MimamoriError
     ├── ConfigError     a YAML file is not what it must be (carries every problem found)
     ├── DriverError     a hardware driver cannot go on (port gone, adapter missing)
     ├── BrokerError     the MQTT link failed (connect refused, connection lost)
     ├── StoreError      a database operation failed
     │    └── StoreConflict   a row with that key is there already (a unique key)
     │         └── StaleVersion   a register row changed since it was read
     ├── ChangeRefused   a change to the register is not valid (each field and why)
     └── ProtocolError   a message on the wire is not valid v1

Lower-level exceptions are converted at the boundary with ``raise ... from exc``.
"""

from __future__ import annotations

from dataclasses import dataclass


class MimamoriError(Exception):
    """Base class of every error this project raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One mistake in a config file, with the place where it was made. A warning is
    said the same way but does not make the file invalid."""

    file: str
    line: int
    column: int
    key: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        said = f"warning: {self.message}" if self.warning else self.message
        return f"{self.file}:{self.line}:{self.column}: {self.key}: {said}"


class ConfigError(MimamoriError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class DriverError(MimamoriError):
    pass


class BrokerError(MimamoriError):
    pass


class StoreError(MimamoriError):
    pass


class StoreConflict(StoreError):
    pass


class StaleVersion(StoreConflict):
    """A write to the register named the version it read, and the row has moved on
    (someone else changed it meanwhile): nothing was written."""

    def __init__(self, entity: str, entity_id: str, read: int | None, now: int | None) -> None:
        self.entity, self.entity_id, self.read, self.now = entity, entity_id, read, now
        if now is None:
            said, self.ja = "it was removed meanwhile", "その間に削除されました"
        elif read is None:
            said, self.ja = "it exists already", "すでに登録されています"
        else:
            said = f"it is at version {now}, you read version {read}"
            self.ja = f"ほかの人が先に変更しました（版 {read} → {now}）: 読み直してください"
        super().__init__(f"{entity} {entity_id!r} changed since it was read: {said}")


@dataclass(frozen=True)
class FieldProblem:
    """One reason a change is refused: the field (``consents.0.at``; empty for the
    whole entry) and why, in Japanese and in English."""

    field: str
    ja: str
    en: str

    def __str__(self) -> str:
        return f"{self.field or '(entry)'}: {self.en}"


class ChangeRefused(MimamoriError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class ProtocolError(MimamoriError):
    """A payload that is not valid v1; ``reason`` is a short code for counters."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)
