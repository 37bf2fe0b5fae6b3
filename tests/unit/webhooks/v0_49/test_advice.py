"""advice: warnings about a workload the v0.49 webhook would inject, or skip, without a word."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject.webhooks.v0_49 import advice
from consul_inject.webhooks.v0_49 import annotations as ann

PATH = ("spec", "template")


def deployment(kind: str = "Deployment", own: dict[str, Any] | None = None,
               template: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": "web", "annotations": own or {}},
            "spec": {"template": template or {}}}


def pod_template(annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"annotations": annotations or {}}, "spec": {"containers": [{}], **spec}}


# --- skipped -----------------------------------------------------------------------------------


def test_the_annotation_on_the_workload_s_own_metadata_is_pointed_out() -> None:
    resource = deployment(own={ann.INJECT: "true"})
    (warning,) = advice.advice(resource, PATH, pod_template(), None)
    assert warning == (f"{ann.INJECT} is set on the Deployment's own metadata, which the "
                       "injector never reads; move it to spec.template.metadata.annotations")


@pytest.mark.parametrize(("resource", "path", "template"), [
    (deployment(), PATH, pod_template()),  # nothing set anywhere
    (deployment(own={ann.INJECT: "true"}), PATH, pod_template({ann.INJECT: "false"})),
    (deployment(kind="Pod", own={ann.INJECT: "true"}), (), pod_template()),  # a Pod is its own
    ({"kind": "Deployment", "metadata": "web"}, PATH, pod_template()),
    ({"kind": "Deployment", "metadata": {"annotations": ["x"]}}, PATH, pod_template()),
])
def test_nothing_to_say_about_a_skipped_workload(resource: dict[str, Any],
                                                  path: tuple[str, ...],
                                                  template: dict[str, Any]) -> None:
    assert advice.advice(resource, path, template, None) == []


# --- injected ----------------------------------------------------------------------------------


def test_nothing_to_say_about_a_plain_injected_deployment() -> None:
    template = pod_template({ann.INJECT: "true", ann.P + "service-meta-team": "a",
                             ann.P + "service-tags": "x", "example.com/other": "y"})
    assert advice.advice(deployment(), PATH, template, template) == []


@pytest.mark.parametrize(("resource", "template", "start"), [
    (deployment(), pod_template(hostNetwork=True), "uses hostNetwork: the sidecar shares"),
    (deployment(kind="Job"), pod_template(), "is a Job: the envoy-sidecar container keeps"),
    (deployment(kind="CronJob"), pod_template(), "is a Job: the envoy-sidecar container keeps"),
    (deployment(own={"helm.sh/hook": "pre-install"}), pod_template(),
     f'is a Helm hook; set {ann.INJECT}: "false" on it'),
    (deployment(), pod_template({ann.P + "connect-injekt": "true"}),
     f"{ann.P}connect-injekt is not an annotation consul-k8s 0.49 reads"),
])
def test_warnings_about_an_injected_workload(resource: dict[str, Any], template: dict[str, Any],
                                             start: str) -> None:
    (warning,) = advice.advice(resource, PATH, template, template)
    assert warning.startswith(start)


def test_several_warnings_in_order() -> None:
    template = pod_template({ann.P + "zz": "1", ann.P + "aa": "2"}, hostNetwork=True)
    warnings = advice.advice(deployment(kind="Job", own={"helm.sh/hook": "test"}), PATH,
                             template, template)
    assert [w.split(":")[0].split(";")[0] for w in warnings] == [
        "uses hostNetwork", "is a Job", "is a Helm hook",
        f"{ann.P}aa is not an annotation consul-k8s 0.49 reads",
        f"{ann.P}zz is not an annotation consul-k8s 0.49 reads"]


def test_injected_advice_reads_the_injected_template() -> None:
    """`after` is what is judged: injection's own annotations are known ones."""
    before = pod_template()
    after = pod_template({ann.ORIGINAL_POD: "{}", ann.INJECT_STATUS: "injected",
                          ann.TPROXY_STATUS: "enabled", ann.REDIRECT_TRAFFIC_CONFIG: "{}"})
    assert advice.advice(deployment(), PATH, before, after) == []
    assert advice.advice(deployment(), PATH, before, pod_template(hostNetwork=True))
