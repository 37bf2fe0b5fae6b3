"""advice: warnings about workloads the 2.0/1.9 webhook injects or skips without a word."""

from __future__ import annotations

from typing import Any

from consul_inject.webhooks.v2_0 import advice
from tests.unit.webhooks.v2_0.support import ZERO, P, out, pod, with_


def warnings(resource: dict[str, Any], before: dict[str, Any], after: Any) -> list[str]:
    return advice.advice(resource, ("spec", "template"), before, after, "2.0")


def test_annotation_on_the_workload_instead_of_the_template() -> None:
    resource = {"kind": "Deployment", "metadata": {"annotations": {P + "connect-inject": "true"}}}
    (text,) = warnings(resource, pod({}), None)
    assert "spec.template.metadata.annotations" in text


def test_ignored_and_unknown_annotations() -> None:
    before = pod({P + "connect-service-protocol": "http", P + "connect-servce": "x"})
    found = warnings({"kind": "Deployment"}, before, out(before))
    assert any("not read since consul-k8s 1.0" in w for w in found)
    assert any("connect-servce is not an annotation consul-k8s 2.0 reads" in w for w in found)


def test_jobs_need_the_native_sidecar() -> None:
    before = pod({})
    assert any("Job never completes" in w for w in warnings({"kind": "Job"}, before, out(before)))
    native = out(before, with_(ZERO, native_sidecar=True))
    assert not any("Job" in w for w in warnings({"kind": "Job"}, before, native))


def test_known_annotations_say_nothing() -> None:
    before = pod({P + "connect-service-default-port": "http", P + "service-tags": "a"})
    assert warnings({"kind": "Deployment"}, before, out(before)) == []
