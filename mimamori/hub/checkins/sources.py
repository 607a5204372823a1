"""Where a hub-decided check-in is recorded: as events of its household's LINE source,
``line:HOUSEHOLD``. A register id never holds ``:``, so no gateway can have that id;
the alert rules, the reminders and the calendar read these events as a home
gateway's, which is what makes a LINE check-in count exactly as a press."""

from __future__ import annotations

PREFIX = "line:"


def line_source(household_id: str) -> str:
    return f"{PREFIX}{household_id}"


def is_line_source(gateway_id: str) -> bool:
    return gateway_id.startswith(PREFIX)
