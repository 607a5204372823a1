"""The port of keeping only what is needed: purge old sightings, forget a person,
gather one person's records (``sql_privacy`` implements it on both engines). See
docs/privacy.md."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from mimamori.hub.model.privacy import (
    ForgetReport,
    ForgottenTag,
    PersonScope,
    ProtectedWindow,
    PurgeReport,
)
from mimamori.hub.model.register import RegisterWrite


class PrivacyStore(Protocol):
    async def purge_sightings(
        self,
        older_than: datetime,
        protected: Sequence[ProtectedWindow],
        *,
        dry_run: bool = False,
    ) -> PurgeReport:
        """Delete sightings older than ``older_than`` outside every protected window.

        Works in batches, each its own transaction, so ingest is never held up for long.
        """
        ...

    async def forget_person(
        self,
        scope: PersonScope,
        now: datetime,
        *,
        by: str,
        dry_run: bool = False,
        register: Sequence[RegisterWrite] = (),
    ) -> ForgetReport:
        """Delete everything kept about one person (one transaction); block their tags.
        ``register``: the register's writes of it (``register/forgetting.py``), in the
        same transaction; the register's audit rows of what they remove lose their data.

        The audit log stays, and gains an entry for this. A dry run changes nothing.
        """
        ...

    async def person_records(self, scope: PersonScope) -> dict[str, list[dict[str, Any]]]:
        """Everything kept about one person, as JSON-ready lists (for an export)."""
        ...

    async def forgotten_tags(self) -> list[ForgottenTag]: ...

    async def release_forgotten_tags(self, holders: Mapping[str, str]) -> list[str]:
        """Unblock forgotten tags that ``holders`` (tag -> person id) gives to another
        person now (a tag handed on); returns them."""
        ...
