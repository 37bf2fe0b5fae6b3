"""Where each workload kind keeps its pod template, and how a resource is named in messages."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from consul_inject import gocompat

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
WORKLOAD_KINDS = frozenset(_TEMPLATE_PATHS)


def api_group(api_version: object) -> str | None:
    if not isinstance(api_version, str) or not api_version:
        return None
    return api_version.rpartition("/")[0] if "/" in api_version else ""


@dataclass(frozen=True)
class Ref:
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


def template_path(resource: dict[str, Any]) -> tuple[str, ...] | None:
    """The path to the pod template, or None when the resource is not a workload we inject."""
    kind = resource.get("kind")
    if not isinstance(kind, str) or kind not in _TEMPLATE_PATHS:
        return None
    groups, path = _TEMPLATE_PATHS[kind]
    if api_group(resource.get("apiVersion")) not in groups:
        return None
    return path


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
