"""Checks the schema cannot express, each a `Problem` at a values path (check.py places it);
the official chart's `fail` rules are in chartrules.py.

- values the official chart accepts but ignores or the injector cannot use: warnings, never
  errors (a zero `global.consulAPITimeout`, an empty allow list, a mirroring prefix without
  mirroring, a destination namespace without Consul namespaces, a misspelt section name);
- a section of another consul-k8s version at the top level (`controller` under 1.9/2.0): an
  error, with the version it belongs to;
- values the chart reads as YAML (or JSON) inside a string: they must parse and be a map or a
  list as the chart places them; `connectInject.namespaceSelector` must be a label selector
  (selector.py); a number where a Kubernetes quantity goes must be one;
- misspelt section names at the top level (which is open).
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

_SHARED_SECTIONS = frozenset({
    "global", "server", "externalServers", "client", "dns", "ui", "syncCatalog", "connectInject",
    "meshGateway", "ingressGateways", "terminatingGateways", "webhookCertManager", "prometheus",
    "tests", "nameOverride", "fullnameOverride", "consulInject",
})
# Top-level keys of each version's official chart (values.yaml and its helpers) and ours.
SECTIONS: dict[str, frozenset[str]] = {
    "0.49": _SHARED_SECTIONS | {"controller", "apiGateway"},
    "1.9": _SHARED_SECTIONS | {"telemetryCollector"},
    "2.0": _SHARED_SECTIONS | {"telemetryCollector"},
}
CHART_SECTIONS = SECTIONS["0.49"]
# What replaced a section that a later version dropped.
_SECTION_MOVED = {
    "controller": "from 1.0 the config-entry controller runs inside the injector; its settings "
                  "are connectInject's",
    "apiGateway": "from 1.2 its settings are under connectInject.apiGateway",
}
# Where to point when a rule's key was not written (it took its default): the keys that made
# the rule fail, first written first.
NEAR: dict[Path, tuple[Path, ...]] = {
    ("client", "enabled"): (("global", "enabled"), ("connectInject", "enabled")),
    ("externalServers", "hosts"): (("externalServers", "enabled"),),
}
_CLOSED = ("global", "connectInject", "controller", "consulInject")
_EMBEDDED = ("yaml-map", "yaml-list", "yaml-label-selector", "json-string")
_IGNORED = " (the chart accepts it)"


def problem(path: Path, message: str, severity: Severity = "error") -> Problem:
    return Problem(message, key=dotted(path), path=path, severity=severity)


def injector_rules(values: Mapping[str, Any]) -> Iterator[Problem]:
    """What the injector itself cannot use beyond the schema's shapes: warnings, since the
    chart installs them."""
    timeout = value_at(values, "global.consulAPITimeout")
    if isinstance(timeout, str):
        try:
            if gocompat.parse_duration(timeout) <= 0:
                yield problem(("global", "consulAPITimeout"),
                              f'"{timeout}" must be greater than zero: the injector refuses to '
                              "start with it" + _IGNORED, "warning")
        except ValueError:
            pass  # the schema's pattern reports it
    if value_at(values, "connectInject.k8sAllowNamespaces") == []:
        yield problem(("connectInject", "k8sAllowNamespaces"),
                      'an empty list allows no namespace, so nothing is injected; ["*"] allows all',
                      "warning")


def hints(values: Mapping[str, Any], version: str) -> Iterator[Problem]:
    """Consul namespace values the chart and the injector accept and then ignore: warnings."""
    spaces = value_at(values, "connectInject.consulNamespaces")
    if not isinstance(spaces, dict):
        return
    mirroring = spaces.get("mirroringK8S", version != "0.49")  # default true since 1.0
    if spaces.get("mirroringK8SPrefix") and mirroring is not True:
        yield problem(("connectInject", "consulNamespaces", "mirroringK8SPrefix"),
                      "mirroringK8SPrefix is only used with mirroringK8S: true, so it is ignored; "
                      "set mirroringK8S: true or remove the prefix" + _IGNORED, "warning")
    destination = spaces.get("consulDestinationNamespace")
    if isinstance(destination, str) and destination != "default" \
            and value_at(values, "global.enableConsulNamespaces") is not True:
        yield problem(("connectInject", "consulNamespaces", "consulDestinationNamespace"),
                      'a Consul destination namespace other than "default" needs '
                      "global.enableConsulNamespaces: true; without it the injector registers every "
                      "service in the default namespace" + _IGNORED, "warning")


def top_level(values: Mapping[str, Any], version: str = "0.49") -> Iterator[Problem]:
    """The top level is open (a whole Consul values file validates), but a section of another
    version is a mistake (an error), and a near miss of one of our section names means its
    settings are silently ignored (a warning)."""
    own = SECTIONS[version]
    for key in values:
        if not isinstance(key, str) or key in own:
            continue
        others = [v for v, names in SECTIONS.items() if key in names]
        if others:
            yield problem((key,), other_section(key, version, others))
            continue
        guess = closest(key, _CLOSED, 0.8)
        if guess is not None:
            yield problem((key,), f'unknown section "{key}"; did you mean "{guess}"? (the chart '
                          "ignores it, so none of its settings apply)", "warning")


def other_section(key: str, version: str, others: list[str]) -> str:
    where = _SECTION_MOVED.get(key, "")
    return (f'"{key}" is a section of the consul-k8s {" and ".join(others)} chart, not of '
            f"{version} (the version consulInject.consulK8sVersion selects)"
            + (f"; {where}" if where else ""))


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
