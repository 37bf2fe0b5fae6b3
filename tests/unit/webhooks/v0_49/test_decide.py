"""The inject decision: the chart's webhook selectors, validatePod, then shouldInject (spec 1)."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject import values
from consul_inject.problems import ConsulInjectError, TemplateError
from consul_inject.webhooks.base import Decision
from consul_inject.webhooks.common import selector_matches
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49.decide import decide
from consul_inject.webhooks.v0_49.settings import Settings, from_values

CHART = from_values({})
OPEN = from_values({"connectInject": {"namespaceSelector": ""}})  # no namespaceSelector
OPT_IN = {"annotations": {ann.INJECT: "true"}}


def meta(annotations: dict[str, Any] | None = None,
         labels: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if annotations is not None:
        out["annotations"] = annotations
    if labels is not None:
        out["labels"] = labels
    return out


def run(settings: Settings, m: dict[str, Any], namespace: str = "default",
        ns_labels: dict[str, str] | None = None) -> Decision:
    return decide(settings, m, namespace, ns_labels or {})


# --- rule 0: chart gates ---------------------------------------------------------------------


def test_disabled_injects_nothing() -> None:
    d = run(from_values({"connectInject": {"enabled": False}}), OPT_IN)
    assert d == Decision(False, "connectInject.enabled is false")


@pytest.mark.parametrize("namespace", ["kube-system", "local-path-storage", "openebs"])
def test_default_namespace_selector_excludes(namespace: str) -> None:
    d = run(CHART, OPT_IN, namespace)
    assert not d.inject
    assert "namespaceSelector" in d.reason


@pytest.mark.parametrize("namespace", ["local-path-storage", "openebs"])
def test_without_selector_only_kube_namespaces_are_hard_coded(namespace: str) -> None:
    assert run(OPEN, OPT_IN, namespace).inject


def test_namespace_selector_sees_namespace_labels() -> None:
    s = from_values({"connectInject": {"namespaceSelector": "matchLabels:\n  mesh: \"on\"\n"}})
    assert run(s, OPT_IN, "apps", {"mesh": "on"}).inject
    assert not run(s, OPT_IN, "apps", {"mesh": "off"}).inject
    assert not run(s, OPT_IN, "apps").inject


def test_namespace_selector_runs_before_deprecated_annotation_check() -> None:
    m = meta({ann.SERVICE_PROTOCOL: "http"})
    assert not run(CHART, m, "kube-system").inject
    with pytest.raises(TemplateError):
        run(CHART, m, "default")


def test_consul_app_label_is_skipped() -> None:
    d = run(CHART, meta({ann.INJECT: "true"}, {"app": "consul"}))
    assert not d.inject
    assert "app" in d.reason
    assert run(CHART, meta({ann.INJECT: "true"}, {"app": "consul-ui"})).inject


def test_consul_app_label_follows_name_override() -> None:
    s = from_values({"nameOverride": "mesh"})
    assert not run(s, meta({ann.INJECT: "true"}, {"app": "mesh"})).inject
    assert run(s, meta({ann.INJECT: "true"}, {"app": "consul"})).inject


def test_consul_app_label_runs_before_deprecated_annotation_check() -> None:
    d = run(CHART, meta({ann.SERVICE_PROTOCOL: "http"}, {"app": "consul"}))
    assert not d.inject


# --- rule 1: validatePod --------------------------------------------------------------------


PROTOCOL_MESSAGE = (
    'the "consul.hashicorp.com/connect-service-protocol" annotation is no longer supported. '
    "Instead, create a ServiceDefaults resource (see "
    "www.consul.io/docs/k8s/crds/upgrade-to-crds)"
)
SYNC_MESSAGE = (
    'the "consul.hashicorp.com/connect-sync-period" annotation is no longer supported because '
    "consul-sidecar is no longer injected to periodically register services"
)


@pytest.mark.parametrize(("key", "message"), [(ann.SERVICE_PROTOCOL, PROTOCOL_MESSAGE),
                                              (ann.SYNC_PERIOD, SYNC_MESSAGE)])
@pytest.mark.parametrize("inject", ["true", "false", None])
def test_deprecated_annotations_raise_even_when_not_injected(key: str, message: str,
                                                             inject: str | None) -> None:
    annotations = {key: ""}
    if inject is not None:
        annotations[ann.INJECT] = inject
    with pytest.raises(TemplateError) as info:
        run(CHART, meta(annotations))
    assert info.value.problems[0].key == key
    # consul-k8s's exact message comes first (a hint may follow).
    assert info.value.problems[0].message.startswith(message)


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public"])
def test_deprecated_annotations_checked_before_kube_namespaces(namespace: str) -> None:
    with pytest.raises(TemplateError):
        run(OPEN, meta({ann.SYNC_PERIOD: "10s"}), namespace)


def test_deprecated_annotations_checked_before_deny_list_and_status() -> None:
    s = from_values({"connectInject": {"k8sDenyNamespaces": ["default"]}})
    with pytest.raises(TemplateError):
        run(s, meta({ann.SERVICE_PROTOCOL: "http"}))
    with pytest.raises(TemplateError):
        run(CHART, meta({ann.SERVICE_PROTOCOL: "http", ann.INJECT_STATUS: "injected"}))


# --- rules 2..7: shouldInject ---------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["kube-system", "kube-public"])
def test_kube_namespaces_never_injected(namespace: str) -> None:
    d = run(OPEN, OPT_IN, namespace)
    assert d == Decision(False, f'namespace "{namespace}" is never injected')


def test_kube_namespaces_win_over_allow_list() -> None:
    s = from_values({"connectInject": {"namespaceSelector": "",
                                       "k8sAllowNamespaces": ["kube-public"]}})
    assert not run(s, OPT_IN, "kube-public").inject


@pytest.mark.parametrize("allow", [["*"], ["apps"], ["*", "apps"]])
def test_deny_wins_over_allow(allow: list[str]) -> None:
    s = from_values({"connectInject": {"k8sAllowNamespaces": allow,
                                       "k8sDenyNamespaces": ["apps"]}})
    d = run(s, OPT_IN, "apps")
    assert not d.inject
    assert "k8sDenyNamespaces" in d.reason
    assert run(s, OPT_IN, "other").inject is ("*" in allow)


def test_deny_is_checked_before_allow_list() -> None:
    s = from_values({"connectInject": {"k8sAllowNamespaces": ["x"],
                                       "k8sDenyNamespaces": ["apps"]}})
    assert "k8sDenyNamespaces" in run(s, OPT_IN, "apps").reason


def test_allow_list() -> None:
    s = from_values({"connectInject": {"k8sAllowNamespaces": ["apps", "web"]}})
    assert run(s, OPT_IN, "apps").inject
    assert run(s, OPT_IN, "web").inject
    d = run(s, OPT_IN, "default")
    assert not d.inject
    assert "k8sAllowNamespaces" in d.reason


def test_empty_allow_list_injects_nothing() -> None:
    s = from_values({"connectInject": {"k8sAllowNamespaces": []}})
    assert not run(s, OPT_IN, "default").inject


def test_allow_list_is_checked_before_annotation() -> None:
    s = from_values({"connectInject": {"k8sAllowNamespaces": ["apps"]}})
    assert not run(s, meta({ann.INJECT: "not-a-bool"}), "default").inject


@pytest.mark.parametrize("status", ["injected", "x", "false"])
def test_any_non_empty_status_means_already_injected(status: str) -> None:
    d = run(CHART, meta({ann.INJECT: "true", ann.INJECT_STATUS: status}))
    assert not d.inject
    assert "already injected" in d.reason


def test_empty_status_is_not_injected() -> None:
    assert run(CHART, meta({ann.INJECT: "true", ann.INJECT_STATUS: ""})).inject


def test_status_is_checked_before_annotation_validity() -> None:
    d = run(CHART, meta({ann.INJECT: "yes", ann.INJECT_STATUS: "injected"}))
    assert not d.inject


@pytest.mark.parametrize("value", ["1", "t", "T", "TRUE", "true", "True"])
def test_annotation_true(value: str) -> None:
    d = run(CHART, meta({ann.INJECT: value}))
    assert d == Decision(True, f'{ann.INJECT} is "{value}"')


@pytest.mark.parametrize("value", ["0", "f", "F", "FALSE", "false", "False"])
@pytest.mark.parametrize("default", [True, False])
def test_annotation_false_wins_over_default(value: str, default: bool) -> None:
    s = from_values({"connectInject": {"default": default}})
    assert run(s, meta({ann.INJECT: value})) == Decision(False, f'{ann.INJECT} is "{value}"')


@pytest.mark.parametrize("value", ["yes", "", " true", "on", "enabled"])
def test_annotation_invalid_raises(value: str) -> None:
    with pytest.raises(TemplateError) as info:
        run(CHART, meta({ann.INJECT: value}))
    assert info.value.problems[0].key == ann.INJECT
    assert f'"{value}"' in str(info.value)


def test_annotation_non_string_raises() -> None:
    with pytest.raises(TemplateError, match="not a string"):
        run(CHART, meta({ann.INJECT: True}))


def test_default_requires_annotation() -> None:
    d = run(CHART, meta())
    assert not d.inject
    assert "connectInject.default is false" in d.reason
    assert not run(CHART, {"annotations": None, "labels": None}).inject


def test_default_true_injects_without_annotation() -> None:
    s = from_values({"connectInject": {"default": True}})
    assert run(s, meta()) == Decision(True, "connectInject.default is true")
    assert run(s, meta({"other": "x"}, {"app": "web"})).inject


# --- selector_matches -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("", {}, True),
        ("matchLabels: {a: b}", {"a": "b"}, True),
        ("matchLabels: {a: b}", {"a": "c"}, False),
        ("matchExpressions: [{key: a, operator: In, values: [x, z]}]", {"a": "z"}, True),
        ("matchExpressions: [{key: a, operator: In, values: [x, z]}]", {}, False),
        ("matchExpressions: [{key: a, operator: NotIn, values: [x]}]", {}, True),
        ("matchExpressions: [{key: a, operator: NotIn, values: [x]}]", {"a": "x"}, False),
        ("matchExpressions: [{key: a, operator: Exists}]", {"a": ""}, True),
        ("matchExpressions: [{key: a, operator: Exists}]", {}, False),
        ("matchExpressions: [{key: a, operator: DoesNotExist}]", {}, True),
        ("matchExpressions: [{key: a, operator: DoesNotExist}]", {"a": "1"}, False),
        ("matchLabels: {a: b}\nmatchExpressions: [{key: c, operator: Exists}]",
         {"a": "b"}, False),
    ],
)
def test_selector_matches(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert selector_matches(selector, labels) is matches


@pytest.mark.parametrize(
    "selector",
    ["matchExpressions: [{key: a, operator: Gt, values: [1]}]", "[1, 2]",
     "matchExpressions: [x]", "a: [b"],
)
def test_invalid_selectors_never_reach_the_decision(selector: str) -> None:
    """The values check refuses them (consul_inject.values.selector), so no settings hold one."""
    tree = {"connectInject": {"namespaceSelector": selector}}
    (problem,) = values.validate_values(tree)
    assert problem.key == "connectInject.namespaceSelector"
    with pytest.raises(ConsulInjectError) as info:
        from_values(tree)
    assert info.value.problems[0].key == "connectInject.namespaceSelector"


def test_an_unchecked_operator_is_an_internal_error() -> None:
    with pytest.raises(ValueError, match="was not checked"):
        selector_matches("matchExpressions: [{key: a, operator: Gt, values: [1]}]", {"a": "1"})
