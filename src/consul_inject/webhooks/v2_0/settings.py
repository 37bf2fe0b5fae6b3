"""Injector settings from Consul chart values, as the v2.0.3 (and v1.9.11) chart turns values
into `inject-connect` flags and the Consul connection environment (spec section 4).

Each field says which value feeds it; where the chart passes no flag the binary default applies.
What the values cannot say (the CA PEM generated in the cluster, the release namespace, the
proxy-defaults access logs) comes from the command line through SettingsContext.
"""

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from consul_inject import gocompat, tooloptions
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.values import checked
from consul_inject.webhooks import chartvalues
from consul_inject.webhooks.base import SettingsContext
from consul_inject.webhooks.common import consul_fullname

_PEM_RE = re.compile(
    r"^(?:-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+-----END CERTIFICATE-----\n?)+\Z"
)
_NAMESPACES = '"kube-system","local-path-storage","openebs","gmp-system","gke-managed-cim"'
SELECTOR_1_9 = ('matchExpressions:\n  - key: "kubernetes.io/metadata.name"\n    operator: "NotIn"\n'
                f"    values: [{_NAMESPACES}]\n")
SELECTOR_2_0 = SELECTOR_1_9 + '  - key: "openshift.io/cluster-monitoring"\n    operator: "DoesNotExist"\n'


class Variant(NamedTuple):
    """What differs between the consul-k8s releases this package follows (spec section 7)."""

    version: str  # as users select it
    release: str  # the consul-k8s release: images, version annotations
    all_service_ports: bool  # default connect-service-port lists every port of containers[0]
    multiport_words: str  # "multi protocol multi port" (2.0) or "multi port" (1.9)
    null_creation_timestamp: bool  # original-pod has "creationTimestamp":null (1.9)
    cloud: bool  # the chart still has global.cloud (1.9)
    namespace_selector: str


V2_0 = Variant("2.0", "2.0.3", True, "multi protocol multi port", False, False, SELECTOR_2_0)
V1_9 = Variant("1.9", "1.9.11", False, "multi port", True, True, SELECTOR_1_9)


class Resources(NamedTuple):
    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None

    def as_k8s(self) -> dict[str, dict[str, str]]:
        """The keys that are set, canonical, in the order Kubernetes serialises them."""
        limits = {k: gocompat.canonical_quantity(v) for k, v in
                  (("cpu", self.cpu_limit), ("memory", self.memory_limit)) if v is not None}
        requests = {k: gocompat.canonical_quantity(v) for k, v in
                    (("cpu", self.cpu_request), ("memory", self.memory_request)) if v is not None}
        return {k: v for k, v in (("limits", limits), ("requests", requests)) if v}


INIT_RESOURCES = Resources("50m", "50m", "25Mi", "150Mi")  # inject-connect's binary defaults


class Settings(NamedTuple):
    variant: Variant = V2_0
    enabled: bool = True
    require_annotation: bool = True  # !connectInject.default
    allow_namespaces: tuple[str, ...] = ("*",)
    deny_namespaces: tuple[str, ...] = ()
    namespace_selector: str = SELECTOR_2_0
    consul_app_name: str = "consul"
    image_consul_k8s: str = "hashicorp/consul-k8s-control-plane:2.0.3"
    image_dataplane: str = "hashicorp/consul-dataplane:2.0.3"
    envoy_extra_args: str = ""
    auth_method: str = ""
    addresses: str = "consul-consul-server.consul.svc"
    grpc_port: int = 8502
    http_port: int = 8500
    api_timeout: str = "5s"
    tls: bool = False
    ca_pem: str = ""  # CONSUL_CACERT_PEM: the CA's text, "" with system roots
    tls_server_name: str = ""
    skip_server_watch: bool = False
    partition: str = ""
    enable_namespaces: bool = False
    destination_namespace: str = "default"
    mirroring: bool = True
    mirroring_prefix: str = ""
    tproxy: bool = True
    overwrite_probes: bool = True
    cni: bool = False
    consul_dns: bool = True
    openshift: bool = False
    sidecar_resources: Resources = Resources()
    envoy_concurrency: int = 2
    startup_failure_seconds: int = 0
    liveness_failure_seconds: int = 0
    lifecycle: bool = True
    drain_listeners: bool = True
    shutdown_grace: int = 30
    startup_grace: int = 0
    graceful_port: str = "20600"
    graceful_shutdown_path: str = "/graceful_shutdown"
    graceful_startup_path: str = "/graceful_startup"
    native_sidecar: bool = False
    probe_initial_delay: int = 1
    probe_period: int = 1
    probe_failure_threshold: int = 10
    probe_timeout: int = 5
    metrics: bool = False
    metrics_merging: bool = False
    merged_metrics_port: str = "20100"
    prometheus_scrape_port: str = "20200"
    prometheus_scrape_path: str = "/metrics"
    init_resources: Resources = INIT_RESOURCES
    release_namespace: str = "consul"
    log_level: str = "info"
    log_json: bool = False
    dual_stack: bool = False
    cluster_dns_ip: str = ""  # the cluster resolver, for Consul DNS's dnsConfig
    cluster_domain: str = "cluster.local"
    access_logs: str = ""  # global proxy-defaults: "", "stdout", "stderr" or a file path
    kube_version: tuple[int, int] | None = None  # the cluster's, when known
    missing_service: str = "error"
    create_service_account_secrets: bool = False
    workload_kinds: tuple[tuple[str, str], ...] = ()
    intentions: bool = False

    @property
    def consul_k8s_version(self) -> str:
        return self.variant.version

    @property
    def acls(self) -> bool:
        return bool(self.auth_method)

    @property
    def human_version(self) -> str:
        """What the webhook writes into the version annotations."""
        return "v" + self.variant.release


