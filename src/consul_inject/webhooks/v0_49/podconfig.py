"""Resolve one pod template's injection settings: annotations over namespace labels over settings.

Everything that consul-k8s validates (and everything it should have) is checked here, before any
container is built, so a bad value never reaches the init shell script.
"""

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from consul_inject import gocompat, workloads
from consul_inject.problems import TemplateError
from consul_inject.webhooks import common
from consul_inject.webhooks.base import Upstream
from consul_inject.webhooks.common import label_bool
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import upstreams as ups
from consul_inject.webhooks.v0_49.settings import Resources, Settings

_PATH_RE = re.compile(r"^[A-Za-z0-9._~/%@+=:,-]+\Z")
_PATH_FORM = "expected a file path of letters, digits and . _ ~ / % @ + = : , - only"


class PodConfig(NamedTuple):
    services: tuple[str, ...]  # connect-service items; () when unset, ("",) never
    service_name: str  # the raw annotation (single-port `-service-name`), "" when unset
    service_account: str
    consul_namespace: str
    tproxy: bool
    overwrite_probes: bool
    consul_dns_ip: str  # "" unless Consul DNS is on
    metrics: bool
    metrics_merging: bool  # the setting itself; merging runs only with metrics and a port
    merged_metrics: bool
    merged_metrics_port: str
    scrape_port: str
    scrape_path: str
    service_metrics_port: int
    service_metrics_path: str
    prometheus_tls: tuple[tuple[str, str], ...]
    health_check: bool
    concurrency: str
    extra_args: tuple[str, ...]
    sidecar_resources: dict[str, dict[str, str]]
    consul_sidecar_resources: dict[str, dict[str, str]]
    exclude_inbound: tuple[str, ...]
    exclude_outbound: tuple[str, ...]
    exclude_cidrs: tuple[str, ...]
    exclude_uids: tuple[str, ...]
    upstreams: tuple[Upstream, ...]
    mount_volume_containers: tuple[str, ...]
    user_volumes: tuple[dict[str, Any], ...]
    user_volume_mounts: tuple[dict[str, Any], ...]

    @property
    def multiport(self) -> bool:
        return len(self.services) > 1


def consul_namespace(settings: Settings, k8s_namespace: str) -> str:
    if not settings.enable_namespaces:
        return ""
    if settings.mirroring and not workloads.valid_namespace(k8s_namespace):
        # The pipeline refuses such namespaces first; this keeps the script safe on its own.
        raise TemplateError("metadata.namespace", f'"{k8s_namespace}" is not a Kubernetes '
                              "namespace name", "lower-case letters, digits and '-'")
    return common.consul_namespace(True, settings.mirroring, settings.mirroring_prefix,
                                   settings.destination_namespace, k8s_namespace)


def _unprivileged_port(annotations: Mapping[str, Any], key: str, default: str, low: int) -> str:
    value = ann.get(annotations, key)
    if value is None or value == "":
        return default
    if not value.isascii() or not value.isdigit():
        raise TemplateError(key, f'"{value}" is not a valid integer',
                              f"expected a port number {low}-65535")
    number = int(value)
    if not low <= number <= 65535:
        raise TemplateError(key, f"{number} is outside {low}-65535",
                              f"expected a port number {low}-65535")
    return value


def _exclusions(annotations: Mapping[str, Any], key: str, kind: str) -> tuple[str, ...]:
    value = ann.get(annotations, key)
    return common.check_exclusions(key, tuple(ann.split_list(value or "")), kind)


def _resources(annotations: Mapping[str, Any], keys: tuple[str, str, str, str],
               default: Resources) -> dict[str, dict[str, str]]:
    picked: list[str | None] = []
    for key, fallback in zip(keys, (default.cpu_request, default.cpu_limit,
                                    default.memory_request, default.memory_limit), strict=True):
        value = ann.get(annotations, key)
        if value is not None and not gocompat.is_quantity(value):
            raise TemplateError(key, f'"{value}" is not a quantity', gocompat.QUANTITY_FORM)
        picked.append(value if value is not None else fallback)
    return Resources(*picked).as_k8s()


def _redirection(settings: Settings, a: Mapping[str, Any], namespace: str,
                 namespace_labels: Mapping[str, str]) -> tuple[bool, bool, bool]:
    """(transparent proxy, overwrite probes, Consul DNS): annotation over Namespace label over
    settings."""
    tproxy = ann.get_bool(a, ann.TPROXY, label_bool(namespace_labels, ann.TPROXY,
                                                     settings.tproxy, namespace))
    overwrite = ann.get_bool(a, ann.TPROXY_OVERWRITE_PROBES, settings.overwrite_probes)
    dns = ann.get_bool(a, ann.CONSUL_DNS, label_bool(namespace_labels, ann.CONSUL_DNS,
                                                      settings.consul_dns, namespace))
    if dns and not settings.consul_dns_ip:
        source = (ann.CONSUL_DNS if ann.CONSUL_DNS in a
                  else f'label {ann.CONSUL_DNS} on Namespace "{namespace}"'
                  if ann.CONSUL_DNS in namespace_labels else "values dns.enableRedirection")
        raise TemplateError(
            source, "turns Consul DNS redirection on, but the Consul DNS Service IP is not "
            "known", f"pass --consul-dns-ip, or set {settings.resource_prefix.upper().replace('-', '_')}"
            "_DNS_SERVICE_HOST as the injector's environment would")
    return tproxy, overwrite, dns


