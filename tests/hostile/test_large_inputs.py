"""Large but valid input is accepted, loses nothing, and stays within the memory bound of the
performance issue: peak RSS at most 3 x input size + 60 MB.

Peak RSS is the command's own `ru_maxrss` from os.wait4 (not a timer); the command also runs
under RLIMIT_AS/RLIMIT_CPU so that a blow-up ends as a failure instead of exhausting the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import consul_inject, load_all
from tests.hostile.test_hostile import child_env

MB = 1 << 20
AS_LIMIT = 2 << 30
CPU_LIMIT = 60


# ru_maxrss of a process includes what it had before exec: a child forked from pytest (tens of
# MB by then) would carry pytest's size. So a small fresh Python forks the command, and reports
# the command's own peak RSS through a file.
_MEASURE = """
import json, os, resource, sys
report, as_limit, cpu_limit, argv = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (as_limit, as_limit))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit))
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as handle:
    json.dump({"code": os.waitstatus_to_exitcode(status), "maxrss_kb": usage.ru_maxrss}, handle)
"""


def run_measured(path: Path, tmp: Path) -> tuple[int, bytes, str, int]:
    """(exit code, stdout, stderr, peak RSS in bytes) of `consul-inject inject PATH`."""
    out_path, err_path, report = tmp / "stdout", tmp / "stderr", tmp / "rusage.json"
    argv = [str(consul_inject()), "inject", str(path), "--namespace", "apps"]
    with out_path.open("wb") as out, err_path.open("wb") as err:
        subprocess.run([sys.executable, "-c", _MEASURE, str(report), str(AS_LIMIT), str(CPU_LIMIT), *argv],
                       stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=child_env(tmp), cwd=tmp,
                       check=True)
    usage = json.loads(report.read_text())
    return (int(usage["code"]), out_path.read_bytes(), err_path.read_text("utf-8", "replace"),
            int(usage["maxrss_kb"]) * 1024)


def identities(text: str) -> list[tuple[Any, ...]]:
    """(apiVersion, kind, namespace, name) of every document and every List item, in order."""
    out: list[tuple[Any, ...]] = []
    for doc in load_all(text):
        if not isinstance(doc, dict):
            continue
        for res in [doc, *(doc.get("items") or [] if doc.get("kind") == "List" else [])]:
            meta = res.get("metadata") or {}
            out.append((res.get("apiVersion"), res.get("kind"), meta.get("namespace"), meta.get("name")))
    return out


def service_and_deployment(name: str, indent: str = "") -> list[str]:
    svc = (f"apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
           f"spec: {{selector: {{app: {name}}}, ports: [{{port: 80, targetPort: 8080}}]}}\n")
    deploy = (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
              f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata:\n"
              f"      labels: {{app: {name}}}\n"
              "      annotations: {consul.hashicorp.com/connect-inject: 'true'}\n    spec:\n"
              "      containers: [{name: web, image: example/web:1, ports: [{containerPort: 8080}]}]\n")
    return [svc, deploy]


def configmap_10mb() -> str:
    line = "x" * 99
    big = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  blob: |\n"
           + "".join(f"    {line}\n" for _ in range(100_000)))
    return "---\n".join([big, *service_and_deployment("web")])


def crd_schema(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "string"}
    for i in reversed(range(levels)):
        node = {"type": "object", "properties": {f"f{i}": node}}
    return node


def crd(levels: int) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"},
                 "scope": "Namespaced", "versions": [{"name": "v1", "served": True, "storage": True,
                                                      "schema": {"openAPIV3Schema": crd_schema(levels)}}]},
    }


def crd_yaml() -> str:
    return "---\n".join([yaml.safe_dump(crd(100), sort_keys=False), *service_and_deployment("web")])


def crd_json() -> str:
    return json.dumps(crd(100), indent=2) + "\n"


def crd_in_list() -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [crd(100)]}, sort_keys=False)


def list_of(count: int, inject_every: int) -> str:
    """A `v1 List` of `count` items: count // inject_every Service + injected Deployment pairs,
    ConfigMaps for the rest."""
    pairs = count // inject_every if inject_every else 0
    items: list[Any] = [yaml.safe_load(d) for i in range(pairs)
                        for d in service_and_deployment(f"app{i}")]
    items += [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm{i}"},
               "data": {"key": f"value-{i}"}} for i in range(count - len(items))]
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, sort_keys=False,
                          width=200)


CASES: list[tuple[str, Callable[[], str], int, str | None]] = [
    ("configmap-10mb", configmap_10mb, 1, None),
    ("crd-100-levels-yaml", crd_yaml, 1, None),
    ("crd-100-levels-json", crd_json, 0, None),
    ("crd-100-levels-in-list", crd_in_list, 0, None),
    ("list-5000-configmaps", lambda: list_of(5000, 0), 0, None),
    # a List is read item by item from 256 KB (lists.py): its memory is one item's nodes
    ("list-5000-with-injection", lambda: list_of(5000, 20), 250, None),
    ("list-20000-with-injection", lambda: list_of(20000, 20), 1000, None),
]


@pytest.mark.parametrize(
    ("make", "injected"),
    [pytest.param(make, injected, id=name,
                  marks=pytest.mark.xfail(strict=True, reason=bug) if bug else ())
     for name, make, injected, bug in CASES])
def test_large_valid_input(make: Callable[[], str], injected: int, tmp_path: Path) -> None:
    text = make()
    source = tmp_path / "input.yaml"
    source.write_text(text, encoding="utf-8")
    code, stdout, stderr, peak = run_measured(source, tmp_path)
    assert code == 0, stderr[-1500:]
    output = stdout.decode("utf-8")
    assert identities(output) == identities(text)
    assert f"{injected} injected" in stderr, stderr[-500:]
    bound = 3 * len(text.encode()) + 60 * MB
    assert peak <= bound, f"peak RSS {peak / MB:.1f} MB > bound {bound / MB:.1f} MB"
