"""A policy as the desk's form shows it: lines staff can read and type, and back.

Everything the escalation engine reads is on the form (issue 15: a form that could not
say a step's ``action`` turned a 民生委員's visit into a notice when saved):

- ``steps`` and ``night_steps``, one step a line: ``120 visit: r-volunteer-0001`` (the
  minutes after the alert opened, what the step asks when it is more than a notice,
  then the contacts). The action may be typed in Japanese (訪問, 電話, 通知).
- ``routes``, one step a line, led by the alert kind (or group, ``device``) and, for the
  night route, ``night`` (夜間): ``sos night 0: r-on-call, r-miyagi-family``.
- ``office_hours``: ``08:30-17:15``, with the time zone after it when it is not
  Asia/Tokyo; empty: every hour is a day hour.

``policy_text`` writes what ``policy_data`` reads, so a policy saved unchanged is the
same policy (``tests/hub/desk/test_policy_form.py`` round-trips every shipped one). A
line that is not so is passed on as written, for the model to refuse with the field
named; nothing here decides what is valid.
"""

from __future__ import annotations

from typing import Any

from mimamori.hub.register.schema import EscalationStep, OfficeHours, Route

POLICY_FIELDS = frozenset({"steps", "night_steps", "routes", "office_hours"})
TOKYO = "Asia/Tokyo"
NIGHT = ("night", "夜間")
ACTIONS = {"notify": "notify", "call": "call", "visit": "visit"}
ACTIONS.update({"通知": "notify", "電話": "call", "訪問": "visit"})


def _step_line(step: EscalationStep, lead: str = "") -> str:
    action = "" if step.action == "notify" else f" {step.action}"
    return f"{lead}{step.after_min:g}{action}: {', '.join(step.notify)}"


def policy_text(name: str, value: Any) -> str:
    """What the form shows for the policy's field ``name`` (``value`` not None)."""
    if name == "office_hours":
        hours: OfficeHours = value
        zone = "" if hours.timezone == TOKYO else f" {hours.timezone}"
        return f"{hours.start}-{hours.end}{zone}"
    if name == "routes":
        routes: dict[str, Route] = value
        lines = []
        for kind, route in routes.items():
            lines += [_step_line(s, f"{kind} ") for s in route.steps]
            lines += [_step_line(s, f"{kind} night ") for s in route.night_steps or ()]
        return "\n".join(lines)
    return "\n".join(_step_line(s) for s in value)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _step(words: list[str], named: str) -> dict[str, Any] | None:
    """``after_min [action]`` and the contacts as a step; None if the words are not so."""
    if len(words) not in (1, 2) or (len(words) == 2 and words[1] not in ACTIONS):
        return None
    notify = [n.strip() for n in named.replace("、", ",").split(",") if n.strip()]
    step: dict[str, Any] = {"after_min": words[0], "notify": notify}
    if len(words) == 2:
        step["action"] = ACTIONS[words[1]]
    return step


def _steps(text: str) -> list[dict[str, Any]] | str:
    steps = []
    for line in _lines(text):
        head, sep, named = line.replace("：", ":").partition(":")
        step = _step(head.split(), named) if sep else None
        if step is None:
            return line
        steps.append(step)
    return steps


def _routes(text: str) -> dict[str, dict[str, list[dict[str, Any]]]] | str:
    routes: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for line in _lines(text):
        head, sep, named = line.replace("：", ":").partition(":")
        words = head.split()
        if not sep or len(words) < 2:
            return line
        kind, rest = words[0], words[1:]
        which = "night_steps" if rest[0] in NIGHT else "steps"
        step = _step(rest[1:] if which == "night_steps" else rest, named)
        if step is None:
            return line
        routes.setdefault(kind, {}).setdefault(which, []).append(step)
    return routes


def policy_data(name: str, text: str) -> Any:
    """The policy's field ``name`` from the form's ``text``; None: not given."""
    if not text:
        return {} if name == "routes" else None
    if name == "office_hours":
        span, _, zone = text.partition(" ")
        start, sep, end = span.partition("-")
        if not sep:
            return text  # the model refuses it, naming the field
        return {"start": start.strip(), "end": end.strip(), "timezone": zone.strip() or TOKYO}
    if name == "routes":
        return _routes(text)
    return _steps(text)
