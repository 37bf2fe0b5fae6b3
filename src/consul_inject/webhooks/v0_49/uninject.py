"""Remove from a pod template exactly what injection added (the inverse of `inject`).

Injected containers, init containers and volumes are known by name; annotations, labels, env
vars, mounts and probe ports are restored from `consul.hashicorp.com/original-pod` (the template
as it was before injection), so the user's own settings, including their `consul.hashicorp.com/*`
annotations, stay. Pure: no I/O, no YAML.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from consul_inject import workloads
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import containers as c
from consul_inject.webhooks.v0_49.mutate import PROBES

ADDED_ANNOTATIONS = (
    ann.SERVICE_PORT, ann.ORIGINAL_POD, ann.INJECT_STATUS, ann.TPROXY_STATUS,
    "prometheus.io/scrape", "prometheus.io/port", "prometheus.io/path",
    ann.CONSUL_NAMESPACE, ann.REDIRECT_TRAFFIC_CONFIG,
)
ADDED_LABELS = (ann.LABEL_INJECT_STATUS, ann.LABEL_MANAGED_BY)
_ENV_SUFFIXES = ("_CONNECT_SERVICE_HOST", "_CONNECT_SERVICE_PORT")


def is_injected(template: Mapping[str, Any]) -> bool:
    meta = template.get("metadata") or {}
    return (meta.get("annotations") or {}).get(ann.INJECT_STATUS) == ann.INJECTED


def _injected_container(name: Any, init: bool) -> bool:
    if not isinstance(name, str):
        return False
    if init:
        return name in (c.COPY_BIN, c.INIT) or name.startswith(c.INIT + "-")
    return name in (c.ENVOY, c.CONSUL_SIDECAR) or name.startswith(c.ENVOY + "-")


def _original(annotations: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        data = json.loads(annotations.get(ann.ORIGINAL_POD) or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _restore(target: dict[str, Any], keys: tuple[str, ...], original: Mapping[str, Any] | None) -> None:
    """Put back the original values of `keys` and drop those the original did not have. Without
    an original (unknown), keep the ones a user may have set: the service port and Prometheus."""
    for key in keys:
        if original is not None and key in original:
            target[key] = original[key]
        elif original is not None or not (key == ann.SERVICE_PORT or key.startswith("prometheus.io/")):
            target.pop(key, None)


def _drop_if_new(owner: dict[str, Any], key: str, original_owner: Mapping[str, Any] | None) -> None:
    """Remove an emptied collection that injection created; one that was null before (Helm
    often renders `annotations:` with nothing after it) becomes null again."""
    if owner.get(key) or key not in owner:
        return
    if original_owner is None or key not in original_owner:
        del owner[key]
    elif original_owner[key] is None:
        owner[key] = None


def _without_added(items: list[Any], original: list[Any], ours: Callable[[str], bool]) -> list[Any]:
    """`items` without the entries injection appended: of each name `ours` could have added,
    the first as many as the original had stay (the user's own, which may share the name)."""
    allowed = Counter(x.get("name") for x in original if isinstance(x, dict))
    seen: Counter[Any] = Counter()
    kept = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str) and ours(name):
            seen[name] += 1
            if seen[name] > allowed[name]:
                continue
        kept.append(item)
    return kept


def _clean_container(container: dict[str, Any], original: Mapping[str, Any] | None) -> None:
    for key, ours in (("env", lambda name: name.endswith(_ENV_SUFFIXES)),
                      ("volumeMounts", lambda name: name == c.DATA_VOLUME)):
        if isinstance(container.get(key), list):
            container[key] = _without_added(container[key], (original or {}).get(key) or [], ours)
            _drop_if_new(container, key, original)
    for key, _ in PROBES:
        probe, before = container.get(key), (original or {}).get(key)
        if (isinstance(probe, dict) and isinstance(probe.get("httpGet"), dict)
                and isinstance(before, dict) and isinstance(before.get("httpGet"), dict)
                and "port" in before["httpGet"]):
            probe["httpGet"]["port"] = before["httpGet"]["port"]


def uninject(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of an injected pod template (or Pod) without what injection added."""
    out: dict[str, Any] = workloads.copy_tree(dict(template))
    meta = out.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    original = _original(annotations)
    orig_meta = (original or {}).get("metadata") or {}
    orig_spec = (original or {}).get("spec") or {}

    services = ann.split_list(str(annotations.get(ann.SERVICE) or ""))
    _restore(annotations, ADDED_ANNOTATIONS, orig_meta.get("annotations") or {} if original else None)
    _drop_if_new(meta, "annotations", orig_meta if original else None)
    labels = meta.get("labels") or {}
    _restore(labels, ADDED_LABELS, orig_meta.get("labels") or {} if original else None)
    if isinstance(meta.get("labels"), dict):
        _drop_if_new(meta, "labels", orig_meta if original else None)

    spec = out.get("spec") or {}
    for key, init in (("initContainers", True), ("containers", False)):
        if not isinstance(spec.get(key), list):
            continue
        originals = {x.get("name"): x for x in orig_spec.get(key) or [] if isinstance(x, dict)}
        kept = [x for x in spec[key] if not (isinstance(x, dict) and _injected_container(
            x.get("name"), init) and x.get("name") not in originals)]
        for container in kept:
            if isinstance(container, dict):
                _clean_container(container, originals.get(container.get("name")))
        spec[key] = kept
        _drop_if_new(spec, key, orig_spec if original else None)

    if isinstance(spec.get("volumes"), list):
        orig_volumes = {v.get("name") for v in orig_spec.get("volumes") or [] if isinstance(v, dict)}
        added = {c.DATA_VOLUME, *(f"{svc}-service-account" for svc in services if len(services) > 1)}
        added |= _user_volume_names(annotations)
        spec["volumes"] = [v for v in spec["volumes"] if not (
            isinstance(v, dict) and v.get("name") in added and v.get("name") not in orig_volumes)]
        _drop_if_new(spec, "volumes", orig_spec if original else None)
    return out


def _user_volume_names(annotations: Mapping[str, Any]) -> set[str]:
    try:
        volumes = json.loads(annotations.get(ann.USER_VOLUME) or "[]")
    except ValueError:
        return set()
    return {v["name"] for v in volumes if isinstance(v, dict) and isinstance(v.get("name"), str)} \
        if isinstance(volumes, list) else set()
