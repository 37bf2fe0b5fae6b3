"""The release's service facts: what each workload became in the mesh, as the pipeline found it.

The pipeline records one Fact per injected or refused workload while it injects, so every
command that reasons about the mesh (`intentions`, `graph`, `inject --intentions`) starts from
the same facts as the injection itself: the Consul services the endpoints controller will
register, their Consul namespace and partition, the upstreams the webhook version parsed, and
whether transparent proxy is on. Nothing here parses an annotation the webhook version owns.

Kept light: the post-renderer imports it (through the pipeline) on every run.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from consul_inject import podmeta
from consul_inject.problems import ConsulInjectError
from consul_inject.webhooks import common
from consul_inject.webhooks.base import Settings, Upstream
from consul_inject.workloads import Ref

if TYPE_CHECKING:
    from consul_inject.checks import Findings
    from consul_inject.transforms import Outcome

# Written on injected pods by every webhook version (the status the webhook leaves behind).
TPROXY_STATUS = podmeta.P + "transparent-proxy-status"
CONSUL_NAMESPACE = podmeta.P + "consul-namespace"

Status = Literal["injected", "refused"]


class Scope(NamedTuple):
    """Where a Consul service lives; "" where the feature is off."""

    partition: str = ""  # admin partition
    namespace: str = ""  # Consul namespace


class Fact(NamedTuple):
    """One workload of the release as the mesh sees it."""

    ref: Ref
    where: str  # the template or file, for messages
    status: Status
    services: tuple[str, ...] = ()  # the Consul services it registers, in annotation order
    scope: Scope = Scope()
    tproxy: bool = False
    upstreams: tuple[Upstream, ...] = ()  # on the first service's proxy only
    unregistered: tuple[str, ...] = ()  # why the endpoints controller would not register it
    reason: str = ""  # the refusal, for a refused workload

    @property
    def source(self) -> str:
        """The service whose proxy has the upstreams: the first of a multi-port pod."""
        return self.services[0] if self.services else self.ref.name


def _annotations(template: dict[str, Any] | None) -> dict[str, Any]:
    meta = (template or {}).get("metadata") or {}
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    return annotations if isinstance(annotations, dict) else {}


def injected(outcome: "Outcome", found: "Findings", settings: Any) -> Fact:
    """The fact of an injected workload: its pod as injected, and what the binding found."""
    assert outcome.injection is not None
    annotations = _annotations(outcome.template)
    services = found.binding.consul_services or outcome.injection.services
    namespace = annotations.get(CONSUL_NAMESPACE)
    scope = Scope(partition_of(settings), namespace if isinstance(namespace, str) else "")
    workload = outcome.workload
    return Fact(workload.ref, workload.where, "injected", tuple(s for s in services if s), scope,
                annotations.get(TPROXY_STATUS) == "enabled", outcome.injection.upstreams,
                tuple(found.binding.missing))


def refused(ref: Ref, where: str, err: ConsulInjectError, settings: Settings) -> Fact:
    """A workload the webhook refuses, placed where it would have registered."""
    scope = Scope(partition_of(settings), consul_namespace(settings, ref.namespace))
    return Fact(ref, where, "refused", scope=scope,
                reason="; ".join(p.text() for p in err.problems))


def partition_of(settings: Settings) -> str:
    """The admin partition the release's pods register in; "" without admin partitions."""
    return settings.partition


def namespaces_on(settings: Settings) -> bool:
    return settings.enable_namespaces


def consul_namespace(settings: Settings, k8s_namespace: str) -> str:
    """The Consul namespace a Kubernetes namespace maps to (mirroring or one destination), as
    the webhook and the controller map it; "" without Consul namespaces."""
    return common.consul_namespace(settings.enable_namespaces, settings.mirroring,
                                   settings.mirroring_prefix, settings.destination_namespace,
                                   k8s_namespace)


Where = Literal["local", "prepared_query", "datacenter", "peer", "partition"]


class Target(NamedTuple):
    """Where an upstream leads, resolved as the endpoints controller writes it into the proxy:
    an empty namespace or partition means the source's own (Consul's default)."""

    where: Where
    name: str
    scope: Scope
    peer: str = ""
    datacenter: str = ""


def target(fact: Fact, upstream: Upstream) -> Target:
    """The destination of one upstream of `fact`'s proxy."""
    if upstream.kind == "prepared_query":
        return Target("prepared_query", upstream.name, fact.scope)
    # Consul namespaces and partitions count only where they are on (the proxy ignores them
    # otherwise): the source's scope says which are.
    namespace = (upstream.namespace or fact.scope.namespace) if fact.scope.namespace else ""
    partition = (upstream.partition or fact.scope.partition) if fact.scope.partition else ""
    scope = Scope(partition, namespace)
    if upstream.peer:
        return Target("peer", upstream.name, scope, peer=upstream.peer)
    if upstream.datacenter:
        return Target("datacenter", upstream.name, scope, datacenter=upstream.datacenter)
    if partition != fact.scope.partition:
        return Target("partition", upstream.name, scope)
    return Target("local", upstream.name, scope)


def registered(facts: Sequence[Fact]) -> dict[tuple[Scope, str], Fact]:
    """Every Consul service the release registers, with the first workload registering it."""
    found: dict[tuple[Scope, str], Fact] = {}
    for fact in facts:
        if fact.status == "injected":
            for service in fact.services:
                found.setdefault((fact.scope, service), fact)
    return found
