"""Consent, the purge on a schedule, forgetting and exporting a person: the real hub,
the real commands, real SQLite files."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from mimamori.check import check_file
from mimamori.demo.mosquitto import PrivateBroker
from mimamori.hub.model.alerts import Raise, Severity
from mimamori.hub.privacy.admission import Admission
from mimamori.hub.register.registry import Registry
from mimamori.protocol import EventDraft, EventKind, new_event_id
from tests.hub.helpers import (
    CONSENT,
    TAG_KAMA,
    TAG_KAMA_SPARE,
    TAG_TSURU,
    hub_document,
    import_register_of,
    open_test_store,
    publishing_gateway,
    registry_of_doc,
    running_hub,
    until,
)

STRANGER = "ibeacon:00000000-0000-0000-0000-000000000009:9:9"
WITHDRAWN = {**CONSENT, "withdrawn_at": "2026-11-01"}


def people(kama_consent: dict[str, Any] | None) -> list[dict[str, Any]]:
    kama: dict[str, Any] = {"id": "p-kama", "name": "宮城 カマ", "tags": [TAG_KAMA]}
    if kama_consent is not None:
        kama["consent"] = kama_consent
    return [{"id": "p-tsuru", "name": "比嘉 ツル", "tags": [TAG_TSURU], "consent": CONSENT}, kama]


def registry_with(tmp_path: Path, kama_consent: dict[str, Any] | None) -> Registry:
    base = hub_document(tmp_path, 1883, 8080)
    return registry_of_doc({**base, "people": people(kama_consent)})


def tag_event(tag: str, kind: EventKind = EventKind.TAG_SEEN) -> Any:
    draft = EventDraft(kind, datetime.now(UTC), {"tag": tag, "receiver": "vm"})
    return draft.numbered(new_event_id(), 1)


# -- who is tracked -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("consent", "expected"),
    [
        (CONSENT, None),
        (None, "no_consent"),
        (WITHDRAWN, "no_consent"),
        ({**CONSENT, "purposes": ["search"]}, "no_consent"),  # search alone is not location
    ],
    ids=["given", "none", "withdrawn", "other-purpose"],
)
def test_only_people_with_a_consent_to_location_are_tracked(
    tmp_path: Path, consent: dict[str, Any] | None, expected: str | None
) -> None:
    admission = Admission(registry_with(tmp_path, consent), require_consent=True)
    assert admission.refuse(tag_event(TAG_KAMA)) == expected
    assert admission.refuse(tag_event(TAG_TSURU)) is None
    assert admission.refuse(tag_event(STRANGER)) == "unregistered"
    assert admission.untracked == ([] if expected is None else ["p-kama"])


def test_without_require_consent_everything_is_kept_as_before(tmp_path: Path) -> None:
    admission = Admission(registry_with(tmp_path, None), require_consent=False)
    assert admission.refuse(tag_event(TAG_KAMA)) is None
    assert admission.refuse(tag_event(STRANGER)) is None


async def write_hub_yaml(tmp_path: Path) -> Path:
    """The hub's file for the commands; its register imported into its database."""
    doc = hub_document(tmp_path, 1883, 8080)
    store = await open_test_store(tmp_path)
    try:
        await import_register_of(store, doc)
    finally:
        await store.close()
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump({"hub": doc["hub"]}, allow_unicode=True), encoding="utf-8")
    return path


def write_register_yaml(tmp_path: Path, **changes: Any) -> Path:
    """The test town's register as a file for ``mimamori hub import``."""
    doc = hub_document(tmp_path, 1883, 8080)
    register = {k: v for k, v in doc.items() if k != "hub"}
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump({**register, **changes}, allow_unicode=True), "utf-8")
    return path


@pytest.mark.parametrize(
    ("consent", "key", "message", "written"),
    [
        (
            {**CONSENT, "purposes": ["location", "marketing"]},
            "people[1].consent.purposes[1]",
            "Input should be 'location', 'search', 'checkin' or 'meter'",
            "- marketing",
        ),
        (
            {**CONSENT, "withdrawn_at": "2026-01-01"},
            "people[1].consent",
            "withdrawn_at comes before the consent was given",
            "consent:",
        ),
        (
            {**CONSENT, "at": "2099-01-01"},
            "people[1].consent",
            "consent given on 2099-01-01, a day still to come",
            "consent:",
        ),
    ],
    ids=["purpose", "withdrawn-before", "future"],
)
def test_mimamori_check_reports_a_bad_consent_record_where_it_was_written(
    tmp_path: Path, consent: dict[str, Any], key: str, message: str, written: str
) -> None:
    path = write_register_yaml(tmp_path, people=people(consent))
    # (families and households that name the refused people are reported too)
    [problem] = [p for p in check_file(path) if p.key.startswith("people")]
    assert (problem.key, problem.message) == (key, message)
    line = path.read_text(encoding="utf-8").splitlines()[problem.line - 1]
    assert written in line


