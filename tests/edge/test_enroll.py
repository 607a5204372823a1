"""``mimamori edge enroll``'s own checks: where it may fetch from, and what it writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mimamori.edge.enroll import EnrollError, endpoint, write_bundle

YAML = """\
gateway: {id: gw-a, name: 大山 自販機, lat: 26.279, lon: 127.776}
broker: {host: mqtt.town.example, username: gw-a, password_file: broker.password,
         tls: {ca_file: tls/ca.crt}}
receivers: [{id: vm, driver: serial_line, port: /dev/mimamori-receiver}]
tags: {allow: ["ibeacon:*"]}
data_dir: /var/lib/mimamori
"""


def answer(**changes: object) -> dict[str, object]:
    base = {"gateway": "gw-a", "username": "gw-a", "password": "s3cret", "config": YAML}
    return base | {"ca": "-----BEGIN CERTIFICATE-----\n"} | changes


@pytest.mark.parametrize(
    "hub", ["http://hub.town.example", "http://192.168.1.10:8080", "ftp://hub", "hub.example"]
)
def test_enrollment_is_refused_over_plain_http_beyond_loopback(hub: str) -> None:
    with pytest.raises(EnrollError) as refused:
        endpoint(hub)
    assert refused.value.code == 2 and "https://" in refused.value.ja


@pytest.mark.parametrize(
    ("hub", "url"),
    [
        ("https://hub.town.example/", "https://hub.town.example/api/v1/enroll"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1/enroll"),
        ("http://[::1]:8080", "http://[::1]:8080/api/v1/enroll"),
    ],
)
def test_enrollment_goes_over_https_or_to_this_machine(hub: str, url: str) -> None:
    assert endpoint(hub) == url


def test_the_secrets_are_written_owner_only_and_the_yaml_group_readable(tmp_path: Path) -> None:
    written = write_bundle(tmp_path / "etc", answer())
    etc = tmp_path / "etc"
    assert written == [etc / "gateway.yaml", etc / "broker.password", etc / "tls/ca.crt"]
    assert (etc / "broker.password").read_text() == "s3cret\n"
    modes = {p.name: p.stat().st_mode & 0o777 for p in written}
    assert modes == {"gateway.yaml": 0o640, "broker.password": 0o600, "ca.crt": 0o644}
    assert sorted(p.name for p in etc.iterdir()) == ["broker.password", "gateway.yaml", "tls"]


def test_a_config_the_gateway_cannot_run_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    with pytest.raises(EnrollError) as refused:
        write_bundle(tmp_path, answer(config=YAML.replace("tags:", "tagz:")))
    assert "設定に誤り" in refused.value.ja and "tagz" in refused.value.en
    with pytest.raises(EnrollError):
        write_bundle(tmp_path, answer(gateway="gw-b"))  # not the gateway it says
    assert list(tmp_path.iterdir()) == []
