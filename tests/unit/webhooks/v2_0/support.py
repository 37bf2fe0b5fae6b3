"""Shared builders for the consul-k8s 2.0/1.9 webhook tests. The spec's unit-test webhooks run
with zero-value settings unless a vector says otherwise: `ZERO` is that injector (inject by
default, no transparent proxy, no lifecycle, concurrency 0, API timeout 0s)."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject.problems import Problem, TemplateError
from consul_inject.webhooks.base import Injection
from consul_inject.webhooks.v2_0 import mutate
from consul_inject.webhooks.v2_0.settings import V1_9, Settings

P = "consul.hashicorp.com/"
ZERO = Settings()._replace(
    require_annotation=False, tproxy=False, overwrite_probes=False, consul_dns=False,
    lifecycle=False, drain_listeners=False, shutdown_grace=0, envoy_concurrency=0,
    api_timeout="0s", addresses="1.1.1.1", cluster_dns_ip="10.96.0.10")
ZERO_1_9 = ZERO._replace(variant=V1_9)
SA_MOUNT = {"name": "service-account-secret", "mountPath":
            "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}


def with_(settings: Settings = ZERO, **changes: Any) -> Settings:
    return settings._replace(**changes)


def app(name: str = "web", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "example/web:1", **fields}


def pod(annotations: dict[str, str] | None = None, *containers: dict[str, Any],
        **spec: Any) -> dict[str, Any]:
    """A pod template; `annotations` None means no annotations at all."""
    meta: dict[str, Any] = {"name": "minimal"}
    if annotations is not None:
        meta["annotations"] = dict(annotations)
    return {"metadata": meta, "spec": {"containers": list(containers) or [app()], **spec}}


def inject(template: dict[str, Any], settings: Settings = ZERO, namespace: str = "default",
           labels: dict[str, str] | None = None, **kwargs: Any) -> Injection:
    return mutate.inject(settings, template, namespace, labels or {}, **kwargs)


def out(template: dict[str, Any], settings: Settings = ZERO, namespace: str = "default",
        labels: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
    return inject(template, settings, namespace, labels, **kwargs).template


def refusal(template: dict[str, Any], settings: Settings = ZERO, namespace: str = "default",
            labels: dict[str, str] | None = None, **kwargs: Any) -> Problem:
    with pytest.raises(TemplateError) as info:
        inject(template, settings, namespace, labels, **kwargs)
    (problem,) = info.value.problems
    return problem


def container(template: dict[str, Any], name: str) -> dict[str, Any]:
    spec = template["spec"]
    for item in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        if item["name"] == name:
            return dict(item)
    raise AssertionError(f"no container {name}: {template}")


def env(item: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in item.get("env") or []}
