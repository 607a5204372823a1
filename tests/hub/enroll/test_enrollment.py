"""Enrollment codes on a real hub: a code made by an admin is traded once, over the
API, for the gateway's broker account (in Mosquitto's password file), the town's CA
and a YAML the gateway accepts; used, expired and guessed codes are refused in both
languages; guessing is slowed per address; every attempt is audited."""

from __future__ import annotations

import base64
import hashlib
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from mimamori.demo.mosquitto import PrivateBroker
from mimamori.edge.config import load_gateway_config
from tests.hub.helpers import HubClock, RunningHub, running_hub

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def enrolling(tmp_path: Path, reload: list[str] | None = None) -> Any:
    def edit(doc: dict[str, Any]) -> None:
        (tmp_path / "ca.crt").write_text(CA)
        (tmp_path / "template.yaml").write_text(
            "receivers:\n  - {id: pi, driver: ble}\ntags: {allow: ['ibeacon:*']}\n"
            "data_dir: data\nstatus_interval_s: 5\n"
        )
        doc["hub"]["mosquitto"] = {
            "password_file": str(tmp_path / "broker/passwd"),
            "acl_file": str(tmp_path / "broker/acl"),
        }
        doc["hub"]["enrollment"] = {
            "broker_host": "mqtt.town.example",
            "ca_file": str(tmp_path / "ca.crt"),
            "template": str(tmp_path / "template.yaml"),
            "reload_command": reload or [],
        }

    return edit


async def code_for(hub: RunningHub, gateway: str) -> str:
    async with hub.client(await hub.account("root", "admin")) as admin:
        response = await admin.post(f"/api/v1/gateways/{gateway}/enrollment")
    assert response.status_code == 200, response.text
    return str(response.json()["code"])


def password_matches(password_file: Path, user: str, password: str) -> bool:
    line = next(li for li in password_file.read_text().splitlines() if li.startswith(user + ":"))
    _, _, iterations, salt, digest = line.split(":", 1)[1].split("$")
    again = hashlib.pbkdf2_hmac(
        "sha512", password.encode(), base64.b64decode(salt), int(iterations)
    )
    return base64.b64encode(again).decode() == digest


async def test_a_code_is_traded_once_for_the_account_the_ca_and_a_yaml_the_gateway_accepts(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    marker = tmp_path / "reloaded"
    reload = [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('hup')"]
    async with running_hub(
        own_broker, tmp_path, enrolling(tmp_path, reload), clock=HubClock()
    ) as hub:
        code = await code_for(hub, "gw-a")
        async with hub.client() as anyone:
            got = await anyone.post("/api/v1/enroll", json={"code": code.lower().replace("-", " ")})
            again = await anyone.post("/api/v1/enroll", json={"code": code})
        audit = await hub.state.store.audit_log(hub.clock() - timedelta(hours=1), 50)
    assert got.status_code == 200, got.text
    bundle = got.json()
    assert bundle["gateway"] == bundle["username"] == "gw-a"
    assert bundle["ca"] == CA and bundle["broker_reloaded"] is True and marker.exists()
    assert password_matches(tmp_path / "broker/passwd", "gw-a", bundle["password"])
    (tmp_path / "gw").mkdir()
    (tmp_path / "gw/gateway.yaml").write_text(bundle["config"])
    config = load_gateway_config(tmp_path / "gw/gateway.yaml")
    assert config.gateway.name == "大山 自販機" and config.broker.host == "mqtt.town.example"
    assert config.broker.password_file == tmp_path / "gw/broker.password"
    assert config.broker.tls is not None and config.broker.tls.ca_file == tmp_path / "gw/tls/ca.crt"
    assert [r.id for r in config.receivers] == ["pi"]  # the town's template
    assert again.status_code == 410
    assert again.json()["detail"]["reason"] == "used"
    assert "もう使われています" in again.json()["detail"]["ja"]
    actions = [(a.action, a.subject) for a in audit]
    assert ("gateway.enroll_code", "gateway:gw-a") in actions
    assert ("gateway.enroll", "gateway:gw-a") in actions
    assert ("gateway.enroll_refused", "gateway:?") in actions
    assert bundle["password"] not in str(audit)


async def test_an_expired_code_is_refused_and_makes_no_account(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock()
    async with running_hub(own_broker, tmp_path, enrolling(tmp_path), clock=clock) as hub:
        code = await code_for(hub, "gw-b")
        clock.advance(timedelta(minutes=30, seconds=1))
        async with hub.client() as anyone:
            got = await anyone.post("/api/v1/enroll", json={"code": code})
    assert got.status_code == 410, got.text
    assert got.json()["detail"]["reason"] == "expired"
    assert "期限が切れています" in got.json()["detail"]["ja"]
    assert not (tmp_path / "broker/passwd").exists()


async def test_guessing_codes_is_slowed_per_address_even_for_a_right_code(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    clock = HubClock()
    async with running_hub(own_broker, tmp_path, enrolling(tmp_path), clock=clock) as hub:
        code = await code_for(hub, "gw-a")
        async with hub.client() as anyone:
            guesses = [
                (await anyone.post("/api/v1/enroll", json={"code": f"2222-2222-22{i:02d}"}))
                for i in range(22, 32)
            ]
            locked = await anyone.post("/api/v1/enroll", json={"code": code})
            clock.advance(timedelta(minutes=1))
            later = await anyone.post("/api/v1/enroll", json={"code": code})
    assert [g.status_code for g in guesses] == [404] * 10
    assert locked.status_code == 429 and locked.headers["retry-after"] == "60"
    assert locked.json()["detail"]["reason"] == "wait"
    assert later.status_code == 200, later.text


async def test_only_admins_get_codes_and_only_for_registered_gateways(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, enrolling(tmp_path), clock=HubClock()) as hub:
        staff = await hub.account("kinjo", "staff")
        admin = await hub.account("root", "admin")
        async with hub.client(staff) as as_staff, hub.client(admin) as as_admin:
            refused = await as_staff.post("/api/v1/gateways/gw-a/enrollment")
            unknown = await as_admin.post("/api/v1/gateways/gw-nope/enrollment")
        async with httpx.AsyncClient(base_url=hub.url) as anonymous:
            signed_out = await anonymous.post("/api/v1/gateways/gw-a/enrollment")
    assert refused.status_code == 403 and signed_out.status_code == 401
    assert unknown.status_code == 404 and "登録簿にありません" in unknown.json()["detail"]["ja"]


async def test_a_hub_without_enrollment_settings_says_so(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with (
        running_hub(own_broker, tmp_path, clock=HubClock()) as hub,
        hub.client() as anyone,
    ):
        got = await anyone.post("/api/v1/enroll", json={"code": "2222-2222-2222"})
    assert got.status_code == 404 and "登録を受け付けていません" in got.json()["detail"]["ja"]


async def test_a_broker_file_the_hub_cannot_write_is_a_clear_refusal_not_a_crash(
    own_broker: PrivateBroker, tmp_path: Path
) -> None:
    async with running_hub(own_broker, tmp_path, enrolling(tmp_path), clock=HubClock()) as hub:
        code = await code_for(hub, "gw-a")
        (tmp_path / "broker").mkdir()
        (tmp_path / "broker/passwd").mkdir()  # not a file: replacing it fails
        async with hub.client() as anyone:
            got = await anyone.post("/api/v1/enroll", json={"code": code})
            again = await anyone.post("/api/v1/enroll", json={"code": code})
    assert got.status_code == 503, got.text
    assert "アカウントを作れませんでした" in got.json()["detail"]["ja"]
    assert again.status_code == 410  # the hub goes on answering; the code is spent
