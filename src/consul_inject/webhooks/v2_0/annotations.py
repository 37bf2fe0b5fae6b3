"""The `consul.hashicorp.com/*` annotations the consul-k8s 2.0/1.9 webhook reads and writes,
beyond those every version shares (`consul_inject.podmeta`)."""

from __future__ import annotations

from consul_inject.podmeta import CONSUL_NAMESPACE as CONSUL_NAMESPACE
from consul_inject.podmeta import META_PREFIX, P
from consul_inject.podmeta import TPROXY as TPROXY
from consul_inject.podmeta import TPROXY_STATUS as TPROXY_STATUS

MOUNT_VOLUME = P + "connect-inject-mount-volume"
USER_VOLUME = P + "consul-sidecar-user-volume"
USER_VOLUME_MOUNT = P + "consul-sidecar-user-volume-mount"
SIDECAR_CPU_LIMIT = P + "sidecar-proxy-cpu-limit"
SIDECAR_CPU_REQUEST = P + "sidecar-proxy-cpu-request"
SIDECAR_MEMORY_LIMIT = P + "sidecar-proxy-memory-limit"
SIDECAR_MEMORY_REQUEST = P + "sidecar-proxy-memory-request"
ENVOY_CONCURRENCY = P + "consul-envoy-proxy-concurrency"
ENVOY_EXTRA_ARGS = P + "envoy-extra-args"
TPROXY_OVERWRITE_PROBES = P + "transparent-proxy-overwrite-probes"
TPROXY_EXCLUDE_INBOUND_PORTS = P + "transparent-proxy-exclude-inbound-ports"
TPROXY_EXCLUDE_OUTBOUND_PORTS = P + "transparent-proxy-exclude-outbound-ports"
TPROXY_EXCLUDE_OUTBOUND_CIDRS = P + "transparent-proxy-exclude-outbound-cidrs"
TPROXY_EXCLUDE_UIDS = P + "transparent-proxy-exclude-uids"
REDIRECT_TRAFFIC_CONFIG = P + "redirect-traffic-config"
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
STARTUP_FAILURE_SECONDS = P + "sidecar-proxy-startup-failure-seconds"
LIVENESS_FAILURE_SECONDS = P + "sidecar-proxy-liveness-failure-seconds"
LIFECYCLE = P + "enable-sidecar-proxy-lifecycle"
LIFECYCLE_DRAIN = P + "enable-sidecar-proxy-lifecycle-shutdown-drain-listeners"
LIFECYCLE_SHUTDOWN_GRACE = P + "sidecar-proxy-lifecycle-shutdown-grace-period-seconds"
LIFECYCLE_STARTUP_GRACE = P + "sidecar-proxy-lifecycle-startup-grace-period-seconds"
LIFECYCLE_GRACEFUL_PORT = P + "sidecar-proxy-lifecycle-graceful-port"
LIFECYCLE_SHUTDOWN_PATH = P + "sidecar-proxy-lifecycle-graceful-shutdown-path"
LIFECYCLE_STARTUP_PATH = P + "sidecar-proxy-lifecycle-graceful-startup-path"
NATIVE_SIDECAR = P + "enable-consul-dataplane-as-sidecar"
PROBE_INITIAL_DELAY = P + "sidecar-initial-probe-check-delay-seconds"
PROBE_PERIOD = P + "sidecar-probe-period-seconds"
PROBE_FAILURE_THRESHOLD = P + "sidecar-probe-failure-threshold"
PROBE_TIMEOUT = P + "sidecar-probe-check-timeout-seconds"
ACCESS_LOG_ENABLED = P + "consul-sidecar-access-log-enabled"
ACCESS_LOG_PATH = P + "consul-sidecar-access-log-path"
LEGACY_VERSION = P + "connect-k8s-version"
VERSION = P + "consul-k8s-version"
DUAL_STACK = P + "dual-stack"
SERVICE_DEFAULT_PORT = P + "connect-service-default-port"  # 2.0; the endpoints controller's
SERVICE_TAGS = P + "service-tags"
PROXY_CONFIG_MAP = P + "proxy-config-map"
TELEMETRY_COLLECTOR = P + "telemetry-collector"

# Annotations 0.49 read that 2.0 ignores: a pod carrying them is told so.
IGNORED = {
    P + "connect-service-protocol": "use a ServiceDefaults resource",
    P + "connect-sync-period": "the endpoints controller registers pods itself",
    P + "connect-service-tags": f"use {SERVICE_TAGS}",
    P + "consul-sidecar-cpu-limit": "consul-dataplane merges metrics itself",
    P + "consul-sidecar-cpu-request": "consul-dataplane merges metrics itself",
    P + "consul-sidecar-memory-limit": "consul-dataplane merges metrics itself",
    P + "consul-sidecar-memory-request": "consul-dataplane merges metrics itself",
}

# Every annotation name this version (webhook or endpoints controller) knows.
KNOWN = frozenset(
    value for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, str) and value.startswith(P) and value != META_PREFIX
) | {P + x for x in ("connect-inject", "connect-inject-status", "connect-service",
                     "connect-service-port", "connect-service-upstreams", "kubernetes-service",
                     "original-pod", "mesh-inject", "gateway-kind",
                     "gateway-consul-service-name", "mesh-gateway-container-port",
                     "gateway-wan-address-source", "gateway-wan-address-static",
                     "gateway-wan-port", "gateway-namespace")}
