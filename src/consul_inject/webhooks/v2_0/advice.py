"""Warnings about a workload that the 2.0/1.9 webhook would inject (or skip) without a word."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject import podmeta
from consul_inject.webhooks.v2_0 import annotations as ann
from consul_inject.webhooks.v2_0 import containers as c


def _own_annotations(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = resource.get("metadata")
    found = meta.get("annotations") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


def advice(resource: Mapping[str, Any], path: tuple[str, ...], before: Mapping[str, Any],
           after: Mapping[str, Any] | None, version: str) -> list[str]:
    inner = (before.get("metadata") or {}).get("annotations") or {}
    if after is None:
        if path and podmeta.INJECT in _own_annotations(resource) and podmeta.INJECT not in inner:
            return [f"{podmeta.INJECT} is set on the {resource.get('kind')}'s own metadata, which "
                    f"the injector never reads; move it to {'.'.join(path)}.metadata.annotations"]
        return []
    return _injected(resource, after, inner, version)


def _injected(resource: Mapping[str, Any], template: Mapping[str, Any],
              inner: Mapping[str, Any], version: str) -> list[str]:
    spec = template.get("spec") or {}
    warnings = []
    if spec.get("hostNetwork") is True:
        warnings.append("uses hostNetwork: the sidecar shares the node's network namespace and its "
                        "fixed ports (20000, 19000, 20600) may clash with other pods")
    native = any(x.get("name", "").startswith(c.DATAPLANE) for x in spec.get("initContainers")
                 or [] if isinstance(x, dict))
    if resource.get("kind") in ("Job", "CronJob") and not native:
        warnings.append(f'is a Job: the consul-dataplane container keeps running after the job\'s '
                        f'own containers finish, so the Job never completes; set {ann.NATIVE_SIDECAR}'
                        ': "true" (Kubernetes 1.29+) so that it stops with them')
    if "helm.sh/hook" in _own_annotations(resource):
        warnings.append(f'is a Helm hook; set {podmeta.INJECT}: "false" on it unless it needs the '
                        "mesh")
    for key in sorted(inner):
        if key in ann.IGNORED:
            warnings.append(f"{key} is not read since consul-k8s 1.0 ({ann.IGNORED[key]})")
        elif (key.startswith(podmeta.P) and key not in ann.KNOWN
              and not key.startswith(podmeta.META_PREFIX)):
            warnings.append(f"{key} is not an annotation consul-k8s {version} reads")
    return warnings
