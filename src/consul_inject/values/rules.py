"""Checks the schema cannot express, each a `Problem` at a values path (check.py places it):

- the official chart's `fail` rules that read keys outside our sections (clients, peering,
  external servers), which predict that chart's failure for values as a user wrote them;
- the injector's own refusals: a zero `global.consulAPITimeout`, and (a warning) an empty allow
  list;
- values the chart reads as YAML (or JSON) inside a string: they must parse and be a map or a
  list as the chart places them; `connectInject.namespaceSelector` must be a label selector
  (selector.py); a number where a Kubernetes quantity goes must be one;
- misspelt section names at the top level (which is open).

Rules that only read `global`, `connectInject` and `controller` live in the schema itself (its
top-level `allOf`), so Helm enforces them too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from consul_inject import gocompat, yamlcodec
from consul_inject.problems import ConsulInjectError, Problem, Severity
from consul_inject.values import schema as schema_mod
from consul_inject.values import selector as selector_mod
from consul_inject.values.messages import closest, show
from consul_inject.values.tree import Path, dotted, value_at

# Top-level keys of the official chart (v0.49.8 values.yaml and its helpers) and ours.
CHART_SECTIONS = frozenset({
    "global", "server", "externalServers", "client", "dns", "ui", "syncCatalog", "connectInject",
    "controller", "meshGateway", "ingressGateways", "terminatingGateways", "apiGateway",
    "webhookCertManager", "prometheus", "tests", "nameOverride", "fullnameOverride", "consulInject",
})
# Where to point when a rule's key was not written (it took its default): the keys that made
# the rule fail, first written first.
NEAR: dict[Path, tuple[Path, ...]] = {
    ("client", "enabled"): (("global", "enabled"), ("connectInject", "enabled")),
    ("externalServers", "hosts"): (("externalServers", "enabled"),),
}
_CLOSED = ("global", "connectInject", "controller", "consulInject")
_EMBEDDED = ("yaml-map", "yaml-list", "yaml-label-selector", "json-string")


def problem(path: Path, message: str, severity: Severity = "error") -> Problem:
    return Problem(message, key=dotted(path), path=path, severity=severity)


def _switch(values: Mapping[str, Any], key: str, default: Any) -> bool:
    """A component switch as the chart reads it: "-" (or unset, when that is the default)
    follows global.enabled; anything else by Go template truthiness."""
    value = value_at(values, key)
    if value is None:
        value = default
    if value == "-":
        inherited = value_at(values, "global.enabled")
        return True if inherited is None else bool(inherited)
    return bool(value)


def chart_rules(values: Mapping[str, Any]) -> Iterator[Problem]:
    """The official chart's `fail` rules that read keys outside the closed sections, evaluated
    with the official chart's defaults (so they predict what the chart itself would do)."""
    inject = _switch(values, "connectInject.enabled", False)
    if value_at(values, "global.peering.enabled") is True and not inject:
        yield problem(("global", "peering", "enabled"),
                      "setting global.peering.enabled to true requires connectInject.enabled to be "
                      "true (the chart fails the same way)")
    if inject and not _switch(values, "client.enabled", "-"):
        yield problem(("client", "enabled"),
                      "clients must be enabled for connect injection: consul-k8s 0.49 sidecars "
                      "register through the Consul client agent on their node (the chart fails the "
                      "same way)")
    if inject and value_at(values, "client.grpc") is False:
        yield problem(("client", "grpc"),
                      "client.grpc must be true for connect injection: Envoy sidecars get their "
                      "configuration over the client agent's gRPC port (the chart fails the same way)")
    if value_at(values, "externalServers.enabled") is True \
            and not value_at(values, "externalServers.hosts"):
        yield problem(("externalServers", "hosts"),
                      "externalServers.hosts must be set if externalServers.enabled is true (the "
                      "chart fails the same way)")


def injector_rules(values: Mapping[str, Any]) -> Iterator[Problem]:
    """What the injector itself refuses (or ignores) beyond the schema's shapes."""
    timeout = value_at(values, "global.consulAPITimeout")
    if isinstance(timeout, str):
        try:
            if gocompat.parse_duration(timeout) <= 0:
                yield problem(("global", "consulAPITimeout"),
                              f'"{timeout}" must be greater than zero (the injector refuses it)')
        except ValueError:
            pass  # the schema's pattern reports it
    if value_at(values, "connectInject.k8sAllowNamespaces") == []:
        yield problem(("connectInject", "k8sAllowNamespaces"),
                      'an empty list allows no namespace, so nothing is injected; ["*"] allows all',
                      "warning")


def top_level(values: Mapping[str, Any]) -> Iterator[Problem]:
    """The top level is open (a whole Consul values file validates), but a near miss of one of
    our section names means its settings are silently ignored."""
    for key in values:
        if not isinstance(key, str) or key in CHART_SECTIONS:
            continue
        guess = closest(key, _CLOSED, 0.8)
        if guess is not None:
            yield problem((key,), f'unknown section "{key}"; did you mean "{guess}"? (the chart '
                          "ignores it, so none of its settings apply)")


def _parse_embedded(text: str) -> tuple[Any, str | None]:
    try:
        return yamlcodec.load(text), None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" (line {mark.line + 1} of the string)" if mark else ""
        return None, f"is not valid YAML{where}: {err.problem}"
    except (yaml.YAMLError, ConsulInjectError) as err:
        return None, f"is not valid YAML: {err}"


def _embedded_problems(fmt: str, text: str) -> Iterator[str]:
    if fmt == "json-string":
        try:
            json.loads(text)
        except ValueError as err:
            yield f"is not JSON: {err}"
        return
    if fmt == "yaml-label-selector" and (template := selector_mod.template_problem(text)):
        yield template
        return
    if "{{" in text or not text.strip():
        return  # a template for tpl, or empty: the chart renders nothing
    data, failure = _parse_embedded(text)
    if failure:
        yield failure
    elif fmt == "yaml-list":
        if not isinstance(data, list):
            yield "must be a YAML list inside the string (- key: ...)"
    elif not isinstance(data, dict):
        yield "must be a YAML map inside the string (key: value lines)"
    elif fmt == "yaml-label-selector" and data:
        yield from selector_mod.problems(data)


def _format_problems(fmt: str, value: Any) -> Iterator[str]:
    if fmt in _EMBEDDED and isinstance(value, str):
        yield from _embedded_problems(fmt, value)
    elif fmt == "k8s-quantity" and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and not gocompat.is_quantity(str(value)):
        yield f"{show(value)} is not a Kubernetes quantity such as 100m, 0.5, 128Mi or 1Gi"


def formats(values: Any, node: Mapping[str, Any] | None = None,
            path: Path = ()) -> Iterator[Problem]:
    """Values whose `format` the schema only names: YAML (or JSON) inside strings, and numbers
    where a quantity goes (the schema's pattern reads strings only). Walks the values beside the
    schema."""
    node = schema_mod.load() if node is None else node
    fmt = node.get("format")
    if isinstance(fmt, str):
        for message in _format_problems(fmt, values):
            yield problem(path, message)
    if isinstance(values, dict):
        props: Mapping[str, Any] = node.get("properties", {})
        extra = node.get("additionalProperties")
        for key, value in values.items():
            sub = props.get(key, extra if isinstance(extra, dict) else None)
            if sub is not None:
                yield from formats(value, sub, (*path, key))
