"""Remove from a pod template exactly what the v0.49 injection added (`webhooks.restore` does
the work; this says what 0.49 adds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject.webhooks import restore
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import containers as c

ADDED = restore.Added(
    annotations=(ann.SERVICE_PORT, ann.ORIGINAL_POD, ann.INJECT_STATUS, ann.TPROXY_STATUS,
                 "prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path",
                 ann.CONSUL_NAMESPACE, ann.REDIRECT_TRAFFIC_CONFIG),
    container=lambda name: name in (c.COPY_BIN, c.INIT, c.ENVOY, c.CONSUL_SIDECAR)
    or name.startswith((c.INIT + "-", c.ENVOY + "-")),
    data_volume=c.DATA_VOLUME,
    volumes=lambda a: restore.user_volume_names(a, ann.USER_VOLUME)
    | restore.service_account_volumes(a),
)
VERSION_ANNOTATIONS = (ann.P + "connect-k8s-version", ann.P + "consul-k8s-version")


def is_injected(template: Mapping[str, Any]) -> bool:
    """Injected by this version: the status, and none of the version annotations 1.0+ writes."""
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    return (annotations.get(ann.INJECT_STATUS) == ann.INJECTED
            and not any(k in annotations for k in VERSION_ANNOTATIONS))


def uninject(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an injected pod template (or Pod) without what injection added."""
    return restore.uninject(template, ADDED)
