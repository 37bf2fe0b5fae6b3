"""A values schema per consul-k8s version: 0.49 is the shipped file, 1.9 and 2.0 are it with
the overlays applied; the checker uses the version the values select, or validate's
--consul-k8s-version for files that select none."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consul_inject import commands, values, yamlcodec
from consul_inject.problems import ConsulInjectError
from consul_inject.values import schema as schema_mod
from tests.conftest import needs_shared

REPO = Path(__file__).resolve().parents[3]
CORPUS = REPO.parent / "shared" / "corpus"
RELEASES = {"0.49": "0.49.8", "1.9": "1.9.11", "2.0": "2.0.3"}
SECTIONS = ("global", "connectInject", "dns", "externalServers")


def official(version: str) -> Path:
    return needs_shared(CORPUS / f"consul-chart-v{RELEASES[version]}-values.yaml")


def _leaves(tree: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(tree, dict) and tree:
        out: dict[tuple[str, ...], Any] = {}
        for key, value in tree.items():
            out.update(_leaves(value, (*path, key)))
        return out
    return {path: tree}


def _default(version: str, path: tuple[str, ...]) -> Any:
    node: Any = schema_mod.load(version)
    for index, part in enumerate(path):
        node = node.get("properties", {}).get(part)
        if node is None:
            return ...
        if "default" in node and index < len(path) - 1:
            return _leaves(node["default"]).get(path[index + 1:], ...)
    return node.get("default", ...)


@pytest.mark.parametrize("version", list(RELEASES))
def test_the_official_values_validate_under_their_version(
        version: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = official(version)
    flag = [] if version == "0.49" else ["--consul-k8s-version", version]
    assert commands.main("validate", [*flag, str(path)]) == 0
    assert capsys.readouterr().out == "ok: 1 file valid\n"


@pytest.mark.parametrize("version", ["1.9", "2.0"])
def test_the_schema_defaults_are_the_official_ones(version: str) -> None:
    """Every key the official values give a value has the same default in the schema, except
    the few where consul-inject's own default differs on purpose."""
    tree = yamlcodec.load(official(version).read_text(encoding="utf-8"))
    ours = {("connectInject", "enabled")}  # documented: also true in the official chart since 1.0
    wrong = {}
    for path, value in _leaves({k: tree[k] for k in SECTIONS}).items():
        default = _default(version, path)
        if default is not ... and default != value and path not in ours:
            wrong[".".join(path)] = (default, value)
    assert wrong == {}


def test_defaults_that_changed_at_1_0() -> None:
    for version, on in (("0.49", False), ("1.9", True), ("2.0", True)):
        assert _default(version, ("connectInject", "consulNamespaces", "mirroringK8S")) is on
        assert _default(version, ("connectInject", "replicas")) == (1 if on else 2)
    assert _default("2.0", ("global", "imageConsulDataplane")) == "hashicorp/consul-dataplane:2.0.3"
    assert _default("1.9", ("global", "imageConsulDataplane")) == "hashicorp/consul-dataplane:1.9.11"
    assert _default("2.0", ("global", "imageEnvoy")) is ...
    assert _default("2.0", ("global", "cloud")) is ...


def test_the_0_49_schema_is_the_shipped_file_and_the_others_are_json(
        capsys: pytest.CaptureFixture[str]) -> None:
    shipped = (REPO / "src" / "consul_inject" / "data" / "values.schema.json").read_text("utf-8")
    assert commands.main("schema", []) == 0
    assert capsys.readouterr().out == shipped
    assert commands.main("schema", ["--consul-k8s-version", "2.0"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == schema_mod.load("2.0")
    assert "controller" not in printed["properties"]
    assert "imageConsulDataplane" in printed["properties"]["global"]["properties"]


def test_merge_patch() -> None:
    assert schema_mod.merge_patch({"a": {"b": 1, "c": 2}, "d": [1]},
                                  {"a": {"b": None, "e": 3}, "d": [2]}) == {
        "a": {"c": 2, "e": 3}, "d": [2]}
    assert schema_mod.merge_patch({"a": 1}, {"a": {"b": None}}) == {"a": {}}


@pytest.mark.parametrize(("tree", "key", "words"), [
    ({"global": {"imageConsulDataplane": "d:1"}}, "global.imageConsulDataplane",
     'is a consul-k8s 1.9 and 2.0 value, not of 0.49'),
    ({"consulInject": {"consulK8sVersion": "2.0"}, "global": {"imageEnvoy": "e:1"}},
     "global.imageEnvoy", "use global.imageConsulDataplane"),
    ({"consulInject": {"consulK8sVersion": "2.0"}, "global": {"consulSidecarContainer": {}}},
     "global.consulSidecarContainer", "is a consul-k8s 0.49 value, not of 2.0"),
    ({"consulInject": {"consulK8sVersion": "2.0"}, "controller": {"enabled": True}},
     "controller", "is a section of the consul-k8s 0.49 chart, not of 2.0"),
    ({"consulInject": {"consulK8sVersion": "2.0"}, "global": {"cloud": {"enabled": False}}},
     "global.cloud", 'set consulInject.consulK8sVersion to "1.9"'),
    ({"consulInject": {"consulK8sVersion": 2.0}}, "consulInject.consulK8sVersion",
     'quote it: consulK8sVersion: "2.0"'),
])
def test_a_key_of_another_version_names_it(tree: dict[str, Any], key: str, words: str) -> None:
    (problem,) = values.validate_values(tree)
    assert (problem.key, problem.severity) == (key, "error")
    assert words in problem.message


def test_validate_version_applies_to_files_without_one(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"
    plain.write_text("global:\n  imageConsulDataplane: d:1\n", encoding="utf-8")
    assert values.validate_files([str(plain)], "2.0") == []
    (problem,) = values.validate_files([str(plain)])
    assert "not of 0.49" in problem.message
    chosen = tmp_path / "chosen.yaml"
    chosen.write_text('consulInject:\n  consulK8sVersion: "1.9"\n', encoding="utf-8")
    assert values.validate_files([str(chosen)], "1.9") == []
    (conflict,) = values.validate_files([str(chosen)], "2.0")
    assert (conflict.key, conflict.line, conflict.column) == ("consulInject.consulK8sVersion", 2, 3)
    assert 'selects consul-k8s "1.9", but --consul-k8s-version is "2.0"' in conflict.message


def test_the_0_49_only_chart_rules_follow_the_version() -> None:
    mirroring = {"connectInject": {"consulNamespaces": {"mirroringK8S": True}}}
    (problem,) = values.validate_values(mirroring)
    assert "needs global.enableConsulNamespaces" in problem.message
    assert values.validate_values({**mirroring, "consulInject": {"consulK8sVersion": "2.0"}}) == []


def test_load_checks_under_the_selected_version() -> None:
    loaded = values.load(sets=["global.imageConsulDataplane=d:1"],
                         set_strings=["consulInject.consulK8sVersion=2.0"])
    assert loaded["global"]["imageConsulDataplane"] == "d:1"
    with pytest.raises(ConsulInjectError, match=r"not of 0\.49"):
        values.load(sets=["global.imageConsulDataplane=d:1"])
