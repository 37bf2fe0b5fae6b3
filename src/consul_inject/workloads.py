"""Where each workload kind keeps its pod template, and how a resource is named in messages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

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


NAMESPACE_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


def valid_namespace(namespace: str) -> bool:
    """A Kubernetes namespace name (DNS-1123 label): it reaches Consul namespace names and the
    init script, so nothing else may pass."""
    return len(namespace) <= 63 and bool(NAMESPACE_RE.match(namespace))


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
