"""`connectInject.namespaceSelector`: a Kubernetes label selector written as YAML in a string.

The chart pastes it into the webhook's namespaceSelector and the post-renderer matches
namespaces with it, so it must be a selector Kubernetes accepts: matchLabels a map,
matchExpressions a list of {key, operator, values} with a known operator, values where the
operator needs them. consul-inject cannot evaluate a template in it (the chart runs it through
`tpl`), so a `{{ ... }}` selector is refused too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from consul_inject.values.messages import closest, describe, show

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
KEYS = ("matchLabels", "matchExpressions")
_EXPECTED = "expected In, NotIn, Exists or DoesNotExist"
_K8S = "(Kubernetes refuses the selector otherwise)"


def template_problem(text: str) -> str | None:
    if "{{" in text:
        return ("is a template, which consul-inject cannot evaluate (the chart runs it through "
                "tpl); write the selector itself")
    return None


def problems(selector: Mapping[str, Any]) -> Iterator[str]:
    """What is wrong with a selector that parsed as a YAML map."""
    extra = sorted(str(k) for k in selector if k not in KEYS)
    if extra:
        yield (f"is a label selector; {', '.join(extra)} is not one of its keys "
               "(matchLabels, matchExpressions)")
    labels = selector.get("matchLabels")
    if labels is not None and not isinstance(labels, dict):
        yield f"matchLabels must be a map of label names to values, not {describe(labels)}"
    expressions = selector.get("matchExpressions")
    if expressions is None:
        return
    if not isinstance(expressions, list):
        yield ("matchExpressions must be a list of maps with key, operator and values, not "
               f"{describe(expressions)}")
        return
    for index, item in enumerate(expressions):
        yield from _expression(f"matchExpressions[{index}]", item)


def _expression(name: str, item: Any) -> Iterator[str]:
    if not isinstance(item, dict):
        yield f"{name} is {describe(item)}; each item must be a map with key, operator and values"
        return
    if not isinstance(item.get("key"), str) or not item["key"]:
        yield f"{name} has no key (the label name the expression tests)"
    operator = item.get("operator")
    values = item.get("values")
    if operator is None:
        yield f"{name} has no operator; {_EXPECTED}"
    elif operator not in OPERATORS:
        guess = closest(str(operator), OPERATORS, 0.6)
        yield (f"{name}: unknown operator {show(operator)}; {_EXPECTED}"
               + (f'; did you mean "{guess}"?' if guess else ""))
    if values is not None and not isinstance(values, list):
        yield f"{name}.values must be a list, not {describe(values)}"
    elif operator in ("In", "NotIn") and not values:
        yield f"{name}: operator {operator} needs a non-empty values list {_K8S}"
    elif operator in ("Exists", "DoesNotExist") and values:
        yield f"{name}: operator {operator} takes no values {_K8S}"
