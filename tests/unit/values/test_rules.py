"""What the schema cannot express: the official chart's rules outside our sections, the
injector's own refusals, values written as YAML or JSON inside strings, numbers where a quantity
goes, and near misses of our section names."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject import values
from consul_inject.values import check


def lines(tree: dict[str, Any], *, chart_rules: bool = True) -> list[str]:
    return [p.text() for p in check.check(tree, chart_rules=chart_rules)]


@pytest.mark.parametrize("timeout", ["0s", "0", "0ms", "0h0m"])
def test_a_zero_api_timeout_is_a_warning(timeout: str) -> None:
    """The chart installs it (the injector then refuses to start): a warning."""
    expected = [f'global.consulAPITimeout: warning: "{timeout}" must be greater than zero: the '
                "injector refuses to start with it (the chart accepts it)"]
    assert lines({"global": {"consulAPITimeout": timeout}}) == expected
    assert lines({"global": {"consulAPITimeout": timeout}}, chart_rules=False) == expected


def test_the_official_chart_rules_are_off_for_our_chart_defaults() -> None:
    tree = {"connectInject": {"enabled": True}, "client": {"grpc": False}}
    (line,) = lines(tree)
    assert line.startswith("client.grpc: client.grpc must be true for connect injection")
    assert lines(tree, chart_rules=False) == []


@pytest.mark.parametrize(("tree", "start"), [
    ({"global": {"peering": {"enabled": True}}}, "global.peering.enabled: setting"),
    ({"externalServers": {"enabled": True}}, "externalServers.hosts: externalServers.hosts must"),
    ({"connectInject": {"enabled": "-"}, "global": {"enabled": True}, "client": {"enabled": False}},
     "client.enabled: clients must be enabled"),
])
def test_official_chart_rules(tree: dict[str, Any], start: str) -> None:
    (line,) = lines(tree)
    assert line.startswith(start)


@pytest.mark.parametrize(("value", "ok"), [(1, True), (0.5, True), (1e3, True),
                                           (float("inf"), False), (float("nan"), False)])
def test_numbers_where_a_quantity_goes(value: float, ok: bool) -> None:
    tree = {"connectInject": {"sidecarProxy": {"resources": {"limits": {"cpu": value}}},
                              "resources": {"requests": {"memory": value}}}}
    found = lines(tree)
    assert len(found) == (0 if ok else 2)
    assert all("is not a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi" in f for f in found)


@pytest.mark.parametrize(("tree", "message"), [
    ({"global": {"secretsBackend": {"vault": {"connectCA": {"additionalConfig": "{x"}}}}},
     "is not JSON: "),
    ({"connectInject": {"tolerations": "a: b"}}, "must be a YAML list inside the string"),
    ({"connectInject": {"nodeSelector": "- a"}}, "must be a YAML map inside the string"),
    ({"connectInject": {"affinity": "a: [b"}}, "is not valid YAML (line 2 of the string)"),
])
def test_yaml_and_json_inside_strings(tree: dict[str, Any], message: str) -> None:
    (problem,) = values.validate_values(tree)
    assert message in problem.message


def test_templates_for_tpl_are_not_parsed_except_the_selector() -> None:
    assert values.validate_values({"connectInject": {"nodeSelector": "{{ .Values.x }}"}}) == []
    (problem,) = values.validate_values({"connectInject": {"namespaceSelector": "{{ .Values.x }}"}})
    assert "consul-inject cannot evaluate" in problem.message


def test_a_near_miss_of_a_section_name() -> None:
    (problem,) = values.validate_values({"connectinject": {"default": True}})
    assert problem.message == ('unknown section "connectinject"; did you mean "connectInject"? '
                               "(the chart ignores it, so none of its settings apply)")
    assert values.validate_values({"myApp": {"x": 1}, "server": {"y": 2}}) == []
