"""The release's service facts: where an upstream leads, and the Consul namespace of a pod."""

from __future__ import annotations

import dataclasses

from consul_inject import mesh
from consul_inject.mesh import Fact, Scope
from consul_inject.webhooks.base import Upstream
from consul_inject.workloads import Ref
from tests.conftest import StubSettings


def up(name: str, *, namespace: str = "", partition: str = "", peer: str = "", dc: str = "",
       kind: str = "service") -> Upstream:
    return Upstream(f"{name}:1234", kind, name, namespace, partition, peer, dc, 1234)


NOWHERE = Scope()


def fact(scope: Scope = NOWHERE, *upstreams: Upstream) -> Fact:
    return Fact(Ref("Deployment", "web", "apps"), "t.yaml", "injected", ("web",), scope, True,
                upstreams)


def test_without_namespaces_an_upstream_namespace_is_not_consul_s() -> None:
    to = mesh.target(fact(), up("api", namespace="other"))
    assert (to.where, to.scope) == ("local", Scope())


def test_an_empty_upstream_namespace_is_the_source_s() -> None:
    source = fact(Scope("", "apps"))
    assert mesh.target(source, up("api")).scope == Scope("", "apps")
    assert mesh.target(source, up("api", namespace="db")).scope == Scope("", "db")


def test_another_partition_peer_datacenter_and_query_are_not_local() -> None:
    source = fact(Scope("west", "default"))
    assert mesh.target(source, up("api")).where == "local"
    assert mesh.target(source, up("api", partition="west")).where == "local"
    assert mesh.target(source, up("api", partition="east")).where == "partition"
    assert mesh.target(source, up("api", peer="eu")).peer == "eu"
    assert mesh.target(source, up("api", dc="dc2")).where == "datacenter"
    assert mesh.target(source, up("geo", kind="prepared_query")).where == "prepared_query"


def test_the_source_of_a_multi_port_pod_is_its_first_service() -> None:
    multi = Fact(Ref("Deployment", "web", "apps"), "t", "injected", ("web", "web-admin"))
    assert multi.source == "web"
    assert Fact(Ref("Deployment", "broken", "apps"), "t", "refused").source == "broken"


MIRRORING = StubSettings(enable_namespaces=True, mirroring=True, mirroring_prefix="k8s-")


def test_consul_namespace_mirrors_with_its_prefix_or_uses_one_destination() -> None:
    assert mesh.consul_namespace(MIRRORING, "apps") == "k8s-apps"
    one = dataclasses.replace(MIRRORING, mirroring=False, destination_namespace="x")
    assert mesh.consul_namespace(one, "a") == "x"
    assert mesh.consul_namespace(StubSettings(), "apps") == ""  # without Consul namespaces


def test_registered_keeps_the_first_workload_of_each_service() -> None:
    first, second = fact(), Fact(Ref("Deployment", "web-canary", "apps"), "t", "injected",
                                 ("web",))
    assert mesh.registered([first, second]) == {(Scope(), "web"): first}
