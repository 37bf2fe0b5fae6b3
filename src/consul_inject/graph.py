"""The release's service graph: one node per Consul service, one edge per declared upstream.

Built from the pipeline's facts (`mesh`), then written as Mermaid (GitHub and GitLab render it
as it is), Graphviz DOT, or JSON for other tools. Pure: laying it out is Graphviz's job.
"""

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from consul_inject import mesh
from consul_inject.mesh import Fact, Scope, Target

OUTSIDE = ("", "")  # the group of nodes the release does not run
_NO_SCOPE = Scope()


class Node:
    __slots__ = ("group", "id", "kind", "marks", "name", "scope", "workload")

    def __init__(self, name: str, kind: str, group: tuple[str, str], scope: Scope = _NO_SCOPE,
                 workload: str = "", *, marks: list[str] | None = None, id: str = "") -> None:
        self.name = name
        self.kind = kind  # service, refused, external, prepared_query, datacenter, peer, partition
        self.group = group  # (Kubernetes namespace, Consul namespace); OUTSIDE
        self.scope = scope
        self.workload = workload  # "Deployment web" for the release's own nodes
        self.marks = marks if marks is not None else []
        self.id = id  # given once the nodes are sorted


class Edge(NamedTuple):
    source: str  # node ids
    target: str
    port: int
    upstream: str  # the annotation item


class Graph(NamedTuple):
    nodes: list[Node]
    edges: Sequence[Edge] = ()


def _workload(fact: Fact) -> str:
    return f"{fact.ref.kind} {fact.ref.name}"


def _own_nodes(facts: list[Fact]) -> dict[tuple[Any, ...], Node]:
    nodes: dict[tuple[Any, ...], Node] = {}
    for fact in facts:
        group = (fact.ref.namespace, fact.scope.namespace)
        if fact.status == "refused":
            nodes[("refused", fact.ref)] = Node(fact.ref.name, "refused", group,
                                                workload=_workload(fact), marks=["refused"])
            continue
        marks = (["no Service"] if fact.unregistered else []) + (
            [] if fact.tproxy else ["transparent proxy off"])
        for service in fact.services or (fact.ref.name,):
            key = ("service", fact.scope, service)
            if key not in nodes:
                nodes[key] = Node(service, "service", group, fact.scope,
                                  _workload(fact) if len(fact.services) > 1 else "", marks=list(marks))
    return nodes


def _away(to: Target) -> tuple[tuple[Any, ...], Node]:
    """The node of a destination the release does not run."""
    if to.where == "prepared_query":
        return ("prepared_query", to.name), Node(to.name, "prepared_query", OUTSIDE,
                                                 marks=["prepared query"])
    mark = {"peer": f"peer {to.peer}", "datacenter": f"datacenter {to.datacenter}",
            "partition": f"partition {to.scope.partition}"}.get(to.where, "external")
    if to.scope.namespace:
        mark += f", Consul namespace {to.scope.namespace}"
    kind = "external" if to.where == "local" else to.where
    return (kind, to.peer, to.datacenter, to.scope, to.name), Node(to.name, kind, OUTSIDE,
                                                                   to.scope, marks=[mark])


def build(facts: list[Fact]) -> Graph:
    nodes = _own_nodes(facts)
    links: list[tuple[tuple[Any, ...], tuple[Any, ...], int, str]] = []
    for fact in facts:
        if fact.status != "injected":
            continue
        source = ("service", fact.scope, fact.source)
        for upstream in fact.upstreams:
            to = mesh.target(fact, upstream)
            key = ("service", to.scope, to.name)
            if to.where != "local" or key not in nodes:
                key, node = _away(to)
                nodes.setdefault(key, node)
            links.append((source, key, upstream.port, upstream.raw.strip()))
    ordered = sorted(nodes.values(), key=lambda n: (n.group == OUTSIDE, n.group, n.name, n.kind,
                                                    n.workload, n.marks))
    for i, node in enumerate(ordered, 1):
        node.id = f"n{i}"
    edges = sorted({Edge(nodes[a].id, nodes[b].id, port, raw) for a, b, port, raw in links},
                   key=lambda e: (int(e.source[1:]), int(e.target[1:]), e.port, e.upstream))
    return Graph(ordered, edges)


