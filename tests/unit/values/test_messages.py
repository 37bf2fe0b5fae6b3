"""One-line messages for schema failures: did-you-mean for keys, the chart's advice for keys it
refuses, what is accepted for values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consul_inject import values
from consul_inject.problems import Problem
from consul_inject.values import messages


def validate_file(path: Path) -> list[Problem]:
    return values.validate_files([str(path)])


def one_message(tree: dict[str, Any]) -> str:
    (problem,) = values.validate_values(tree)
    return problem.message


@pytest.mark.parametrize(("text", "message"), [
    ("connectInject:\n  Default: true\n", 'did you mean "default"? (keys are case-sensitive)'),
    ("connectInject:\n  imageK8S: x\n", "it is a key of global; did you mean global.imageK8S?"),
    ("connectInject:\n  k8sAllowNamspaces: []\n", 'did you mean "k8sAllowNamespaces"?'),
    ("controller:\n  zzz: 1\n", 'unknown key "zzz" in controller; known keys: enabled, replicas'),
    ("Global:\n  enabled: true\n", 'unknown section "Global"; did you mean "global"?'),
])
def test_did_you_mean(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(text, encoding="utf-8")
    (problem,) = validate_file(path)
    assert message in problem.message


@pytest.mark.parametrize(("tree", "message"), [
    ({"connectInject": {"imageEnvoy": "e:1"}},
     '"imageEnvoy" is not allowed (the chart fails on it); set global.imageEnvoy instead'),
    ({"global": {"imageConsulDataplane": "d:1"}},
     '"imageConsulDataplane" is a consul-k8s 1.9 and 2.0 value, not of 0.49 (the version '
     "consulInject.consulK8sVersion selects); 0.49 sidecars run Envoy from global.imageEnvoy "
     '(or set consulInject.consulK8sVersion to "1.9" or "2.0")'),
    ({"connectInject": {"enabled": "yes"}},
     'is the string "yes", not a boolean; write true or false without quotes (or "-" for the '
     "setting it follows)"),
    ({"connectInject": {"metrics": {"defaultMergedMetricsPort": 80}}},
     "80 is not a port from 1024 to 65535 (ports below 1024 need root; the sidecar runs as a "
     "normal user)"),
    ({"global": {"consulAPITimeout": "5"}},
     '"5" is not a duration with a unit, such as "5s", "500ms" or "1m30s"'),
    ({"global": {"consulAPITimeout": "5s\n"}},
     '"5s\\n" is not a duration with a unit, such as "5s", "500ms" or "1m30s"'),
    ({"global": {"adminPartitions": {"name": "root"}}},
     'The name "root" set for key global.adminPartitions.name is reserved by Consul for future use '
     "(the chart fails the same way)"),
    ({"global": {"imagePullSecrets": [{}]}}, 'is missing; each entry needs "name"'),
    ({"connectInject": {"resources": {"limits": {"cpu ": "1"}}}},
     '"cpu " is not a resource name such as cpu, memory or ephemeral-storage'),
])
def test_value_messages(tree: dict[str, Any], message: str) -> None:
    assert one_message(tree) == message


def test_describe_and_show() -> None:
    assert messages.describe({"a": 1}) == "a map"
    assert messages.describe([1]) == "a list"
    assert messages.describe("x") == 'the string "x"'
    assert messages.describe(True) == "the boolean true"
    assert messages.show("x" * 100).endswith("...")
    assert messages.json_type(1.5) == "number"
