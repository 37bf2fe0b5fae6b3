"""One pod template's injection settings under consul-k8s 2.0/1.9: annotations over Namespace
labels over settings, with the Go parsing the webhook applies (spec sections 2 and 8).

Where the webhook silently coerces a value (the probe seconds, use-proxy-health-check), so does
this; where it rejects one, this raises TemplateError naming the annotation; where it pastes
unchecked text into the init shell script (service names, the ServiceAccount), this refuses
what would change the command.
"""

from collections.abc import Mapping
from typing import Any, NamedTuple

from consul_inject import gocompat, podmeta, workloads
from consul_inject.problems import TemplateError
from consul_inject.webhooks import common
from consul_inject.webhooks.base import Upstream
from consul_inject.webhooks.common import (
    check_exclusions,
    consul_namespace,
    envoy_extra_args,
    label_bool,
)
from consul_inject.webhooks.v2_0 import annotations as ann
from consul_inject.webhooks.v2_0 import upstreams as ups
from consul_inject.webhooks.v2_0.metrics import Metrics, resolve_metrics
from consul_inject.webhooks.v2_0.reads import atoi, flag, port, uint
from consul_inject.webhooks.v2_0.settings import Resources, Settings


class Lifecycle(NamedTuple):
    enabled: bool
    drain: bool
    shutdown_grace: int
    startup_grace: int
    graceful_port: int
    shutdown_path: str
    startup_path: str


class Probes(NamedTuple):
    """The dataplane's probe settings: proxy health check, startup/liveness, native sidecar."""

    health_check: bool
    startup_failure: int
    liveness_failure: int
    native: bool
    initial_delay: int
    period: int
    failure_threshold: int
    timeout: int


class PodConfig(NamedTuple):
    services: tuple[str, ...]  # connect-service items; () when unset
    service_name: str  # the raw annotation, "" when unset
    service_account: str
    consul_namespace: str
    tproxy: bool
    overwrite_probes: bool
    dns: bool
    metrics: Metrics
    lifecycle: Lifecycle
    probes: Probes
    concurrency: int
    extra_args: tuple[str, ...]
    sidecar_resources: dict[str, dict[str, str]]
    exclude_inbound: tuple[str, ...]
    exclude_outbound: tuple[str, ...]
    exclude_cidrs: tuple[str, ...]
    exclude_uids: tuple[str, ...]
    upstreams: tuple[Upstream, ...]
    upstream_env: tuple[dict[str, str], ...]
    mount_volume_containers: tuple[str, ...]
    user_volumes: tuple[dict[str, Any], ...]
    user_volume_mounts: tuple[dict[str, Any], ...]

    @property
    def multiport(self) -> bool:
        return len(self.services) > 1


def _redirection(settings: Settings, a: Mapping[str, Any], namespace: str,
                 labels: Mapping[str, str]) -> tuple[bool, bool, bool]:
    """(transparent proxy, overwrite probes, Consul DNS); DNS only ever with the proxy."""
    tproxy = podmeta.get_bool(a, ann.TPROXY, label_bool(labels, ann.TPROXY, settings.tproxy,
                                                        namespace))
    overwrite = podmeta.get_bool(a, ann.TPROXY_OVERWRITE_PROBES, settings.overwrite_probes)
    dns = tproxy and podmeta.get_bool(a, ann.CONSUL_DNS, label_bool(
        labels, ann.CONSUL_DNS, settings.consul_dns, namespace))
    if dns and not settings.cluster_dns_ip:
        source = (ann.CONSUL_DNS if ann.CONSUL_DNS in a
                  else f'label {ann.CONSUL_DNS} on Namespace "{namespace}"'
                  if ann.CONSUL_DNS in labels else "values dns.enabled")
        raise TemplateError(
            source, "turns Consul DNS on (the 1.9/2.0 chart's default with transparent proxy), "
            "so the pod's dnsConfig lists the cluster resolver after Consul's, and its address "
            "is not known offline",
            "pass --cluster-dns-ip (kubectl -n kube-system get svc kube-dns -o "
            "jsonpath='{.spec.clusterIP}'), or turn Consul DNS off (values dns.enabled: false, "
            f'or {ann.CONSUL_DNS}: "false" on the pod); --consul-dns-ip is 0.49\'s and not read')
    return tproxy, overwrite, dns


def _lifecycle(settings: Settings, a: Mapping[str, Any], spec: Mapping[str, Any]) -> Lifecycle:
    graceful = port(a, spec, ann.LIFECYCLE_GRACEFUL_PORT, settings.graceful_port, 1024)
    on = flag(a, ann.LIFECYCLE, settings.lifecycle)
    if not on:
        return Lifecycle(False, False, 0, 0, graceful, "", "")
    return Lifecycle(
        True, flag(a, ann.LIFECYCLE_DRAIN, settings.drain_listeners),
        uint(a, ann.LIFECYCLE_SHUTDOWN_GRACE, settings.shutdown_grace),
        uint(a, ann.LIFECYCLE_STARTUP_GRACE, settings.startup_grace), graceful,
        podmeta.get(a, ann.LIFECYCLE_SHUTDOWN_PATH) or settings.graceful_shutdown_path,
        podmeta.get(a, ann.LIFECYCLE_STARTUP_PATH) or settings.graceful_startup_path)


