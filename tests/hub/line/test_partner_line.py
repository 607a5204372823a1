"""A partner's report link on LINE (issue 17), on a real hub (both engines), the real
SDK and the local LINE (signed webhooks): staff of the partner's area issue a one-time
code for a link, its holder sends it and is answered with the link's label; the case's
feedback then comes in LINE; LINE's refusal for the month's allowance sends it to the
link's own apprise channel (a local webhook receiver); an unfollow unbinds, and the
feedback goes back to that channel (or, for a link with only LINE, nowhere: the link is
no longer a reporter who can be reached)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mimamori.hub.access.policy import Principal
from mimamori.hub.cases import partners, reports, service
from mimamori.hub.desk.service import DeskRefused
from mimamori.hub.line.codes import shown
from mimamori.hub.model.alerts import LINE_CHANNEL
from mimamori.hub.model.cases import (
    Noticed,
    Partner,
    PartnerKind,
    PartnerLink,
    ReportDraft,
    link_recipient,
)
from tests.hub.helpers import RunningHub, until
from tests.hub.line.conftest import delivered
from tests.hub.receivers import Hook, webhook
from tests.line_server import LocalLine, Sent, user_id

WEBHOOK = "/api/v1/line/webhook"
STAFF = Principal("staff", None, "higa", areas=("default",))
REPORT = ReportDraft(Noticed.MAIL_PILING, "", None, "沖縄県宜野湾市野嵩1-2-3")


async def a_link(hub: RunningHub, channel: str | None = None) -> PartnerLink:
    store = hub.state.store
    if await store.partner("news") is None:
        partner = Partner("news", "新聞販売店", PartnerKind.NEWSPAPER, ("default",), hub.clock())
        await store.add_partner(partner)
    return await store.add_partner_link(
        "news", "配達員 山田", channel=channel, lang="ja", token_hash=f"t-{user_id()}",
        at=hub.clock(),
    )  # fmt: skip


async def bind_by_code(hub: RunningHub, line: LocalLine, link: PartnerLink) -> str:
    """Staff issue the link's code; its holder follows the account and sends it."""
    _, code = await partners.line_code(hub.state, STAFF, "news", link.id, timedelta(hours=1))
    user = user_id()
    sent = line.follow(user), line.text(user, shown(code.code))
    assert (await line.webhook(hub.url + WEBHOOK, *sent)).status_code == 200

    async def answered() -> list[str]:
        return line.replies_to(user) if len(line.replies_to(user)) >= 2 else []

    welcome, reply = await until(answered)
    assert welcome.startswith("友だち追加ありがとうございます")
    assert reply.startswith("登録しました") and "配達員 山田" in reply
    assert await hub.state.store.line_user_of(link_recipient(link.id)) == user
    return user


async def triaged_case(hub: RunningHub, link: PartnerLink) -> int:
    case_id = await hub.state.store.file_report(link, REPORT, "default", hub.clock())
    await service.triage(hub.state, STAFF, case_id, "visit", "")
    return case_id


async def pushed(line: LocalLine, count: int) -> list[Sent]:
    async def enough() -> list[Sent]:
        return line.pushes if len(line.pushes) >= count else []

    return list(await until(enough))


async def hooked(hook: Hook) -> list[object]:
    return list(hook.requests)


async def test_a_bound_link_hears_its_cases_feedback_in_line(
    line_hub: RunningHub, line: LocalLine
) -> None:
    link = await a_link(line_hub)  # no apprise channel: LINE only
    user = await bind_by_code(line_hub, line, link)
    since = line_hub.clock() - timedelta(days=1)
    logged = await line_hub.state.store.audit_log(since, 100)
    [audit] = [a for a in logged if a.action == "line.code"]
    assert (audit.subject, audit.detail) == ("partner:news", f"link {link.id}")

    case_id = await triaged_case(line_hub, link)
    [started] = await pushed(line, 1)
    assert started.to == user
    assert "対応を始めました" in started.text and "ご連絡ありがとうございました" in started.text
    assert "/signin" not in started.text  # a partner gets no sign-in link to anything
    assert started.buttons() == []
    await service.close(line_hub.state, STAFF, case_id, "ご本人と会えた")
    _, done = await pushed(line, 2)
    assert "対応が終わりました" in done.text and "ご本人と会えた" not in done.text
    log = await delivered(line_hub, 2)
    assert {(n["recipient_id"], n["channel"]) for n in log} == {
        (link_recipient(link.id), LINE_CHANNEL)
    }


