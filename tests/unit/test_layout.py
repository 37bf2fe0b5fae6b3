"""The package's shape: no import circles, the core never reaches into a webhook version, the
Go-compatibility module is a leaf, and modules and functions stay small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "consul_inject"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """Modules of the package that `name` imports, at any depth of its code."""
    tree = ast.parse(MODULES[name].read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{alias.name}" for alias in node.names}
            found.update(subs & MODULES.keys() or {node.module})
            found.update(f"{node.module}" for alias in node.names
                         if f"{node.module}.{alias.name}" not in MODULES)
    # Every module's parent packages run first anyway; the top package is the API facade.
    return {m for m in found if m in MODULES and m not in (name, "consul_inject")}


GRAPH = {name: _imports(name) for name in MODULES}


def _cycle_from(start: str) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in GRAPH[node]:
            if nxt == start:
                return [*path, start]
            if nxt not in path and not nxt.startswith(start + "."):
                stack.append((nxt, [*path, nxt]))
    return None


def test_the_package_is_found() -> None:
    assert {"consul_inject.pipeline", "consul_inject.webhooks.v0_49.mutate",
            "consul_inject.values"} <= set(MODULES)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_import_circle(name: str) -> None:
    # A package importing its own submodules (its API) is not a circle.
    cycle = _cycle_from(name)
    if cycle is not None and all(m.startswith(name) or name.startswith(m) for m in cycle):
        cycle = None
    assert cycle is None, " -> ".join(cycle or [])


def test_gocompat_is_a_leaf() -> None:
    assert GRAPH["consul_inject.gocompat"] == set()


@pytest.mark.parametrize("name", sorted(n for n in MODULES if not n.startswith(
    ("consul_inject.webhooks", "consul_inject.api", "consul_inject.runner",
     "consul_inject.cli")) and n != "consul_inject"))
def test_the_core_names_no_webhook_version(name: str) -> None:
    """Only the webhook registry, and the edges that pick the default, reach a version."""
    versions = {m for m in GRAPH[name] if m.startswith("consul_inject.webhooks.v")}
    assert versions == set()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_and_function_sizes(name: str) -> None:
    text = MODULES[name].read_text("utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{name} is over {MAX_MODULE_LINES} lines"
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert long == [], f"{name}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(long)}"


def test_the_post_renderer_imports_no_helm_library() -> None:
    """pyhelm3 (and pydantic under it) is for the commands that run Helm; a Helm render pays
    nothing for it."""
    import subprocess
    import sys

    code = ("import io, sys; from consul_inject import cli; "
            "sys.stdin = io.TextIOWrapper(io.BytesIO(b'apiVersion: v1\\nkind: Service\\n"
            "metadata: {name: a}\\n')); rc = cli.main(['-n', 'apps']); "
            "print(rc, sorted(m for m in ('pyhelm3', 'pydantic', 'consul_inject.helm') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"CONSUL_INJECT_LOG": "/dev/null", "PATH": ""})
    assert out.stdout.strip().endswith("0 []"), out


# What a Helm render of a small release must not pay for at start-up (measured in bench/README.md):
# dataclasses (12 ms, and about 0.5 ms per class), importlib.resources with zipfile (5 ms),
# difflib, jsonschema for values that are valid, jinja2 outside the 0.49 init script.
SLOW_IMPORTS = ("dataclasses", "importlib.resources", "zipfile", "difflib", "jsonschema",
                "multiprocessing", "pathlib", "fractions", "decimal", "consul_inject.workers",
                "consul_inject.lists")


@pytest.mark.parametrize(("flags", "also"), [
    ([], ("consul_inject.webhooks.v0_49.uninject",)),
    # jinja2 (the 0.49 init script) brings these in; under 2.0 nothing else does: argparse
    # imports shutil unless told the help width, urllib.parse is for upstream options only
    (["--consul-k8s-version", "2.0", "--cluster-dns-ip", "10.96.0.10"],
     ("jinja2", "shutil", "tempfile", "urllib.parse", "ipaddress",
      "consul_inject.webhooks.v2_0.uninject")),
], ids=["0.49", "2.0"])
def test_a_small_release_imports_nothing_it_does_not_use(flags: list[str],
                                                          also: tuple[str, ...]) -> None:
    import subprocess
    import sys

    watched = (*SLOW_IMPORTS, *also)
    code = ("import io, sys; from consul_inject import cli; "
            f"sys.stdin = io.TextIOWrapper(io.BytesIO(open({str(PACKAGE / 'demo.yaml')!r}, 'rb')"
            f".read())); rc = cli.main({flags!r}); "
            f"print(rc, sorted(m for m in {watched!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"CONSUL_INJECT_LOG": "/dev/null", "PATH": ""})
    assert out.stdout.strip().endswith("0 []"), out


@pytest.mark.parametrize("name", sorted(MODULES))
def test_named_tuples_have_evaluated_annotations(name: str) -> None:
    """typing compiles each string annotation of a NamedTuple field into a ForwardRef (about
    15 us a field, 4 ms a run): a module that defines NamedTuples does without
    `from __future__ import annotations` and quotes its few forward references."""
    tree = ast.parse(MODULES[name].read_text("utf-8"))
    defines = any(isinstance(node, ast.ClassDef) and any(
        isinstance(base, ast.Name) and base.id == "NamedTuple" for base in node.bases)
        for node in ast.walk(tree))
    future = any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
                 for node in tree.body)
    assert not (defines and future), f"{name}: NamedTuples under from __future__ import annotations"
