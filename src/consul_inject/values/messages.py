"""One-line messages for schema failures: what is wrong, what is accepted, and the likely fix.

Unknown keys get a "did you mean" (same level first, with difflib; then the same name elsewhere in
the schema, for keys put at the wrong level), the 0.49 chart's own advice for the keys it fails
on, or, for a key of another consul-k8s version, which version it belongs to and what replaced
it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from consul_inject.values import schema as schema_mod
from consul_inject.values.tree import Path, dotted

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped,unused-ignore]

# Keys the 0.49.8 chart itself fails on, with its advice.
LEGACY: dict[str, str] = {
    "connectInject.imageEnvoy": "is not allowed (the chart fails on it); set global.imageEnvoy instead",
    "connectInject.centralConfig": (
        "is no longer supported (the chart fails on it): central config is always on; set "
        "protocols and proxy defaults with ServiceDefaults and ProxyDefaults resources "
        "(controller.enabled: true)"),
    "global.lifecycleSidecarContainer": (
        "was renamed to global.consulSidecarContainer (the chart fails on it)"),
}
# What a key of one version became in another ("" when nothing replaces it).
REPLACED: dict[str, str] = {
    "global.imageEnvoy": "use global.imageConsulDataplane (consul-dataplane bundles Envoy)",
    "global.imageConsulDataplane": "0.49 sidecars run Envoy from global.imageEnvoy",
    "global.consulSidecarContainer": ("consul-dataplane serves merged metrics itself, so there is "
                                      "no consul-sidecar to size"),
    "connectInject.prepareDataplanesUpgrade": "it only prepared the move to consul-dataplane",
    "global.secretsBackend.vault.controllerRole": ("the controller's webhook certificate is the "
                                                   "injector's (connectInjectRole)"),
    "global.secretsBackend.vault.controller": ("the controller's webhook certificate is the "
                                               "injector's (connectInject)"),
}

FORMATS: dict[str, str] = {
    "k8s-quantity": 'a Kubernetes quantity such as "100m", "0.5", "128Mi" or "1Gi"',
    "k8s-dns1123-label": ("a DNS-1123 label: lowercase letters, digits and '-', starting and ending "
                          "with a letter or digit, at most 63 characters"),
    "k8s-namespace-or-star": ('"*" or a namespace name (DNS-1123 label: lowercase letters, digits and '
                              "'-', at most 63 characters)"),
    "go-duration": 'a duration with a unit, such as "5s", "500ms" or "1m30s"',
    "consul-name": ("a Consul name: letters, digits and '-', starting and ending with a letter or "
                    "digit, at most 64 characters"),
    "consul-name-prefix": "a Consul name prefix: letters, digits and '-', starting with a letter or digit",
    "consul-datacenter": "a datacenter name: letters, digits, '-' and '_'",
    "image": 'an image reference without spaces, such as "hashicorp/consul:1.13.9"',
    "absolute-path": 'an absolute path starting with "/"',
    "url-path": 'a URL path such as "/metrics"',
    "host-port": 'an address "host:port", such as "10.0.4.7:8503"',
    "whole-number": "a whole number (0 or more)",
    "ip-address": 'an IPv4 or IPv6 address, such as "10.96.0.10" or "fd00::a"',
    "dns-name": 'a DNS name of lowercase labels, such as "cluster.local"',
    "template-path": ('a dotted path from the resource to its pod template, such as '
                      '"spec.template" or "spec.jobTemplate.spec.template"'),
    "consul-address": ('a host name or IP address without scheme or port (such as '
                       '"consul.example.com" or "10.0.4.7"), or an exec= discovery command'),
}

_TYPE_WORDS = {
    "boolean": "true or false", "integer": "a whole number", "number": "a number",
    "string": "a string", "array": "a list", "object": "a map", "null": "null",
}
_GO_BOOL_STRINGS = {"true", "false", "True", "False", "TRUE", "FALSE", "yes", "no", "on", "off"}


def json_type(value: Any) -> str:
    """The JSON type name of a loaded YAML value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def show(value: Any) -> str:
    """A value as the user would write it (JSON spelling, short)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def describe(value: Any) -> str:
    kind = json_type(value)
    words = {"object": "a map", "array": "a list", "string": "the string", "boolean": "the boolean",
             "integer": "the number", "number": "the number", "null": "null"}
    return f"{words.get(kind, kind)} {show(value)}" if kind not in ("object", "array", "null") \
        else words[kind]


def not_a_map(value: Any) -> str:
    return f"values must be a map of keys at the top level, not {describe(value)}"


def _node(path: Path, version: str = schema_mod.DEFAULT_VERSION) -> Mapping[str, Any] | None:
    """The version's schema node for a values path (None where the schema has none)."""
    node: Mapping[str, Any] = schema_mod.load(version)
    for part in path:
        if isinstance(part, int):
            items = node.get("items")
            if not isinstance(items, dict):
                return None
            node = items
            continue
        props = node.get("properties", {})
        if part in props:
            node = props[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    return node


def _closed(node: Mapping[str, Any]) -> bool:
    return node.get("additionalProperties") is False or node.get("x-closed") is True


@cache
def _key_index(version: str = schema_mod.DEFAULT_VERSION) -> dict[str, tuple[str, ...]]:
    """Every key name in the version's closed sections -> the dotted paths where it is defined."""
    index: dict[str, list[str]] = {}

    def walk(node: Mapping[str, Any], path: tuple[str, ...]) -> None:
        for name, sub in node.get("properties", {}).items():
            index.setdefault(name, []).append(".".join((*path, name)))
            if isinstance(sub, dict):
                walk(sub, (*path, name))

    for section, node in schema_mod.load(version)["properties"].items():
        if isinstance(node, dict) and _closed(node):
            walk(node, (section,))
    return {name: tuple(paths) for name, paths in index.items()}


def _under(text: str, table: Mapping[str, str]) -> str | None:
    for key, message in table.items():
        if text == key or text.startswith(key + "."):
            return message
    return None


def legacy(path: Path, version: str = schema_mod.DEFAULT_VERSION) -> str | None:
    """The advice for a key the selected version does not have: the 0.49 chart's own for the
    keys it fails on, else which versions have the key and how to select one."""
    text = dotted(path)
    if version == schema_mod.DEFAULT_VERSION and (advice := _under(text, LEGACY)):
        return advice
    others = [v for v in schema_mod.VERSIONS if v != version and _node(path, v) is not None]
    if not others:
        return None
    names = " and ".join(others)
    message = (f"is a consul-k8s {names} value, not of {version} (the version "
               "consulInject.consulK8sVersion selects)")
    choice = " or ".join(f'"{v}"' for v in others)
    replaced = _under(text, REPLACED)
    if replaced:
        return f"{message}; {replaced} (or set consulInject.consulK8sVersion to {choice})"
    return f"{message}; to use it set consulInject.consulK8sVersion to {choice}, else remove it"


def closest(word: str, choices: Iterable[str], cutoff: float = 0.75) -> str | None:
    options = [c for c in choices if isinstance(c, str)]
    for option in options:
        if option.lower() == word.lower():
            return option
    import difflib  # only a mistyped key pays for it

    found = difflib.get_close_matches(word, options, n=1, cutoff=cutoff)
    return found[0] if found else None


def unknown_key(path: Path, version: str = schema_mod.DEFAULT_VERSION) -> str:
    key, parent = path[-1], path[:-1]
    name = str(key)
    where = dotted(parent) or "the top level"
    advice = legacy(path, version)
    if advice:
        return f'"{name}" {advice}'
    node = _node(parent, version) or {}
    siblings = list(node.get("properties", {}))
    same = [s for s in siblings if s.lower() == name.lower()]
    if same:
        return f'unknown key "{name}" in {where}; did you mean "{same[0]}"? (keys are case-sensitive)'
    elsewhere = [p for p in _key_index(version).get(name, ()) if p != dotted(path)]
    if elsewhere:
        return (f'unknown key "{name}" in {where}: it is a key of '
                f'{elsewhere[0].rsplit(".", 1)[0]}; did you mean {elsewhere[0]}?')
    guess = closest(name, siblings)
    if guess is not None:
        return f'unknown key "{name}" in {where}; did you mean "{guess}"?'
    known = ", ".join(siblings) if len(siblings) <= 12 else ""
    return f'unknown key "{name}" in {where}' + (f"; known keys: {known}" if known else "")


def _expected(node: Mapping[str, Any]) -> str:
    types = node.get("type", [])
    names = [t for t in ([types] if isinstance(types, str) else types) if t != "null"]
    if "enum" in node:
        return "one of " + ", ".join(show(v) for v in node["enum"] if v is not None)
    fmt = node.get("format", "")
    if fmt in FORMATS:
        return FORMATS[fmt]
    if names == ["array"]:
        item = node.get("items", {})
        inner = item.get("type") if isinstance(item, dict) else None
        return "a list of strings" if inner == "string" else "a list"
    return " or ".join(_TYPE_WORDS.get(t, t) for t in names)


def _type_message(path: Path, node: Mapping[str, Any], value: Any) -> str:
    fmt = str(node.get("format", ""))
    key = dotted(path)
    name = str(path[-1]) if path else "values"
    types = node.get("type")
    wanted = [types] if isinstance(types, str) else list(types or [])
    if fmt.startswith("yaml-") and isinstance(value, (dict, list)):
        return (f"is {describe(value)}, but the chart expects YAML inside a string (it runs the "
                f'value through tpl); write "{name}: |" and indent the YAML under it')
    if "array" in wanted and not isinstance(value, list):
        sample = value if isinstance(value, str) else show(value)
        return (f"is {describe(value)}, not a list; write [{sample}] in YAML, or "
                f"--set '{key}={{{sample}}}'")
    if "boolean" in wanted and isinstance(value, str) and value in _GO_BOOL_STRINGS:
        return f'is the string "{value}", not a boolean; write true or false without quotes'
    if wanted == ["string"] and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and (text := _number_text(value, node)):
        return (f'is the number {show(value)}, not a string; quote it: {name}: "{text}" '
                f"(or --set-string {key}={text})")
    if "integer" in wanted and isinstance(value, str) and value.strip().isdigit():
        return f'is the string "{value}", not a number; write {value.strip()} without quotes'
    if "object" in wanted and len(wanted) == 1:
        return _map_message(path, node, value)
    return f"expected {_expected(node)}, got {describe(value)}"


def _number_text(value: float, node: Mapping[str, Any]) -> str | None:
    """The choice a YAML number was meant to be (2.0 for "2.0"), if the node has one."""
    for choice in node.get("enum", ()):
        if isinstance(choice, str):
            try:
                if float(choice) == value:
                    return choice
            except ValueError:
                continue
    return None


def _map_message(path: Path, node: Mapping[str, Any], value: Any) -> str:
    keys = ", ".join(list(node.get("properties", {}))[:4])
    if path and isinstance(path[-1], int):
        return f"is {describe(value)}, but each entry must be a map with the key(s) {keys}"
    if isinstance(value, str) and ":" in value:
        return ("is YAML inside a string, but this value must be a map: drop the \"|\" and write "
                f"the keys directly under {path[-1] if path else 'it'}")
    if keys:
        return f"is {describe(value)}, but it is a section: a map of keys such as {keys}"
    return f"expected a map, got {describe(value)}"


def _pattern_message(path: Path, node: Mapping[str, Any], value: Any) -> str:
    if path[:2] == ("connectInject", "k8sDenyNamespaces") and value == "*":
        return ('"*" is not supported in k8sDenyNamespaces: it would deny every namespace; to '
                "turn injection off set connectInject.enabled: false")
    fmt = str(node.get("format", ""))
    if fmt in FORMATS:
        return f"{show(value)} is not {FORMATS[fmt]}"
    return f"{show(value)} does not match {node.get('pattern')}"


def _range_message(node: Mapping[str, Any], value: Any) -> str:
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None and high is not None:
        what = "a port" if high == 65535 else "a number"
        extra = " (ports below 1024 need root; the sidecar runs as a normal user)" \
            if low == 1024 and value < low else ""
        return f"{show(value)} is not {what} from {low} to {high}{extra}"
    if low is not None:
        return f"{show(value)} is less than {low}"
    return f"{show(value)} is greater than {high}"


def explain(error: ValidationError,
            version: str = schema_mod.DEFAULT_VERSION) -> tuple[Path, str]:
    """The values path to report and the message for one schema failure (a jsonschema error;
    a false schema has no keyword) under the version's schema."""
    node: Mapping[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    value, path = error.instance, tuple(error.path)
    keyword = error.validator or "false"
    if keyword == "x-rule":
        target = tuple(str(node["x-path"]).split("."))
        return target, str(node["x-message"])
    if keyword in ("additionalProperties", "false"):
        return path, unknown_key(path, version)
    if keyword == "type":
        return path, _type_message(path, node, value)
    if keyword == "enum":
        options = [v for v in node["enum"] if v is not None]
        if isinstance(value, str) and value in _GO_BOOL_STRINGS and True in options:
            dash = ' (or "-" for the setting it follows)' if "-" in options else ""
            return path, (f'is the string "{value}", not a boolean; write true or false without '
                          f"quotes{dash}")
        text = f"{show(value)} is not one of " + ", ".join(show(v) for v in options)
        guess = closest(str(value), [str(v) for v in options if isinstance(v, str)], 0.6) \
            if isinstance(value, str) else None
        return path, text + (f'; did you mean "{guess}"?' if guess else "")
    if keyword == "const":
        return path, f"must be {show(node['const'])}"
    if keyword == "pattern":
        return path, _pattern_message(path, node, value)
    if keyword in ("minimum", "maximum"):
        return path, _range_message(node, value)
    if keyword == "minLength":
        return path, "must not be empty"
    if keyword == "maxLength":
        return path, f"{show(value)} is longer than {node['maxLength']} characters"
    if keyword == "not":
        return path, (f"The name {show(value)} set for key {dotted(path)} is reserved by Consul "
                      "for future use (the chart fails the same way)")
    if keyword == "required":
        return path, f'is missing; each entry needs "{path[-1]}"'
    if keyword == "propertyNames":
        names = node.get("propertyNames", {})
        if isinstance(names, dict) and names.get("format") == "workload-kind":
            return path, (f"{show(value)} is not a custom resource kind: write the Kind "
                          '("Rollout") or <apiGroup>/<Kind> ("argoproj.io/Rollout")')
        return path, f"{show(value)} is not a resource name such as cpu, memory or ephemeral-storage"
    return path, f"{show(value)} fails the schema's {keyword} rule"
