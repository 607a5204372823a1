"""Reading a config file is bounded: alias bombs, huge files and deep nesting are refused
at their place (FILE:LINE:COL, exit 2, never a traceback), and the work grows with the
file's size, not faster."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from mimamori import configfile
from mimamori.check import check_file
from mimamori.hub.register.yaml_format import RegisterFile

HUB = "hub:\n  database: {path: h.db}\n  broker: {host: x}\n"
# A register to import (its own file: a hub file no longer holds one), as many lines.
REGISTER = "\n\n\n"


def laughs(levels: int = 9) -> str:
    """The classic "billion laughs": nine lists of nine aliases of the level below."""
    rows = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        rows.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return HUB + "\n".join(rows) + "\n"


def gateways(n: int) -> str:
    rows = [
        f"  - {{id: gw-{i}, name: 自販機 {i}, lat: 26.{i:05d}, lon: 127.{i:05d}}}" for i in range(n)
    ]
    return REGISTER + "gateways:\n" + "\n".join(rows) + "\n"


def write(tmp_path: Path, text: str, name: str = "hub.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mimamori", "check", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def peak_bytes(work: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_billion_laughs_is_refused_at_the_alias_that_passes_the_bound(tmp_path: Path) -> None:
    path = write(tmp_path, laughs())
    found: list[str] = []
    peak = peak_bytes(lambda: found.extend(str(p) for p in check_file(path)))
    [line] = found
    assert line.startswith(f"{path}:9:10: a5[0]: aliases repeat more than 100,000 nodes")
    assert peak < 50 * 1024 * 1024  # it used to take 5 GB before a MemoryError
    run = check(path)
    assert run.returncode == 2 and run.stderr == ""
    assert run.stdout.splitlines() == [line]


def test_merges_cannot_multiply_a_mapping_either(tmp_path: Path) -> None:
    rows = ["m0: &m0 {k: v}"]
    rows += [f"m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: v}}" for i in range(1, 40)]
    [problem] = check_file(write(tmp_path, HUB + "\n".join(rows) + "\n"))
    assert "aliases repeat more than" in problem.message and problem.key.startswith("m1")


def test_a_file_larger_than_the_bound_is_refused_without_being_parsed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("w", encoding="utf-8") as f:
        f.write(HUB + "gateways:\n")
        row = "  - {id: gw-x, name: 自販機, lat: 26.1, lon: 127.1}  # padding padding padding\n"
        f.write(row * (50 * 1024 * 1024 // len(row.encode())))  # 50 MB
    found: list[str] = []
    peak = peak_bytes(lambda: found.extend(str(p) for p in check_file(path)))
    assert found == [f"{path}:1:1: (file): larger than 8 MiB: refused unread"]
    assert peak < 2 * configfile.MAX_BYTES  # what is read is bounded too


def test_a_device_that_never_ends_is_refused_too() -> None:
    [problem] = check_file(Path("/dev/zero"))
    assert problem.key == "(file)"


@pytest.mark.parametrize(
    "deep",
    [
        "hub: " + "[" * 100_000 + "]" * 100_000 + "\n",  # crashed the process in libyaml
        "".join(" " * i + f"k{i}:\n" for i in range(2_000)),
    ],
    ids=["flow", "block"],
)
def test_deep_nesting_is_refused_where_it_passes_the_bound(tmp_path: Path, deep: str) -> None:
    path = write(tmp_path, deep)
    run = check(path)
    assert run.returncode == 2 and run.stderr == ""
    [line] = run.stdout.splitlines()
    assert line.startswith(f"{path}:") and line.endswith("nested deeper than 32 levels")


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    [line] = [str(p) for p in check_file(write(tmp_path, HUB + "a: &a [1, [*a]]\n"))]
    assert line == (
        f"{tmp_path}/hub.yaml:4:12: a[1][0]: the alias *a names no whole anchored node before it"
    )


def test_an_alias_cannot_carry_nesting_past_the_bound(tmp_path: Path) -> None:
    rows = ["a0: &a0 " + "[" * 20 + "]" * 20, "a1: &a1 " + "[" * 15 + "*a0" + "]" * 15]
    [problem] = check_file(write(tmp_path, HUB + "\n".join(rows) + "\n"))
    assert problem.message == "the alias *a0 nests deeper than 32 levels"


def test_anchors_and_merges_of_defaults_still_load_and_own_keys_win(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        REGISTER
        + "gateways:\n"
        + "  - &near {id: gw-1, name: 商店, lat: 26.28, lon: 127.78, site: shop}\n"
        + "  - {<<: *near, id: gw-2, name: 自販機, site: vending}\n"
        + "  - {<<: *near, id: gw-2, name: 重複}\n",
    )
    [duplicate] = check_file(path)  # an id given twice is still said, and where
    assert str(duplicate).startswith(f"{path}:4:1: gateways: gateway ids must be unique: gw-2")
    doc = configfile.read_yaml(path)
    assert doc.data["gateways"][1] == {
        "id": "gw-2", "name": "自販機", "site": "vending", "lat": 26.28, "lon": 127.78,
    }  # fmt: skip
    assert doc.place(("gateways", 1, "lat")) == (6, 6)  # the merge that brought it


def test_a_second_document_is_refused(tmp_path: Path) -> None:
    [line] = [str(p) for p in check_file(write(tmp_path, HUB + "---\nhub: {}\n"))]
    assert line == f"{tmp_path}/hub.yaml:4:1: (document): only one document per file ('---')"


@pytest.mark.timeout(30)
def test_a_town_of_20000_gateways_is_checked_in_linear_time(tmp_path: Path) -> None:
    """The duplicate checks counted each id in the whole list and the pure-Python
    composer was slow: 8,000 gateways took 9 s of CPU here, 32,000 took 171 s. No
    clock in the assertions: the work is counted, and 20,000 gateways must load well
    within a loose bound (about 2 s of CPU now, 50 s before)."""
    path = write(tmp_path, gateways(20_000))
    config = configfile.load(path, RegisterFile)
    assert len(config.gateways) == 20_000
    small = calls(write(tmp_path, gateways(250), "small.yaml"))
    large = calls(write(tmp_path, gateways(1_000), "large.yaml"))
    assert large < 4.4 * small


def calls(path: Path) -> int:
    """Python and C function calls made while checking ``path``: a count of the work."""
    count = 0

    def profile(_frame: object, event: str, _arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        assert check_file(path) == []
    finally:
        sys.setprofile(None)
    return count
