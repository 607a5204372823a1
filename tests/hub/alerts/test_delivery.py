"""The delivery worker on a real store and real channels: sent, retried with backoff,
given up after the last attempt, all in the delivery log."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from mimamori.hub.alerts.channels import AppriseSender
from mimamori.hub.alerts.delivery import LEASE_S, MAX_ATTEMPTS, DeliveryWorker, retry_delay
from mimamori.hub.store.sql_store import SqlStore
from tests.hub.helpers import T0, change_channels, engine, ingest, missed
from tests.hub.receivers import webhook


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def test_retries_back_off_and_stop_at_an_hour() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(20) == 3600


async def test_a_failing_channel_is_retried_after_its_backoff_and_then_delivered(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await engine(tmp_path, store)
    async with webhook() as hook:
        await change_channels(alerts, "r-family", hook.url)
        await ingest(store, missed(1, T0))
        await alerts.process_events()
        await alerts.escalate(T0)
        clock = Clock()
        worker = DeliveryWorker(store, AppriseSender(), clock=clock)
        hook.statuses = [503]
        assert await worker.deliver_due() == 1
        [n] = await store.notification_log()
        assert (n["state"], n["attempts"]) == ("pending", 1)
        assert "503" in n["last_error"]
        clock.now = T0 + timedelta(seconds=29)
        assert await worker.deliver_due() == 0  # not yet
        clock.now = T0 + timedelta(seconds=31)
        assert await worker.deliver_due() == 1
        [n] = await store.notification_log()
        assert (n["state"], n["attempts"], n["last_error"]) == ("sent", 2, None)
        [(headers, body)] = hook.requests
        assert "宮城さん宅" in body["title"]
        assert headers["x-mimamori-dedupe-key"] == "alert-1-step-0-round-0-r-family-0"


async def test_after_the_last_attempt_it_stays_failed_for_staff_to_see(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await engine(tmp_path, store)
    async with webhook() as hook:
        await change_channels(alerts, "r-family", hook.url)
        hook.statuses = [500] * MAX_ATTEMPTS
        await ingest(store, missed(1, T0))
        await alerts.process_events()
        await alerts.escalate(T0)
        clock = Clock()
        worker = DeliveryWorker(store, AppriseSender(), clock=clock)
        for _ in range(MAX_ATTEMPTS):
            assert await worker.deliver_due() == 1
            clock.now += timedelta(hours=2)
        assert await worker.deliver_due() == 0
        [n] = await store.notification_log()
        assert (n["state"], n["attempts"]) == ("failed", MAX_ATTEMPTS)
        assert hook.requests == []


async def test_the_only_worker_starting_sends_at_once_what_a_killed_hub_had_leased(
    tmp_path: Path, store: SqlStore
) -> None:
    alerts = await engine(tmp_path, store)
    async with webhook() as hook:
        await change_channels(alerts, "r-family", hook.url)
        await ingest(store, missed(1, T0))
        await alerts.process_events()
        await alerts.escalate(T0)
        [leased] = await store.claim_notifications(T0, LEASE_S)  # then the hub was killed
        clock = Clock()
        clock.now = T0 + timedelta(seconds=5)
        beside_others = DeliveryWorker(store, AppriseSender(), clock=clock)
        await beside_others.release_leases()  # another worker may hold it: it waits
        assert await beside_others.deliver_due() == 0
        only = DeliveryWorker(store, AppriseSender(), clock=clock, sole=True)
        await only.release_leases()
        assert await only.deliver_due() == 1
        [n] = await store.notification_log()
        assert (n["id"], n["state"], n["attempts"]) == (leased.id, "sent", 1)
        assert len(hook.requests) == 1
        assert await store.release_notification_claims() == 0  # nothing pending is leased
