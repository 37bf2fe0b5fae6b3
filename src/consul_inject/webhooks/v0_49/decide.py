"""Should a pod template be injected? The webhook's gates and `shouldInject`, as a pure function.

Order (first match wins), as consul-k8s v0.49 applies it: the chart's webhook selectors
(namespaceSelector, objectSelector `app != consul`), then the deprecated-annotation check, then
kube-system/kube-public, deny list, allow list, already injected, the annotation, the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject.problems import TemplateError
from consul_inject.webhooks.base import Decision
from consul_inject.webhooks.common import selector_matches
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
