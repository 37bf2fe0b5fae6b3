"""uninject: remove exactly what the 2.0/1.9 injection added, wherever it placed the sidecar
(first with lifecycle, last, or among the init containers); and is_injected."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consul_inject.webhooks.v2_0 import mutate, uninject
from consul_inject.webhooks.v2_0.settings import V1_9, Settings
from tests.unit.webhooks.v2_0.support import SA_MOUNT, ZERO, P, app, out, pod, with_

CHART = with_(Settings(), cluster_dns_ip="10.96.0.10")
SETTINGS = {
    "zero": ZERO, "chart": CHART, "chart-1.9": with_(CHART, variant=V1_9),
    "native": with_(CHART, native_sidecar=True), "cni": with_(CHART, cni=True),
    "no-tproxy": with_(CHART, tproxy=False, lifecycle=False),
    "acls-ns": with_(CHART, auth_method="m", enable_namespaces=True, partition="p"),
    "metrics": with_(CHART, metrics=True, metrics_merging=True, access_logs="/var/log/a.log"),
    "dual-stack": with_(CHART, dual_stack=True),
}
PROBED = app(ports=[{"name": "http", "containerPort": 8080}],
             readinessProbe={"httpGet": {"path": "/ready", "port": "http"}},
             livenessProbe={"httpGet": {"path": "/live", "port": 8080}},
             env=[{"name": "KEEP", "value": "1"}], volumeMounts=[SA_MOUNT])
ANNOTATIONS = [
    {},
    {P + "connect-inject": "true", P + "connect-service-upstreams": "db:5432,cache:6379"},
    {P + "connect-inject-mount-volume": "web"},
    {P + "consul-sidecar-user-volume": '[{"name": "certs", "emptyDir": {}}]',
     P + "consul-sidecar-user-volume-mount": '[{"name": "certs", "mountPath": "/c"}]'},
    {P + "use-proxy-health-check": "true", P + "connect-service-port": "8080"},
    {"prometheus.io/scrape": "false", P + "enable-metrics": "true"},
]


@pytest.mark.parametrize("name", sorted(SETTINGS))
@pytest.mark.parametrize("annotations", ANNOTATIONS)
def test_uninject_of_inject_is_the_template(name: str, annotations: dict[str, str]) -> None:
    source = pod(annotations, copy.deepcopy(PROBED), volumes=[{"name": "data", "emptyDir": {}}],
                 initContainers=[app("setup")])
    source["metadata"]["labels"] = {"app": "web"}
    injected = out(source, SETTINGS[name])
    assert uninject.is_injected(injected)
    assert uninject.uninject(injected) == source


def test_multiport_round_trip() -> None:
    source = pod({P + "connect-service": "web,web-admin", P + "transparent-proxy": "false"},
                 copy.deepcopy(PROBED), serviceAccountName="web")
    for settings_ in (with_(CHART, auth_method="m"), CHART, with_(CHART, native_sidecar=True)):
        assert uninject.uninject(out(source, settings_)) == source


def test_is_injected_needs_a_version_annotation() -> None:
    assert not uninject.is_injected(pod({P + "connect-inject-status": "injected"}))
    assert uninject.is_injected(pod({P + "connect-inject-status": "injected",
                                     P + "connect-k8s-version": "2.0.3"}))
    assert not uninject.is_injected(pod())
    assert not uninject.is_injected({})


def test_a_template_with_null_annotations_comes_back_null() -> None:
    source = pod(None)
    source["metadata"]["annotations"] = None
    assert uninject.uninject(out(source, CHART)) == source


def test_the_users_dns_policy_comes_back() -> None:
    source = pod(None, dnsPolicy="ClusterFirst")
    injected = out(source, CHART)
    assert injected["spec"]["dnsPolicy"] == "None"
    assert uninject.uninject(injected) == source


# --- the property ----------------------------------------------------------------------------

NAMES = st.from_regex(r"\A[a-z][a-z0-9]{0,6}\Z")
PORTS = st.integers(1024, 14999)
BOOL_TEXT = st.sampled_from(["true", "false"])


@st.composite
def templates(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True).filter(
        lambda xs: not any(x.startswith("consul") for x in xs)))
    ports = draw(st.lists(PORTS, min_size=len(names), max_size=len(names), unique=True))
    containers = []
    for name, port in zip(names, ports, strict=True):
        item: dict[str, Any] = {"name": name, "image": "img",
                                "ports": [{"name": f"p{port}", "containerPort": port}]}
        for key in draw(st.lists(st.sampled_from(["readinessProbe", "livenessProbe",
                                                  "startupProbe"]), unique=True)):
            item[key] = {"httpGet": {"port": draw(st.sampled_from([port, f"p{port}"]))}}
        if draw(st.booleans()):
            item["env"] = [{"name": "A_CONNECT_SERVICE_HOST", "value": "mine"}]
        containers.append(item)
    annotations = draw(st.dictionaries(st.sampled_from([
        P + "transparent-proxy", P + "enable-metrics", P + "enable-sidecar-proxy-lifecycle",
        P + "enable-consul-dataplane-as-sidecar", P + "use-proxy-health-check",
        P + "transparent-proxy-overwrite-probes", P + "enable-metrics-merging"]), BOOL_TEXT))
    if draw(st.booleans()):
        annotations[P + "connect-service-upstreams"] = "db:1000,other:1001"
    if draw(st.booleans()):
        annotations[P + "connect-inject-mount-volume"] = names[0]
    spec: dict[str, Any] = {"containers": containers}
    if draw(st.booleans()):
        spec["volumes"] = [{"name": "v", "emptyDir": {}}]
    if draw(st.booleans()):
        spec["initContainers"] = [{"name": "setup", "image": "img"}]
    meta: dict[str, Any] = {"annotations": annotations}
    if draw(st.booleans()):
        meta["labels"] = {"app": names[0]}
    return {"metadata": meta, "spec": spec}


@settings(max_examples=150, deadline=None)
@given(templates(), st.sampled_from(sorted(SETTINGS)))
def test_property_uninject_of_inject(template: dict[str, Any], name: str) -> None:
    source = copy.deepcopy(template)
    injected = mutate.inject(SETTINGS[name], template, "apps", {}).template
    assert template == source  # inject is pure
    assert uninject.uninject(injected) == source
