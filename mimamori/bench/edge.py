"""``mimamori bench edge``: the gateway's figures, each against its target.

* pipeline: receiver lines -> presence rules -> outbox, on one core (edge_pipeline.py)
* site: CPU and memory of the real ``mimamori edge`` at a busy site (edge_site.py)
* uplink: MQTT messages per tag-hour, ours against publishing every advert
  (uplink_economy.py)
* outbox: an outage's backlog reaching the hub after the reconnect (outbox_replay.py;
  it runs the hub too, so it needs ``mimamori[hub]`` installed)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from mimamori.bench.report import Row, machine, show

TARGET_ADVERTS_PER_S = 50_000
TARGET_RSS_MB = 60.0
TARGET_FEWER_X = 50.0
TARGET_OUTBOX_S = 20.0


@dataclass(frozen=True)
class EdgeSizes:
    adverts: int = 300_000  # lines through the pipeline
    tags: int = 1_000  # tags at the site (pipeline and site)
    rate: int = 200  # adverts a second at the busy site
    cpu_s: float = 20.0  # how long the site's CPU is read
    hours: float = 1.0  # how long the tag lingers (virtual time)
    interval_s: float = 1.0  # the lingering tag's advert interval
    outbox_events: int = 100_000  # the outage's backlog


def run(sizes: EdgeSizes) -> dict[str, Any]:
    from mimamori.bench import edge_pipeline, edge_site, outbox_replay, uplink_economy

    where = machine()
    pipeline = edge_pipeline.run(sizes.adverts, sizes.tags)
    site = asyncio.run(edge_site.run(sizes.rate, sizes.tags, sizes.cpu_s))
    uplink = uplink_economy.run(sizes.hours, sizes.interval_s, distance_m=5.0)
    outbox = asyncio.run(outbox_replay.run(sizes.outbox_events, sizes.tags))
    return {
        "adverts_per_s": pipeline["adverts_per_s"],
        "rss_mb": site["rss_mb"],
        "cpu_pct_of_one_core": site["cpu_pct"],
        "messages_per_tag_hour": uplink["messages_per_tag_hour"],
        "peer_messages_per_tag_hour": uplink["peer_messages_per_tag_hour"],
        "uplink_fewer_x": uplink["fewer_x"],
        "outbox_to_hub_s": outbox["at_hub_s"],
        "pipeline": pipeline,
        "site": site,
        "uplink": uplink,
        "outbox": outbox,
        "targets": {
            "adverts_per_s": TARGET_ADVERTS_PER_S,
            "rss_mb": TARGET_RSS_MB,
            "uplink_fewer_x": TARGET_FEWER_X,
            "outbox_to_hub_s": TARGET_OUTBOX_S,
        },
        "machine": where,
    }


def rows(r: dict[str, Any]) -> list[Row]:
    p, s, u, o = r["pipeline"], r["site"], r["uplink"], r["outbox"]
    return [
        Row(
            f"pipeline, 1 core ({p['adverts']:,} adverts, {p['tags']:,} tags)",
            f"{p['adverts_per_s']:,} adverts/s",
            f">= {TARGET_ADVERTS_PER_S:,}",
            p["adverts_per_s"] >= TARGET_ADVERTS_PER_S,
        ),
        Row(
            "  shed by the rules / CPU used meanwhile", f"{p['adverts_shed']:,} / {p['cpu_pct']} %"
        ),
        Row(
            f"memory of mimamori edge tracking {s['tags_tracked']:,} tags",
            f"{s['rss_mb']} MB",
            f"<= {TARGET_RSS_MB:g} MB",
            s["rss_mb"] <= TARGET_RSS_MB,
        ),
        Row(f"CPU at {s['rate_per_s']} adverts/s", f"{s['cpu_pct']} % of one core"),
        Row(
            f"uplink per tag-hour (advert every {u['advert_interval_s']:g} s)",
            f"{u['messages_per_tag_hour']:g} vs {u['peer_messages_per_tag_hour']:g}",
        ),
        Row(
            "  fewer messages than publishing every advert",
            f"{u['fewer_x']:g} x",
            f">= {TARGET_FEWER_X:g} x",
            u["fewer_x"] is not None and u["fewer_x"] >= TARGET_FEWER_X,
        ),
        Row(
            f"outbox: {o['events']:,} buffered events at the hub after reconnect",
            f"{o['at_hub_s']} s",
            f"<= {TARGET_OUTBOX_S:g} s",
            o["at_hub_s"] <= TARGET_OUTBOX_S,
        ),
        Row("  all acknowledged by the broker", f"{o['acked_s']} s"),
    ]


def main(sizes: EdgeSizes, as_json: bool) -> int:
    result = run(sizes)
    show("mimamori edge: pipeline, busy site, uplink, outbox", rows(result), result, as_json)
    return 0
