"""The go-yaml v2 (YAML 1.1 flavoured) meaning Kubernetes gives a manifest, and faithful dumps."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from consul_inject import emitter, yamlcodec
from consul_inject.problems import ConsulInjectError


def value_of(scalar: str) -> Any:
    data = yamlcodec.load(f"v: {scalar}\n")
    assert isinstance(data, dict)
    return data["v"]


def roundtrip(value: Any) -> Any:
    data = yamlcodec.load(emitter.emit({"k": value}))
    assert isinstance(data, dict)
    return data["k"]


# --- load: scalar meaning -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [
        ("0644", 420),  # leading zero: octal, as go-yaml reads file modes
        ("0o17", 15),
        ("0x1F", 31),
        ("0b101", 5),
        ("1_000", 1000),
        ("+12", 12),
        ("-7", -7),
        ("0", 0),
        ("8080", 8080),
    ],
)
def test_load_integers(scalar: str, expected: int) -> None:
    value = value_of(scalar)
    assert type(value) is int
    assert value == expected


@pytest.mark.parametrize("scalar", ["yes", "Yes", "YES", "on", "On", "ON", "y", "Y", "true",
                                    "True", "TRUE"])
def test_load_yaml11_true(scalar: str) -> None:
    assert value_of(scalar) is True


@pytest.mark.parametrize("scalar", ["no", "No", "NO", "off", "Off", "OFF", "n", "N", "false",
                                    "False", "FALSE"])
def test_load_yaml11_false(scalar: str) -> None:
    assert value_of(scalar) is False


@pytest.mark.parametrize("scalar", ['"yes"', "'on'", '"y"', '"0644"', '"1e3"', "'true'"])
def test_load_quoted_stays_string(scalar: str) -> None:
    assert value_of(scalar) == scalar[1:-1]


@pytest.mark.parametrize(
    ("scalar", "expected"),
    [("1e3", 1000.0), ("1E3", 1000.0), ("1.5", 1.5), (".5", 0.5), ("-2.5e-1", -0.25),
     ("08", 8.0)],
)
def test_load_floats(scalar: str, expected: float) -> None:
    value = value_of(scalar)
    assert type(value) is float
    assert value == expected


def test_load_special_floats() -> None:
    assert value_of(".inf") == math.inf
    assert value_of("-.inf") == -math.inf
    assert math.isnan(value_of(".nan"))


@pytest.mark.parametrize(
    "scalar",
    ["1:30", "190:20:30", "2020-01-01", "2020-01-01T10:00:00Z", "2001-12-14 21:59:43.10 -5",
     "tRUE", "1e", "0x", "abc", "=", "v1.2.3", "1.2.3"],
)
def test_load_keeps_text_as_string(scalar: str) -> None:
    assert value_of(scalar) == scalar


@pytest.mark.parametrize("scalar", ["~", "null", "Null", "NULL", ""])
def test_load_nulls(scalar: str) -> None:
    assert value_of(scalar) is None


def test_load_empty_and_comment_only_documents() -> None:
    assert yamlcodec.load("") is None
    assert yamlcodec.load("# only a comment\n") is None
    assert yamlcodec.load("---\n") is None


def test_load_accepts_its_own_markers_and_comments() -> None:
    assert yamlcodec.load("# c\n--- # x\na: 1\n...\n") == {"a": 1}


def test_load_merge_key() -> None:
    data = yamlcodec.load("base: &b {x: 1, z: 3}\nd:\n  <<: *b\n  x: 2\n")
    assert data == {"base": {"x": 1, "z": 3}, "d": {"x": 2, "z": 3}}


def test_load_refuses_two_documents() -> None:
    with pytest.raises(yaml.YAMLError):
        yamlcodec.load("a: 1\n---\nb: 2\n")


# --- load: refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["a: 1\na: 2\n", "x:\n  a: 1\n  b: 2\n  a: 3\n", "{a: 1, a: 1}\n", "1: x\n0x1: y\n"],
)
def test_duplicate_keys_raise(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match="duplicate key"):
        yamlcodec.load(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object:os.system {}\n",
        "a: !!python/name:os.system\n",
        "!!python/object/apply:os.system ['true']\n",
        "a: !!python/tuple [1, 2]\n",
    ],
)
def test_python_tags_refused(text: str) -> None:
    with pytest.raises(yaml.YAMLError, match="constructor"):
        yamlcodec.load(text)


def _alias_doc(count: int) -> str:
    return "\n".join(["a: &a [x]", *(f"b{i}: *a" for i in range(count))]) + "\n"


def test_many_small_aliases_are_fine() -> None:
    # The bound is on expansion, not on the number of references.
    data = yamlcodec.load(_alias_doc(5000))
    assert isinstance(data, dict)
    assert len(data) == 5001
    assert data["b4999"] == ["x"]


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ConsulInjectError, match="contains it"):
        yamlcodec.load("a: &a [*a]\n")


def _billion_laughs(levels: int) -> str:
    lines = ['l0: &l0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_alias_expansion_bomb_raises_input_error() -> None:
    with pytest.raises(ConsulInjectError, match="expand"):
        yamlcodec.load(_billion_laughs(9))


def test_alias_expansion_below_the_bound_loads() -> None:
    data = yamlcodec.load(_billion_laughs(4))  # 10**4 leaves
    assert isinstance(data, dict)
    assert len(data["l3"]) == 10


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_depth_bound_allows_shallower_documents() -> None:
    data = yamlcodec.load(_nested(yamlcodec.MAX_DEPTH - 1))
    assert isinstance(data, list)


def test_depth_bound_raises_input_error() -> None:
    with pytest.raises(ConsulInjectError, match="nesting deeper"):
        yamlcodec.load(_nested(yamlcodec.MAX_DEPTH + 1))


def test_depth_bound_counts_block_mappings() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(yamlcodec.MAX_DEPTH + 1)) + \
        "  " * (yamlcodec.MAX_DEPTH + 1) + "v\n"
    with pytest.raises(ConsulInjectError, match=str(yamlcodec.MAX_DEPTH)):
        yamlcodec.load(text)


# --- dump -----------------------------------------------------------------------------------


AMBIGUOUS = [
    "yes", "Yes", "no", "on", "off", "y", "Y", "n", "N", "true", "False", "0644", "0o17", "0x1F",
    "0b101", "1_000", "1e3", "1.5", ".5", "+12", "-7", "12", "2020-01-01", "2020-01-01T10:00:00Z",
    "null", "Null", "~", "", ".inf", ".nan", "<<", "1:30", "- a", "a: b", "#x", " lead", "trail ",
    "@x", "`x", "!x", "&x", "*x", "%x", "{x", "[x", "|", ">", "'", '"', "? x", "-", "---", "...",
    "a #b",
]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_dump_then_load_keeps_strings(text: str) -> None:
    back = roundtrip(text)
    assert type(back) is str
    assert back == text


@pytest.mark.parametrize("text", ["yes", "on", "y", "n", "0644", "1e3", "2020-01-01", "null",
                                  "~", ""])
def test_dump_quotes_ambiguous_scalars(text: str) -> None:
    dumped = emitter.emit({"k": text})
    assert dumped in (f"k: '{text}'\n", f'k: "{text}"\n')


def test_dump_plain_for_unambiguous_strings() -> None:
    assert emitter.emit({"k": "hello"}) == "k: hello\n"
    assert emitter.emit({"k": "hashicorp/consul:1.13.9"}) == "k: hashicorp/consul:1.13.9\n"


@pytest.mark.parametrize("value", [420, 0, -1, 1.5, True, False, None, 2**40])
def test_dump_then_load_keeps_non_strings(value: Any) -> None:
    back = roundtrip(value)
    assert type(back) is type(value)
    assert back == value


@pytest.mark.parametrize(
    "text",
    [
        "a\nb",
        "a\nb\n",
        "\nleading newline",
        "\nleading newline and no trailing one",
        "  indented first\nx",
        "x\n  indented second",
        "a\n\nb",
        "a\n#not a comment",
        "a\n---\nb",
        "a\n...\nb",
        "caf\u00e9\n\u65e5\u672c",
        "#!/bin/sh\nexec \"$@\"\n",
    ],
)
def test_multiline_strings_dump_as_literal_blocks(text: str) -> None:
    dumped = emitter.emit({"k": text})
    assert dumped.startswith("k: |")
    assert roundtrip(text) == text


@pytest.mark.parametrize(
    "text",
    ["a\nb\n\n", "\n", "\n\n", "trailing space \nx", "tab\tin\nit", "cr\r\nlf", "x\n "],
)
def test_other_multiline_strings_round_trip_exactly(text: str) -> None:
    assert roundtrip(text) == text


def test_dump_keeps_key_order_and_block_style() -> None:
    data = {"z": 1, "a": {"m": [1, {"b": 2}], "k": "s"}}
    assert emitter.emit(data) == "z: 1\na:\n  m:\n  - 1\n  - b: 2\n  k: s\n"


def test_dump_quotes_keys_that_would_load_as_booleans() -> None:
    dumped = emitter.emit({"y": 1, "on": 2})
    assert yamlcodec.load(dumped) == {"y": 1, "on": 2}


def test_dump_writes_no_aliases() -> None:
    shared = {"x": 1}
    dumped = emitter.emit({"a": shared, "b": shared})
    assert "&" not in dumped
    assert "*" not in dumped
    assert yamlcodec.load(dumped) == {"a": {"x": 1}, "b": {"x": 1}}


def test_dump_does_not_wrap_long_lines() -> None:
    long = "word " * 100 + "end"
    dumped = emitter.emit({"k": long})
    assert dumped.count("\n") == 1
    assert roundtrip(long) == long


def test_dump_unicode_unescaped() -> None:
    assert emitter.emit({"k": "caf\u00e9"}) == "k: caf\u00e9\n"


# --- load: the fast paths agree with PyYAML's own resolver and constructor --------------------

_PLAIN_WORDS = st.text(alphabet="yYnNoOtTfF01789xXbB.-+_eE~<:aA ", min_size=1, max_size=7)


def test_no_path_resolvers_so_the_composer_hooks_may_do_nothing() -> None:
    """KubeLoader replaces descend_resolver/ascend_resolver with no-ops: valid only while no
    path resolver is installed."""
    assert not yamlcodec.KubeLoader.yaml_path_resolvers
    loader = yamlcodec.KubeLoader("")
    try:
        assert loader.descend_resolver(None, None) is not None
        assert loader.ascend_resolver() == ()
    finally:
        loader.dispose()


@settings(max_examples=400, deadline=None)
@given(st.one_of(_PLAIN_WORDS, st.text(max_size=6)), st.booleans(), st.booleans())
def test_resolve_agrees_with_base_resolver(value: str, plain: bool, quoted: bool) -> None:
    loader = yamlcodec.KubeLoader("")
    reference: Any = BaseResolver.resolve  # PyYAML's own, with KubeLoader's table
    try:
        for kind in (ScalarNode, MappingNode, SequenceNode):
            scalar = value if kind is ScalarNode else None
            got = loader.resolve(kind, scalar, (plain, quoted))
            assert got == reference(loader, kind, scalar, (plain, quoted)), (kind, value, plain, quoted)
    finally:
        loader.dispose()


def _constructed(text: str) -> tuple[Any, Any]:
    """(the fast builder's data, PyYAML's constructor's data) for one document."""
    loader = yamlcodec.KubeLoader(text)
    try:
        node = loader.get_single_node()
        return yamlcodec._build(node), loader.construct_document(node)
    finally:
        loader.dispose()


_texts = st.recursive(
    st.one_of(_PLAIN_WORDS.map(lambda w: w.strip() or "x"), st.sampled_from(
        ["'q'", '"0644"', "|\n  lit\n", "!!str 12", "1_000", "0x1F", "yes", "~", ".inf"])),
    lambda c: st.lists(c, min_size=1, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]")
    | st.lists(c, min_size=1, max_size=3).map(
        lambda xs: "{" + ", ".join(f"k{i}: {x}" for i, x in enumerate(xs)) + "}"),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_texts, min_size=1, max_size=4))
