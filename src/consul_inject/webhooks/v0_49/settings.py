"""Injector settings built from Consul chart values, as the v0.49.8 chart turns values into flags.

Mirrors `templates/connect-inject-deployment.yaml` and `inject-connect/command.go`: each field
says which value feeds it and which binary default applies when the chart passes no flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from consul_inject import gocompat
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.values.strvals import value_at

_PEM_RE = re.compile(
    r"^(?:-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+-----END CERTIFICATE-----\n?)+\Z"
)


DEFAULT_NAMESPACE_SELECTOR = (
    'matchExpressions:\n  - key: "kubernetes.io/metadata.name"\n    operator: "NotIn"\n'
    '    values: ["kube-system","local-path-storage","openebs"]\n'
)


@dataclass(frozen=True)
class Resources:
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


@dataclass(frozen=True)
class Settings:
    consul_k8s_version: ClassVar[str] = "0.49"
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
    sidecar_resources: Resources = field(default_factory=Resources)
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
    # consul-inject's own keys (values section `consulInject`), not the Consul chart's:
    missing_service: str = "error"  # or "warn": Services/ServiceAccounts kept elsewhere
    create_service_account_secrets: bool = False

    @property
    def acls(self) -> bool:
        return bool(self.auth_method)


def ValuesError(path: str, problem: str) -> ConsulInjectError:
    return ConsulInjectError(Problem(problem, key=path, where="values"))


class _Values:
    """Typed reads of merged chart values by dotted path, with the path in every error."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def raw(self, path: str) -> Any:
        return value_at(self.values, path)

    def boolean(self, path: str, default: bool) -> bool:
        value = self.raw(path)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in gocompat.BOOLS:
            return gocompat.BOOLS[value]
        raise ValuesError(path, f"{value!r} is not a boolean; expected true or false")

    def dash_boolean(self, path: str, inherit: bool) -> bool:
        """Keys whose "-" means "follow the global switch"."""
        return inherit if self.raw(path) == "-" else self.boolean(path, inherit)

    def string(self, path: str, default: str = "") -> str:
        value = self.raw(path)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValuesError(path, f"{value!r} is not a string")
        return str(value)

    def name_list(self, path: str) -> tuple[str, ...]:
        value = self.raw(path)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValuesError(
                path, f"{value!r} is not a list of namespace names; write a YAML list, or "
                f"--set '{path}={{a,b}}'"
            )
        return tuple(value)

    def port(self, path: str, default: int, low: int = 1) -> str:
        value = self.raw(path)
        if value is None:
            return str(default)
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.isdigit():
            number = int(value)
        if number is None or not low <= number <= 65535:
            raise ValuesError(path, f"{value!r} is not a port number ({low}-65535)")
        return str(number)

    def quantity(self, path: str) -> str | None:
        value = self.raw(path)
        if value is None or value == "":
            return None
        text = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else value
        if not isinstance(text, str) or not gocompat.is_quantity(text):
            raise ValuesError(path, f"{value!r} is not a Kubernetes quantity ({gocompat.QUANTITY_FORM})")
        return text

    def resources(self, path: str, default: Resources) -> Resources:
        def pick(sub: str, fallback: str | None) -> str | None:
            return self.quantity(f"{path}.{sub}") or fallback

        return Resources(
            pick("requests.cpu", default.cpu_request),
            pick("limits.cpu", default.cpu_limit),
            pick("requests.memory", default.memory_request),
            pick("limits.memory", default.memory_limit),
        )


def consul_fullname(values: Mapping[str, Any], release: str) -> str:
    """The chart's `consul.fullname` helper: fullnameOverride, else global.name, else
    `<release>-<nameOverride or consul>` (no shortening when the release contains the name)."""
    reader = _Values(values)
    name = (reader.string("fullnameOverride") or reader.string("global.name")
            or f"{release}-{reader.string('nameOverride') or 'consul'}")
    return name[:63].rstrip("-")


