"""connectInject.namespaceSelector: a label selector Kubernetes accepts, refused by the values
check (so by `validate` and the post-renderer alike) when it is not one."""

from __future__ import annotations

import pytest

from consul_inject import values
from consul_inject.problems import ConsulInjectError

KEY = "connectInject.namespaceSelector"
OPERATORS = "expected In, NotIn, Exists or DoesNotExist"


def messages(selector: object) -> list[str]:
    problems = values.validate_values({"connectInject": {"namespaceSelector": selector}})
    assert all(p.key == KEY for p in problems)
    return [p.message for p in problems]


@pytest.mark.parametrize("selector", [
    "", "  \n", "matchLabels: {a: b}", "matchLabels:\n  mesh: \"on\"\n",
    'matchExpressions:\n  - key: "kubernetes.io/metadata.name"\n    operator: "NotIn"\n'
    '    values: ["kube-system","local-path-storage","openebs"]\n',
    "matchExpressions: [{key: a, operator: Exists}, {key: b, operator: DoesNotExist, values: []}]",
    "matchLabels: {a: b}\nmatchExpressions: [{key: c, operator: In, values: [x]}]",
])
def test_selectors_kubernetes_accepts(selector: str) -> None:
    assert messages(selector) == []


@pytest.mark.parametrize(("selector", "message"), [
    ("matchExpressions: [{key: a, operator: Bogus, values: [x]}]",
     f'matchExpressions[0]: unknown operator "Bogus"; {OPERATORS}'),
    ("matchExpressions: [{key: a, operator: notin, values: [x]}]",
     f'matchExpressions[0]: unknown operator "notin"; {OPERATORS}; did you mean "NotIn"?'),
    ("matchExpressions: [{key: a, values: [x]}]", f"matchExpressions[0] has no operator; {OPERATORS}"),
    ("matchExpressions: [x]",
     'matchExpressions[0] is the string "x"; each item must be a map with key, operator and values'),
    ("matchExpressions: [{operator: Exists}]",
     "matchExpressions[0] has no key (the label name the expression tests)"),
    ("matchExpressions: {key: a}",
     "matchExpressions must be a list of maps with key, operator and values, not a map"),
    ("matchExpressions: [{key: a, operator: In, values: x}]",
     'matchExpressions[0].values must be a list, not the string "x"'),
    ("matchExpressions: [{key: a, operator: In}]",
     "matchExpressions[0]: operator In needs a non-empty values list (Kubernetes refuses the "
     "selector otherwise)"),
    ("matchExpressions: [{key: a, operator: Exists, values: [x]}]",
     "matchExpressions[0]: operator Exists takes no values (Kubernetes refuses the selector "
     "otherwise)"),
    ("matchLabels: [a]", "matchLabels must be a map of label names to values, not a list"),
    ("matchLabel:\n  mesh: enabled\n",
     "is a label selector; matchLabel is not one of its keys (matchLabels, matchExpressions)"),
    ("[1, 2]", "must be a YAML map inside the string (key: value lines)"),
    ("a: [b", "is not valid YAML (line 2 of the string): did not find expected ',' or ']'"),
    ("{{ .Values.selector }}",
     "is a template, which consul-inject cannot evaluate (the chart runs it through tpl); write "
     "the selector itself"),
    ({"matchLabels": {"a": "b"}},
     'is a map, but the chart expects YAML inside a string (it runs the value through tpl); write '
     '"namespaceSelector: |" and indent the YAML under it'),
])
def test_selector_mistakes(selector: object, message: str) -> None:
    assert messages(selector) == [message]


def test_every_mistake_of_a_selector_is_reported() -> None:
    found = messages("matchLabels: [a]\nmatchExpressions: [x, {key: a, operator: Gt}]")
    assert len(found) == 3


def test_the_post_renderer_path_refuses_them() -> None:
    with pytest.raises(ConsulInjectError) as info:
        values.load([], [f"{KEY}=matchExpressions: [{{key: a\\, operator: Bogus}}]"])
    (problem,) = info.value.problems
    assert problem.key == KEY
    assert "unknown operator" in problem.message
