"""The package's entry points: `load` (checked values for the post-renderer), `validate_values`
(the API), `checked` (what a settings mapper maps), and jsonschema imported only when values
have something to report."""

from __future__ import annotations

import subprocess
import sys
from collections import OrderedDict
from pathlib import Path
from types import MappingProxyType

import pytest

from consul_inject import values
from consul_inject.problems import ConsulInjectError

STREAM = b"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports: [{port: 80}]\n"
PROBE = """
import io, sys
from consul_inject import cli
sys.stdin = io.TextIOWrapper(io.BytesIO(sys.argv[1].encode()))
sys.stdout = io.TextIOWrapper(io.BytesIO())
code = cli.main(sys.argv[2:])
print(code, "jsonschema" in sys.modules, file=sys.__stdout__)
"""


def _probe(*args: str) -> tuple[int, bool]:
    proc = subprocess.run([sys.executable, "-c", PROBE, STREAM.decode(), *args],
                          capture_output=True, text=True, check=True, timeout=120)
    code, imported = proc.stdout.split()
    return int(code), imported == "True"


def test_a_run_without_values_does_not_import_jsonschema() -> None:
    assert _probe() == (0, False)
    assert _probe("-n", "apps") == (0, False)


def test_a_run_with_values_reports_through_jsonschema(tmp_path: Path) -> None:
    # Values that pass are told apart without jsonschema (values/quickcheck.py, ~40 ms);
    # values that fail are reported by it.
    file = tmp_path / "v.yaml"
    file.write_text("connectInject:\n  default: true\n", encoding="utf-8")
    assert _probe("-f", str(file)) == (0, False)
    assert _probe("--set", "connectInject.default=true") == (0, False)
    assert _probe("--set", "connectInject.defualt=true") == (1, True)


def test_load_returns_checked_values() -> None:
    merged = values.load([], ["connectInject.default=true"])
    assert isinstance(merged, values.Checked)
    assert merged == {"connectInject": {"default": True}}
    assert values.load() == {}
    assert isinstance(values.load(), values.Checked)


def test_load_raises_every_error_not_warnings() -> None:
    with pytest.raises(ConsulInjectError) as info:
        values.load([], ["connectInject.defualt=true,controller.replicas=x",
                         "connectInject.k8sAllowNamespaces={}"])
    assert [p.key for p in info.value.problems] == ["connectInject.defualt", "controller.replicas"]


def test_validate_values_of_a_mapping() -> None:
    (problem,) = values.validate_values({"connectInject": {"replicas": "x"}})
    assert (problem.path, problem.key, problem.where, problem.line) == (
        ("connectInject", "replicas"), "connectInject.replicas", "values", None)
    assert problem.message == 'expected a whole number, got the string "x"'
    assert problem.text() == ('values: connectInject.replicas: expected a whole number, got the '
                              'string "x"')
    assert values.validate_values({}) == []


def test_validate_values_of_other_mappings_and_tuples() -> None:
    tree = MappingProxyType({"connectInject": OrderedDict(k8sAllowNamespaces=("apps", "Bad"))})
    (problem,) = values.validate_values(tree)
    assert problem.path == ("connectInject", "k8sAllowNamespaces", 1)


def test_validate_values_of_a_file(tmp_path: Path) -> None:
    file = tmp_path / "v.yaml"
    file.write_text("connectInject:\n  replicas: x\n  k8sAllowNamespaces: []\n", encoding="utf-8")
    for given in (file, str(file)):
        error, warning = values.validate_values(given)
        assert (error.where, error.line, error.column, error.path) == (
            str(file), 2, 3, ("connectInject", "replicas"))
        assert (warning.severity, warning.line) == ("warning", 3)


def test_checked_passes_loaded_values_and_checks_others() -> None:
    loaded = values.load([], ["connectInject.default=true"])
    assert values.checked(loaded) is loaded
    assert values.checked({"connectInject": {"default": True}}) == {"connectInject": {"default": True}}
    with pytest.raises(ConsulInjectError, match=r"values: connectInject\.defualt: unknown key"):
        values.checked({"connectInject": {"defualt": True}})
