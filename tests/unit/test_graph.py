"""The service graph: nodes, edges and the three text forms."""

from __future__ import annotations

import json

from consul_inject import graph
from consul_inject.mesh import Fact, Scope
from consul_inject.webhooks.base import Upstream
from consul_inject.workloads import Ref


def fact(name: str, *targets: str, services: tuple[str, ...] = (), tproxy: bool = True) -> Fact:
    ups = tuple(Upstream(f"{t}:{i}", "service", t, "", "", "", "", i)
                for i, t in enumerate(targets, 1000))
    return Fact(Ref("Deployment", name, "apps"), "t", "injected", services or (name,), Scope(),
                tproxy, ups)


def test_nodes_edges_and_external_destinations() -> None:
    drawn = graph.build([fact("client", "web", "payments"), fact("web", tproxy=False)])
    names = {n.id: (n.name, n.kind, tuple(n.marks)) for n in drawn.nodes}
    assert names == {"n1": ("client", "service", ()),
                     "n2": ("web", "service", ("transparent proxy off",)),
                     "n3": ("payments", "external", ("external",))}
    assert [(e.source, e.target, e.port) for e in drawn.edges] == [("n1", "n2", 1000),
                                                                   ("n1", "n3", 1001)]


def test_a_multi_port_pod_shows_each_service_and_its_upstreams_leave_the_first() -> None:
    drawn = graph.build([fact("web", "db", services=("web", "web-admin")), fact("db")])
    assert [(n.name, n.workload) for n in drawn.nodes] == [
        ("db", ""), ("web", "Deployment web"), ("web-admin", "Deployment web")]
    assert [(e.source, e.target) for e in drawn.edges] == [("n2", "n1")]


def test_mermaid_escapes_what_would_end_a_label() -> None:
    drawn = graph.Graph([graph.Node('a"b<c>', "service", ("apps", ""), id="n1")])
    assert 'n1["a#quot;b#lt;c#gt;"]' in graph.mermaid(drawn)


def test_dot_escapes_quotes_and_backslashes() -> None:
    drawn = graph.Graph([graph.Node('a"b\\', "refused", ("apps", ""), marks=["refused"],
                                    id="n1")])
    text = graph.dot(drawn)
    assert 'n1 [label="a\\"b\\\\\\nrefused", style="rounded,filled"' in text


def test_json_is_nodes_and_edges() -> None:
    data = json.loads(graph.as_json(graph.build([fact("client", "web"), fact("web")])))
    assert data["edges"] == [{"from": "n1", "to": "n2", "port": 1000, "upstream": "web:1000"}]
    assert [n["name"] for n in data["nodes"]] == ["client", "web"]
