"""The family's consent to send a search's bulletin to the town's partners (issue 18,
part 2): per search, recorded once (who agreed, who recorded it, when), by a family
member of the person or by staff of their area after asking the family; never
assumed (no consent, no bulletin). With it the family decides what the bulletin
calls the person (「80代の女性」, a surname: never more than they chose) and may add
today's clothing. Recording it wakes the bulletins' loop (``bulletins.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated

from pydantic import StringConstraints, ValidationError

from mimamori.errors import ChangeRefused, FieldProblem
from mimamori.hub.access.policy import Principal, can_see
from mimamori.hub.cases.partners import refused
from mimamori.hub.model.searches import Search
from mimamori.hub.model.sos import ShareConsent
from mimamori.hub.register.schema import PersonEntry
from mimamori.hub.server.state import HubState
from mimamori.settings import Strict

MAY_RECORD = ("family", "staff", "admin")  # the family, or the care centre for them


class ConsentForm(Strict):
    # Trimmed as they are read: a blank answer is a missing one (before a search starts).
    agreed_by: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    shown_as: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    clothing: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


def suggested_name(person: PersonEntry | None, today: date) -> str:
    """What the form offers first: an age band, which names no one (「80代の方」)."""
    if person is None or person.birth_date is None:
        return "高齢の方"
    born = person.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return f"{age // 10 * 10}代の方"


def may_record(hub: HubState, who: Principal, search: Search) -> bool:
    return who.role in MAY_RECORD and can_see(hub.registry, who, search.person_id)


async def record(
    hub: HubState, who: Principal, search: Search, data: Mapping[str, object]
) -> ShareConsent:
    """ChangeRefused: a bad form, a search that ended, or a consent already given."""
    try:
        form = ConsentForm.model_validate(data)
    except ValidationError as exc:
        raise refused(exc) from exc
    if not search.active:
        raise ChangeRefused(
            [FieldProblem("search", "この捜索は終わっています", "this search has ended")]
        )
    now = hub.clock()
    consent = ShareConsent(
        search.id, form.agreed_by, who.name, who.role, now, form.shown_as, form.clothing
    )
    if not await hub.store.record_consent(consent):
        raise ChangeRefused(
            [FieldProblem("search", "同意はもう記録されています", "consent is recorded already")]
        )
    await hub.store.audit(
        now, who=who.name, role=who.role, action="search.consent",
        subject=f"search:{search.id}", detail=f"agreed by {form.agreed_by}",
    )  # fmt: skip
    hub.bulletins.wake.set()
    return consent