def from_values(
    values: Mapping[str, Any],
    *,
    release: str = "consul",
    ca_cert: str | None = None,
    dns_ip: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings from merged chart values (user values over nothing: defaults live here)."""
    v = _Values(values)
    global_enabled = v.boolean("global.enabled", True)
    fullname = consul_fullname(values, release)

    auth_method = v.string("connectInject.overrideAuthMethodName")
    if not auth_method and v.boolean("global.acls.manageSystemACLs", False):
        auth_method = f"{fullname}-k8s-auth-method"

    enable_namespaces = v.boolean("global.enableConsulNamespaces", False)
    mirroring = v.boolean("connectInject.consulNamespaces.mirroringK8S", False)
    if mirroring and not enable_namespaces:
        raise ValuesError(
            "connectInject.consulNamespaces.mirroringK8S",
            "needs global.enableConsulNamespaces=true (the chart fails the same way)",
        )
    partitions = v.boolean("global.adminPartitions.enabled", False)
    if partitions and not enable_namespaces:
        raise ValuesError(
            "global.adminPartitions.enabled",
            "needs global.enableConsulNamespaces=true (the chart fails the same way)",
        )
    if v.raw("connectInject.imageEnvoy") is not None:
        raise ValuesError(
            "connectInject.imageEnvoy", "is not a chart value; set global.imageEnvoy instead"
        )
    destination = v.string("connectInject.consulNamespaces.consulDestinationNamespace", "default")
    for path, name in (("connectInject.consulNamespaces.consulDestinationNamespace", destination),
                       ("global.adminPartitions.name",
                        v.string("global.adminPartitions.name", "default"))):
        if name in ("system", "universal", "operator", "root"):
            raise ValuesError(path, f'"{name}" is a name Consul reserves for future use')

    timeout_text = v.string("global.consulAPITimeout", "5s")
    try:
        timeout_ns = gocompat.parse_duration(timeout_text)
    except ValueError:
        raise ValuesError(
            "global.consulAPITimeout", f'"{timeout_text}" is not a duration such as "5s" or "1m"'
        ) from None
    if timeout_ns <= 0:
        raise ValuesError("global.consulAPITimeout", "must be greater than zero")

    tls = v.boolean("global.tls.enabled", False)
    ca_text = ""
    if tls:
        if not ca_cert:
            raise ValuesError(
                "global.tls.enabled",
                "TLS is on, so the injected init script embeds the Consul CA certificate; "
                "pass it with --consul-ca-file ca.pem",
            )
        ca_text = ca_cert.replace("\r\n", "\n")
        if not _PEM_RE.match(ca_text):
            raise ValuesError(
                "global.tls.enabled",
                "the --consul-ca-file content is not PEM certificate text (BEGIN/END CERTIFICATE "
                "lines around base64)",
            )

    dns_enabled = v.dash_boolean("dns.enabled", global_enabled)
    consul_dns = dns_enabled and v.boolean("dns.enableRedirection", False)
    env = environ or {}
    dns_host_var = fullname.upper().replace("-", "_") + "_DNS_SERVICE_HOST"
    ip = dns_ip or env.get(dns_host_var, "")
    if ip and not gocompat.is_ip(ip):
        raise ValuesError("dns.clusterIP", f'"{ip}" is not an IP address')

    metrics_global = v.boolean("global.metrics.enabled", False)
    log_level = v.string("connectInject.logLevel") or v.string("global.logLevel", "info")
    if log_level not in ("trace", "debug", "info", "warn", "error"):
        raise ValuesError("connectInject.logLevel" if v.string("connectInject.logLevel")
                          else "global.logLevel",
                          f'"{log_level}" is not a log level; expected trace, debug, info, warn or '
                          "error")
    concurrency_raw = v.raw("connectInject.sidecarProxy.concurrency")
    concurrency = 2 if concurrency_raw is None else concurrency_raw
    if isinstance(concurrency, str) and concurrency.isdigit():
        concurrency = int(concurrency)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 0:
        raise ValuesError(
            "connectInject.sidecarProxy.concurrency",
            f"{concurrency_raw!r} is not a whole number >= 0",
        )

    settings = Settings(
        enabled=v.dash_boolean("connectInject.enabled", global_enabled)
        if v.raw("connectInject.enabled") is not None else True,
        require_annotation=not v.boolean("connectInject.default", False),
        allow_namespaces=v.name_list("connectInject.k8sAllowNamespaces")
        if v.raw("connectInject.k8sAllowNamespaces") is not None else ("*",),
        deny_namespaces=v.name_list("connectInject.k8sDenyNamespaces"),
        namespace_selector=v.string("connectInject.namespaceSelector", DEFAULT_NAMESPACE_SELECTOR),
        consul_app_name=v.string("nameOverride") or "consul",
        image_consul=v.string("connectInject.imageConsul") or v.string(
            "global.image", Settings.image_consul),
        image_envoy=v.string("global.imageEnvoy", Settings.image_envoy),
        image_consul_k8s=v.string("connectInject.image") or v.string(
            "global.imageK8S", Settings.image_consul_k8s),
        envoy_extra_args=v.string("connectInject.envoyExtraArgs"),
        auth_method=auth_method,
        consul_ca_cert=ca_text,
        partition=v.string("global.adminPartitions.name", "default") if partitions else "",
        enable_namespaces=enable_namespaces,
        destination_namespace=destination,
        mirroring=mirroring,
        mirroring_prefix=v.string("connectInject.consulNamespaces.mirroringK8SPrefix"),
        tproxy=v.boolean("connectInject.transparentProxy.defaultEnabled", True),
        overwrite_probes=v.boolean("connectInject.transparentProxy.defaultOverwriteProbes", True),
        cni=v.boolean("connectInject.cni.enabled", False),
        consul_dns=consul_dns,
        consul_dns_ip=ip,
        resource_prefix=fullname,
        openshift=v.boolean("global.openshift.enabled", False),
        sidecar_resources=v.resources("connectInject.sidecarProxy.resources", Resources()),
        envoy_concurrency=concurrency,
        metrics=v.dash_boolean("connectInject.metrics.defaultEnabled", metrics_global),
        metrics_merging=v.boolean("connectInject.metrics.defaultEnableMerging", False),
        merged_metrics_port=v.port("connectInject.metrics.defaultMergedMetricsPort", 20100, 1024),
        prometheus_scrape_port=v.port(
            "connectInject.metrics.defaultPrometheusScrapePort", 20200, 1024),
        prometheus_scrape_path=v.string(
            "connectInject.metrics.defaultPrometheusScrapePath", "/metrics") or "/metrics",
        init_resources=v.resources("connectInject.initContainer.resources", INIT_RESOURCES),
        consul_sidecar_resources=v.resources("global.consulSidecarContainer.resources",
                                             CONSUL_SIDECAR_RESOURCES),
        consul_api_timeout=gocompat.format_duration(timeout_ns),
        log_level=log_level,
        log_json=v.boolean("global.logJSON", False),
        missing_service=_choice(v, "consulInject.missingService", ("error", "warn")),
        create_service_account_secrets=v.boolean("consulInject.createServiceAccountSecrets", False),
    )
    _check_script_safe(settings)
    return settings


def _choice(v: _Values, path: str, choices: tuple[str, ...]) -> str:
    value = v.string(path, choices[0])
    if value not in choices:
        raise ValuesError(path, f"{value!r} is not one of {', '.join(choices)}")
    return value



def _check_script_safe(settings: Settings) -> None:
    """Values that the init shell script quotes must not be able to break out of the quotes."""
    checks = (
        ("connectInject.overrideAuthMethodName", settings.auth_method),
        ("global.adminPartitions.name", settings.partition),
        ("connectInject.consulNamespaces.consulDestinationNamespace",
         settings.destination_namespace if settings.enable_namespaces else ""),
        ("connectInject.consulNamespaces.mirroringK8SPrefix", settings.mirroring_prefix),
    )
    for path, value in checks:
        if value and not gocompat.SAFE_NAME_RE.match(value) and not (
            path.endswith("Prefix") and re.match(r"^[A-Za-z0-9._-]+\Z", value)
        ):
            raise ValuesError(
                path, f"{value!r} is not a name; use letters, digits, '-', '.' and '_' only"
            )
    if not gocompat.URL_PATH_RE.match(settings.prometheus_scrape_path):
        raise ValuesError(
            "connectInject.metrics.defaultPrometheusScrapePath",
            f"{settings.prometheus_scrape_path!r} is not a URL path such as /metrics",
        )
