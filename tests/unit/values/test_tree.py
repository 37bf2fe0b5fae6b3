"""Values trees: Helm's merge (coalesce), null deletion, key paths."""

from __future__ import annotations

from typing import Any

from consul_inject.values import strvals
from consul_inject.values import tree as values


def test_merge_later_wins() -> None:
    assert values.merge({"a": 1, "b": 2}, {"a": 3}) == {"a": 3, "b": 2}


def test_merge_maps_deep_merge() -> None:
    base = {"global": {"name": "x", "tls": {"enabled": False, "port": 1}}}
    over = {"global": {"tls": {"enabled": True}}}
    assert values.merge(base, over) == {"global": {"name": "x", "tls": {"enabled": True,
                                                                        "port": 1}}}


def test_merge_lists_replace() -> None:
    assert values.merge({"a": [1, 2, 3]}, {"a": [4]}) == {"a": [4]}


def test_merge_null_deletes() -> None:
    assert values.merge({"a": {"b": 1, "c": 2}}, {"a": {"b": None}}) == {"a": {"c": 2}}
    assert values.merge({"a": 1}, {"a": None, "z": None}) == {}


def test_merge_map_replaces_scalar_and_scalar_replaces_map() -> None:
    assert values.merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert values.merge({"a": {"b": 2}}, {"a": 1}) == {"a": 1}


def test_merge_does_not_mutate_inputs() -> None:
    base: dict[str, Any] = {"a": {"b": [1]}}
    over: dict[str, Any] = {"a": {"c": [2]}}
    merged = values.merge(base, over)
    merged["a"]["b"].append(9)
    merged["a"]["c"].append(9)
    assert base == {"a": {"b": [1]}}
    assert over == {"a": {"c": [2]}}



def test_strvals_keeps_merge_for_callers_outside() -> None:
    assert strvals.merge is values.merge


def test_dotted_value_at_prune_and_paths() -> None:
    assert values.dotted(("connectInject", "k8sAllowNamespaces", 1)) == \
        "connectInject.k8sAllowNamespaces[1]"
    assert values.dotted(()) == ""
    tree: dict[str, Any] = {"a": {"b": None, "c": [1, None, {"d": None}]}, "e": None}
    assert values.value_at(tree, "a.c") == [1, None, {"d": None}]
    assert values.value_at(tree, "a.c.x") is None
    assert values.value_at(tree, "nope.x") is None
    assert values.prune(tree) == {"a": {"c": [1, None, {}]}}
    assert values.paths({"a": {"b": 1}, "c": [2]}) == [("a",), ("a", "b"), ("c",), ("c", 0)]
