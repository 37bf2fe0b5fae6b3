"""Warnings about a workload that the v0.49 webhook would inject (or skip) without a word."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject.webhooks.v0_49 import annotations as ann


def _own_annotations(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    """A workload's own metadata.annotations (not its pod template's), whatever their shape."""
    meta = resource.get("metadata")
    found = meta.get("annotations") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


def advice(resource: Mapping[str, Any], path: tuple[str, ...], before: Mapping[str, Any],
           after: Mapping[str, Any] | None) -> list[str]:
    """Warnings for a workload whose pod template was `before` and, when injected, is `after`."""
    if after is None:
        return _skipped(resource, path, before)
    return _injected(resource, after)


def _skipped(resource: Mapping[str, Any], path: tuple[str, ...],
             template: Mapping[str, Any]) -> list[str]:
    inner = (template.get("metadata") or {}).get("annotations") or {}
    kind = str(resource.get("kind"))
    if path and ann.INJECT in _own_annotations(resource) and ann.INJECT not in inner:
        return [f"{ann.INJECT} is set on the {kind}'s own metadata, which the injector never "
                f"reads; move it to {'.'.join(path)}.metadata.annotations"]
    return []


def _injected(resource: Mapping[str, Any], template: Mapping[str, Any]) -> list[str]:
    spec = template.get("spec") or {}
    meta = template.get("metadata") or {}
    warnings = []
    if spec.get("hostNetwork") is True:
        warnings.append("uses hostNetwork: the sidecar shares the node's network namespace and its "
                        "fixed ports (20000, 19000) may clash with other pods")
    if resource.get("kind") in ("Job", "CronJob"):
        warnings.append("is a Job: the envoy-sidecar container keeps running after the job's own "
                        "containers finish, so the Job never completes")
    if "helm.sh/hook" in _own_annotations(resource):
        warnings.append(f'is a Helm hook; set {ann.INJECT}: "false" on it unless it needs the mesh')
    unknown = sorted(k for k in (meta.get("annotations") or {})
                     if k.startswith(ann.P) and k not in ann.KNOWN
                     and not k.startswith(ann.META_PREFIX))
    warnings.extend(f"{key} is not an annotation consul-k8s 0.49 reads" for key in unknown)
    return warnings

