"""Messages pushed are counted per month (Japan's calendar) against the plan's
allowance; admins are warned once when 80 % is used, in the log and in /healthz."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from mimamori.hub.model.alerts import LINE_CHANNEL, QueuedNotification
from tests.hub.helpers import RunningHub
from tests.hub.line.test_notices import bind
from tests.line_server import LocalLine


def notice(n: int) -> QueuedNotification:
    return QueuedNotification(
        n, None, "r-miyagi", LINE_CHANNEL, f"notice-{n}", "みまもり", "お知らせ", 0
    )


async def health(hub: RunningHub) -> dict[str, object]:
    async with hub.client() as client:
        line: dict[str, object] = (await client.get("/healthz")).json()["line"]
    return line


async def test_pushes_are_counted_and_80_percent_warns_once(
    small_plan: RunningHub, line: LocalLine, caplog: pytest.LogCaptureFixture
) -> None:
    await bind(small_plan)
    service = small_plan.state.line
    assert service is not None
    for n in range(3):
        assert (await service.push.deliver(notice(n))).ok
    assert await health(small_plan) == {
        **await health(small_plan),
        "month": "2031-05",
        "pushed": 3,
        "allowance": 5,
        "warning": False,
    }
    with caplog.at_level(logging.WARNING, logger="mimamori.hub.line.push"):
        assert (await service.push.deliver(notice(3))).ok  # 4 of 5: 80 %
        assert (await service.push.deliver(notice(4))).ok
    warnings = [r.getMessage() for r in caplog.records if "are used" in r.getMessage()]
    [warning] = warnings
    assert warning.startswith("LINE: 4 of the plan's 5 messages of 2031-05 are used (80 %)")
    now = await health(small_plan)
    assert (now["pushed"], now["warning"]) == (5, True)
    assert len(line.pushes) == 5
    # June in Japan begins at 15:00 UTC on 31 May: a new month, a new count.
    small_plan.clock.now = datetime(2031, 5, 31, 15, 0, tzinfo=UTC)
    june = await health(small_plan)
    assert (june["month"], june["pushed"], june["warning"]) == ("2031-06", 0, False)


async def test_a_push_retried_after_a_lost_answer_is_counted_once(
    small_plan: RunningHub, line: LocalLine
) -> None:
    await bind(small_plan)
    service = small_plan.state.line
    assert service is not None
    assert (await service.push.deliver(notice(1))).ok
    # The same notification again (the hub died before recording the first): LINE
    # answers 409 for its retry key, shows nothing new, and it is not counted again.
    assert (await service.push.deliver(notice(1))).ok
    assert len(line.pushes) == 1
    assert (await health(small_plan))["pushed"] == 1
