"""The desk's forms: which fields each kind of register entry shows, and how a posted
form becomes the data a change takes (and an entry becomes a form again).

A form is a flat list of fields of a few kinds (a line of text, a text area, a date,
a number, a choice, a tick box, "one per line" lists); the values are what the
browser posts, strings. ``entry_data`` turns them into the entry's fields (an empty
field is "not given"; a list is one item per line) and lays them over the entry as it
stands, so what a form does not show (a person's consents, contacts in order, usual
area) is kept. Validation is the register's own: the entry models (pydantic) on the
hub's clock and the reference checks (``register/changes.py``), whose problems name
the field, in Japanese and English; a field a form does not show is reported at the
top of the form.

Channels (apprise URLs) are write-only: the field is always shown empty, and left
empty it keeps the channels on record (``ContactEntry.channels`` None).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from mimamori.hub.desk.policy_lines import POLICY_FIELDS, policy_data, policy_text
from mimamori.hub.model.register import Entity

Kind = Literal["text", "textarea", "date", "number", "choice", "check", "lines", "secret", "id"]


@dataclass(frozen=True)
class Field:
    """One field of a form: its name (the entry's field), how it is typed, and for a
    choice its values (their labels in the catalogue: ``choice_<name>_<value>``)."""

    name: str
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    required: bool = False
    max_length: int | None = None

    @property
    def label(self) -> str:
        """The catalogue key of its label."""
        return f"f_{self.name}"


def _text(name: str, max_length: int = 100, *, required: bool = False) -> Field:
    return Field(name, "text", required=required, max_length=max_length)


AREA = Field("area", "choice", required=True)  # choices: the caller's areas, at render
PERSON = (
    Field("id", "id", required=True),
    AREA,
    _text("name", required=True),
    _text("reading"),
    Field("birth_date", "date"),
    _text("address", 200),
    _text("phone", 30),
    Field("household", "choice"),  # choices: the caller's households, at render
    Field("tags", "lines"),
    Field("description", "textarea", max_length=2000),
    _text("key_holder", 200),
    Field("minsei", "choice"),  # choices: the contacts the caller may name
    Field("review_on", "date"),
    Field("not_seen_days", "number"),  # "not seen for N days" (cases/not_seen.py)
    Field("notes", "textarea", max_length=4000),
)
HOUSEHOLD = (
    Field("id", "id", required=True),
    AREA,
    _text("name", required=True),
    _text("address", 200),
    Field("gateways", "lines"),
    Field("evacuation_support", "check"),
    _text("policy", 63),
    _text("timezone", 64),
    Field("notes", "textarea", max_length=4000),
)
CONTACT = (
    Field("id", "id", required=True),
    _text("name", required=True),
    _text("relation", 50),
    _text("phone", 30),
    Field("lang", "choice", ("ja", "en")),
    Field("channels", "secret"),
)
FAMILY = (
    Field("id", "id", required=True),
    _text("name", required=True),
    Field("people", "lines"),
    Field("households", "lines"),
)
WATCH_POINT = (
    Field("id", "id", required=True),
    AREA,
    _text("name", required=True),
    Field("lat", "number", required=True),
    Field("lon", "number", required=True),
    Field("site", "choice", ("vending", "shop", "home", "other")),
    _text("host"),
    Field("installed_on", "date"),
)
# A policy's form says all the engine reads (issue 15): steps with what each asks
# (``policy_lines.py`` says the lines), night steps, routes per kind, office hours, the
# handling timeout; saving it unchanged gives the same policy back.
POLICY = (
    Field("id", "id", required=True),
    Field("steps", "lines", required=True),  # "after_min [action]: contact, contact"
    Field("night_steps", "lines"),
    Field("routes", "lines"),  # "kind [night] after_min [action]: contact, ..."
    _text("office_hours", 80),  # "08:30-17:15" (empty: every hour is a day hour)
    Field("repeat_min", "number"),
    Field("handling_timeout_min", "number"),
)
FORMS: dict[Entity, tuple[Field, ...]] = {
    Entity.PERSON: PERSON,
    Entity.HOUSEHOLD: HOUSEHOLD,
    Entity.CONTACT: CONTACT,
    Entity.FAMILY: FAMILY,
    Entity.WATCH_POINT: WATCH_POINT,
    Entity.POLICY: POLICY,
}
# Posted text longer than this is refused before anything reads it as an entry: every
# field of every entry is shorter (a person's notes, 4,000 characters, the longest).
MAX_FIELD = 20_000


def form_values(fields: tuple[Field, ...], entry: BaseModel | None) -> dict[str, str]:
    """What a form shows for ``entry`` (None: a new one): strings, lists one per line,
    secrets never."""
    if entry is None:
        return {f.name: "" for f in fields}
    values: dict[str, str] = {}
    for f in fields:
        value = getattr(entry, f.name, None)
        if f.kind == "secret" or value is None:
            values[f.name] = ""
        elif f.kind == "check":
            values[f.name] = "on" if value else ""
        elif f.name in POLICY_FIELDS:
            values[f.name] = policy_text(f.name, value)
        elif f.kind == "lines":
            values[f.name] = "\n".join(str(v) for v in value)
        elif isinstance(value, date):
            values[f.name] = value.isoformat()
        elif isinstance(value, float):
            values[f.name] = f"{value:g}"
        else:
            values[f.name] = str(value)
    return values


def posted(fields: tuple[Field, ...], form: Mapping[str, Any]) -> dict[str, str]:
    """The form's fields as posted (strings; a field not sent is empty, as a browser
    leaves an unticked box out), each cut at ``MAX_FIELD``."""
    values: dict[str, str] = {}
    for f in fields:
        raw = form.get(f.name)
        values[f.name] = raw[:MAX_FIELD] if isinstance(raw, str) else ""
    return values


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def entry_data(
    fields: tuple[Field, ...], values: Mapping[str, str], current: BaseModel | None
) -> dict[str, Any]:
    """The entry a posted form asks for: ``current`` (None: a new entry) with the
    form's fields laid over it. An empty field is not given (the model's default);
    an empty channels field keeps the channels on record."""
    data: dict[str, Any] = {} if current is None else current.model_dump(mode="python")
    for f in fields:
        text = values.get(f.name, "").strip() if f.kind != "textarea" else values.get(f.name, "")
        if f.kind == "id" and current is not None:
            continue  # an entry's id never changes
        if f.kind == "secret":
            data[f.name] = _lines(text) if text else None
        elif f.kind == "check":
            data[f.name] = bool(text)
        elif f.name in POLICY_FIELDS:
            read = policy_data(f.name, text)
            if read is None:
                data.pop(f.name, None)  # not given: the model's default
            else:
                data[f.name] = read
        elif f.kind == "lines":
            data[f.name] = _lines(text)
        elif f.kind == "textarea":
            data[f.name] = text.strip() or None
        elif text:
            data[f.name] = text
        elif f.required:
            data[f.name] = ""  # the model says "may not be empty" for this field
        else:
            data.pop(f.name, None)  # not given: the model's default
    return data
