"""The pod-template annotations and labels every consul-k8s version shares, and typed reads of
annotation values with the Go semantics the webhook and the endpoints controller apply.

These are the contract between an injected pod and the endpoints controller (which Service
registers it, under which Consul name, on which port) and the markers of an injection; a webhook
version's own annotations table adds the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject import gocompat
from consul_inject.problems import TemplateError

P = "consul.hashicorp.com/"

INJECT = P + "connect-inject"
INJECT_STATUS = P + "connect-inject-status"
SERVICE = P + "connect-service"
SERVICE_PORT = P + "connect-service-port"
UPSTREAMS = P + "connect-service-upstreams"
KUBERNETES_SERVICE = P + "kubernetes-service"
ORIGINAL_POD = P + "original-pod"
META_PREFIX = P + "service-meta-"
TPROXY = P + "transparent-proxy"  # also a Namespace label
TPROXY_STATUS = P + "transparent-proxy-status"
CONSUL_NAMESPACE = P + "consul-namespace"

LABEL_INJECT_STATUS = P + "connect-inject-status"
LABEL_MANAGED_BY = P + "connect-inject-managed-by"
MANAGED_BY_VALUE = "consul-k8s-endpoints-controller"
INJECTED = "injected"


def container_port_named(spec: Mapping[str, Any], name: str) -> int | None:
    for container in spec.get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == name and isinstance(port.get("containerPort"), int):
                return int(port["containerPort"])
    return None


def port_value(spec: Mapping[str, Any], raw: str) -> int:
    """consul-k8s portValue: a container port name (any container), else a base-0 integer."""
    text = raw.split(",", 1)[0]
    named = container_port_named(spec, text)
    if named is not None:
        return named
    return gocompat.parse_int(text, 32)


def split_list(value: str) -> list[str]:
    """Go strings.Split(value, ","); an empty annotation is no list at all."""
    return value.split(",") if value != "" else []


def get(annotations: Mapping[str, Any], key: str) -> str | None:
    value = annotations.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TemplateError(
            key, f"value {value!r} is a {type(value).__name__}, not a string",
            'annotation values must be quoted strings, for example "true" or "8080"',
        )
    return value


def get_bool(annotations: Mapping[str, Any], key: str, default: bool, *, empty_is_default: bool
             = False) -> bool:
    value = get(annotations, key)
    if value is None or (empty_is_default and value == ""):
        return default
    try:
        return gocompat.parse_bool(value)
    except ValueError:
        raise TemplateError(key, f'"{value}" is not a boolean', gocompat.BOOL_FORM) from None
