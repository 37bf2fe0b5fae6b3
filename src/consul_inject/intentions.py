"""Least-privilege ServiceIntentions from the upstreams a release declares.

One ServiceIntentions (consul.hashicorp.com/v1alpha1) per destination service, allowing every
injected workload whose upstreams name it. The facts come from the pipeline (`mesh`); here only
decisions, made by pure functions:

- sources and destinations carry a Consul namespace exactly when Consul namespaces are on and
  a partition exactly when admin partitions are (the CRD's controller refuses them otherwise);
- an upstream to a prepared query, another datacenter, a peer or another partition makes no
  intention here (it belongs where the destination lives): the report says where;
- a ServiceIntentions already in the release for the same destination is merged into, never
  replaced: an existing source's own action or permissions win, and the report says so.
"""

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import yaml

from consul_inject import emitter, mesh, stream, yamlcodec
from consul_inject.mesh import Fact, Scope, Target
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.webhooks.base import Settings, Upstream

API_VERSION = "consul.hashicorp.com/v1alpha1"
KIND = "ServiceIntentions"
GENERATED_LABEL = "consul-inject.io/generated"
SOURCE_COMMENT = "# Source: consul-inject/service-intentions.yaml\n"
_K8S_NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


class Source(NamedTuple):
    """A source as Consul reads it: "" where namespaces or partitions are off."""

    partition: str
    namespace: str
    name: str

    def entry(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.namespace:
            out["namespace"] = self.namespace
        if self.partition:
            out["partition"] = self.partition
        out["action"] = "allow"
        return out

    def __str__(self) -> str:
        return _named(self.name, Scope(self.partition, self.namespace))


class Wanted(NamedTuple):
    """The intention one destination needs."""

    name: str
    scope: Scope
    k8s_namespace: str  # where its ServiceIntentions goes: beside the destination's workload
    external: bool  # no workload of the release registers the destination
    sources: set[Source]


class Existing(NamedTuple):
    """A ServiceIntentions already in the stream."""

    text: str
    data: dict[str, Any]
    k8s_namespace: str
    destination: tuple[Scope, str]

    @property
    def where(self) -> str:
        template = stream.Segment(self.text, 0, True).template()
        name = (self.data.get("metadata") or {}).get("name")
        return f'ServiceIntentions "{name}"' + (f" ({template})" if template else "")


class Plan:
    __slots__ = ("documents", "errors", "notes", "sources", "unmade")

    def __init__(self) -> None:
        self.documents: list[tuple[str, str]] = []  # (text, "new"|"merged"|"kept")
        self.notes: list[str] = []
        self.errors: list[Problem] = []
        self.sources = 0
        self.unmade = 0

    def changed(self) -> str:
        """The documents `consul-inject intentions` prints: new ones and merged ones."""
        return "".join(text for text, how in self.documents if how != "kept")

    def summary(self) -> str:
        new = sum(1 for _, how in self.documents if how == "new")
        merged = sum(1 for _, how in self.documents if how == "merged")
        return (f"{new + merged} ServiceIntentions ({new} new, {merged} merged), {self.sources} "
                f"source(s) named by upstreams, {self.unmade} upstream(s) not made into intentions")


def _named(name: str, scope: Scope) -> str:
    where = [f"Consul namespace {scope.namespace}"] if scope.namespace else []
    where += [f"partition {scope.partition}"] if scope.partition else []
    return f'"{name}"' + (f" ({', '.join(where)})" if where else "")


def _unmade(fact: Fact, upstream: Upstream, to: Target) -> str:
    """Why an upstream makes no intention here, and where one belongs instead."""
    head = f'{fact.where}: {fact.ref}: upstream "{upstream.raw.strip()}"'
    source = f'source "{fact.source}"'
    if to.where == "prepared_query":
        return (f"{head} is a prepared query: no intention made (the query picks its services "
                "when it runs; allow the services it can return)")
    if to.where == "datacenter":
        return (f'{head} leads to datacenter "{to.datacenter}": no intention made (intentions '
                f"live in the destination's datacenter; write one for {_named(to.name, to.scope)} "
                f"there, {source})")
    if to.where == "peer":
        return (f'{head} leads to peer "{to.peer}": no intention made (it belongs in the peer\'s '
                f"cluster: one for \"{to.name}\" with {source}"
                + (f', namespace "{fact.scope.namespace}"' if fact.scope.namespace else "")
                + ", and peer: the name that cluster gives this one)")
    return (f'{head} leads to admin partition "{to.scope.partition}": no intention made (it '
            f'belongs in that partition: one for {_named(to.name, to.scope)} with {source}, '
            f'partition "{fact.scope.partition}")')


def wanted(facts: Sequence[Fact], plan: Plan) -> dict[tuple[Scope, str], Wanted]:
    """Every destination the release's upstreams reach, with the sources it must allow."""
    services = mesh.registered(facts)
    out: dict[tuple[Scope, str], Wanted] = {}
    for fact in facts:
        if fact.status != "injected":
            continue
        for upstream in fact.upstreams:
            to = mesh.target(fact, upstream)
            if to.where != "local":
                plan.notes.append(_unmade(fact, upstream, to))
                plan.unmade += 1
                continue
            key = (to.scope, to.name)
            home = services.get(key)
            found = out.setdefault(key, Wanted(to.name, to.scope, (home or fact).ref.namespace,
                                               home is None, set()))
            found.sources.add(Source(fact.scope.partition, fact.scope.namespace, fact.source))
    return out


def silent_note(facts: Sequence[Fact]) -> str | None:
    """Transparent-proxy pods that declare no upstreams reach services by Kubernetes DNS: under
    default-deny they are cut off, and no intention can be made for them."""
    silent = sorted(f"{f.ref}" + (f" ({f.ref.namespace})" if f.ref.namespace else "")
                    for f in facts if f.status == "injected" and f.tproxy and not f.upstreams)
    if not silent:
        return None
    shown = ", ".join(silent[:5]) + (f" and {len(silent) - 5} others" if len(silent) > 5 else "")
    return (f"intentions: {len(silent)} injected workload(s) with transparent proxy declare no "
            f"upstreams: {shown}; whatever they call by Kubernetes DNS a default-deny mesh cuts "
            "off, as no intention can be made for it: name the services they call in "
            "consul.hashicorp.com/connect-service-upstreams")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def existing(texts: list[str], settings: Settings, default_namespace: str,
             plan: Plan) -> list[Existing]:
    """The ServiceIntentions of the stream, each with the destination Consul reads from it."""
    out: list[Existing] = []
    partition = mesh.partition_of(settings)
    for text in texts:
        try:
            data = yamlcodec.load(text)
        except (yaml.YAMLError, ConsulInjectError) as err:  # the pipeline passed it on unread
            where = stream.Segment(text, 0, True).template() or "the release"
            plan.errors.append(Problem(f"a ServiceIntentions in {where} is not valid YAML, so "
                                       f"generated sources cannot be merged into it: {err}"))
            continue
        if not isinstance(data, dict):
            continue
        meta, spec = _mapping(data.get("metadata")), _mapping(data.get("spec"))
        dest = _mapping(spec.get("destination"))
        k8s_namespace = str(meta.get("namespace") or default_namespace)
        namespace = str(dest.get("namespace") or mesh.consul_namespace(settings, k8s_namespace))
        out.append(Existing(text, data, k8s_namespace,
                            (Scope(partition, namespace), str(dest.get("name") or ""))))
    return out


def _same(entry: dict[str, Any], source: Source, dest: Scope) -> bool:
    """Does an existing source entry name `source`? Consul reads an empty namespace or partition
    as the destination's own."""
    if entry.get("peer") or entry.get("name") != source.name:
        return False
    namespace = str(entry.get("namespace") or dest.namespace) if dest.namespace else ""
    partition = str(entry.get("partition") or dest.partition) if dest.partition else ""
    return (partition, namespace) == (source.partition, source.namespace)


def merge(found: Existing, want: Wanted, plan: Plan) -> tuple[str, str]:
    """`found` with the sources it lacks added; its own entries, deny or L7 permissions, win."""
    spec = found.data.get("spec") or {}
    entries = spec.get("sources") or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        plan.errors.append(Problem(f"{found.where}: spec.sources is not a list of mappings, so the "
                                   f"generated sources for {_named(want.name, want.scope)} cannot "
                                   "be merged into it; fix it, or leave the destination out of "
                                   "--intentions by writing every source by hand"))
        return found.text, "kept"
    added = []
    for source in sorted(want.sources):
        entry = next((e for e in entries if _same(e, source, want.scope)), None)
        if entry is None:
            added.append(source)
        elif entry.get("permissions"):
            plan.notes.append(f"intentions: {found.where} gives {source} its own permissions: "
                              "kept as written")
        elif entry.get("action") != "allow":
            plan.notes.append(f"intentions: {found.where} denies {source}, whose upstreams name "
                              f'"{want.name}": the existing deny wins, so that upstream stays '
                              "blocked")
    if not added:
        return found.text, "kept"
    data = {**found.data, "spec": {**spec, "sources": [*entries, *(s.entry() for s in added)]}}
    plan.notes.append(f"intentions: merged {len(added)} source(s) into {found.where}: "
                      + ", ".join(str(s) for s in added))
    prefix, trailing = stream.Segment(found.text, 0, True).split_for_rewrite()
    return prefix + emitter.emit(data) + trailing, "merged"


def document(want: Wanted, default_namespace: str) -> dict[str, Any]:
    """A new ServiceIntentions allowing `want.sources`, labelled as generated."""
    meta: dict[str, Any] = {"name": want.name}
    if want.k8s_namespace != default_namespace:  # else the release namespace, as Helm applies it
        meta["namespace"] = want.k8s_namespace
    meta["labels"] = {GENERATED_LABEL: "intentions"}
    destination = {"name": want.name}
    if want.scope.namespace:
        destination["namespace"] = want.scope.namespace
    return {"apiVersion": API_VERSION, "kind": KIND, "metadata": meta,
            "spec": {"destination": destination,
                     "sources": [s.entry() for s in sorted(want.sources)]}}


def _match(wants: dict[tuple[Scope, str], Wanted], found: list[Existing],
           plan: Plan) -> dict[tuple[Scope, str], Existing]:
    """Each destination's existing ServiceIntentions; two for one destination is an error."""
    by_dest: dict[tuple[Scope, str], Existing] = {}
    for item in found:
        other = by_dest.get(item.destination)
        if other is not None and item.destination in wants:
            plan.errors.append(Problem(
                f"{other.where} and {item.where} both hold the intentions of "
                f"{_named(item.destination[1], item.destination[0])}; Consul keeps one per "
                "destination: join them into one so the generated sources can be merged"))
        by_dest.setdefault(item.destination, item)
    return by_dest


def _new(want: Wanted, taken: dict[tuple[str, str], str], default_namespace: str,
         plan: Plan) -> str | None:
    """The text of a new ServiceIntentions, or None if its name is not free."""
    if not _K8S_NAME_RE.match(want.name) or len(want.name) > 253:
        plan.errors.append(Problem(f"intentions: {_named(want.name, want.scope)} is not a "
                                   "Kubernetes resource name, so no ServiceIntentions can be "
                                   "named after it; write its intentions by hand"))
        return None
    holder = taken.get((want.k8s_namespace, want.name))
    if holder is not None:
        plan.errors.append(Problem(
            f'intentions: the ServiceIntentions "{want.name}" made for '
            f"{_named(want.name, want.scope)} would replace {holder} in namespace "
            f'"{want.k8s_namespace}"; rename that one, or merge the sources into it by hand'))
        return None
    taken[(want.k8s_namespace, want.name)] = _named(want.name, want.scope)
    return "---\n" + SOURCE_COMMENT + emitter.emit(document(want, default_namespace))


def plan(facts: Sequence[Fact], intentions_texts: list[str], settings: Settings,
         default_namespace: str) -> Plan:
    """The release's intentions: the stream's own ServiceIntentions (merged where they lack
    generated sources) in their order, then the new ones, sorted."""
    out = Plan()
    wants = wanted(facts, out)
    found = existing(intentions_texts, settings, default_namespace, out)
    by_dest = _match(wants, found, out)
    taken = {(e.k8s_namespace, str(_mapping(e.data.get("metadata")).get("name"))):
             f"{e.where}, for {_named(e.destination[1], e.destination[0])},"
             for e in found}
    for item in found:
        want = wants.get(item.destination)
        if want is None or by_dest[item.destination] is not item:
            out.documents.append((item.text, "kept"))
        else:
            out.documents.append(merge(item, want, out))
    for key in sorted(wants, key=lambda k: (wants[k].k8s_namespace, k[1], k[0])):
        want = wants[key]
        out.sources += len(want.sources)
        if want.external:
            out.notes.append(f"intentions: {_named(want.name, want.scope)} is external (no "
                             "workload of the release registers it): allowed for "
                             + ", ".join(str(s) for s in sorted(want.sources)))
        if key not in by_dest and (text := _new(want, taken, default_namespace, out)):
            out.documents.append((text, "new"))
    if (note := silent_note(facts)) is not None:
        out.notes.append(note)
    return out
