"""A hub with a LINE account whose Messaging API is the local LINE (tests/line_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mimamori.demo.mosquitto import PrivateBroker
from tests.hub.helpers import HubClock, RunningHub, running_hub, until
from tests.line_server import SECRET, TOKEN, LocalLine, local_line


@pytest.fixture
async def line() -> AsyncIterator[LocalLine]:
    async with local_line() as running:
        yield running


def with_line(tmp_path: Path, line: LocalLine, **settings: Any) -> Callable[[dict[str, Any]], None]:
    """A config edit: ``hub.line`` on the local LINE, its secret and token in files."""
    (tmp_path / "line.secret").write_text(SECRET + "\n")
    (tmp_path / "line.token").write_text(TOKEN + "\n")

    def edit(doc: dict[str, Any]) -> None:
        doc["hub"]["line"] = {
            "channel_secret_file": str(tmp_path / "line.secret"),
            "access_token_file": str(tmp_path / "line.token"),
            "api_url": line.url,
            **settings,
        }

    return edit


@pytest.fixture
async def line_hub(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> AsyncIterator[RunningHub]:
    async with running_hub(own_broker, tmp_path, with_line(tmp_path, line)) as running:
        yield running


# 23:30 on 31 May in Japan: still May there, though UTC says 14:30.
END_OF_MAY = datetime(2031, 5, 31, 14, 30, tzinfo=UTC)


@pytest.fixture
async def small_plan(
    own_broker: PrivateBroker, tmp_path: Path, line: LocalLine
) -> AsyncIterator[RunningHub]:
    """A hub on a plan of 5 messages a month, its clock at the end of May in Japan."""
    edit = with_line(tmp_path, line, monthly_allowance=5)
    async with running_hub(own_broker, tmp_path, edit, clock=HubClock(END_OF_MAY)) as hub:
        yield hub


async def delivered(hub: RunningHub, count: int) -> list[dict[str, Any]]:
    """The notification log once ``count`` notices are marked sent: the local LINE holds
    a push a moment before the hub has recorded LINE's answer."""

    async def done() -> list[dict[str, Any]]:
        log = await hub.state.store.notification_log()
        return log if len(log) >= count and all(n["state"] == "sent" for n in log) else []

    return list(await until(done))
