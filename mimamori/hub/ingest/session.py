"""The hub's MQTT session: a fixed client id and a persistent session, so the broker
keeps what arrives while the hub restarts; manual acknowledgements (after the commit);
with several workers, one session each, sharing the gateways' events."""

from __future__ import annotations

from mimamori.hub.config import HubBrokerSettings
from mimamori.hub.ingest.acks import presence_will
from mimamori.mqtt import LinkSettings
from mimamori.protocol.topics import EVENTS_SUBSCRIPTION, STATUS_SUBSCRIPTION, shared

SESSION_EXPIRY_S = 7 * 24 * 3600  # the broker keeps our queue through a week of hub outage


def link_settings(settings: HubBrokerSettings, worker_id: str | None = None) -> LinkSettings:
    """The hub's MQTT session. A worker among several (``worker_id``) has a session of
    its own and shares the gateways' events with the others: each message goes to one
    of them. Statuses go to every worker: they are few, and a shared subscription
    would not hand over the retained ones a worker needs when it starts afresh."""
    events = EVENTS_SUBSCRIPTION
    client_id = settings.client_id
    if worker_id is not None:
        events = shared(settings.client_id, EVENTS_SUBSCRIPTION)
        client_id = f"{settings.client_id}-{worker_id}"
    return LinkSettings(
        host=settings.host,
        port=settings.port,
        client_id=client_id,
        username=settings.account(worker_id),  # each worker its own account
        password=settings.read_password(),
        tls=settings.tls,
        keepalive_s=settings.keepalive_s,
        backoff_max_s=settings.reconnect_max_s,
        clean_start=False,
        session_expiry_s=SESSION_EXPIRY_S,
        manual_ack=True,
        subscriptions=((events, 1), (STATUS_SUBSCRIPTION, 1)),
        will=presence_will(client_id),
    )