def _refused(key: str, message: str) -> ConsulInjectError:
    return ConsulInjectError(Problem(message, key=key, where="values"))


def from_values(values: Mapping[str, Any], context: SettingsContext,
                variant: Variant = V2_0) -> Settings:
    """Settings from merged, checked chart values of `variant`'s chart (defaults live here)."""
    v = chartvalues.Reader(checked(values))
    fullname = consul_fullname(values, context.release)
    tproxy = v.boolean("connectInject.transparentProxy.defaultEnabled", True)
    lifecycle = "connectInject.sidecarProxy.lifecycle."
    native = "connectInject.dataplaneAsSidecarInitContainer."
    native_on = v.boolean(native + "defaultEnabled", False)
    return Settings(
        variant=variant,
        **_gates(v, variant),
        **_servers(v, fullname, context, variant),
        **_consul(v, fullname, context),
        **chartvalues.metrics(v),
        image_consul_k8s=v.string("connectInject.image")
        or v.string("global.imageK8S", f"hashicorp/consul-k8s-control-plane:{variant.release}"),
        image_dataplane=v.string("global.imageConsulDataplane",
                                 f"hashicorp/consul-dataplane:{variant.release}"),
        envoy_extra_args=v.string("connectInject.envoyExtraArgs"),
        tproxy=tproxy,
        overwrite_probes=v.boolean("connectInject.transparentProxy.defaultOverwriteProbes", True),
        cni=v.boolean("connectInject.cni.enabled", False),
        consul_dns=v.dash_boolean("dns.enabled", tproxy)
        and v.dash_boolean("dns.enableRedirection", tproxy),
        openshift=v.boolean("global.openshift.enabled", False),
        sidecar_resources=v.resources("connectInject.sidecarProxy.resources", Resources()),
        envoy_concurrency=v.number("connectInject.sidecarProxy.concurrency", 2),
        startup_failure_seconds=v.number(
            "connectInject.sidecarProxy.defaultStartupFailureSeconds", 0),
        liveness_failure_seconds=v.number(
            "connectInject.sidecarProxy.defaultLivenessFailureSeconds", 0),
        lifecycle=v.boolean(lifecycle + "defaultEnabled", True),
        drain_listeners=v.boolean(lifecycle + "defaultEnableShutdownDrainListeners", True),
        shutdown_grace=v.number(lifecycle + "defaultShutdownGracePeriodSeconds", 30),
        startup_grace=v.number(lifecycle + "defaultStartupGracePeriodSeconds", 0),
        graceful_port=str(v.number(lifecycle + "defaultGracefulPort", 20600)),
        graceful_shutdown_path=v.string(lifecycle + "defaultGracefulShutdownPath",
                                        "/graceful_shutdown"),
        graceful_startup_path=v.string(lifecycle + "defaultGracefulStartupPath",
                                       "/graceful_startup"),
        native_sidecar=native_on,
        # The chart passes the probe flags only with the native sidecar on; else binary defaults.
        probe_initial_delay=v.number(native + "initialProbeCheckDelaySeconds", 1) if native_on else 1,
        probe_period=v.number(native + "probeCheckPeriodSeconds", 1) if native_on else 1,
        probe_failure_threshold=v.number(native + "probeCheckFailureThreshold", 10)
        if native_on else 10,
        probe_timeout=v.number(native + "probeCheckTimeoutSeconds", 5) if native_on else 5,
        init_resources=v.resources("connectInject.initContainer.resources", INIT_RESOURCES)
        if v.raw("connectInject.initContainer") is not False else INIT_RESOURCES,
        log_level=v.string("connectInject.logLevel") or v.string("global.logLevel", "info"),
        log_json=v.boolean("global.logJSON", False),
        dual_stack=v.boolean("global.dualStack.enabled", False),
        cluster_dns_ip=v.string("consulInject.clusterDNSIP"),
        cluster_domain=v.string("consulInject.clusterDomain") or "cluster.local",
        access_logs=_access_logs(context.access_logs),
        kube_version=_kube_version(context.kube_version),
        **tooloptions.read(v.values),
    )


