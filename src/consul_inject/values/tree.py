"""Values trees as Helm handles them: key paths, the merge of one tree over another (Helm's
coalesce: later wins, maps merge, null deletes), and what remains after nulls are deleted."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

Values = dict[str, Any]
Path = tuple[str | int, ...]  # a key path: map keys and list indexes


def dotted(path: Path) -> str:
    """`("connectInject", "k8sAllowNamespaces", 1)` -> `connectInject.k8sAllowNamespaces[1]`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def value_at(values: Mapping[str, Any], dotted_key: str) -> Any:
    """The value at a dotted key path such as `connectInject.enabled`, or None."""
    node: Any = values
    for part in dotted_key.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> Values:
    """Helm's coalesce: maps merge key by key, anything else replaces; null deletes the key."""
    out: Values = copy.deepcopy(dict(base))
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def prune(value: Any) -> Any:
    """Helm deletes a key whose value is null; what remains is what the chart sees."""
    if isinstance(value, dict):
        return {k: prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def paths(tree: Any, prefix: Path = ()) -> list[Path]:
    """Every key path in a tree (map keys and list items), parents before children."""
    out: list[Path] = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.extend(paths(value, (*prefix, str(key))))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            out.extend(paths(value, (*prefix, index)))
    return out
