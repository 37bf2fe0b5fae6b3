"""Remove from a pod template exactly what an injection added, for any webhook version: each
version describes what it adds (`Added`), this undoes it.

Injected containers, init containers and volumes are known by name; annotations, labels, env
vars, mounts, probe ports and pod-level fields are restored from
`consul.hashicorp.com/original-pod` (the template as it was before injection), so the user's own
settings, including their `consul.hashicorp.com/*` annotations, stay. Pure: no I/O, no YAML.
"""

import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from consul_inject import podmeta, workloads

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_ENV_SUFFIXES = ("_CONNECT_SERVICE_HOST", "_CONNECT_SERVICE_PORT")
# Kept when there is no original to compare with: a user may well have set them.
_USER_SETTABLE = (podmeta.SERVICE_PORT, "prometheus.io/")


class Added(NamedTuple):
    """What one webhook version adds to a pod template."""

    annotations: tuple[str, ...]
    container: Callable[[str], bool]  # a name injection gives containers (and init containers)
    data_volume: str
    volumes: Callable[[Mapping[str, Any]], set[str]]  # volume names, from the annotations
    spec_fields: tuple[str, ...] = ()  # pod-level fields it sets (dnsPolicy, dnsConfig)


def original(annotations: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        data = json.loads(annotations.get(podmeta.ORIGINAL_POD) or "")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _restore(target: dict[str, Any], keys: tuple[str, ...], before: Mapping[str, Any] | None) -> None:
    """Put back the original values of `keys` and drop those the original did not have. Without
    an original (unknown), keep the ones a user may have set: the service port and Prometheus."""
    for key in keys:
        if before is not None and key in before:
            target[key] = before[key]
        elif before is not None or not key.startswith(_USER_SETTABLE):
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


def _without_added(items: list[Any], before: list[Any], ours: Callable[[str], bool]) -> list[Any]:
    """`items` without the entries injection appended: of each name `ours` could have added,
    the first as many as the original had stay (the user's own, which may share the name)."""
    allowed = Counter(x.get("name") for x in before if isinstance(x, dict))
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


def _clean_container(container: dict[str, Any], before: Mapping[str, Any] | None,
                     data_volume: str) -> None:
    for key, ours in (("env", lambda name: name.endswith(_ENV_SUFFIXES)),
                      ("volumeMounts", lambda name: name == data_volume)):
        if isinstance(container.get(key), list):
            container[key] = _without_added(container[key], (before or {}).get(key) or [], ours)
            _drop_if_new(container, key, before)
    for key in PROBES:
        probe, old = container.get(key), (before or {}).get(key)
        if (isinstance(probe, dict) and isinstance(probe.get("httpGet"), dict)
                and isinstance(old, dict) and isinstance(old.get("httpGet"), dict)
                and "port" in old["httpGet"]):
            probe["httpGet"]["port"] = old["httpGet"]["port"]


def _containers(spec: dict[str, Any], orig_spec: Mapping[str, Any], added: Added,
                known: bool) -> None:
    for key in ("initContainers", "containers"):
        if not isinstance(spec.get(key), list):
            continue
        originals = {x.get("name"): x for x in orig_spec.get(key) or [] if isinstance(x, dict)}
        kept = [x for x in spec[key] if not (
            isinstance(x, dict) and isinstance(x.get("name"), str) and added.container(x["name"])
            and x["name"] not in originals)]
        for container in kept:
            if isinstance(container, dict):
                _clean_container(container, originals.get(container.get("name")),
                                 added.data_volume)
        spec[key] = kept
        _drop_if_new(spec, key, orig_spec if known else None)


def uninject(template: Mapping[str, Any], added: Added) -> dict[str, Any]:
    """A copy of an injected pod template (or Pod) without what injection added."""
    out: dict[str, Any] = workloads.copy_tree(dict(template))
    meta = out.get("metadata") or {}
    annotations = meta.get("annotations") or {}
    before = original(annotations)
    known = before is not None
    orig_meta = (before or {}).get("metadata") or {}
    orig_spec = (before or {}).get("spec") or {}
    volume_names = added.volumes(annotations)
    _restore(annotations, added.annotations, orig_meta.get("annotations") or {} if known else None)
    _drop_if_new(meta, "annotations", orig_meta if known else None)
    labels = meta.get("labels") or {}
    _restore(labels, (podmeta.LABEL_INJECT_STATUS, podmeta.LABEL_MANAGED_BY),
             orig_meta.get("labels") or {} if known else None)
    if isinstance(meta.get("labels"), dict):
        _drop_if_new(meta, "labels", orig_meta if known else None)
    spec = out.get("spec") or {}
    _containers(spec, orig_spec, added, known)
    if isinstance(spec.get("volumes"), list):
        orig_volumes = {v.get("name") for v in orig_spec.get("volumes") or [] if isinstance(v, dict)}
        spec["volumes"] = [v for v in spec["volumes"] if not (
            isinstance(v, dict) and v.get("name") in volume_names | {added.data_volume}
            and v.get("name") not in orig_volumes)]
        _drop_if_new(spec, "volumes", orig_spec if known else None)
    if isinstance(spec, dict):
        _restore(spec, added.spec_fields, orig_spec if known else None)
    return out


def user_volume_names(annotations: Mapping[str, Any], key: str) -> set[str]:
    """The names of the volumes a `consul-sidecar-user-volume` annotation added."""
    try:
        volumes = json.loads(annotations.get(key) or "[]")
    except ValueError:
        return set()
    if not isinstance(volumes, list):
        return set()
    return {v["name"] for v in volumes if isinstance(v, dict) and isinstance(v.get("name"), str)}


def service_account_volumes(annotations: Mapping[str, Any]) -> set[str]:
    """The token Secret volumes of a multi-port pod's services."""
    services = podmeta.split_list(str(annotations.get(podmeta.SERVICE) or ""))
    return {f"{svc}-service-account" for svc in services} if len(services) > 1 else set()
