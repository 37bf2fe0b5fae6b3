"""Names of the `consul.hashicorp.com/*` annotations and labels, and their typed parsing.

Parsing keeps the Go semantics users rely on (strconv.ParseBool spellings, base-0 integers,
named ports, untrimmed comma lists, from `gocompat`); where consul-k8s accepts garbage, the
checks in `podconfig` refuse it with a TemplateError instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject import gocompat
from consul_inject.problems import TemplateError

P = "consul.hashicorp.com/"

INJECT = P + "connect-inject"
INJECT_STATUS = P + "connect-inject-status"
SERVICE = P + "connect-service"
SERVICE_PORT = P + "connect-service-port"
UPSTREAMS = P + "connect-service-upstreams"
SERVICE_PROTOCOL = P + "connect-service-protocol"
SYNC_PERIOD = P + "connect-sync-period"
MOUNT_VOLUME = P + "connect-inject-mount-volume"
USER_VOLUME = P + "consul-sidecar-user-volume"
USER_VOLUME_MOUNT = P + "consul-sidecar-user-volume-mount"
SIDECAR_CPU_LIMIT = P + "sidecar-proxy-cpu-limit"
SIDECAR_CPU_REQUEST = P + "sidecar-proxy-cpu-request"
SIDECAR_MEMORY_LIMIT = P + "sidecar-proxy-memory-limit"
SIDECAR_MEMORY_REQUEST = P + "sidecar-proxy-memory-request"
CONSUL_SIDECAR_CPU_LIMIT = P + "consul-sidecar-cpu-limit"
CONSUL_SIDECAR_CPU_REQUEST = P + "consul-sidecar-cpu-request"
CONSUL_SIDECAR_MEMORY_LIMIT = P + "consul-sidecar-memory-limit"
CONSUL_SIDECAR_MEMORY_REQUEST = P + "consul-sidecar-memory-request"
ENVOY_CONCURRENCY = P + "consul-envoy-proxy-concurrency"
ENVOY_EXTRA_ARGS = P + "envoy-extra-args"
TPROXY = P + "transparent-proxy"
TPROXY_OVERWRITE_PROBES = P + "transparent-proxy-overwrite-probes"
TPROXY_EXCLUDE_INBOUND_PORTS = P + "transparent-proxy-exclude-inbound-ports"
TPROXY_EXCLUDE_OUTBOUND_PORTS = P + "transparent-proxy-exclude-outbound-ports"
TPROXY_EXCLUDE_OUTBOUND_CIDRS = P + "transparent-proxy-exclude-outbound-cidrs"
TPROXY_EXCLUDE_UIDS = P + "transparent-proxy-exclude-uids"
CONSUL_DNS = P + "consul-dns"
ENABLE_METRICS = P + "enable-metrics"
ENABLE_METRICS_MERGING = P + "enable-metrics-merging"
MERGED_METRICS_PORT = P + "merged-metrics-port"
PROMETHEUS_SCRAPE_PORT = P + "prometheus-scrape-port"
PROMETHEUS_SCRAPE_PATH = P + "prometheus-scrape-path"
SERVICE_METRICS_PORT = P + "service-metrics-port"
SERVICE_METRICS_PATH = P + "service-metrics-path"
PROMETHEUS_CA_FILE = P + "prometheus-ca-file"
PROMETHEUS_CA_PATH = P + "prometheus-ca-path"
PROMETHEUS_CERT_FILE = P + "prometheus-cert-file"
PROMETHEUS_KEY_FILE = P + "prometheus-key-file"
USE_PROXY_HEALTH_CHECK = P + "use-proxy-health-check"
KUBERNETES_SERVICE = P + "kubernetes-service"
ORIGINAL_POD = P + "original-pod"
TPROXY_STATUS = P + "transparent-proxy-status"
CONSUL_NAMESPACE = P + "consul-namespace"
REDIRECT_TRAFFIC_CONFIG = P + "redirect-traffic-config"

LABEL_INJECT_STATUS = P + "connect-inject-status"
LABEL_MANAGED_BY = P + "connect-inject-managed-by"
MANAGED_BY_VALUE = "consul-k8s-endpoints-controller"
INJECTED = "injected"

# Every annotation this injector reads; anything else under the prefix draws a typo warning.
KNOWN = frozenset(
    value for name, value in globals().items() if name.isupper() and isinstance(value, str)
    and value.startswith(P) and value != P
) | {P + "service-tags", P + "connect-service-tags", P + "service-ignore"}
META_PREFIX = P + "service-meta-"

def container_port_named(spec: Mapping[str, Any], name: str) -> int | None:
    for container in spec.get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == name and isinstance(port.get("containerPort"), int):
                return int(port["containerPort"])
    return None


def port_value(spec: Mapping[str, Any], raw: str) -> int:
    """consul-k8s portValue: a container port name (any container), else a base-0 integer."""
    text = raw.split(",", 1)[0]
    named = container_port_named(spec, text)
    if named is not None:
        return named
    return gocompat.parse_int(text, 32)


def split_list(value: str) -> list[str]:
    """Go strings.Split(value, ","); an empty annotation is no list at all."""
    return value.split(",") if value != "" else []


def envoy_extra_args(key: str, value: str) -> list[str]:
    """Split like google/shlex, then re-quote tokens with spaces as consul-k8s does."""
    try:
        tokens = gocompat.shlex_split(value)
    except ValueError as err:
        raise TemplateError(
            key, f"cannot split {value!r} into arguments: {err}",
            "expected shell-like words, for example --log-level debug",
        ) from None
    return [gocompat.quote(t) if " " in t else t for t in tokens]


def get(annotations: Mapping[str, Any], key: str) -> str | None:
    value = annotations.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TemplateError(
            key, f"value {value!r} is a {type(value).__name__}, not a string",
            'annotation values must be quoted strings, for example "true" or "8080"',
        )
    return value


def get_bool(annotations: Mapping[str, Any], key: str, default: bool, *, empty_is_default: bool
             = False) -> bool:
    value = get(annotations, key)
    if value is None or (empty_is_default and value == ""):
        return default
    try:
        return gocompat.parse_bool(value)
    except ValueError:
        raise TemplateError(key, f'"{value}" is not a boolean', gocompat.BOOL_FORM) from None
