"""Injector settings built from Consul chart values, as the v0.49.8 chart turns values into flags.

Mirrors `templates/connect-inject-deployment.yaml` and `inject-connect/command.go`: each field
says which value feeds it and which binary default applies when the chart passes no flag.
"""

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from consul_inject import gocompat, tooloptions
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.values import checked
from consul_inject.webhooks import chartvalues
from consul_inject.webhooks.common import consul_fullname

_PEM_RE = re.compile(
    r"^(?:-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+-----END CERTIFICATE-----\n?)+\Z"
)


DEFAULT_NAMESPACE_SELECTOR = (
    'matchExpressions:\n  - key: "kubernetes.io/metadata.name"\n    operator: "NotIn"\n'
    '    values: ["kube-system","local-path-storage","openebs"]\n'
)


class Resources(NamedTuple):
    cpu_request: str | None = None
    cpu_limit: str | None = None
    memory_request: str | None = None
    memory_limit: str | None = None

    def as_k8s(self) -> dict[str, dict[str, str]]:
        """Only the keys that are set, in the order Kubernetes serialises them."""
        out: dict[str, dict[str, str]] = {}
        limits = {k: v for k, v in (("cpu", self.cpu_limit), ("memory", self.memory_limit)) if v}
        requests = {
            k: v for k, v in (("cpu", self.cpu_request), ("memory", self.memory_request)) if v
        }
        if limits:
            out["limits"] = limits
        if requests:
            out["requests"] = requests
        return out


# inject-connect's binary defaults, which apply where the chart passes no flag (frozen: shared).
INIT_RESOURCES = Resources("50m", "50m", "25Mi", "150Mi")
CONSUL_SIDECAR_RESOURCES = Resources("20m", "20m", "25Mi", "50Mi")


class Settings(NamedTuple):
    enabled: bool = True
    require_annotation: bool = True  # !connectInject.default
    allow_namespaces: tuple[str, ...] = ("*",)
    deny_namespaces: tuple[str, ...] = ()
    namespace_selector: str = DEFAULT_NAMESPACE_SELECTOR  # connectInject.namespaceSelector
    consul_app_name: str = "consul"  # chart name; the webhook's objectSelector skips app=<it>
    image_consul: str = "hashicorp/consul:1.13.9"
    image_envoy: str = "envoyproxy/envoy:v1.23.10"
    image_consul_k8s: str = "hashicorp/consul-k8s-control-plane:0.49.8"
    envoy_extra_args: str = ""
    auth_method: str = ""
    consul_ca_cert: str = ""  # PEM text; set iff global.tls.enabled
    partition: str = ""
    enable_namespaces: bool = False
    destination_namespace: str = "default"
    mirroring: bool = False
    mirroring_prefix: str = ""
    tproxy: bool = True
    overwrite_probes: bool = True
    cni: bool = False
    consul_dns: bool = False
    consul_dns_ip: str = ""
    resource_prefix: str = "consul-consul"  # consul.fullname of release "consul"
    openshift: bool = False
    sidecar_resources: Resources = Resources()
    envoy_concurrency: int = 2
    metrics: bool = False
    metrics_merging: bool = False
    merged_metrics_port: str = "20100"
    prometheus_scrape_port: str = "20200"
    prometheus_scrape_path: str = "/metrics"
    init_resources: Resources = INIT_RESOURCES
    consul_sidecar_resources: Resources = CONSUL_SIDECAR_RESOURCES
    consul_api_timeout: str = "5s"
    log_level: str = "info"
    log_json: bool = False
    # consul-inject's own keys (values section `consulInject`, read by `tooloptions`):
    missing_service: str = "error"  # or "warn": Services/ServiceAccounts kept elsewhere
    create_service_account_secrets: bool = False
    workload_kinds: tuple[tuple[str, str], ...] = ()  # (kind, pod template path) added by users
    intentions: bool = False  # append ServiceIntentions for the declared upstreams

    @property
    def consul_k8s_version(self) -> str:
        return "0.49"

    @property
    def acls(self) -> bool:
        return bool(self.auth_method)


def _refused(key: str, message: str) -> ConsulInjectError:
    """What the values allow but the command line's facts do not (a CA file, a DNS IP)."""
    return ConsulInjectError(Problem(message, key=key, where="values"))


