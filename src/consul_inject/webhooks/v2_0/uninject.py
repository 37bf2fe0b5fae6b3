"""Remove from a pod template exactly what the 2.0/1.9 injection added (`webhooks.restore`
does the work; this says what these versions add). The dataplane sidecar is found by name
wherever it was placed: first in containers (lifecycle), last, or among the init containers
(native sidecar)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject import podmeta
from consul_inject.webhooks import restore
from consul_inject.webhooks.v2_0 import annotations as ann
from consul_inject.webhooks.v2_0 import containers as c

ADDED = restore.Added(
    annotations=(podmeta.SERVICE_PORT, podmeta.ORIGINAL_POD, ann.LEGACY_VERSION, ann.VERSION,
                 ann.ACCESS_LOG_ENABLED, ann.ACCESS_LOG_PATH, podmeta.INJECT_STATUS,
                 ann.TPROXY_STATUS, "prometheus.io/scrape", "prometheus.io/port",
                 "prometheus.io/path", ann.CONSUL_NAMESPACE, ann.REDIRECT_TRAFFIC_CONFIG,
                 ann.DUAL_STACK),
    container=lambda name: name in (c.INIT, c.DATAPLANE)
    or name.startswith((c.INIT + "-", c.DATAPLANE + "-")),
    data_volume=c.DATA_VOLUME,
    volumes=lambda a: restore.user_volume_names(a, ann.USER_VOLUME)
    | restore.service_account_volumes(a) | {c.ACCESS_LOG_VOLUME},
    spec_fields=("dnsPolicy", "dnsConfig"),
)


_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def is_injected(template: Mapping[str, Any]) -> bool:
    """Injected by a dataplane webhook: the status and a version annotation, which the
    endpoints controller needs to treat the pod as a dataplane pod. A pod that also says
    connect-inject "false" was injected by hand (the chart's telemetry collector), never by
    the webhook: it is not ours to undo."""
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    return (annotations.get(podmeta.INJECT_STATUS) == podmeta.INJECTED
            and any(k in annotations for k in (ann.LEGACY_VERSION, ann.VERSION))
            and annotations.get(podmeta.INJECT) not in _FALSE)


def uninject(template: Mapping[str, Any]) -> dict[str, Any]:
    return restore.uninject(template, ADDED)