def test_build_agrees_with_the_constructor(values: list[str]) -> None:
    text = "".join(f"k{i}: {v}\n" if not v.startswith("|") else f"k{i}: {v}"
                   for i, v in enumerate(values))
    try:
        fast, slow = _constructed(text)
    except (yaml.YAMLError, ValueError, yamlcodec._Unusual):
        return  # not YAML, or not the builder's to build (load hands it to the constructor)
    assert repr(fast) == repr(slow), text  # types too: 1, 1.0 and True differ


@settings(max_examples=300, deadline=None)
@given(st.one_of(_PLAIN_WORDS, st.from_regex(r"[-+]?[0-9_]{1,22}(\.[0-9]*)?", fullmatch=True)))
def test_number_caches_agree_with_the_uncached_functions(text: str) -> None:
    for cached in (yamlcodec._int_value, yamlcodec._float_value):
        fresh = cached.__wrapped__(text)
        again = cached(text)
        assert repr(again) == repr(fresh)  # types too, and NaN


def _shallow_by_listing(text: str) -> bool:
    """The depth proof as first written: every line's indentation listed."""
    if "*" in text:
        return False
    indents = re.findall(r"^[ ]+", text, re.MULTILINE)
    deepest = max(map(len, indents)) if indents else 0
    return deepest + text.count("[") + text.count("{") + text.count("- ") + 2 < yamlcodec.MAX_DEPTH


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 420), st.sampled_from(["a: b", "- x", "[", "{", "*a", "",
                                                                "\r", "\t c"])),
                max_size=6),
       st.integers(0, 400))