def _metrics(settings: Settings, a: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """The metrics fields of PodConfig, checked in the webhook's order."""
    metrics = ann.get_bool(a, ann.ENABLE_METRICS, settings.metrics, empty_is_default=True)
    merging = ann.get_bool(a, ann.ENABLE_METRICS_MERGING, settings.metrics_merging,
                           empty_is_default=True)
    scrape_port = _unprivileged_port(a, ann.PROMETHEUS_SCRAPE_PORT,
                                     settings.prometheus_scrape_port, 1024)
    scrape_path = ann.get(a, ann.PROMETHEUS_SCRAPE_PATH) or settings.prometheus_scrape_path
    if not gocompat.URL_PATH_RE.match(scrape_path):
        raise TemplateError(ann.PROMETHEUS_SCRAPE_PATH, f'"{scrape_path}" is not a URL path',
                            'expected a path such as "/metrics"')
    service_metrics_port = _service_metrics_port(a, spec)
    merged_metrics = metrics and merging and service_metrics_port > 0
    merged_port = _unprivileged_port(a, ann.MERGED_METRICS_PORT, settings.merged_metrics_port,
                                     1024) if merged_metrics else settings.merged_metrics_port
    tls = tuple((flag, value) for flag, key in (
        ("-prometheus-ca-file", ann.PROMETHEUS_CA_FILE),
        ("-prometheus-ca-path", ann.PROMETHEUS_CA_PATH),
        ("-prometheus-cert-file", ann.PROMETHEUS_CERT_FILE),
        ("-prometheus-key-file", ann.PROMETHEUS_KEY_FILE),
    ) if (value := ann.get(a, key)))
    if tls:
        _check_prometheus_tls(a)
    return {"metrics": metrics, "metrics_merging": merging, "merged_metrics": merged_metrics,
            "merged_metrics_port": merged_port, "scrape_port": scrape_port,
            "scrape_path": scrape_path, "service_metrics_port": service_metrics_port,
            "service_metrics_path": ann.get(a, ann.SERVICE_METRICS_PATH) or "/metrics",
            "prometheus_tls": tls}


def _health_check(a: Mapping[str, Any], services: tuple[str, ...]) -> bool:
    if ann.get(a, ann.USE_PROXY_HEALTH_CHECK) is None:
        return False
    on = ann.get_bool(a, ann.USE_PROXY_HEALTH_CHECK, False)
    if on and len(services) > 100:
        raise TemplateError(ann.USE_PROXY_HEALTH_CHECK, f"{len(services)} services would need "
                            "port names from proxy-health-100 on, longer than the 15 characters "
                            "Kubernetes allows", "at most 100 services with the proxy health check")
    return on


def _proxy(settings: Settings, a: Mapping[str, Any], spec: Mapping[str, Any],
           merged_metrics: bool) -> dict[str, Any]:
    """The sidecar, redirection and volume fields of PodConfig, checked in the webhook's order."""
    extra = ann.get(a, ann.ENVOY_EXTRA_ARGS)
    upstreams = ann.get(a, ann.UPSTREAMS)
    return {
        "concurrency": _concurrency(a, settings),
        "extra_args": tuple(ann.envoy_extra_args(ann.ENVOY_EXTRA_ARGS, extra)) if extra is not None
        else tuple(ann.envoy_extra_args("connectInject.envoyExtraArgs", settings.envoy_extra_args)),
        "sidecar_resources": _resources(a, (ann.SIDECAR_CPU_REQUEST, ann.SIDECAR_CPU_LIMIT,
                                            ann.SIDECAR_MEMORY_REQUEST, ann.SIDECAR_MEMORY_LIMIT),
                                        settings.sidecar_resources),
        "consul_sidecar_resources": _resources(
            a, (ann.CONSUL_SIDECAR_CPU_REQUEST, ann.CONSUL_SIDECAR_CPU_LIMIT,
                ann.CONSUL_SIDECAR_MEMORY_REQUEST, ann.CONSUL_SIDECAR_MEMORY_LIMIT),
            settings.consul_sidecar_resources) if merged_metrics else {},
        "exclude_inbound": _exclusions(a, ann.TPROXY_EXCLUDE_INBOUND_PORTS, "port"),
        "exclude_outbound": _exclusions(a, ann.TPROXY_EXCLUDE_OUTBOUND_PORTS, "port"),
        "exclude_cidrs": _exclusions(a, ann.TPROXY_EXCLUDE_OUTBOUND_CIDRS, "cidr"),
        "exclude_uids": _exclusions(a, ann.TPROXY_EXCLUDE_UIDS, "uid"),
        "upstreams": tuple(ups.parse(upstreams, spec, namespaces=settings.enable_namespaces,
                                     partitions=bool(settings.partition))) if upstreams else (),
        "mount_volume_containers": tuple(ann.split_list(ann.get(a, ann.MOUNT_VOLUME) or "")),
        "user_volumes": common.json_list(a, ann.USER_VOLUME, "Volume"),
        "user_volume_mounts": common.json_list(a, ann.USER_VOLUME_MOUNT, "VolumeMount"),
    }


def resolve(
    settings: Settings,
    meta: Mapping[str, Any],
    spec: Mapping[str, Any],
    namespace: str,
    namespace_labels: Mapping[str, str],
) -> PodConfig:
    """One pod's settings, every annotation checked (in the order the webhook reads them)."""
    a: Mapping[str, Any] = meta.get("annotations") or {}
    services, service_raw = common.connect_services(a, 36, "consul-connect-inject-init")
    sa = workloads.service_account(spec)
    if settings.acls and not gocompat.SAFE_NAME_RE.match(sa):
        raise TemplateError("spec.serviceAccountName", f'"{sa}" is not a valid name')
    tproxy, overwrite, dns = _redirection(settings, a, namespace, namespace_labels)
    metrics = _metrics(settings, a, spec)
    health = _health_check(a, services)
    return PodConfig(
        services=services, service_name=service_raw, service_account=sa,
        consul_namespace=consul_namespace(settings, namespace), tproxy=tproxy,
        overwrite_probes=overwrite, consul_dns_ip=settings.consul_dns_ip if dns else "",
        health_check=health, **metrics, **_proxy(settings, a, spec, metrics["merged_metrics"]))


def _service_metrics_port(a: Mapping[str, Any], spec: Mapping[str, Any]) -> int:
    raw = ann.get(a, ann.SERVICE_METRICS_PORT)
    if raw:
        if not raw.isascii() or not raw.isdigit():
            raise TemplateError(ann.SERVICE_METRICS_PORT, f'"{raw}" is not a valid integer',
                                  "expected a port number 1-65535")
        port = int(raw)
        if not 1 <= port <= 65535:
            raise TemplateError(ann.SERVICE_METRICS_PORT, f"{port} is outside 1-65535")
        return port
    raw = ann.get(a, ann.SERVICE_PORT)
    if not raw:
        return 0
    try:
        return ann.port_value(spec, raw)
    except ValueError:
        raise TemplateError(
            ann.SERVICE_PORT, f'"{raw}" is not a port of the pod',
            "expected a containerPort number or the name of a container port") from None


def _concurrency(a: Mapping[str, Any], settings: Settings) -> str:
    raw = ann.get(a, ann.ENVOY_CONCURRENCY)
    if raw is None or raw == "":
        return str(settings.envoy_concurrency)
    if not re.match(r"^[+-]?[0-9]+\Z", raw):
        raise TemplateError(ann.ENVOY_CONCURRENCY, f'"{raw}" is not a whole number',
                              "expected 0 or more Envoy worker threads, e.g. \"2\"")
    if not -(2**63) <= int(raw) < 2**63:  # strconv.ParseInt(raw, 10, 64): value out of range
        raise TemplateError(ann.ENVOY_CONCURRENCY, f'"{raw}" is out of range',
                              "expected 0 or more Envoy worker threads, e.g. \"2\"")
    if int(raw) < 0:
        raise TemplateError(ann.ENVOY_CONCURRENCY, f"invalid envoy concurrency, must be >= 0: "
                              f"{raw}")
    return raw


def _check_prometheus_tls(a: Mapping[str, Any]) -> None:
    for key in (ann.PROMETHEUS_CA_FILE, ann.PROMETHEUS_CA_PATH, ann.PROMETHEUS_CERT_FILE,
                ann.PROMETHEUS_KEY_FILE):
        value = ann.get(a, key)
        if value and not _PATH_RE.match(value):
            raise TemplateError(key, f'"{value}" is not a plain file path', _PATH_FORM)
    if not (ann.get(a, ann.PROMETHEUS_CA_FILE) or ann.get(a, ann.PROMETHEUS_CA_PATH)):
        raise TemplateError(ann.PROMETHEUS_CA_FILE, 'must set one of "consul.hashicorp.com/'
                              'prometheus-ca-file" or "consul.hashicorp.com/prometheus-ca-path" '
                              "when providing prometheus TLS config")
    for key in (ann.PROMETHEUS_CERT_FILE, ann.PROMETHEUS_KEY_FILE):
        if not ann.get(a, key):
            raise TemplateError(key, f'must set "{key}" when providing prometheus TLS config')
