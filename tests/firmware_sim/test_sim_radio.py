"""The radio model: distances on the globe, path loss, noise, losses, reproducibility."""

from __future__ import annotations

import random

import pytest

from mimamori.firmware_sim.radio import RadioModel, distance_m


def test_a_degree_of_latitude_is_about_111_km_and_a_point_is_0_m_from_itself() -> None:
    assert distance_m((0.0, 0.0), (1.0, 0.0)) == pytest.approx(111_195, rel=1e-3)
    assert distance_m((35.0, 139.0), (35.0, 139.0)) == 0.0
    # a degree of longitude shrinks with the cosine of latitude
    assert distance_m((60.0, 0.0), (60.0, 1.0)) == pytest.approx(111_195 / 2, rel=2e-3)


def test_a_few_metres_in_okinawa_are_measured_symmetrically() -> None:
    a, b = (26.28100, 127.77800), (26.28109, 127.77800)  # 0.00009 degrees north
    assert distance_m(a, b) == pytest.approx(10.0, abs=0.05)
    assert distance_m(a, b) == distance_m(b, a)


def test_without_noise_the_rssi_follows_the_log_distance_law() -> None:
    radio = RadioModel(path_loss_exponent=2.0, noise_db=0.0, loss=0.0, sensitivity_dbm=-110)
    assert radio.rssi(-59, 1.0) == -59
    assert radio.rssi(-59, 10.0) == -79  # 20 dB per decade at n = 2
    assert radio.rssi(-59, 100.0) == -99
    assert radio.rssi(-59, 0.0) == radio.rssi(-59, 0.1)  # no log of zero


def test_adverts_below_the_sensitivity_are_not_heard() -> None:
    radio = RadioModel(path_loss_exponent=2.0, noise_db=0.0, loss=0.0, sensitivity_dbm=-90)
    assert radio.range_m(-59) == pytest.approx(10 ** (31 / 20))
    assert radio.rssi(-59, radio.range_m(-59) * 0.99) is not None
    assert radio.rssi(-59, radio.range_m(-59) * 1.01) is None


def test_the_loss_probability_drops_that_share_of_adverts() -> None:
    radio = RadioModel(noise_db=0.0, loss=0.25, rng=random.Random(4))
    heard = sum(radio.rssi(-59, 1.0) is not None for _ in range(4000))
    assert heard == pytest.approx(3000, rel=0.05)


def test_noise_scatters_around_the_mean_with_the_given_spread() -> None:
    radio = RadioModel(noise_db=4.0, loss=0.0, sensitivity_dbm=-120, rng=random.Random(8))
    values = [radio.rssi(-59, 5.0) for _ in range(4000)]
    got = [v for v in values if v is not None]
    mean = sum(got) / len(got)
    spread = (sum((v - mean) ** 2 for v in got) / len(got)) ** 0.5
    assert mean == pytest.approx(radio.mean_rssi(-59, 5.0), abs=0.3)
    assert spread == pytest.approx(4.0, rel=0.1)


def test_the_same_seed_replays_the_same_readings() -> None:
    def readings(seed: int) -> list[int | None]:
        radio = RadioModel(rng=random.Random(seed))
        return [radio.rssi(-59, d) for d in range(1, 60)]

    assert readings(3) == readings(3)
    assert readings(3) != readings(4)


def test_readings_stay_within_what_the_wire_can_carry() -> None:
    radio = RadioModel(noise_db=0.0, loss=0.0)
    assert radio.rssi(40, 0.1) == 20
