"""Where each workload kind keeps its pod template, and how a resource is named in messages."""

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple

from consul_inject import gocompat, podmeta
from consul_inject.problems import ConsulInjectError

# Helm 4 adds this annotation to every document for the post-renderer's round trip and removes
# it afterwards: it names the template, and is not part of what reaches the cluster.
HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"

# kind -> (API groups it may come from, path from the resource to the pod template).
# A Pod is its own template.
_TEMPLATE_PATHS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Pod": (("",), ()),
    "ReplicationController": (("",), ("spec", "template")),
    "Deployment": (("apps", "extensions"), ("spec", "template")),
    "StatefulSet": (("apps",), ("spec", "template")),
    "DaemonSet": (("apps", "extensions"), ("spec", "template")),
    "ReplicaSet": (("apps", "extensions"), ("spec", "template")),
    "Job": (("batch",), ("spec", "template")),
    "CronJob": (("batch",), ("spec", "jobTemplate", "spec", "template")),
}
BUILT_IN_KINDS = frozenset(_TEMPLATE_PATHS)
# Custom resources whose controllers copy a pod template at a fixed path into the pods they
# create, so the webhook injects those pods: (API group, kind) -> path.
WELL_KNOWN: dict[tuple[str, str], tuple[str, ...]] = {
    ("argoproj.io", "Rollout"): ("spec", "template"),  # Argo Rollouts
    ("apps.kruise.io", "CloneSet"): ("spec", "template"),  # OpenKruise
    ("apps.kruise.io", "StatefulSet"): ("spec", "template"),  # OpenKruise Advanced StatefulSet
    ("apps.kruise.io", "DaemonSet"): ("spec", "template"),  # OpenKruise Advanced DaemonSet
}
WORKLOAD_KINDS = BUILT_IN_KINDS | {kind for _, kind in WELL_KNOWN}
# Where other custom resources usually keep a pod template: looked at only to warn about them.
LIKELY_TEMPLATE_PATHS = (("spec", "template"), ("spec", "jobTemplate", "spec", "template"))


def api_group(api_version: object) -> str | None:
    if not isinstance(api_version, str) or not api_version:
        return None
    return api_version.rpartition("/")[0] if "/" in api_version else ""


class Ref(NamedTuple):
    """A resource as messages name it: `deployment "web"`."""

    kind: str
    name: str
    namespace: str

    def __str__(self) -> str:
        return f'{self.kind.lower() or "document"} "{self.name}"'


def ref_of(resource: dict[str, Any], default_namespace: str) -> Ref:
    meta = resource.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = meta.get("name") or meta.get("generateName") or ""
    namespace = meta.get("namespace") or default_namespace
    kind = resource.get("kind")
    return Ref(kind if isinstance(kind, str) else "", str(name),
               namespace if isinstance(namespace, str) else "")


def valid_namespace(namespace: str) -> bool:
    """A Kubernetes namespace name (DNS-1123 label): it reaches Consul namespace names and the
    init script, so nothing else may pass."""
    return gocompat.is_dns_label(namespace)


def service_account(spec: Mapping[str, Any]) -> str:
    """The pod's ServiceAccount; `serviceAccount` is the deprecated alias Kubernetes copies."""
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def copy_tree(data: Any) -> Any:
    """Deep copy of parsed YAML (dicts, lists and immutable scalars), several times faster than
    copy.deepcopy, which also tracks shared and recursive objects that parsed YAML cannot hold."""
    if isinstance(data, dict):
        return {k: copy_tree(v) for k, v in data.items()}
    if isinstance(data, list):
        return [copy_tree(v) for v in data]
    return data


def template_path(resource: dict[str, Any], kinds: "Kinds | None" = None) -> tuple[str, ...] | None:
    """The path to the pod template, or None when the resource is not a workload we inject:
    one of the built-in kinds, a well-known custom resource, or one `kinds` adds."""
    kind = resource.get("kind")
    group = api_group(resource.get("apiVersion"))
    if not isinstance(kind, str) or group is None:
        return None
    if kind in _TEMPLATE_PATHS:
        groups, path = _TEMPLATE_PATHS[kind]
        if group in groups:
            return path
    if not group:  # the core group holds no custom resources
        return None
    known = WELL_KNOWN.get((group, kind))
    if known is None and kinds is not None:
        known = kinds.added.get((group, kind)) or kinds.added.get((None, kind))
    return known


class Kinds(NamedTuple):
    """The custom workload kinds a run adds (--workload-kind, values consulInject.workloadKinds):
    (API group, or None for any group; kind) -> path to the pod template."""

    added: Mapping[tuple[str | None, str], tuple[str, ...]]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(kind for _, kind in self.added)


# A custom resource's API group has a dot (argoproj.io); kinds are CamelCase.
_KIND_RE = re.compile(r"(?:((?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?\.)+[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)/)?"
                      r"([A-Z][A-Za-z0-9]{0,62})")
_PATH_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,62}(?:\.[A-Za-z_][A-Za-z0-9_-]{0,62}){0,9}")
KIND_FORM = ("expected KIND=PATH, KIND a custom resource's Kind or <apiGroup>/<Kind> and PATH the "
             "dotted path to its pod template, e.g. Rollout=spec.template")