def from_values(
    values: Mapping[str, Any],
    *,
    release: str = "consul",
    ca_cert: str | None = None,
    dns_ip: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings from merged chart values (user values over nothing: defaults live here).

    Values that `consul_inject.values.load` returned are mapped as they are; any other tree is
    checked first (ConsulInjectError with every problem), so bad values are never mapped. What
    is refused here depends on the command line: TLS without --consul-ca-file, a CA file that
    is not PEM, a DNS IP that is not an IP, a release name that makes the ACL auth method name
    unsafe for the init script."""
    v = chartvalues.Reader(checked(values))
    fullname = consul_fullname(values, release)
    return Settings(
        **_gates(v),
        **_images(v),
        **_consul(v, fullname, release),
        **chartvalues.metrics(v),
        consul_ca_cert=_ca_text(ca_cert) if v.boolean("global.tls.enabled", False) else "",
        tproxy=v.boolean("connectInject.transparentProxy.defaultEnabled", True),
        overwrite_probes=v.boolean("connectInject.transparentProxy.defaultOverwriteProbes", True),
        cni=v.boolean("connectInject.cni.enabled", False),
        consul_dns=v.dash_boolean("dns.enabled", v.boolean("global.enabled", True))
        and v.boolean("dns.enableRedirection", False),
        consul_dns_ip=_dns_ip(fullname, dns_ip, environ or {}),
        resource_prefix=fullname,
        openshift=v.boolean("global.openshift.enabled", False),
        sidecar_resources=v.resources("connectInject.sidecarProxy.resources", Resources()),
        envoy_concurrency=v.number("connectInject.sidecarProxy.concurrency", 2),
        init_resources=v.resources("connectInject.initContainer.resources", INIT_RESOURCES),
        consul_sidecar_resources=v.resources("global.consulSidecarContainer.resources",
                                             CONSUL_SIDECAR_RESOURCES),
        log_level=v.string("connectInject.logLevel") or v.string("global.logLevel", "info"),
        log_json=v.boolean("global.logJSON", False),
        **tooloptions.read(v.values),
    )


def _gates(v: chartvalues.Reader) -> dict[str, Any]:
    """What decides whether a pod is injected."""
    enabled = v.raw("connectInject.enabled") is None or v.dash_boolean(
        "connectInject.enabled", v.boolean("global.enabled", True))
    return {
        "enabled": enabled,
        "require_annotation": not v.boolean("connectInject.default", False),
        "allow_namespaces": v.name_list("connectInject.k8sAllowNamespaces", ("*",)),
        "deny_namespaces": v.name_list("connectInject.k8sDenyNamespaces"),
        "namespace_selector": v.string("connectInject.namespaceSelector",
                                       DEFAULT_NAMESPACE_SELECTOR),
        "consul_app_name": v.string("nameOverride") or "consul",
    }


def _images(v: chartvalues.Reader) -> dict[str, Any]:
    default = Settings._field_defaults
    return {
        "image_consul": v.string("connectInject.imageConsul")
        or v.string("global.image", default["image_consul"]),
        "image_envoy": v.string("global.imageEnvoy", default["image_envoy"]),
        "image_consul_k8s": v.string("connectInject.image")
        or v.string("global.imageK8S", default["image_consul_k8s"]),
        "envoy_extra_args": v.string("connectInject.envoyExtraArgs"),
    }


def _consul(v: chartvalues.Reader, fullname: str, release: str) -> dict[str, Any]:
    """Where and how sidecars register: ACLs, partition, namespaces, the API timeout."""
    partitions = v.boolean("global.adminPartitions.enabled", False)
    return {
        "auth_method": _auth_method(v, fullname, release),
        "partition": v.string("global.adminPartitions.name", "default") if partitions else "",
        "enable_namespaces": v.boolean("global.enableConsulNamespaces", False),
        "destination_namespace": v.string(
            "connectInject.consulNamespaces.consulDestinationNamespace", "default"),
        "mirroring": v.boolean("connectInject.consulNamespaces.mirroringK8S", False),
        "mirroring_prefix": v.string("connectInject.consulNamespaces.mirroringK8SPrefix"),
        "consul_api_timeout": gocompat.format_duration(
            gocompat.parse_duration(v.string("global.consulAPITimeout", "5s"))),
    }


def _auth_method(v: chartvalues.Reader, fullname: str, release: str) -> str:
    """overrideAuthMethodName, else `<fullname>-k8s-auth-method` with ACLs managed. The init
    script quotes it, so a release name that makes it unsafe is refused."""
    auth_method = v.string("connectInject.overrideAuthMethodName")
    if auth_method or not v.boolean("global.acls.manageSystemACLs", False):
        return auth_method
    auth_method = f"{fullname}-k8s-auth-method"
    if not gocompat.SAFE_NAME_RE.match(auth_method):
        raise ConsulInjectError(Problem(
            f"{release!r} makes the ACL auth method name {auth_method!r}, which is not a name; "
            "use letters, digits, '-', '.' and '_' only", key="--release"))
    return auth_method


def _ca_text(ca_cert: str | None) -> str:
    """TLS is on: the init script embeds the Consul CA certificate from --consul-ca-file."""
    if not ca_cert:
        raise _refused("global.tls.enabled",
                       "TLS is on, so the injected init script embeds the Consul CA certificate; "
                       "pass it with --consul-ca-file ca.pem")
    ca_text = ca_cert.replace("\r\n", "\n")
    if not _PEM_RE.match(ca_text):
        raise _refused("global.tls.enabled",
                       "the --consul-ca-file content is not PEM certificate text (BEGIN/END "
                       "CERTIFICATE lines around base64)")
    return ca_text


def _dns_ip(fullname: str, dns_ip: str | None, environ: Mapping[str, str]) -> str:
    """--consul-dns-ip, else the injector's <RESOURCE_PREFIX>_DNS_SERVICE_HOST variable."""
    ip = dns_ip or environ.get(fullname.upper().replace("-", "_") + "_DNS_SERVICE_HOST", "")
    if ip and not gocompat.is_ip(ip):
        raise _refused("dns.clusterIP", f'"{ip}" is not an IP address')
    return ip