def _title(group: tuple[str, str]) -> str:
    if group == OUTSIDE:
        return "outside the release"
    k8s, consul = group
    return f"namespace {k8s}" + (f" / Consul namespace {consul}" if consul else "")


def _groups(graph: Graph) -> list[tuple[tuple[str, str], list[Node]]]:
    groups: dict[tuple[str, str], list[Node]] = {}
    for node in graph.nodes:
        groups.setdefault(node.group, []).append(node)
    return list(groups.items())


def _lines(node: Node) -> list[str]:
    return [node.name] + ([node.workload] if node.workload else []) + (
        [", ".join(node.marks)] if node.marks else [])


def _mermaid_text(text: str) -> str:
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;"))


STYLES = {  # kind -> (Mermaid classDef, DOT attributes)
    "external": ("stroke-dasharray: 5 5", 'style="rounded,dashed"'),
    "prepared_query": ("stroke-dasharray: 5 5", 'style="rounded,dashed"'),
    "datacenter": ("stroke-dasharray: 5 5", 'style="rounded,dashed"'),
    "peer": ("stroke-dasharray: 5 5", 'style="rounded,dashed"'),
    "partition": ("stroke-dasharray: 5 5", 'style="rounded,dashed"'),
    "refused": ("fill:#fdd,stroke:#c00", 'style="rounded,filled", fillcolor="#ffdddd", '
                'color="#cc0000"'),
    "warned": ("fill:#ffd,stroke:#c90", 'style="rounded,filled", fillcolor="#ffffdd", '
               'color="#cc9900"'),
}


def _style(node: Node) -> str | None:
    """The node's style: its kind's, or a warning's for a service marked no Service."""
    if node.kind in STYLES:
        return node.kind
    return "warned" if "no Service" in node.marks else None


def mermaid(graph: Graph) -> str:
    out = ["flowchart LR"]
    for i, (group, nodes) in enumerate(_groups(graph), 1):
        out.append(f'  subgraph g{i}["{_mermaid_text(_title(group))}"]')
        out += [f'    {n.id}["{"<br/>".join(_mermaid_text(x) for x in _lines(n))}"]'
                for n in nodes]
        out.append("  end")
    out += [f"  {e.source} -->|{e.port}| {e.target}" for e in graph.edges]
    used = sorted({s for n in graph.nodes if (s := _style(n))})
    for style in used:
        out.append(f"  classDef {style} {STYLES[style][0]}")
        out.append(f"  class {','.join(n.id for n in graph.nodes if _style(n) == style)} {style}")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(graph: Graph) -> str:
    out = ["digraph mesh {", "  rankdir=LR;",
           '  node [shape=box, style=rounded, fontname="Helvetica"];',
           '  edge [fontname="Helvetica", fontsize=10];']
    for i, (group, nodes) in enumerate(_groups(graph), 1):
        out.append(f"  subgraph cluster_{i} {{")
        out.append(f'    label="{_dot_text(_title(group))}"; fontname="Helvetica"; '
                   'style="rounded,dashed"; color="#888888";')
        for node in nodes:
            style = _style(node)
            extra = f", {STYLES[style][1]}" if style else ""
            label = "\\n".join(_dot_text(x) for x in _lines(node))
            out.append(f'    {node.id} [label="{label}"{extra}];')
        out.append("  }")
    out += [f'  {e.source} -> {e.target} [label="{e.port}"];' for e in graph.edges]
    out.append("}")
    return "\n".join(out) + "\n"


def as_json(graph: Graph) -> str:
    nodes = [{"id": n.id, "name": n.name, "kind": n.kind,
              "kubernetesNamespace": n.group[0], "consulNamespace": n.scope.namespace,
              "partition": n.scope.partition, "workload": n.workload, "marks": n.marks}
             for n in graph.nodes]
    edges = [{"from": e.source, "to": e.target, "port": e.port, "upstream": e.upstream}
             for e in graph.edges]
    return json.dumps({"nodes": nodes, "edges": edges}, indent=2) + "\n"