def _kind_problem(kind: str, path: str) -> str | None:
    match = _KIND_RE.fullmatch(kind)
    if match is None:
        return (f'"{kind}" is not a Kind or <apiGroup>/<Kind> (a custom resource\'s group has a '
                f"dot, e.g. argoproj.io); {KIND_FORM}")
    if _PATH_RE.fullmatch(path) is None:
        return f'"{path}" is not a dotted path of field names; {KIND_FORM}'
    group, name = match.group(1), match.group(2)
    if group is None and name in _TEMPLATE_PATHS:
        where = ".".join(_TEMPLATE_PATHS[name][1]) or "the resource itself"
        return (f"{name} is a built-in kind (its pod template: {where}); to add a custom resource "
                f"of that name, give its API group, e.g. example.com/{name}")
    for (known_group, known), known_path in WELL_KNOWN.items():
        if known == name and group in (None, known_group) and tuple(path.split(".")) != known_path:
            return (f"{known_group}/{name} is injected already, its pod template at "
                    f"{'.'.join(known_path)}; remove this entry"
                    + ("" if group else f", or give another API group: <apiGroup>/{name}"))
    return None


def kinds_from(pairs: Iterable[tuple[str, str]]) -> Kinds:
    """The kinds the settings add, checked: custom resources only, with plain dotted paths."""
    added: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for kind, path in pairs:
        problem = _kind_problem(kind, path)
        if problem:
            raise ConsulInjectError(f"--workload-kind {kind}={path} (values consulInject."
                                    f"workloadKinds): {problem}")
        group, _, name = kind.rpartition("/")
        added[(group or None, name)] = tuple(path.split("."))
    return Kinds(added)


NO_KINDS = Kinds({})


def workload_kind_setting(flag: str) -> str:
    """`--workload-kind KIND=PATH` as the --set-string assignment of its value,
    consulInject.workloadKinds.<KIND>=<PATH>, with KIND's dots escaped for Helm's syntax."""
    kind, eq, path = flag.partition("=")
    if not eq or not re.fullmatch(r"[A-Za-z0-9./-]+", kind) or not re.fullmatch(r"[\w.-]+", path):
        raise ConsulInjectError(f"--workload-kind {flag!r}: {KIND_FORM}")
    return "consulInject.workloadKinds." + kind.replace(".", "\\.") + "=" + path


def likely_template(resource: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """For a custom resource of a kind injection does not know: the first usual place holding
    something shaped like a pod template (a `spec.containers` list), with it; else None."""
    if not api_group(resource.get("apiVersion")):
        return None
    for path in LIKELY_TEMPLATE_PATHS:
        template = get_template(resource, path)
        spec = template.get("spec") if template is not None else None
        if template is not None and isinstance(spec, dict) and isinstance(spec.get("containers"),
                                                                           list):
            return path, template
    return None


def unlisted_kind(resource: dict[str, Any]) -> str | None:
    """A custom resource of a kind injection does not know, whose pod template is annotated for
    injection: the webhook would inject the pods its controller makes. The warning that says so
    and how to add the kind; None for anything else."""
    found = likely_template(resource)
    if found is None:
        return None
    path, template = found
    annotations = (template.get("metadata") or {}).get("annotations")
    value = annotations.get(podmeta.INJECT) if isinstance(annotations, dict) else None
    if not gocompat.BOOLS.get(str(value), False):
        return None
    kind, dotted = f"{api_group(resource.get('apiVersion'))}/{resource.get('kind')}", ".".join(path)
    return (f"{dotted} looks like a pod template annotated {podmeta.INJECT}, but {kind} is not "
            "a kind consul-inject knows, so it passes through uninjected (the webhook would "
            f"inject the pods its controller creates); if its controller copies {dotted} into "
            f"its pods, pass --workload-kind {kind}={dotted} (values consulInject.workloadKinds: "
            f"{{{kind}: {dotted}}})")


def pod_selector(resource: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    """The labels a workload selects its pods by: `selector.matchLabels` beside the pod
    template (or a ReplicationController's plain `selector`); None for a Pod or none set."""
    if not path:
        return None
    owner = get_template(resource, path[:-1])
    selector = owner.get("selector") if owner is not None else None
    if not isinstance(selector, dict):
        return None
    labels = selector.get("matchLabels") if "matchLabels" in selector or "matchExpressions" \
        in selector else selector
    if isinstance(labels, dict) and all(isinstance(v, str) for v in labels.values()):
        return labels
    return None


def get_template(resource: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node: Any = resource
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def with_template(resource: dict[str, Any], path: tuple[str, ...],
                  template: dict[str, Any]) -> dict[str, Any]:
    """A copy of `resource` holding `template` at `path` (copies only the maps on the path)."""
    if not path:
        return template
    return {**resource, path[0]: with_template(resource[path[0]], path[1:], template)}


def list_items(resource: dict[str, Any]) -> Iterator[tuple[int, Any]]:
    """Items of a `v1 List` (kind List or any *List kind with an items array)."""
    items = resource.get("items")
    if isinstance(items, list):
        yield from enumerate(items)


def resources(doc: Any) -> Iterator[dict[str, Any]]:
    """A document's resources: itself, and the mapping items of a `v1 List`."""
    if isinstance(doc, dict):
        yield doc
        if is_list(doc):
            for _, item in list_items(doc):
                if isinstance(item, dict):
                    yield item


def is_list(resource: dict[str, Any]) -> bool:
    kind = resource.get("kind")
    return (
        isinstance(kind, str)
        and kind.endswith("List")
        and api_group(resource.get("apiVersion")) == ""
        and isinstance(resource.get("items"), list)
    )