def test_depth_proof_agrees_with_listing_indentation(lines: list[tuple[int, str]], dashes: int) -> None:
    text = "\n".join(" " * n + body for n, body in lines) + "- " * (dashes % 3 * 130)
    assert yamlcodec._surely_shallow(text) == _shallow_by_listing(text)


# --- load_data: the line reader of simple block YAML agrees with the full parse ---------------

_simple_words = st.sampled_from(["a", "b", "name", "app-1", "80", "0x1F", "1_0", "08", "1e3",
                                 "yes", "on", "n", "null", "true", "v1", "a.b/c", "1.5",
                                 '"q: #x"', "'8080'", '"yes"', "''", "2001-12-14", "~", "a b"])
_simple_lines = st.tuples(
    st.sampled_from([0, 0, 2, 2, 4, 4, 6, 1, 3]),
    st.sampled_from(["{k}: {v}", "{k}:", "- {v}", "- {k}: {v}", "- {k}:", "# c {v}", "",
                     "---", "{k}: {v} # c", "{k}:{v}", "{v}", "- - {v}", "{k}: {v}\t", "...",
                     "{k}: \x85{v}", "  ", "-", "{k}: -"]),
    _simple_words, _simple_words,
).map(lambda t: " " * t[0] + t[1].format(k=t[2], v=t[3]))


