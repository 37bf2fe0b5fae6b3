"""patch.rewrite: edits read back as the new tree, and undoing them restores the text exactly."""

from __future__ import annotations

import copy
import os
import random
from typing import Any

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from consul_inject import emitter, patch, yamlcodec


def rewrite(text: str, new: Any) -> str | None:
    node, old = yamlcodec.load_with_node(text)
    assert node is not None
    return patch.rewrite(text, node, old, new)


def round_trip(text: str, new: Any) -> str:
    """Apply `new`, check it reads back, then undo and check the original bytes return."""
    _, old = yamlcodec.load_with_node(text)
    out = rewrite(text, new)
    assert out is not None
    assert yamlcodec.load(out) == new, out
    back = rewrite(out, old)
    assert back == text
    return out


CASES = [
    ("a: 1\nb:\n  c: 2 # keep\n# trailing\nd: x\n", {"a": 1, "b": {"c": 2, "e": [1, 2]}, "d": "x"}),
    ("a: {}\nb: 2\n", {"a": {"k": "v"}, "b": 2}),
    ("l: {app: web}\n", {"l": {"app": "web", "x/y": "injected"}}),
    ("c:\n- name: a\n  image: b\n- name: c\n",
     {"c": [{"name": "a", "image": "b"}, {"name": "c"}, {"name": "env", "x": [1]}]}),
    ("c:\n  - name: a\n    p: {port: http}\n", {"c": [{"name": "a", "p": {"port": 20400}}]}),
    ("s: |\n  x\n  y\nt: 1", {"s": "x\ny\n", "t": 1, "u": 2}),
    ("a:\r\n  b: 1\r\n", {"a": {"b": 1, "c": [{"d": "e"}]}}),
    ("--- # head\n# Source: x/y.yaml\nk: [1, 2]\n...\n", {"k": [1, 2, 3]}),
]


@pytest.mark.parametrize(("text", "new"), CASES)
def test_examples_round_trip(text: str, new: Any) -> None:
    out = round_trip(text, new)
    if "\r\n" in text:
        assert out.count("\n") == out.count("\r\n")


def test_comments_and_quoting_outside_the_edits_are_kept() -> None:
    text = 'a: "quoted"   # why\nb:\n  - x  # first\n'
    out = round_trip(text, {"a": "quoted", "b": ["x", "y"]})
    assert out.startswith('a: "quoted"   # why\nb:\n  - x  # first\n')


def test_aliases_and_merge_keys_are_not_patched() -> None:
    assert rewrite("a: &x [1]\nb: *x\n", {"a": [1], "b": [1], "c": 1}) is None
    assert rewrite("base: &b {k: 1}\nm:\n  <<: *b\n", {"base": {"k": 1}, "m": {"k": 1, "z": 2}}) is None


# Generated documents and injection-like edits ---------------------------------------------------

scalars = st.one_of(st.text(max_size=8), st.integers(-5, 70000), st.booleans(), st.none(),
                    st.sampled_from(["yes", "0644", "a: b", "#c", "multi\nline", "- x"]))
keys = st.text(alphabet="abcdefgh/.-", min_size=1, max_size=6)
# Kubernetes-shaped trees: no list directly inside a list (a changed inner list is not matched
# to its old self by position: patch.rewrite refuses such a document, and the pipeline writes it
# anew instead; test_lists_in_lists_are_written_anew covers that).
trees = st.recursive(
    scalars,
    lambda c: (st.lists(c.filter(lambda x: not isinstance(x, list)), min_size=1, max_size=3)
               | st.dictionaries(keys, c, min_size=1, max_size=3)),
    max_leaves=12,
)


class _FlowDumper(yaml.SafeDumper):
    """Test-side flow writer that quotes every scalar go-yaml would read as something else
    (it resolves plain scalars with KubeLoader's table), so that its text means `data`."""


_FlowDumper.yaml_implicit_resolvers = {
    key: list(value) for key, value in yamlcodec.KubeLoader.yaml_implicit_resolvers.items()
}


def mutate(data: Any, rng: random.Random) -> Any:
    """Append keys and items and replace scalars, as injection does (never reorders)."""
    if isinstance(data, dict):
        out = {k: mutate(v, rng) for k, v in data.items()}
        if rng.random() < 0.4:
            out[f"new{rng.randrange(99)}"] = rng.choice(["v", 1, {"n": [1, "two"]}, ["z"]])
        return out
    if isinstance(data, list):
        out_list = [mutate(v, rng) for v in data]
        if rng.random() < 0.4:
            out_list.append(rng.choice([{"name": "envoy", "ports": [20000]}, "item", 7]))
        return out_list
    if rng.random() < 0.2:
        return rng.choice([20400, "injected", True])
    return data


@settings(max_examples=int(os.environ.get("PATCH_EXAMPLES", "150")), deadline=None)
@given(st.dictionaries(keys, trees, min_size=1, max_size=4), st.integers(0, 10**6), st.booleans())
def test_generated_edits_read_back_and_undo(data: dict[str, Any], seed: int, flow: bool) -> None:
    text = (yaml.dump(data, Dumper=_FlowDumper, default_flow_style=True, width=60) if flow
            else emitter.emit(data))
    assert yamlcodec.load(text) == data, text  # the generator itself must be faithful
    new = mutate(copy.deepcopy(data), random.Random(seed))
    assume(new != data)
    out = rewrite(text, new)
    assert out is not None, (text, new)  # no alias, no merge key, no list in a list: patchable
    assert yamlcodec.load(out) == new, out
    back = rewrite(out, data)
    assert back is not None
    assert yamlcodec.load(back) == data
    if not flow:  # text written the way the patcher writes gets back its exact bytes
        assert back == text


@pytest.mark.parametrize(("text", "new"), [
    ("a:\n- - 1\n  - 2\n", {"a": [[1, 2, 3]]}),
    ("a:\n- - c: 1\n", {"a": [[{"c": 1, "d": 2}]]}),
])
def test_lists_in_lists_are_written_anew(text: str, new: Any) -> None:
    """An inner list that changes is not patched in place; the caller re-emits the document."""
    assert rewrite(text, new) is None


@settings(max_examples=int(os.environ.get("PATCH_EXAMPLES", "150")), deadline=None)
@given(st.dictionaries(keys, trees, min_size=1, max_size=4), st.integers(0, 10**6))
def test_shared_subtrees_patch_as_copies_do(data: dict[str, Any], seed: int) -> None:
    """A new tree that shares unchanged subtrees with the old one (skipped by identity) is
    written exactly as its deep copy (compared value by value)."""
    text = emitter.emit(data)
    node, old = yamlcodec.load_with_node(text)
    assert node is not None
    rng = random.Random(seed)
    new = {k: (v if rng.random() < 0.5 else mutate(copy.deepcopy(v), rng)) for k, v in old.items()}
    assert patch.rewrite(text, node, old, new) == patch.rewrite(text, node, old, copy.deepcopy(new))


@pytest.mark.parametrize(("text", "new"), [
    ("a: !!str 1\nb: {c: 2}\n", {"a": "1", "b": {"c": 3}}),  # a tag: merge keys are looked for
    ("a: x\nb: [1]\n", {"a": "y", "b": [1, 2]}),  # neither `<<` nor `!`: they are not
])
def test_tagged_and_untagged_documents_patch(text: str, new: Any) -> None:
    round_trip(text, new)
