"""A gateway installs ``mimamori[edge]`` only: nothing it runs may need the hub's stack."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HUB_ONLY = ["fastapi", "starlette", "uvicorn", "js_lib_leaflet"]

# Runs in a fresh interpreter where importing any hub-only package fails, as it
# would on a Pi that installed mimamori[edge].
PROBE = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    from pathlib import Path
    BLOCKED = set(sys.argv[1].split(","))

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"{name} is not installed on a gateway")
            return None

    sys.meta_path.insert(0, Refuse())
    import mimamori
    for package in ("mimamori.protocol", "mimamori.edge", "mimamori.firmware_sim"):
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            importlib.import_module(info.name)
    for name in ("mimamori.mqtt", "mimamori.check", "mimamori.cli", "mimamori.hub.config"):
        importlib.import_module(name)
    from mimamori.cli import build_parser, main
    build_parser()
    code = main(["check", str(Path(sys.argv[2]) / "configs" / "gateway-vending.yaml")])
    # the technician's EID check, on a published vector (tests/protocol/eid_vectors.json)
    eid = main(["tag", "eid", "--key", "00112233445566778899aabbccddeeff",
                "--exponent", "12", "--counter", "1518080946"])
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
    print("loaded:", loaded, "check:", code, "eid:", eid)
    sys.exit(1 if loaded or code != 0 or eid != 0 else 0)
    """
)


def test_the_edge_runs_and_checks_configs_without_the_hub_stack() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, ",".join(HUB_ONLY), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "loaded: [] check: 0 eid: 0" in result.stdout
    assert "7dd8169dae94258c\n" in result.stdout


def test_the_edge_extra_does_not_pull_in_the_hub_stack() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    edge = " ".join(project["dependencies"] + project["optional-dependencies"]["edge"]).lower()
    for package in ["fastapi", "uvicorn", "django-js-lib-leaflet", "starlette"]:
        assert package not in edge
