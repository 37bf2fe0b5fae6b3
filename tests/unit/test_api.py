"""api: the public Python API (inject_stream, validate_values), the command line's pipeline,
values and checks without its I/O."""

from __future__ import annotations

from pathlib import Path

import pytest

import consul_inject
from consul_inject import api
from consul_inject.problems import ConsulInjectError
from consul_inject.webhooks.v0_49 import annotations as ann
from tests.conftest import load_docs

SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {ANNOTATIONS}
    spec:
      containers: [{name: web, image: example/web:1, ports: [{containerPort: 8080}]}]
"""
OPTED_IN = SERVICE + "---\n" + DEPLOYMENT.replace("{ANNOTATIONS}", f'{{{ann.INJECT}: "true"}}')
PLAIN = SERVICE + "---\n" + DEPLOYMENT.replace("{ANNOTATIONS}", "{}")


def containers(stream: str) -> list[str]:
    deployment = next(d for d in load_docs(stream) if d["kind"] == "Deployment")
    return [c["name"] for c in deployment["spec"]["template"]["spec"]["containers"]]


def test_the_package_exports_the_api() -> None:
    assert consul_inject.inject_stream is api.inject_stream
    assert consul_inject.validate_values is api.validate_values
    assert consul_inject.ConsulInjectError is ConsulInjectError


def test_inject_stream() -> None:
    result = api.inject_stream(OPTED_IN, namespace="apps")
    assert containers(result.output) == ["web", "envoy-sidecar"]
    (workload,) = result.workloads
    assert workload == api.WorkloadResult("Deployment", "web", "apps", True, "injected",
                                          workload.reason, ("web",), ())
    assert 'deployment "web" injected (namespace apps; as web)' in result.report
    assert result.output.startswith(SERVICE)  # untouched documents byte for byte


def test_bytes_in_str_out_and_nothing_to_do() -> None:
    result = api.inject_stream(PLAIN.encode())
    assert result.output == PLAIN
    (workload,) = result.workloads
    assert (workload.injected, workload.outcome) == (False, "skipped")


def test_values_and_set_values() -> None:
    result = api.inject_stream(PLAIN, values={"connectInject": {"default": True}})
    assert containers(result.output) == ["web", "envoy-sidecar"]
    off = api.inject_stream(PLAIN, values={"connectInject": {"default": True}},
                            set_values=["connectInject.default=false"])
    assert off.output == PLAIN


def test_bad_values_raise_with_their_problems() -> None:
    with pytest.raises(ConsulInjectError) as info:
        api.inject_stream(PLAIN, values={"connectInject": {"default": "yes"}})
    assert info.value.problems
    assert any("connectInject.default" in p.text() for p in info.value.problems)


def test_bad_input_raises_with_its_problems() -> None:
    bad = OPTED_IN.replace('"true"', '"yes"')
    with pytest.raises(ConsulInjectError) as info:
        api.inject_stream(bad, source="web.yaml")
    (problem,) = info.value.problems
    assert f'{ann.INJECT}: "yes" is not a boolean' in problem.text()


def test_strict_makes_warnings_errors() -> None:
    lonely = DEPLOYMENT.replace("{ANNOTATIONS}", f'{{{ann.INJECT}: "true"}}')
    warned = api.inject_stream(lonely, set_values=["consulInject.missingService=warn"])
    assert warned.warnings
    with pytest.raises(ConsulInjectError, match="--strict: "):
        api.inject_stream(lonely, set_values=["consulInject.missingService=warn"], strict=True)


def test_uninject_and_reinject() -> None:
    injected = api.inject_stream(OPTED_IN).output
    assert api.inject_stream(injected, transform="uninject").output == OPTED_IN
    again = api.inject_stream(injected, transform="reinject",
                              set_values=["global.imageEnvoy=envoyproxy/envoy:v1.24.0"])
    assert "envoyproxy/envoy:v1.24.0" in again.output


def test_validate_values(tmp_path: Path) -> None:
    assert api.validate_values({"connectInject": {"default": True}}) == []
    problems = api.validate_values({"connectInject": {"default": "yes"}})
    assert [p.severity for p in problems] == ["error"]
    values = tmp_path / "values.yaml"
    values.write_text("connectInject:\n  default: yes-please\n")
    (problem,) = api.validate_values(values)
    assert problem.line == 2