_tree_words = st.sampled_from(["a", "b", "app-1", "80", "0x1F", "08", "yes", "n", "null", "v1",
                               "a.b/c", "1.5", '"q: #x"', "'8080'"])
_simple_trees = st.recursive(
    _tree_words.map(lambda w: yamlcodec.load(f"v: {w}\n")["v"]),
    lambda c: st.lists(c.filter(lambda x: not isinstance(x, list)), min_size=1, max_size=3)
    | st.dictionaries(_tree_words.filter(lambda w: w[0].isalnum()), c, min_size=1, max_size=3),
    max_leaves=10,
)


def _agrees(text: str) -> bool:
    """Does the line reader agree with the full parse? True when it took the text itself."""
    fast = yamlcodec._simple(text)
    try:
        full = yamlcodec.load(text)
    except (yaml.YAMLError, ConsulInjectError):
        assert fast is yamlcodec._NOT_SIMPLE, text
        return False
    if fast is not yamlcodec._NOT_SIMPLE:
        assert repr(fast) == repr(full), text  # types too: 1, 1.0 and True differ
    assert repr(yamlcodec.load_data(text)) == repr(full)
    return fast is not yamlcodec._NOT_SIMPLE


@settings(max_examples=1000, deadline=None)
@given(st.lists(_simple_lines, min_size=1, max_size=10), st.booleans())
def test_simple_reader_agrees_with_load(lines: list[str], final_newline: bool) -> None:
    _agrees("\n".join(lines) + ("\n" if final_newline else ""))


@settings(max_examples=1000, deadline=None)
@given(st.dictionaries(_tree_words.filter(lambda w: w[0].isalnum()), _simple_trees,
                       min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(0, 30), st.integers(-3, 3), _simple_lines), max_size=2))
def test_simple_reader_agrees_with_load_near_written_yaml(
        data: dict[str, Any], edits: list[tuple[int, int, str]]) -> None:
    """Emitted block YAML (the shape charts write), with a line reindented or put in."""
    lines = emitter.emit(data).split("\n")
    for where, shift, line in edits:
        at = where % len(lines)
        body = lines[at].lstrip(" ")
        if shift:
            lines[at] = " " * max(0, len(lines[at]) - len(body) + shift) + body
        else:
            lines.insert(at, line)
    _agrees("\n".join(lines))


def test_simple_reader_takes_manifests_as_charts_write_them() -> None:
    text = ("---\n# Source: c/templates/svc.yaml\napiVersion: v1\nkind: Service\nmetadata:\n"
            "  name: web\n  labels:\n    app.kubernetes.io/name: web\nspec:\n  selector:\n"
            "    app: web\n  ports:\n  - name: http\n    port: 80\n    targetPort: \"8080\"\n"
            "  - port: 443\n  clusterIP:\n")
    assert yamlcodec._simple(text) == yamlcodec.load(text)
    assert yamlcodec._simple(text) is not yamlcodec._NOT_SIMPLE


@pytest.mark.parametrize("text", ["---\n---\na: a\n", "a: a\n---\n", "---\na: a\n---\nb: b\n",
                                  "# c\n---\na: 1\n", "---\na: a\n"])
def test_the_simple_reader_takes_one_document_marker_only(text: str) -> None:
    try:
        expected: Any = yamlcodec.load(text)
    except yaml.YAMLError as err:
        expected = type(err)
    try:
        found: Any = yamlcodec.load_data(text)
    except yaml.YAMLError as err:
        found = type(err)
    assert found == expected
