"""Should a pod template be injected? The webhook's gates and `shouldInject`, as a pure function.

Order (first match wins), as consul-k8s v0.49 applies it: the chart's webhook selectors
(namespaceSelector, objectSelector `app != consul`), then the deprecated-annotation check, then
kube-system/kube-public, deny list, allow list, already injected, the annotation, the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject.problems import TemplateError
from consul_inject.webhooks import common
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


def decide(
    settings: Settings,
    meta: Mapping[str, Any],
    namespace: str,
    namespace_labels: Mapping[str, str],
) -> Decision:
    """The inject decision for a pod template's metadata in `namespace`.

    Raises TemplateError where the webhook would reject the pod.
    """
    gated = common.webhook_gates(settings, meta, namespace, namespace_labels)
    if gated is not None:
        return gated
    annotations = meta.get("annotations") or {}
    for key, message in _DEPRECATED.items():
        if key in annotations:
            raise TemplateError(key, message)
    return common.should_inject(settings, annotations, namespace)
