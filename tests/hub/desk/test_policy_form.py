"""The desk's policy form says all the escalation engine reads: steps with what each
asks (a visit stays a visit), night steps, routes per alert kind, office hours, the
handling timeout; a policy saved unchanged is the same policy."""

from __future__ import annotations

import html
import re
from pathlib import Path

import httpx
import yaml

from mimamori.hub.desk.forms import POLICY, entry_data, form_values, posted
from mimamori.hub.register.schema import Policy
from tests.hub.helpers import RunningHub

ROOT = Path(__file__).resolve().parents[3]

# Besides the shipped ones: what the example does not use (policy-wide night steps, a
# time zone of its own, no office hours, a route with no night), so the form says it too.
OTHER = Policy.model_validate(
    {
        "id": "ishigaki",
        "steps": [{"after_min": 0, "notify": ["r-a", "r-b"]}],
        "night_steps": [{"after_min": 0.5, "notify": ["r-c"], "action": "call"}],
        "routes": {"sos": {"steps": [{"after_min": 0, "notify": ["r-c"], "action": "visit"}]}},
        "office_hours": {"start": "09:00", "end": "18:00", "timezone": "Asia/Manila"},
        "repeat_min": 15,
        "handling_timeout_min": 45,
    }
)


def shipped() -> list[Policy]:
    doc = yaml.safe_load((ROOT / "configs" / "register.yaml").read_text(encoding="utf-8"))
    return [Policy.model_validate(p) for p in doc["policies"]]


def test_every_shipped_policy_round_trips_through_the_desk_form_unchanged() -> None:
    policies = [*shipped(), OTHER, Policy.model_validate({"id": "bare", "steps": OTHER.steps})]
    assert any(p.routes for p in policies)  # the example's routes are among them
    for policy in policies:
        shown = form_values(POLICY, policy)
        data = entry_data(POLICY, posted(POLICY, shown), None)  # nothing laid over it
        assert Policy.model_validate(data) == policy, shown


def test_a_step_typed_in_japanese_says_its_action_and_a_bad_line_is_refused_whole() -> None:
    typed = {
        "id": "p",
        "steps": "0: r-a\n120 訪問: r-b、r-c",
        "routes": "sos 夜間 0 電話: r-a\nsos 0: r-b",
        "office_hours": "08:30-17:15",
    }
    policy = Policy.model_validate(entry_data(POLICY, posted(POLICY, typed), None))
    assert [(s.after_min, s.action, s.notify) for s in policy.steps] == [
        (0, "notify", ["r-a"]),
        (120, "visit", ["r-b", "r-c"]),
    ]
    assert policy.routes["sos"].night_steps is not None
    assert policy.routes["sos"].night_steps[0].action == "call"
    assert policy.office_hours is not None and policy.office_hours.timezone == "Asia/Tokyo"
    wrong = entry_data(POLICY, posted(POLICY, {**typed, "steps": "120 drive: r-b"}), None)
    assert wrong["steps"] == "120 drive: r-b"  # passed on as typed: the model names the field


def form_fields(page: str) -> dict[str, str]:
    """What the edit page's form would post as it stands."""
    found = {
        name: html.unescape(text)
        for name, text in re.findall(r'<textarea id="in-\w+" name="(\w+)"[^>]*>(.*?)</textarea>',
                                     page, re.S)
    }  # fmt: skip
    for name, value in re.findall(r'<input id="in-\w+" name="(\w+)" value="([^"]*)"', page):
        found[name] = html.unescape(value)
    found["version"] = re.findall(r'name="version" value="(\d+)"', page)[0]
    return found


async def test_a_policy_saved_at_the_desk_keeps_its_visit_and_routes_and_unchanged_stays_so(
    hub: RunningHub,
) -> None:
    token = await hub.account("root", "admin")
    headers = {"Authorization": f"Bearer {token}", "Origin": hub.url}
    async with httpx.AsyncClient(base_url=hub.url, headers=headers, timeout=10) as desk:
        form = form_fields((await desk.get("/desk/policies/default")).text)
        form["steps"] = "0: r-miyagi\n120 visit: r-miyagi"
        form["routes"] = "device 0: r-miyagi\nsos 0: r-miyagi\nsos night 0 call: r-miyagi"
        form["office_hours"] = "08:30-17:15"
        saved = await desk.post("/desk/policies/default", data=form)
        assert saved.status_code == 303, saved.text
        before = hub.state.registry.policies["default"]
        assert before.steps[1].action == "visit" and set(before.routes) == {"device", "sos"}

        again = form_fields((await desk.get("/desk/policies/default")).text)
        assert (await desk.post("/desk/policies/default", data=again)).status_code == 303
    assert hub.state.registry.policies["default"] == before