async def test_a_line_only_link_joining_a_case_in_hand_hears_it_started(
    line_hub: RunningHub, line: LocalLine
) -> None:
    first = await a_link(line_hub)
    await triaged_case(line_hub, first)  # its reporter has no way to hear: nothing sent
    later = await a_link(line_hub)
    user = await bind_by_code(line_hub, line, later)
    partner = await line_hub.state.store.partner("news")
    assert partner is not None
    await reports.file(line_hub.state, later, partner, REPORT)
    [started] = await pushed(line, 1)
    assert started.to == user and "対応を始めました" in started.text


async def test_a_refusal_for_the_months_allowance_goes_to_the_links_own_channel(
    line_hub: RunningHub, line: LocalLine
) -> None:
    async with webhook() as hook:
        link = await a_link(line_hub, channel=hook.url)
        await bind_by_code(line_hub, line, link)
        line.push_answers = ["quota"]
        await triaged_case(line_hub, link)
        [(_, body)] = await until(lambda: hooked(hook))
        assert "対応を始めました" in body["message"]
    assert line.pushes == []

    async def recorded() -> dict[object, dict[str, object]]:
        """The log once the hub recorded the receiver's answer (a moment after it)."""
        log = {n["channel"]: n for n in await line_hub.state.store.notification_log()}
        return log if 0 in log and log[0]["state"] == "sent" else {}

    by_channel = await until(recorded)
    assert by_channel[LINE_CHANNEL]["state"] == "failed"
    assert "monthly limit" in str(by_channel[LINE_CHANNEL]["last_error"])


async def test_an_unfollow_unbinds_and_the_feedback_goes_to_the_links_channel(
    line_hub: RunningHub, line: LocalLine
) -> None:
    async with webhook() as hook:
        link = await a_link(line_hub, channel=hook.url)
        user = await bind_by_code(line_hub, line, link)
        assert (await line.webhook(line_hub.url + WEBHOOK, line.unfollow(user))).status_code == 200

        async def unbound() -> bool:
            return await line_hub.state.store.line_user_of(link_recipient(link.id)) is None

        await until(unbound)
        await triaged_case(line_hub, link)
        await until(lambda: hooked(hook))
    assert line.pushes == []
    [sent] = await delivered(line_hub, 1)
    assert sent["channel"] == 0


async def test_a_line_only_link_that_unfollowed_is_no_longer_a_reporter_to_tell(
    line_hub: RunningHub, line: LocalLine
) -> None:
    link = await a_link(line_hub)
    user = await bind_by_code(line_hub, line, link)
    case_id = await line_hub.state.store.file_report(link, REPORT, "default", line_hub.clock())
    [reporter] = await line_hub.state.store.case_reporters(case_id)
    assert (reporter.link_id, reporter.on_line) == (link.id, True)
    await line_hub.state.store.unbind_line_user(user, line_hub.clock())
    assert await line_hub.state.store.case_reporters(case_id) == []


async def test_staff_of_another_area_get_no_code_for_the_link(line_hub: RunningHub) -> None:
    link = await a_link(line_hub)
    elsewhere = Principal("staff", None, "kina", areas=("north",))
    with pytest.raises(DeskRefused):
        await partners.line_code(line_hub.state, elsewhere, "news", link.id, timedelta(hours=1))
    await line_hub.state.store.revoke_partner_link("news", link.id, line_hub.clock())
    with pytest.raises(DeskRefused):  # a stopped link is bound to no one any more
        await partners.line_code(line_hub.state, STAFF, "news", link.id, timedelta(hours=1))
    assert await line_hub.state.store.line_bindings() == []


async def test_stopping_a_link_ends_its_line_and_its_unused_code(
    line_hub: RunningHub, line: LocalLine
) -> None:
    bound, waiting = await a_link(line_hub), await a_link(line_hub)
    await bind_by_code(line_hub, line, bound)
    _, code = await partners.line_code(
        line_hub.state, STAFF, "news", waiting.id, timedelta(hours=1)
    )
    case_id = await line_hub.state.store.file_report(bound, REPORT, "default", line_hub.clock())
    for link in (bound, waiting):
        await partners.revoke_link(line_hub.state, STAFF, "news", link.id)
    assert await line_hub.state.store.line_bindings() == []
    assert await line_hub.state.store.case_reporters(case_id) == []  # LINE only: no one to tell
    user = user_id()  # the unused code of the stopped link binds nothing
    assert (
        await line.webhook(line_hub.url + WEBHOOK, line.text(user, code.code))
    ).status_code == 200

    async def answered() -> list[str]:
        return line.replies_to(user)

    [reply] = await until(answered)
    assert reply.startswith("番号が違います")
    assert await line_hub.state.store.line_bindings() == []
