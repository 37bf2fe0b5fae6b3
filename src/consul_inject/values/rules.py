"""Checks the schema cannot express: the chart's `fail` rules that reach outside our sections,
YAML written inside strings, and misspelt section names at the top level (which is open).

Rules that only read `global`, `connectInject` and `controller` live in the schema itself (its
top-level `allOf`), so Helm enforces them too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from consul_inject import gocompat, yamlcodec
from consul_inject.problems import ConsulInjectError
from consul_inject.values import schema as schema_mod
from consul_inject.values.messages import closest
from consul_inject.values.schema import Path
from consul_inject.values.strvals import value_at as _raw

# Top-level keys of the official chart (v0.49.8 values.yaml and its helpers) and ours.
CHART_SECTIONS = frozenset({
    "global", "server", "externalServers", "client", "dns", "ui", "syncCatalog", "connectInject",
    "controller", "meshGateway", "ingressGateways", "terminatingGateways", "apiGateway",
    "webhookCertManager", "prometheus", "tests", "nameOverride", "fullnameOverride", "consulInject",
})
_CLOSED = ("global", "connectInject", "controller", "consulInject")
_EMBEDDED = ("yaml-map", "yaml-list", "yaml-label-selector", "json-string")


@dataclass(frozen=True)
class Finding:
    path: Path
    message: str
    severity: str = "error"
    near: tuple[Path, ...] = ()  # keys to point at when `path` itself was not written


def _switch(values: Mapping[str, Any], dotted: str, default: Any) -> bool:
    """A component switch as the chart reads it: "-" (or unset, when that is the default)
    follows global.enabled; anything else by Go template truthiness."""
    value = _raw(values, dotted)
    if value is None:
        value = default
    if value == "-":
        inherited = _raw(values, "global.enabled")
        return True if inherited is None else bool(inherited)
    return bool(value)


def chart_rules(values: Mapping[str, Any]) -> Iterator[Finding]:
    """The official chart's `fail` rules that read keys outside the closed sections, evaluated
    with the official chart's defaults (so they predict what the chart itself would do)."""
    inject = _switch(values, "connectInject.enabled", False)
    if _raw(values, "global.peering.enabled") is True and not inject:
        yield Finding(("global", "peering", "enabled"),
                      "setting global.peering.enabled to true requires connectInject.enabled to be "
                      "true (the chart fails the same way)")
    if inject and not _switch(values, "client.enabled", "-"):
        yield Finding(("client", "enabled"),
                      "clients must be enabled for connect injection: consul-k8s 0.49 sidecars "
                      "register through the Consul client agent on their node (the chart fails the "
                      "same way)", near=(("global", "enabled"), ("connectInject", "enabled")))
    if inject and _raw(values, "client.grpc") is False:
        yield Finding(("client", "grpc"),
                      "client.grpc must be true for connect injection: Envoy sidecars get their "
                      "configuration over the client agent's gRPC port (the chart fails the same way)")
    if _raw(values, "externalServers.enabled") is True and not _raw(values, "externalServers.hosts"):
        yield Finding(("externalServers", "hosts"),
                      "externalServers.hosts must be set if externalServers.enabled is true (the "
                      "chart fails the same way)", near=(("externalServers", "enabled"),))
    timeout = _raw(values, "global.consulAPITimeout")
    if isinstance(timeout, str):
        try:
            if gocompat.parse_duration(timeout) <= 0:
                yield Finding(("global", "consulAPITimeout"),
                              f'"{timeout}" must be greater than zero (the injector refuses it)')
        except ValueError:
            pass  # the schema's pattern reports it
    if _raw(values, "connectInject.k8sAllowNamespaces") == []:
        yield Finding(("connectInject", "k8sAllowNamespaces"),
                      'an empty list allows no namespace, so nothing is injected; ["*"] allows all',
                      "warning")


def top_level(values: Mapping[str, Any]) -> Iterator[Finding]:
    """The top level is open (a whole Consul values file validates), but a near miss of one of
    our section names means its settings are silently ignored."""
    for key in values:
        if not isinstance(key, str) or key in CHART_SECTIONS:
            continue
        guess = closest(key, _CLOSED, 0.8)
        if guess is not None:
            yield Finding((key,), f'unknown section "{key}"; did you mean "{guess}"? (the chart '
                          "ignores it, so none of its settings apply)")


def _embedded_problem(fmt: str, text: str) -> str | None:
    if fmt == "json-string":
        try:
            json.loads(text)
        except ValueError as err:
            return f"is not JSON: {err}"
        return None
    if "{{" in text or not text.strip():
        return None  # a template for tpl, or empty: the chart renders nothing
    try:
        data = yamlcodec.load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" (line {mark.line + 1} of the string)" if mark else ""
        return f"is not valid YAML{where}: {err.problem}"
    except (yaml.YAMLError, ConsulInjectError) as err:
        return f"is not valid YAML: {err}"
    if fmt == "yaml-list":
        return None if isinstance(data, list) else "must be a YAML list inside the string (- key: ...)"
    if not isinstance(data, dict):
        return "must be a YAML map inside the string (key: value lines)"
    if fmt == "yaml-label-selector":
        extra = sorted(str(k) for k in data if k not in ("matchLabels", "matchExpressions"))
        if extra:
            return (f"is a label selector; {', '.join(extra)} is not one of its keys "
                    "(matchLabels, matchExpressions)")
    return None


def embedded(values: Any, node: Mapping[str, Any] | None = None,
             path: Path = ()) -> Iterator[Finding]:
    """YAML (or JSON) written inside strings: it must parse, and be a map or a list as the chart
    places it. Walks the values beside the schema."""
    node = schema_mod.load() if node is None else node
    fmt = node.get("format")
    if fmt in _EMBEDDED and isinstance(values, str):
        problem = _embedded_problem(str(fmt), values)
        if problem:
            yield Finding(path, problem)
        return
    if isinstance(values, dict):
        props: Mapping[str, Any] = node.get("properties", {})
        for key, value in values.items():
            if key in props:
                yield from embedded(value, props[key], (*path, key))
