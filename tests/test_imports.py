"""Every module of mimamori imports on its own, and no two import each other.

An import cycle works or breaks depending on which module a process happens to
import first (issue 13 found ``mimamori.hub.alerts.rules`` failing in a fresh
interpreter). So each module is imported in a process that has imported nothing of
mimamori before it: one interpreter loads the third-party libraries once, then forks a
child per module. And the import graph, read by grimp (the engine of import-linter),
must have no cycle at all, imports inside functions included.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import grimp
import pytest

import mimamori

PACKAGE = Path(mimamori.__file__).parent

# The third-party modules are loaded once in the parent so that each child only runs
# mimamori's own code (user time 3 min 20 s -> 1 min 35 s, measured): a first child
# imports every module and names what else it loaded, the parent imports that, then
# forks a fresh child per module. What this cannot see -- a library's submodule used
# without being imported -- mypy reports.
_EACH_ALONE = textwrap.dedent(
    """
    import importlib, json, os, sys
    names = json.loads(sys.argv[1])
    read, write = os.pipe()
    if os.fork() == 0:
        os.close(read)
        for name in names:
            try:
                importlib.import_module(name)
            except BaseException:
                pass  # told apart below, each alone
        others = [m for m in list(sys.modules) if m.split(".")[0] != "mimamori"]
        with os.fdopen(write, "w") as pipe:
            json.dump(others, pipe)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        others = json.loads(pipe.read() or b"[]")
    os.wait()
    for lib in others:
        try:
            importlib.import_module(lib)
        except BaseException:
            pass
    failed = {}
    for name in json.loads(sys.argv[1]):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                importlib.import_module(name)
                os._exit(0)
            except BaseException as exc:
                os.write(write, f"{type(exc).__name__}: {exc}".encode()[:2000])
                os._exit(1)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            said = pipe.read().decode()
        _, status = os.waitpid(pid, 0)
        if status != 0:
            failed[name] = said or f"exit status {status}"
    print(json.dumps(failed))
    """
)


def all_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "__main__.py":  # importing it runs the program: that is its job
            continue
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.timeout(600)  # ~200 imports, each in a fresh process
def test_every_module_imports_alone() -> None:
    modules = all_modules()
    assert "mimamori.hub.alerts.rules" in modules and len(modules) > 150
    # Two interpreters, each forking for half of the modules: the machine has two cores.
    halves = [
        subprocess.Popen(
            [sys.executable, "-c", _EACH_ALONE, json.dumps(modules[start::2])],
            stdout=subprocess.PIPE,
            text=True,
        )
        for start in (0, 1)
    ]
    failed: dict[str, str] = {}
    for half in halves:
        out, _ = half.communicate(timeout=600)
        assert half.returncode == 0
        failed |= json.loads(out.strip().splitlines()[-1])
    assert failed == {}


def cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), and the
    modules that import themselves."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for other in imports.get(module, set()):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            part = []
            while (top := stack.pop()) != module:
                part.append(top)
            part.append(module)
            if len(part) > 1 or module in imports.get(module, set()):
                found.append(sorted(part))

    for module in sorted(imports):
        if module not in index:
            visit(module)
    return found


def test_cycles_are_found() -> None:
    # The finder itself, on a graph with one cycle of three and one of one.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["e"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle() -> None:
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    graph = grimp.build_graph("mimamori", exclude_type_checking_imports=True)
    imports = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    assert len(imports) > 150
    assert cycles(imports) == []
