"""Should a pod template be injected? The webhook's gates and `shouldInject`, as a pure function.

Order (first match wins), as consul-k8s v0.49 applies it: the chart's webhook selectors
(namespaceSelector, objectSelector `app != consul`), then the deprecated-annotation check, then
kube-system/kube-public, deny list, allow list, already injected, the annotation, the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from consul_inject import yamlcodec
from consul_inject.problems import TemplateError
from consul_inject.webhooks.base import Decision
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49.settings import Settings

_DEPRECATED = {
    ann.SERVICE_PROTOCOL: 'the "consul.hashicorp.com/connect-service-protocol" annotation is no '
    "longer supported. Instead, create a ServiceDefaults resource (see "
    "www.consul.io/docs/k8s/crds/upgrade-to-crds); remove the annotation",
    ann.SYNC_PERIOD: 'the "consul.hashicorp.com/connect-sync-period" annotation is no longer '
    "supported because consul-sidecar is no longer injected to periodically register services; "
    "remove the annotation",
}


@lru_cache(maxsize=8)
def _selector(text: str) -> dict[str, Any]:
    """The parsed selector; the values check made sure it is one (consul_inject.values.selector)."""
    data = yamlcodec.load(text) if text.strip() else None
    return data if isinstance(data, dict) else {}


def selector_matches(selector_text: str, labels: Mapping[str, str]) -> bool:
    """Kubernetes LabelSelector semantics (matchLabels AND every matchExpression)."""
    selector = _selector(selector_text)
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key = str(expr.get("key"))
        operator = expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        present = key in labels
        if operator == "In":
            ok = present and labels[key] in values
        elif operator == "NotIn":
            ok = not present or labels[key] not in values
        elif operator == "Exists":
            ok = present
        elif operator == "DoesNotExist":
            ok = not present
        else:  # consul_inject.values refuses such values before settings are made
            raise ValueError(f"namespaceSelector operator {operator!r} was not checked")
        if not ok:
            return False
    return True


def decide(
    settings: Settings,
    meta: Mapping[str, Any],
    namespace: str,
    namespace_labels: Mapping[str, str],
) -> Decision:
    """The inject decision for a pod template's metadata in `namespace`.

    Raises TemplateError where the webhook would reject the pod.
    """
    if not settings.enabled:
        return Decision(False, "connectInject.enabled is false")
    labels = {"kubernetes.io/metadata.name": namespace, **namespace_labels}
    if not selector_matches(settings.namespace_selector, labels):
        return Decision(False, f'namespace "{namespace}" is outside connectInject.namespaceSelector')
    pod_labels = meta.get("labels") or {}
    if pod_labels.get("app") == settings.consul_app_name:
        return Decision(
            False, f'label app is "{settings.consul_app_name}" (the Consul chart\'s own pods)'
        )
    annotations = meta.get("annotations") or {}
    for key, message in _DEPRECATED.items():
        if key in annotations:
            raise TemplateError(key, message)
    if namespace in ("kube-system", "kube-public"):
        return Decision(False, f'namespace "{namespace}" is never injected')
    if namespace in settings.deny_namespaces:
        return Decision(False, f'namespace "{namespace}" is in connectInject.k8sDenyNamespaces')
    if "*" not in settings.allow_namespaces and namespace not in settings.allow_namespaces:
        return Decision(False, f'namespace "{namespace}" is not in connectInject.k8sAllowNamespaces')
    status = annotations.get(ann.INJECT_STATUS)
    if status not in (None, ""):
        return Decision(False, f'already injected ({ann.INJECT_STATUS} is "{status}")')
    value = ann.get(annotations, ann.INJECT)
    if value is not None:
        if ann.get_bool(annotations, ann.INJECT, False):
            return Decision(True, f'{ann.INJECT} is "{value}"')
        return Decision(False, f'{ann.INJECT} is "{value}"')
    if settings.require_annotation:
        return Decision(False, f"no {ann.INJECT} annotation and connectInject.default is false")
    return Decision(True, "connectInject.default is true")
