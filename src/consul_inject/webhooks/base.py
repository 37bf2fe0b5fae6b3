"""What the pipeline needs of one consul-k8s webhook version, and the shapes they exchange.

A webhook version (a package beside this module) decides whether a pod template is injected,
mutates it, and removes an injection again; the Injection it returns tells the release checks
what they need to know of the version (the ports its sidecar binds, ACL login).
Everything here is pure data and interfaces: no version's rules live in this module.
"""

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, Protocol, TypeVar


class Decision(NamedTuple):
    inject: bool
    reason: str


class Upstream(NamedTuple):
    """One item of the upstreams annotation, resolved."""

    raw: str
    kind: str  # "service" or "prepared_query"
    name: str
    namespace: str
    partition: str
    peer: str
    datacenter: str
    port: int
    env_name: str = ""  # `<NAME>` of the env vars: the raw head upper-cased, "-" -> "_"


class Injection(NamedTuple):
    """An injected pod template, with what the release checks need to know about it."""

    template: dict[str, Any]
    services: tuple[str, ...]  # the Consul services of a multi-port pod; the one name, or ()
    upstreams: tuple[Upstream, ...]
    sidecar_ports: Mapping[int, str]  # port -> what of the injection listens there
    acl_login: bool  # the pod logs in to Consul with its ServiceAccount token
    warnings: Sequence[str] = ()


class Binding(NamedTuple):
    """What the endpoints controller will register for a pod, and what the release lacks."""

    consul_services: tuple[str, ...]
    warnings: list[str]
    missing: list[str]  # problems a missing-object policy governs
    to_create: list[dict[str, Any]]  # ServiceAccounts, Secrets

    @classmethod
    def of(cls, consul_services: tuple[str, ...] = ()) -> "Binding":
        """A binding with nothing found yet (lists of its own)."""
        return cls(consul_services, [], [], [])


class Settings(Protocol):
    """The fields of a version's settings that the version-independent code reads."""

    @property
    def consul_k8s_version(self) -> str: ...  # which webhook version the settings are for

    @property
    def enabled(self) -> bool: ...
    @property
    def missing_service(self) -> str: ...  # "error" or "warn"
    @property
    def create_service_account_secrets(self) -> bool: ...
    @property
    def workload_kinds(self) -> tuple[tuple[str, str], ...]: ...  # (kind, template path)
    # Where pods register in Consul (the intentions and the graph read them).
    @property
    def partition(self) -> str: ...  # "" without admin partitions
    @property
    def enable_namespaces(self) -> bool: ...
    @property
    def mirroring(self) -> bool: ...
    @property
    def mirroring_prefix(self) -> str: ...
    @property
    def destination_namespace(self) -> str: ...
    @property
    def intentions(self) -> bool: ...


S = TypeVar("S", bound=Settings)


class SettingsContext(NamedTuple):
    """What the settings mapper needs beside the values: the command line's facts."""

    release: str = "consul"
    ca_cert: str | None = None  # PEM text of --consul-ca-file
    dns_ip: str | None = None  # --consul-dns-ip (0.49: the Consul DNS Service's ClusterIP)
    environ: Mapping[str, str] = MappingProxyType({})
    release_namespace: str = "consul"  # --release-namespace: where Consul is installed
    access_logs: str | None = None  # --access-logs: the global proxy-defaults' access log
    kube_version: str | None = None  # --kube-version: the cluster's Kubernetes version


class Webhook(Protocol[S]):
    """One consul-k8s webhook version. Every method is pure and raises TemplateError for a pod
    template the webhook would refuse."""

    version: str  # as users select it: "0.49"
    release: str  # the consul-k8s release it follows: "0.49.8"

    def settings(self, values: Mapping[str, Any], context: SettingsContext) -> S:
        """Map merged, checked chart values to this version's settings."""
        ...

    def decide(self, settings: S, meta: Mapping[str, Any], namespace: str,
               namespace_labels: Mapping[str, str]) -> Decision: ...

    def inject(self, settings: S, template: Mapping[str, Any], namespace: str, *,
               namespace_labels: Mapping[str, str],
               namespace_annotations: Mapping[str, str] | None,
               token_secret: Callable[[str], str]) -> Injection:
        """`namespace_annotations`: None when the release holds no such Namespace object."""
        ...

    def is_injected(self, template: Mapping[str, Any]) -> bool: ...

    def uninject(self, template: Mapping[str, Any]) -> dict[str, Any]: ...

    def advice(self, resource: Mapping[str, Any], path: tuple[str, ...],
               before: Mapping[str, Any], after: Mapping[str, Any] | None) -> list[str]:
        """Warnings about a workload: after injection (`after` set) or when skipped."""
        ...
