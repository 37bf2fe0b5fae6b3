"""The values Helm would see for `-f`, `--set` and `--set-string` over a base tree: merged once
in Helm's order, each key attributed to where it was last written, checked once (what the
post-renderer, `inject` and `chart package` call through `values.load`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consul_inject import values, yamlcodec
from consul_inject.problems import ConsulInjectError
from consul_inject.values import loading


def errors(*args: list[str], **kwargs: object) -> list[str]:
    """The lines `values.load` refuses the values with ([] when it accepts them)."""
    try:
        values.load(*args, **kwargs)  # type: ignore[arg-type]
    except ConsulInjectError as err:
        return [p.text() for p in err.problems]
    return []


def test_merged_attributes_each_key_to_where_it_was_set(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("connectInject:\n  default: true\n  failurePolicy: fail\n", encoding="utf-8")
    second = tmp_path / "b.yaml"
    second.write_text("connectInject:\n  failurePolicy: Ignore\n", encoding="utf-8")
    assert errors([str(first), str(second)], ["connectInject.k8sDenyNamespaces={*}"]) == [
        "--set connectInject.k8sDenyNamespaces={*}: connectInject.k8sDenyNamespaces[0]: \"*\" is "
        "not supported in k8sDenyNamespaces: it would deny every namespace; to turn injection off "
        "set connectInject.enabled: false"]


def test_merged_rules_see_all_sources(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("connectInject:\n  consulNamespaces:\n    mirroringK8S: true\n", encoding="utf-8")
    assert errors([str(file)], ["global.enableConsulNamespaces=true"]) == []
    (error,) = errors([str(file)], [])
    assert error.startswith(f"{file}:3:5: connectInject.consulNamespaces.mirroringK8S: ")


def test_merged_null_deletes_a_bad_value(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("connectInject:\n  replicas: many\n", encoding="utf-8")
    assert errors([str(file)], ["connectInject.replicas=null"]) == []
    assert values.load([str(file)], ["connectInject.replicas=null"]) == {"connectInject": {}}


def test_merged_set_string_and_base() -> None:
    assert errors([], [], ["connectInject.default=true"],
                  base={"connectInject": {"replicas": "x"}},
                  base_source='configmap "consul-consul-inject-settings"') == [
        'configmap "consul-consul-inject-settings": connectInject.replicas: expected a whole '
        'number, got the string "x"',
        '--set-string connectInject.default=true: connectInject.default: is the string "true", '
        "not a boolean; write true or false without quotes"]


def test_merged_reports_yaml_errors_and_bad_set(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("a: [\n", encoding="utf-8")
    (error,) = errors([str(file)], [])
    assert error.startswith(f"{file}:2:1: invalid YAML")
    assert errors([], ["novalue"]) == ["--set 'novalue': 'novalue' has no '='; expected KEY=VALUE"]


def test_every_source_that_does_not_load_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "a.yaml"
    bad.write_text("a: [\n", encoding="utf-8")
    lines = errors([str(bad), str(tmp_path / "missing.yaml")], ["novalue", "ok=1", "a[x]=1"])
    assert len(lines) == 4
    assert lines[1].startswith(f"{tmp_path / 'missing.yaml'}: cannot read values file")
    assert "bad list index" in lines[3]


def test_merged_base_skips_the_official_chart_rules() -> None:
    """The settings ConfigMap holds our chart's defaults (connectInject.enabled: true); with
    global.enabled false the official chart's "clients must be enabled" rule would misfire."""
    base = {"global": {"enabled": False}, "connectInject": {"enabled": True}}
    assert errors([], [], base=base) == []
    (error,) = errors([], ["global.enabled=false", "connectInject.enabled=true"])
    assert "clients must be enabled" in error


def test_the_injector_rules_apply_over_a_base_too() -> None:
    base = {"connectInject": {"enabled": True}}
    assert errors([], ["global.consulAPITimeout=0"], base=base) == [
        '--set global.consulAPITimeout=0: global.consulAPITimeout: expected a duration with a '
        "unit, such as \"5s\", \"500ms\" or \"1m30s\", got the number 0"]


def test_a_base_with_only_consul_inject_keeps_the_chart_rules() -> None:
    """Under 1.9/2.0 our chart's ConfigMap holds only consulInject: the user's values are then
    all the official chart sees, so its rules apply."""
    base = {"consulInject": {"consulK8sVersion": "2.0"}}
    (error,) = errors([], ["externalServers.skipServerWatch=true"], base=base)
    assert "externalServers.enabled must be set if externalServers.skipServerWatch is true" in error


def test_merged_ignores_warnings() -> None:
    assert errors([], ["connectInject.k8sAllowNamespaces={}"]) == []


def test_each_file_is_parsed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("connectInject:\n  default: true\n", encoding="utf-8")
    calls: list[str] = []
    parse = yamlcodec.load_with_node

    def counting(text: str) -> Any:
        calls.append(text)
        return parse(text)

    monkeypatch.setattr(yamlcodec, "load_with_node", counting)
    assert values.load([str(file)], ["global.name=x"]) == {
        "connectInject": {"default": True}, "global": {"name": "x"}}
    assert len(calls) == 1


def test_layers_keep_helm_order_and_later_marks_win(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("global:\n  name: a\n", encoding="utf-8")
    merged = loading.merged(loading.layers([str(file)], ["global.name=b"], ["global.name=c"],
                                           base={"global": {"name": "base"}}, base_source="cm"))
    assert merged.tree == {"global": {"name": "c"}}
    assert merged.marks[("global", "name")] == (3, "--set-string global.name=c", 0, 0)
    assert merged.marks[("global",)] == (3, "--set-string global.name=c", 0, 0)
    assert merged.problems == []