def _gates(v: chartvalues.Reader, variant: Variant) -> dict[str, Any]:
    return {
        "enabled": v.dash_boolean("connectInject.enabled", v.boolean("global.enabled", True)),
        "require_annotation": not v.boolean("connectInject.default", False),
        # an empty allow list injects nothing, as the webhook's empty set does
        "allow_namespaces": v.name_list("connectInject.k8sAllowNamespaces", ("*",)),
        "deny_namespaces": v.name_list("connectInject.k8sDenyNamespaces"),
        "namespace_selector": v.string("connectInject.namespaceSelector",
                                       variant.namespace_selector),
        "consul_app_name": v.string("nameOverride") or "consul",
    }


def _servers(v: chartvalues.Reader, fullname: str, context: SettingsContext,
             variant: Variant) -> dict[str, Any]:
    """Where the pods reach the Consul servers, and how (spec section 4.1)."""
    ext = v.boolean("externalServers.enabled", False)
    tls = v.boolean("global.tls.enabled", False)
    hosts = v.raw("externalServers.hosts") or []
    server_name = ""
    if tls and ext and v.string("externalServers.tlsServerName"):
        server_name = v.string("externalServers.tlsServerName")
    elif tls and variant.cloud and v.boolean("global.cloud.enabled", False):
        server_name = (f"server.{v.string('global.datacenter', 'dc1')}."
                       f"{v.string('global.domain', 'consul')}")
    system_roots = ext and v.boolean("externalServers.useSystemRoots", False)
    return {
        "addresses": str(hosts[0]) if ext and hosts
        else f"{fullname}-server.{context.release_namespace}.svc",
        "grpc_port": v.number("externalServers.grpcPort", 8502) if ext else 8502,
        "http_port": v.number("externalServers.httpsPort", 8501) if ext
        else (8501 if tls else 8500),
        "tls": tls,
        "ca_pem": _ca_text(context.ca_cert) if tls and not system_roots else "",
        "tls_server_name": server_name,
        "skip_server_watch": ext and v.boolean("externalServers.skipServerWatch", False),
    }


def _consul(v: chartvalues.Reader, fullname: str, context: SettingsContext) -> dict[str, Any]:
    """ACL login, admin partition, Consul namespaces, the API timeout."""
    partitions = v.boolean("global.adminPartitions.enabled", False)
    auth_method = v.string("connectInject.overrideAuthMethodName")
    if not auth_method and v.boolean("global.acls.manageSystemACLs", False):
        auth_method = f"{fullname}-k8s-auth-method"
    ns = "connectInject.consulNamespaces."
    return {
        "auth_method": auth_method,
        "partition": v.string("global.adminPartitions.name", "default") if partitions else "",
        "enable_namespaces": v.boolean("global.enableConsulNamespaces", False),
        "destination_namespace": v.string(ns + "consulDestinationNamespace") or "default",
        "mirroring": v.boolean(ns + "mirroringK8S", True),
        "mirroring_prefix": v.string(ns + "mirroringK8SPrefix"),
        "api_timeout": gocompat.format_duration(
            gocompat.parse_duration(v.string("global.consulAPITimeout", "5s")) or 5 * 10**9),
        "release_namespace": context.release_namespace,
    }


def _ca_text(ca_cert: str | None) -> str:
    """TLS with the chart's own CA: the pods carry its text (CONSUL_CACERT_PEM), which is made
    in the cluster, so it must be given."""
    if not ca_cert:
        raise _refused("global.tls.enabled",
                       "TLS is on, so each injected init container carries the Consul CA "
                       "certificate (CONSUL_CACERT_PEM); pass it with --consul-ca-file ca.pem "
                       "(kubectl -n <consul namespace> get secret <fullname>-ca-cert -o "
                       "jsonpath='{.data.tls\\.crt}' | base64 -d)")
    ca_text = ca_cert.replace("\r\n", "\n")
    if not _PEM_RE.match(ca_text):
        raise _refused("global.tls.enabled",
                       "the --consul-ca-file content is not PEM certificate text (BEGIN/END "
                       "CERTIFICATE lines around base64)")
    return ca_text


def _access_logs(value: str | None) -> str:
    if not value:
        return ""
    if value in ("stdout", "stderr") or (value.startswith("/") and "\n" not in value
                                         and value.rstrip("/") != ""):
        return value
    raise ConsulInjectError(Problem(f"{value!r} is not where access logs go; expected stdout, "
                                    "stderr or an absolute file path", key="--access-logs"))


def _kube_version(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    match = re.match(r"^v?([0-9]+)\.([0-9]+)(?:\.[0-9]+)?(?:[-+][0-9A-Za-z.-]+)?\Z", value)
    if not match:
        raise ConsulInjectError(Problem(f"{value!r} is not a Kubernetes version; expected "
                                        "MAJOR.MINOR such as 1.29 or v1.29.3",
                                        key="--kube-version"))
    return int(match.group(1)), int(match.group(2))
