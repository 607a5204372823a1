"""People's answers to an alert, one way for every door (the API, the one-tap page,
LINE's buttons, the dashboard): 対応します, 行けない・次の人へ, 解決しました, and the
result of a call to the person.

Acknowledging is not resolving (issue 15): a distant relative who "can do nothing"
(seed 004) and answers 対応します only pauses the chain for the policy's
``handling_timeout_min``; an alert nobody resolves in that time goes on to the next
person. The old "ack" (links, LINE's button, ``POST …/ack``) means 対応します.
"""

from __future__ import annotations

from datetime import timedelta

from mimamori.hub.model.alerts import Alert
from mimamori.hub.model.clock import Clock
from mimamori.hub.model.escalation import Answer, CallResult, Outcome
from mimamori.hub.register.registry import Registry
from mimamori.hub.store.port import Store

# A policy's own when it has one; this is the register's default (schema.Policy).
DEFAULT_HANDLING = timedelta(minutes=120)


def handling_timeout(registry: Registry, alert: Alert) -> timedelta:
    """How long 対応します pauses ``alert``'s chain: its policy's ``handling_timeout_min``."""
    plan = f"person:{alert.person_id}" if alert.person_id else (alert.household_id or "")
    policy = registry.policies.get(registry.policy_names().get(plan, "default"))
    return timedelta(minutes=policy.handling_timeout_min) if policy else DEFAULT_HANDLING


async def respond(
    store: Store,
    registry: Registry,
    clock: Clock,
    alert_id: int,
    answer: Answer,
    *,
    who: str,
    role: str,
    note: str = "",
    outcome: Outcome | None = None,
) -> Alert | None:
    """Apply one answer; None when the alert is unknown or already resolved."""
    now = clock()
    if answer == "resolve":
        return await store.resolve_alert(alert_id, who, note, now, outcome or "other")
    if answer == "decline":
        return await store.decline_alert(alert_id, by=who, role=role, note=note, now=now)
    alert = await store.alert(alert_id)
    if alert is None:
        return None
    until = now + handling_timeout(registry, alert)
    return await store.handle_alert(alert_id, by=who, role=role, note=note, now=now, until=until)


async def called(
    store: Store,
    clock: Clock,
    alert_id: int,
    result: CallResult,
    *,
    who: str,
    role: str,
    note: str = "",
) -> Alert | None:
    """A call to the person, as staff or a volunteer record it: "fine" resolves the
    alert, "no answer" (and "needs help") send it to the next step at once."""
    return await store.record_call(alert_id, result, by=who, role=role, note=note, now=clock())
