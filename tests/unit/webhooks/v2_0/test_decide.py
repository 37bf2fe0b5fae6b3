"""decide: the 2.0/1.9 inject decision (spec section 1), TV-01..TV-08 and TV-96."""

from __future__ import annotations

import pytest

from consul_inject.webhooks.v2_0 import decide
from consul_inject.webhooks.v2_0.settings import SELECTOR_1_9, Settings
from tests.unit.webhooks.v2_0.support import ZERO, P, out, pod, with_


def decision(settings: Settings, annotations: dict[str, str] | None = None,
             namespace: str = "default", labels: dict[str, str] | None = None) -> bool:
    meta = {"annotations": annotations or {}, "labels": labels or {}}
    return decide.decide(settings, meta, namespace, {}).inject


# The unit tests call shouldInject directly: no namespaceSelector in the way.
OPEN = with_(ZERO, namespace_selector="")


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public"])
def test_tv01_system_namespaces_are_never_injected(namespace: str) -> None:
    """TV-01"""
    assert not decision(OPEN, namespace=namespace)


def test_tv02_an_empty_allow_list_injects_nothing() -> None:
    """TV-02"""
    assert not decision(with_(OPEN, allow_namespaces=()))


@pytest.mark.parametrize(("allow", "expected"), [
    (("*",), True), (("default",), True), (("ns1", "ns2"), False)])
def test_tv03_allow_list(allow: tuple[str, ...], expected: bool) -> None:
    """TV-03"""
    assert decision(with_(OPEN, allow_namespaces=allow)) is expected


@pytest.mark.parametrize("allow", [("*",), ("default",)])
def test_tv04_deny_beats_allow(allow: tuple[str, ...]) -> None:
    """TV-04"""
    assert not decision(with_(OPEN, allow_namespaces=allow, deny_namespaces=("default",)))


def test_tv05_already_injected_is_skipped() -> None:
    """TV-05: any non-empty status."""
    assert not decision(OPEN, {P + "connect-inject-status": "injected"})
    assert not decision(OPEN, {P + "connect-inject-status": "anything"})
    assert decision(OPEN, {P + "connect-inject-status": ""})


def test_tv06_injection_disabled() -> None:
    """TV-06"""
    assert not decision(OPEN, {P + "connect-inject": "false"})


def test_tv07_truthy_annotation_injects_and_appends_the_sidecar() -> None:
    """TV-07: ParseBool "t"; without lifecycle the sidecar is appended (containers/1)."""
    assert decision(OPEN, {P + "connect-inject": "t"})
    result = out(pod({P + "connect-inject": "t"}))
    assert [c["name"] for c in result["spec"]["initContainers"]] == ["consul-connect-inject-init"]
    assert [c["name"] for c in result["spec"]["containers"]] == ["web", "consul-dataplane"]


def test_tv07_invalid_annotation_is_refused() -> None:
    """TV-07 (its error side): an invalid connect-inject value rejects the pod."""
    with pytest.raises(Exception, match='"yes" is not a boolean'):
        decision(OPEN, {P + "connect-inject": "yes"})


def test_tv08_kube_system_even_with_allow_star() -> None:
    """TV-08"""
    assert not decision(with_(OPEN, allow_namespaces=("*",)), namespace="kube-system")


def test_default_is_opt_in_with_the_chart() -> None:
    assert not decision(with_(OPEN, require_annotation=True))
    assert decision(with_(OPEN, require_annotation=True), {P + "connect-inject": "true"})


def test_tv96_local_path_storage_is_kept_out_by_the_chart_not_by_the_webhook() -> None:
    """TV-96: the endpoints controller ignores local-path-storage; the webhook's own list does
    not have it, the chart's namespaceSelector (both versions) does."""
    assert decision(OPEN, namespace="local-path-storage")
    assert not decision(Settings(require_annotation=False), namespace="local-path-storage")
    assert not decision(with_(ZERO, namespace_selector=SELECTOR_1_9),
                        namespace="local-path-storage")


def test_the_chart_pods_are_left_alone() -> None:
    assert not decision(Settings(), {P + "connect-inject": "true"}, labels={"app": "consul"})


def test_2_0_selector_skips_openshift_cluster_monitoring_namespaces_1_9_does_not() -> None:
    meta = {"annotations": {P + "connect-inject": "true"}}
    labels = {"openshift.io/cluster-monitoring": "true"}
    assert not decide.decide(Settings(), meta, "mon", labels).inject
    assert decide.decide(with_(Settings(), namespace_selector=SELECTOR_1_9), meta, "mon",
                         labels).inject


def test_deprecated_0_49_annotations_are_ignored_not_refused() -> None:
    """2.0 has no validatePod: connect-service-protocol and connect-sync-period pass."""
    result = out(pod({P + "connect-service-protocol": "http", P + "connect-sync-period": "x"}))
    assert result["metadata"]["annotations"][P + "connect-service-protocol"] == "http"
