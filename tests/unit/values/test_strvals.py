"""`--set` values in Helm's strvals syntax, and `resolve` (the unchecked merge of -f and --set)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consul_inject.problems import ConsulInjectError
from consul_inject.values import strvals as values
from consul_inject.values.strvals import MAX_INDEX, MAX_KEY_PARTS

# --- parse_set: structure -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "tree"),
    [
        ("a.b=c", {"a": {"b": "c"}}),
        ("a.b.c.d=e", {"a": {"b": {"c": {"d": "e"}}}}),
        ("a=x,b=y", {"a": "x", "b": "y"}),
        ("a.b=1,a.c=2", {"a": {"b": 1, "c": 2}}),
        ("a=x\\,y", {"a": "x,y"}),
        ("a\\.b=c", {"a.b": "c"}),
        ("x.a\\.b\\.c=d", {"x": {"a.b.c": "d"}}),
        ("a={x,y}", {"a": ["x", "y"]}),
        ("a={x\\,y,z}", {"a": ["x,y", "z"]}),
        ("a={}", {"a": []}),
        ("a[0]=x", {"a": ["x"]}),
        ("a[0]=x,a[1]=y", {"a": ["x", "y"]}),
        ("a[1]=y", {"a": [None, "y"]}),
        ("a[0].b=1", {"a": [{"b": 1}]}),
        ("a.b[0].c=1", {"a": {"b": [{"c": 1}]}}),
        ("a=", {"a": ""}),
        ("name=a=b", {"name": "a=b"}),
        ("connectInject.k8sDenyNamespaces={a,b}",
         {"connectInject": {"k8sDenyNamespaces": ["a", "b"]}}),
    ],
)
def test_parse_set_structure(expr: str, tree: dict[str, Any]) -> None:
    assert values.parse_set(expr) == tree


@pytest.mark.parametrize(
    ("raw", "typed"),
    [
        ("true", True),
        ("false", False),
        ("null", None),
        ("0", 0),
        ("1", 1),
        ("8080", 8080),
        ("-3", -3),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", "9223372036854775808"),  # beyond int64: stays a string
        ("0644", "0644"),  # a leading zero is never parsed as a number
        ("00", "00"),
        ("1.5", "1.5"),  # floats stay strings
        ("1e3", "1e3"),
        ("0x10", "0x10"),
        ("abc", "abc"),
        ("yes", "yes"),  # strvals is not YAML
        ("5s", "5s"),
    ],
)
def test_parse_set_typing(raw: str, typed: Any) -> None:
    value = values.parse_set(f"k={raw}")["k"]
    assert type(value) is type(typed)
    assert value == typed


def test_parse_set_types_list_items() -> None:
    assert values.parse_set("a={1,true,0644,x}") == {"a": [1, True, "0644", "x"]}


@pytest.mark.parametrize("raw", ["true", "false", "null", "0", "12", "0644", "1.5"])
def test_parse_set_string_keeps_strings(raw: str) -> None:
    assert values.parse_set(f"k={raw}", as_string=True) == {"k": raw}


def test_parse_set_string_list_and_index() -> None:
    assert values.parse_set("a={1,true},b[0]=2", as_string=True) == {"a": ["1", "true"],
                                                                      "b": ["2"]}


@pytest.mark.parametrize(("raw", "typed"), [("TRUE", True), ("False", False), ("Null", None),
                                            ("tRuE", True)])
def test_parse_set_typing_is_case_insensitive_like_helm(raw: str, typed: Any) -> None:
    assert values.parse_set(f"k={raw}")["k"] is typed


def test_parse_set_plus_sign_integer_like_helm() -> None:
    assert values.parse_set("k=+5") == {"k": 5}


@pytest.mark.parametrize("expr", ["novalue", "a.b", "a=1,b"])
def test_parse_set_missing_equals(expr: str) -> None:
    with pytest.raises(ConsulInjectError, match="has no '='"):
        values.parse_set(expr)


@pytest.mark.parametrize("expr", ["a[x]=1", "a[0=1", "a[-1]=1"])
def test_parse_set_bad_index(expr: str) -> None:
    with pytest.raises(ConsulInjectError, match="bad list index"):
        values.parse_set(expr)


def test_parse_set_error_names_the_flag() -> None:
    with pytest.raises(ConsulInjectError, match=r"^--set-string"):
        values.parse_set("a[x]=1", as_string=True)


def test_parse_set_bounds_key_depth_and_index() -> None:
    deep = "a." * 1000 + "b=1"
    with pytest.raises(ConsulInjectError, match=f"nests 1001 levels; at most {MAX_KEY_PARTS}"):
        values.parse_set(deep)
    assert values.parse_set("a." * (MAX_KEY_PARTS - 1) + "b=1")
    with pytest.raises(ConsulInjectError, match="is too large"):
        values.parse_set(f"a[{MAX_INDEX + 1}]=1")


def test_resolve_precedence(tmp_path: Path) -> None:
    first = tmp_path / "first.yaml"
    first.write_text("a: file1\nb: file1\nc: file1\nm: {p: 1, q: 1}\n")
    second = tmp_path / "second.yaml"
    second.write_text("b: file2\nm: {q: 2}\n")
    merged = values.resolve([str(first), str(second)], ["c=set,d=1"], ["d=1"])
    assert merged == {"a": "file1", "b": "file2", "c": "set", "d": "1",
                      "m": {"p": 1, "q": 2}}


def test_resolve_later_set_wins() -> None:
    assert values.resolve([], ["a=1", "a=2"]) == {"a": 2}
    assert values.resolve([], ["a.b=1", "a=null"]) == {}


def test_resolve_refuses_a_file_that_does_not_load(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: [\n")
    with pytest.raises(ConsulInjectError, match="invalid YAML"):
        values.resolve([str(path)], [])