def _probes(settings: Settings, a: Mapping[str, Any]) -> Probes:
    try:
        health = podmeta.get_bool(a, ann.USE_PROXY_HEALTH_CHECK, False)
    except TemplateError:
        health = False  # the webhook reads an invalid value as false
    return Probes(
        health, atoi(a, ann.STARTUP_FAILURE_SECONDS, settings.startup_failure_seconds),
        atoi(a, ann.LIVENESS_FAILURE_SECONDS, settings.liveness_failure_seconds),
        flag(a, ann.NATIVE_SIDECAR, settings.native_sidecar),
        max(0, atoi(a, ann.PROBE_INITIAL_DELAY, settings.probe_initial_delay)),
        max(0, atoi(a, ann.PROBE_PERIOD, settings.probe_period)),
        max(0, atoi(a, ann.PROBE_FAILURE_THRESHOLD, settings.probe_failure_threshold)),
        max(0, atoi(a, ann.PROBE_TIMEOUT, settings.probe_timeout)))


def _resources(a: Mapping[str, Any], default: Resources) -> dict[str, dict[str, str]]:
    picked: dict[str, str | None] = {}
    for key, field_name in ((ann.SIDECAR_CPU_LIMIT, "cpu_limit"),
                            (ann.SIDECAR_CPU_REQUEST, "cpu_request"),
                            (ann.SIDECAR_MEMORY_LIMIT, "memory_limit"),
                            (ann.SIDECAR_MEMORY_REQUEST, "memory_request")):
        value = podmeta.get(a, key)
        if value is not None and not gocompat.is_quantity(value):
            raise TemplateError(key, f'parsing annotation {key}:"{value}": quantities must match '
                                "the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?"
                                "[0-9]*)$'", gocompat.QUANTITY_FORM)
        picked[field_name] = value if value is not None else getattr(default, field_name)
    return Resources(**picked).as_k8s()


def _list(a: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = podmeta.get(a, key)
    return () if value is None else tuple(value.split(","))


def _concurrency(settings: Settings, a: Mapping[str, Any]) -> int:
    return uint(a, ann.ENVOY_CONCURRENCY, settings.envoy_concurrency)


def resolve(settings: Settings, meta: Mapping[str, Any], spec: Mapping[str, Any], namespace: str,
            labels: Mapping[str, str]) -> PodConfig:
    """One pod's settings, every annotation checked."""
    a: Mapping[str, Any] = meta.get("annotations") or {}
    services, raw_service = common.connect_services(a, 36, "consul-connect-inject-init")
    sa = workloads.service_account(spec)
    if (settings.acls or len(services) > 1) and not gocompat.SAFE_NAME_RE.match(sa):
        raise TemplateError("spec.serviceAccountName", f'"{sa}" is not a valid name')
    tproxy, overwrite, dns = _redirection(settings, a, namespace, labels)
    extra = podmeta.get(a, ann.ENVOY_EXTRA_ARGS)
    upstream_text = podmeta.get(a, podmeta.UPSTREAMS) or ""
    return PodConfig(
        services=services, service_name=raw_service, service_account=sa,
        consul_namespace=consul_namespace(settings.enable_namespaces, settings.mirroring,
                                          settings.mirroring_prefix,
                                          settings.destination_namespace, namespace),
        tproxy=tproxy, overwrite_probes=overwrite, dns=dns,
        metrics=resolve_metrics(settings, a, spec, meta), lifecycle=_lifecycle(settings, a, spec),
        probes=_probes(settings, a), concurrency=_concurrency(settings, a),
        extra_args=tuple(envoy_extra_args(ann.ENVOY_EXTRA_ARGS, extra)) if extra is not None
        else tuple(envoy_extra_args("connectInject.envoyExtraArgs", settings.envoy_extra_args)),
        sidecar_resources=_resources(a, settings.sidecar_resources),
        # 2.0 keeps empty items ("" is one): refused with the rest of what iptables rejects
        exclude_inbound=check_exclusions(ann.TPROXY_EXCLUDE_INBOUND_PORTS,
                                         _list(a, ann.TPROXY_EXCLUDE_INBOUND_PORTS), "port"),
        exclude_outbound=check_exclusions(ann.TPROXY_EXCLUDE_OUTBOUND_PORTS,
                                          _list(a, ann.TPROXY_EXCLUDE_OUTBOUND_PORTS), "port"),
        exclude_cidrs=check_exclusions(ann.TPROXY_EXCLUDE_OUTBOUND_CIDRS,
                                       _list(a, ann.TPROXY_EXCLUDE_OUTBOUND_CIDRS), "cidr"),
        exclude_uids=check_exclusions(ann.TPROXY_EXCLUDE_UIDS, _list(a, ann.TPROXY_EXCLUDE_UIDS),
                                      "uid"),
        upstreams=tuple(ups.parse(upstream_text, spec, settings)) if upstream_text else (),
        upstream_env=tuple(ups.env_vars(upstream_text, spec, settings.dual_stack)),
        mount_volume_containers=_list(a, ann.MOUNT_VOLUME),
        user_volumes=common.json_list(a, ann.USER_VOLUME, "Volume"),
        user_volume_mounts=common.json_list(a, ann.USER_VOLUME_MOUNT, "VolumeMount"))
