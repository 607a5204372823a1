"""What the desk's pages share: who may open them, the answer to a refusal, and the
form as a template lays it out (fields with their values, choices and problems).

The desk is a PC at the care centre, and a phone in the field: plain forms that post
back to the hub's own pages (``security.SameOriginGuard`` refuses a post from any
other page), no script at all, big type. A form carries the version of the entry it
shows; a change saved meanwhile by someone else refuses it (StaleVersion) and the
page says so, keeping what was typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import Response

from mimamori.errors import ChangeRefused, FieldProblem, StaleVersion
from mimamori.hub.access.policy import may_use_desk
from mimamori.hub.desk.forms import Field
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.web.context import PageContext


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ShownField:
    """One field as the template shows it."""

    name: str
    label: str
    kind: str
    value: str
    required: bool
    max_length: int | None
    choices: tuple[Choice, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass
class FormState:
    """What went wrong with a post: problems by field ("" : the whole entry), and
    whether the entry had moved on (stale)."""

    problems: dict[str, list[str]] = field(default_factory=dict)
    stale: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.problems) or self.stale


def refusal(page: PageContext, exc: DeskRefused) -> Response:
    if exc.status == 404:
        return page.message("desk_missing_title", "desk_missing", 404)
    return page.message("desk_forbidden_title", "desk_forbidden", 403)


def desk_refusal(page: PageContext) -> Response | None:
    """The 403 page when the caller is not the care centre's; None: go on."""
    if not may_use_desk(page.who):
        return refusal(page, DeskRefused(403, "the desk is the care centre's"))
    return None


def said(page: PageContext, problem: FieldProblem) -> str:
    """The problem in the page's language (the catalogue names which)."""
    return str(getattr(problem, page.t("problem_attr")))


def failed(page: PageContext, exc: Exception, fields: Sequence[Field] = ()) -> FormState:
    """A refused change as the form shows it: each problem at its field (the first part
    of its path, ``consents.0.at`` -> ``consents``), the others at the top."""
    state = FormState()
    if isinstance(exc, StaleVersion):
        state.stale = True
        return state
    assert isinstance(exc, ChangeRefused)
    names = {f.name for f in fields}
    for problem in exc.problems:
        name = problem.field.split(".", 1)[0]
        where = name if name in names else ""
        text = said(page, problem)
        if not where and problem.field:
            text = f"{problem.field}: {text}"
        state.problems.setdefault(where, []).append(text)
    return state


def shown(
    page: PageContext,
    fields: Sequence[Field],
    values: Mapping[str, str],
    state: FormState,
    choices: Mapping[str, Sequence[tuple[str, str]]],
    *,
    new: bool,
) -> list[ShownField]:
    """The form's fields for the template (the id only on a new entry)."""
    t = page.t
    out = []
    for f in fields:
        if f.kind == "id" and not new:
            continue
        given: Sequence[tuple[str, str]] = choices.get(f.name, ())
        if not given and f.choices:
            given = [(c, t(f"choice_{f.name}_{c}")) for c in f.choices]
        out.append(
            ShownField(
                f.name,
                t(f.label),
                f.kind,
                values.get(f.name, ""),
                f.required,
                f.max_length,
                tuple(Choice(v, label) for v, label in given),
                tuple(state.problems.get(f.name, ())),
            )
        )
    return out


def form_value(form: Mapping[str, Any], name: str, limit: int = 200) -> str:
    raw = form.get(name)
    return raw[:limit].strip() if isinstance(raw, str) else ""


def version_of(form: Mapping[str, Any]) -> int | None:
    """The version a form was rendered with (None: missing or not a number)."""
    text = form_value(form, "version", 20)
    return int(text) if text.isdigit() else None


def no_version(page: PageContext) -> FormState:
    return FormState({"": [page.t("desk_stale")]})


Labeller = Callable[[str], str]
