"""The `consul.hashicorp.com/*` annotations and labels the v0.49 webhook reads and writes.

Reads keep the Go semantics users rely on (strconv.ParseBool spellings, base-0 integers, named
ports, untrimmed comma lists: `podmeta` and `gocompat`); where consul-k8s accepts garbage, the
checks in `podconfig` refuse it with a TemplateError instead.
"""

from __future__ import annotations

from consul_inject.podmeta import (
    CONSUL_NAMESPACE as CONSUL_NAMESPACE,
)

# The names every version shares, and the typed reads, re-exported (`X as X`): `ann.X` reads
# the same whichever table defines it.
from consul_inject.podmeta import (
    INJECT as INJECT,
)
from consul_inject.podmeta import (
    INJECT_STATUS as INJECT_STATUS,
)
from consul_inject.podmeta import (
    INJECTED as INJECTED,
)
from consul_inject.podmeta import (
    KUBERNETES_SERVICE as KUBERNETES_SERVICE,
)
from consul_inject.podmeta import (
    LABEL_INJECT_STATUS as LABEL_INJECT_STATUS,
)
from consul_inject.podmeta import (
    LABEL_MANAGED_BY as LABEL_MANAGED_BY,
)
from consul_inject.podmeta import (
    MANAGED_BY_VALUE as MANAGED_BY_VALUE,
)
from consul_inject.podmeta import (
    META_PREFIX as META_PREFIX,
)
from consul_inject.podmeta import (
    ORIGINAL_POD as ORIGINAL_POD,
)
from consul_inject.podmeta import (
    SERVICE as SERVICE,
)
from consul_inject.podmeta import (
    SERVICE_PORT as SERVICE_PORT,
)
from consul_inject.podmeta import (
    TPROXY as TPROXY,
)
from consul_inject.podmeta import (
    TPROXY_STATUS as TPROXY_STATUS,
)
from consul_inject.podmeta import (
    UPSTREAMS as UPSTREAMS,
)
from consul_inject.podmeta import (
    P as P,
)
from consul_inject.podmeta import (
    container_port_named as container_port_named,
)
from consul_inject.podmeta import (
    get as get,
)
from consul_inject.podmeta import (
    get_bool as get_bool,
)
from consul_inject.podmeta import (
    port_value as port_value,
)
from consul_inject.podmeta import (
    split_list as split_list,
)
from consul_inject.webhooks.common import envoy_extra_args as envoy_extra_args

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
REDIRECT_TRAFFIC_CONFIG = P + "redirect-traffic-config"

# Every annotation this injector reads; anything else under the prefix draws a typo warning.
KNOWN = frozenset(
    value for name, value in globals().items() if name.isupper() and isinstance(value, str)
    and value.startswith(P) and value != P
) | {P + "service-tags", P + "connect-service-tags", P + "service-ignore"}
