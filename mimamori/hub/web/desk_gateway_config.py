"""A gateway's config editor at the desk (issue 20; ``desk/gateway_config.py`` checks,
keeps and sends): the YAML in a text area, reached from the fleet page. A text with
problems comes back as typed, each problem said as LINE:COL the way ``mimamori check``
says it; a good one is kept as the next version and sent. Below, the last versions and
what the gateway answered. Who may: the fleet page's rule."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path
from fastapi.responses import Response

from mimamori.errors import Problem
from mimamori.hub.desk import gateway_config
from mimamori.hub.desk.gateway_config import HISTORY, Saved, Send
from mimamori.hub.desk.service import actor
from mimamori.hub.web.context import PageContext, SignedIn
from mimamori.hub.web.desk_common import desk_refusal
from mimamori.protocol.commands import MAX_CONFIG_YAML_BYTES

router = APIRouter(include_in_schema=False)
GatewayId = Annotated[str, Path(max_length=64)]
ZONE = ZoneInfo("Asia/Tokyo")


def _refusal(page: PageContext, gateway_id: str) -> Response | None:
    if (refused := desk_refusal(page)) is not None:
        return refused
    if not gateway_config.editable(page.hub.registry.gateways, page.who, gateway_id):
        return page.message("desk_missing_title", "desk_missing", 404)  # not theirs: not there
    return None


async def _page(
    page: PageContext,
    gateway_id: str,
    *,
    text: str | None = None,
    problems: list[Problem] | None = None,
    saved: Saved | None = None,
    status: int = 200,
) -> Response:
    versions = await page.hub.store.gateway_configs(gateway_id, HISTORY)
    if text is None:
        text = versions[0].yaml if versions else ""

    def local(at: datetime | None) -> str:
        return page.t.date_time(at.astimezone(ZONE)) if at else "—"

    return page.render(
        "desk/gateway_config.html",
        status=status,
        entry=page.hub.registry.gateways[gateway_id],
        text=text,
        problems=problems or [],
        saved=saved,
        versions=versions,
        local=local,
        limit=MAX_CONFIG_YAML_BYTES,
    )


@router.get("/desk/fleet/{entry_id}/config")
async def editor(page: SignedIn, entry_id: GatewayId) -> Response:
    if (refused := _refusal(page, entry_id)) is not None:
        return refused
    return await _page(page, entry_id)


@router.post("/desk/fleet/{entry_id}/config")
async def save(page: SignedIn, entry_id: GatewayId) -> Response:
    gateway_id = entry_id  # the watch point's id in the desk's URLs
    if (refused := _refusal(page, gateway_id)) is not None:
        return refused
    form = await page.request.form(max_files=0, max_fields=4)
    raw = form.get("yaml")
    # A browser sends a text area's lines with CRLF; the gateway's file has LF.
    text = raw.replace("\r\n", "\n") if isinstance(raw, str) else ""
    problems = gateway_config.problems(text, gateway_id)
    if problems:  # kept as typed (up to the bound), said where
        return await _page(page, gateway_id, text=text[: 2 * MAX_CONFIG_YAML_BYTES],
                           problems=problems, status=422)  # fmt: skip
    hub, by = page.hub, actor(page.who, "desk")
    send: Send | None = None
    if hub.ingest is not None:
        link = hub.ingest.link

        async def send_now(topic: str, payload: bytes, expiry_s: int) -> None:
            await link.publish(topic, payload, qos=1, expiry_s=expiry_s)

        send = send_now
    saved = await gateway_config.save(
        hub.store, gateway_id, text, who=by.who, role=by.role, now=hub.clock(), send=send,
        trial_s=hub.config.hub.watch_points.config_trial_s,
    )  # fmt: skip
    return await _page(page, gateway_id, saved=saved)
