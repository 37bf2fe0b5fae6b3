"""Webhook rules that consul-k8s kept unchanged from 0.49 to 2.0, in one place for every version:
the namespace selector, Namespace-label booleans, the chart's `consul.fullname`, the Consul
namespace of a pod, and the Envoy extra-args split."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from consul_inject import gocompat, yamlcodec
from consul_inject.problems import TemplateError
from consul_inject.values.tree import value_at


@lru_cache(maxsize=8)
def _selector(text: str) -> dict[str, Any]:
    """The parsed selector; the values check made sure it is one (consul_inject.values.selector)."""
    data = yamlcodec.load(text) if text.strip() else None
    return data if isinstance(data, dict) else {}


def selector_matches(selector_text: str, labels: Mapping[str, str]) -> bool:
    """Kubernetes LabelSelector semantics (matchLabels AND every matchExpression)."""
    selector = _selector(selector_text)
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key = str(expr.get("key"))
        operator = expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        present = key in labels
        if operator == "In":
            ok = present and labels[key] in values
        elif operator == "NotIn":
            ok = not present or labels[key] not in values
        elif operator == "Exists":
            ok = present
        elif operator == "DoesNotExist":
            ok = not present
        else:  # consul_inject.values refuses such values before settings are made
            raise ValueError(f"namespaceSelector operator {operator!r} was not checked")
        if not ok:
            return False
    return True


def label_bool(labels: Mapping[str, str], key: str, default: bool, namespace: str) -> bool:
    """A boolean Namespace label (transparent-proxy, consul-dns) with Go's ParseBool."""
    value = labels.get(key)
    if value is None:
        return default
    try:
        return gocompat.parse_bool(str(value))
    except ValueError:
        raise TemplateError(
            key, f'label on Namespace "{namespace}" is "{value}", not a boolean', gocompat.BOOL_FORM
        ) from None


def consul_fullname(values: Mapping[str, Any], release: str) -> str:
    """The chart's `consul.fullname` helper: fullnameOverride, else global.name, else
    `<release>-<nameOverride or consul>` (no shortening when the release contains the name)."""
    def text(path: str) -> str:
        value = value_at(values, path)
        return "" if value is None else str(value)

    name = (text("fullnameOverride") or text("global.name")
            or f"{release}-{text('nameOverride') or 'consul'}")
    return name[:63].rstrip("-")


def consul_namespace(enabled: bool, mirroring: bool, prefix: str, destination: str,
                     k8s_namespace: str) -> str:
    """The Consul namespace a pod registers in; "" without Consul namespaces."""
    if not enabled:
        return ""
    if mirroring:
        return prefix + k8s_namespace
    return destination


def envoy_extra_args(key: str, value: str) -> list[str]:
    """Split like google/shlex, then re-quote tokens with spaces as consul-k8s does."""
    try:
        tokens = gocompat.shlex_split(value)
    except ValueError as err:
        raise TemplateError(
            key, f"cannot split {value!r} into arguments: {err}",
            "expected shell-like words, for example --log-level debug",
        ) from None
    return [gocompat.quote(t) if " " in t else t for t in tokens]
