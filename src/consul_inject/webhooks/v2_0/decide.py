"""Should a pod template be injected under consul-k8s 2.0/1.9? The webhook's gates, then
`shouldInject` (2.0 no longer refuses the annotations 0.49 deprecated; it ignores them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject.webhooks import common
from consul_inject.webhooks.base import Decision
from consul_inject.webhooks.v2_0.settings import Settings


def decide(settings: Settings, meta: Mapping[str, Any], namespace: str,
           namespace_labels: Mapping[str, str]) -> Decision:
    gated = common.webhook_gates(settings, meta, namespace, namespace_labels)
    if gated is not None:
        return gated
    return common.should_inject(settings, meta.get("annotations") or {}, namespace)
