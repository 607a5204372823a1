"""The care centre's own notice (issue 18): an area may name a contact as its centre
(``AreaEntry.centre``; its channels write-only, as every contact's), which hears of
finders' scans and partners' sightings of the area's people as well as the family.
Without one, the 民生委員 and the desk's lists stand for it."""

from __future__ import annotations

from mimamori.hub.register.registry import Registry
from mimamori.hub.register.schema import Recipient


def recipients_of(registry: Registry, person_id: str) -> list[Recipient]:
    """The care centre of the person's area, when it has one."""
    person = registry.people.get(person_id)
    area = registry.areas.get(person.area) if person else None
    centre = registry.recipients.get(area.centre) if area and area.centre else None
    return [centre] if centre is not None else []