# -- the running hub ------------------------------------------------------------------------


async def test_sightings_without_consent_or_holder_are_dropped_at_ingest_and_counted(
    own_broker: PrivateBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "mimamori.hub.privacy.admission"):
        async with (
            running_hub(
                own_broker, tmp_path, lambda doc: doc.update(people=people(WITHDRAWN))
            ) as hub,
            publishing_gateway(own_broker, "gw-a") as gw,
        ):
            await gw.send(EventKind.TAG_ARRIVED, TAG_KAMA, rssi=-60)
            await gw.send(EventKind.TAG_ARRIVED, STRANGER, rssi=-60)
            kept = await gw.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-60)
            await hub.until_stored(kept)
            async with hub.client() as client:
                health = (await client.get("/healthz")).json()
            stored = await hub.state.store.last_sighting([TAG_KAMA, STRANGER])
    assert stored is None
    assert health["ingest"]["sightings_dropped_no_consent"] == 1
    assert health["ingest"]["sightings_dropped_unregistered"] == 1
    assert "no consent to 'location' on record for p-kama" in caplog.text


async def test_the_hub_purges_old_sightings_as_it_starts(
    own_broker: PrivateBroker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    store = await open_test_store(tmp_path)
    old = EventDraft(
        EventKind.TAG_SEEN, now - timedelta(days=31), {"tag": TAG_TSURU, "receiver": "vm"}
    )
    new = EventDraft(
        EventKind.TAG_SEEN, now - timedelta(days=1), {"tag": TAG_TSURU, "receiver": "vm"}
    )
    await store.ingest(
        [("gw-a", old.numbered(new_event_id(), 1)), ("gw-a", new.numbered(new_event_id(), 2))],
        [],
        now,
    )
    await store.close()
    with caplog.at_level(logging.INFO, "mimamori.hub.privacy.retention"):
        async with running_hub(own_broker, tmp_path) as hub:
            span = (now - timedelta(days=60), now)
            async with asyncio.timeout(10):
                while len(await hub.state.store.sightings([TAG_TSURU], *span, 10)) != 1:
                    await asyncio.sleep(0.05)
    assert "purge: removed 1 sighting(s) from before" in caplog.text
    assert "(tag.seen 1); kept 0 older one(s)" in caplog.text


async def run_cli(*args: str) -> tuple[int, str, str]:
    """A ``mimamori`` command as a separate process, without blocking the hub's loop."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mimamori",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_a_forget_while_the_hub_runs_stops_their_sightings_at_once(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    config = await write_hub_yaml(tmp_path)
    async with (
        running_hub(own_broker, tmp_path) as hub,
        publishing_gateway(own_broker, "gw-a") as gw,
    ):
        before = await gw.send(EventKind.TAG_ARRIVED, TAG_KAMA, rssi=-60)
        await hub.until_stored(before)
        code, out, _ = await run_cli(
            "hub", "person", "forget", "--config", str(config), "p-kama", "--yes"
        )
        assert code == 0, out
        await gw.send(EventKind.TAG_SEEN, TAG_KAMA, rssi=-60)
        await hub.until_stored(await gw.send(EventKind.TAG_ARRIVED, TAG_TSURU, rssi=-60))
        assert await hub.state.store.last_sighting([TAG_KAMA, TAG_KAMA_SPARE]) is None
        assert hub.state.ingest is not None
        assert hub.state.ingest.counters["sightings_dropped_forgotten"] == 1

        async def reloaded() -> bool:  # the register changed in another process
            return "p-kama" not in hub.state.registry.people

        await until(reloaded, within=5)
        assert "hh-1" not in hub.state.registry.households
    assert out.splitlines()[:3] == [
        "p-kama (宮城 カマ): removed 1 record(s)",
        "  sightings.tag.arrived\t1",
        "kept: the audit log (who viewed their location, and this forget)",
    ]
    assert f"refused from now on: sightings of {TAG_KAMA}, {TAG_KAMA_SPARE}" in out
    # The register forgets them too, with their home and its own gateway, and the family
    # that watched nobody else; nothing is left for the operator to edit.
    assert (
        "left the register: family f-miyagi, person p-kama, household hh-1, watch_point gw-home"
        in out
    )


# -- the commands ---------------------------------------------------------------------------


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mimamori", *args],
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


async def seed(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = await open_test_store(tmp_path)
    events = [
        EventDraft(kind, now - timedelta(days=age), {"tag": tag, "receiver": "vm"})
        for tag in (TAG_TSURU, TAG_KAMA)
        for age in (40, 2)
        for kind in (EventKind.TAG_ARRIVED, EventKind.TAG_LEFT)
    ]
    await store.ingest(
        [("gw-a", e.numbered(new_event_id(), n + 1)) for n, e in enumerate(events)], [], now
    )
    await store.audit(
        now, who="staff-1", role="staff", action="view.location", subject="person:p-kama"
    )
    await store.close()


async def test_the_purge_command_reports_what_it_removed_by_kind(tmp_path: Path) -> None:
    await seed(tmp_path)
    config = await write_hub_yaml(tmp_path)
    dry = cli("hub", "purge", "--config", str(config), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("would remove 4 sighting(s) from before ")
    real = cli("hub", "purge", "--config", str(config))
    assert real.stdout.startswith("removed 4 sighting(s)")
    assert real.stdout.splitlines()[1:] == ["  tag.arrived\t2", "  tag.left\t2"]
    assert cli("hub", "purge", "--config", str(config)).stdout.startswith("removed 0 sighting(s)")


async def test_forget_needs_yes_or_dry_run_and_a_person_in_the_config(tmp_path: Path) -> None:
    await seed(tmp_path)
    config = await write_hub_yaml(tmp_path)
    unsure = cli("hub", "person", "forget", "--config", str(config), "p-kama")
    assert unsure.returncode == 2 and "--dry-run --yes" in unsure.stderr.replace("|", "")
    dry = cli("hub", "person", "forget", "--config", str(config), "p-kama", "--dry-run")
    assert dry.returncode == 0
    assert dry.stdout.splitlines()[0] == "p-kama (宮城 カマ): would remove 4 record(s)"
    assert "nothing was changed: run again with --yes" in dry.stdout
    nobody = cli("hub", "person", "forget", "--config", str(config), "p-nobody", "--yes")
    assert nobody.returncode == 1 and "no person 'p-nobody' in the register" in nobody.stderr


async def test_export_writes_one_persons_records_as_json_for_their_eyes_only(
    tmp_path: Path,
) -> None:
    await seed(tmp_path)
    config = await write_hub_yaml(tmp_path)
    out = tmp_path / "p-kama.json"
    run = cli("hub", "person", "export", "--config", str(config), "p-kama", "--output", str(out))
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["person"]["id"] == "p-kama" and doc["person"]["consents"][0]["by"] == "本人"
    assert [f["id"] for f in doc["families"]] == ["f-miyagi"]
    assert [h["id"] for h in doc["households"]] == ["hh-1"]
    assert len(doc["sightings"]) == 4 and {s["data"]["tag"] for s in doc["sightings"]} == {TAG_KAMA}
    assert doc["gateways"]["gw-a"]["name"] == "大山 自販機"
    assert [a["action"] for a in doc["audit"]] == ["view.location"]
    assert "wrote" in run.stderr and "sightings 4" in run.stderr
    # the export itself is on record
    store = await open_test_store(tmp_path)
    try:
        log = await store.audit_log(datetime.now(UTC) - timedelta(hours=1), 10)
    finally:
        await store.close()
    assert (log[0].action, log[0].subject) == ("person.export", "person:p-kama")
    assert log[0].who.startswith("cli:")


async def test_an_export_holds_each_alerts_timeline(tmp_path: Path) -> None:
    await seed(tmp_path)
    now = datetime.now(UTC)
    store = await open_test_store(tmp_path)
    try:
        raised = Raise("checkin_missed", "household:hh-1", "hh-1", Severity.WARNING, now)
        [alert] = (await store.apply_alert_changes([raised], 0, {})).opened
        await store.handle_alert(
            alert.id, by="宮城 花子", role="family", note="向かいます", now=now,
            until=now + timedelta(hours=2),
        )  # fmt: skip
    finally:
        await store.close()
    config = await write_hub_yaml(tmp_path)
    run = cli("hub", "person", "export", "--config", str(config), "p-kama")
    assert run.returncode == 0, run.stderr
    [exported] = json.loads(run.stdout)["alerts"]
    assert [(e["what"], e.get("detail"), e.get("note")) for e in exported["timeline"]] == [
        ("opened", "checkin_missed", None),
        ("answer", "handling", "向かいます"),
    ]
