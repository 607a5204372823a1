"""A person's photo as the hub keeps it (issue 14: what the police ask for in a
search): re-encoded at the desk, so it holds pixels and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Photo:
    """One stored photo: ``id`` is what the person's entry names (``photo``)."""

    id: str
    person_id: str
    media_type: str  # always image/jpeg as re-encoded; kept so the column says it
    width: int
    height: int
    data: bytes
    stored_at: datetime
