"""Chart values: Helm strvals `--set` syntax, `-f` files and Helm's merge precedence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consul_inject.problems import ConsulInjectError
from consul_inject.values import strvals as values

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


# --- merge ----------------------------------------------------------------------------------


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


# --- load_file ------------------------------------------------------------------------------


def test_load_file_reads_mapping_with_kubernetes_meaning(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("global:\n  name: x\n  mode: 0644\n  flag: yes\n")
    assert values.load_file(str(path)) == {"global": {"name": "x", "mode": 420, "flag": True}}


@pytest.mark.parametrize("text", ["", "# nothing\n", "---\n"])
def test_load_file_empty_is_empty_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(text)
    assert values.load_file(str(path)) == {}


def test_load_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ConsulInjectError, match="cannot read values file") as info:
        values.load_file(str(path))
    assert str(path) in str(info.value)


def test_load_file_invalid_yaml_has_file_line_col(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n")
    with pytest.raises(ConsulInjectError, match="invalid YAML") as info:
        values.load_file(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}:")
    line, col = message[len(str(path)) + 1:].split(":")[:2]
    assert line.isdigit()
    assert col.isdigit()
    assert int(line) >= 2


def test_load_file_duplicate_key_has_position(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n")
    with pytest.raises(ConsulInjectError, match="invalid YAML") as info:
        values.load_file(str(path))
    assert str(info.value).startswith(f"{path}:3:1:")


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "list"), ("hello\n", "str"),
                                            ("42\n", "int")])
def test_load_file_non_mapping_top_level(tmp_path: Path, text: str, kind: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(text)
    with pytest.raises(ConsulInjectError, match=f"mapping at the top level, not a {kind}") as info:
        values.load_file(str(path))
    assert str(info.value).startswith(str(path))


def test_load_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(ConsulInjectError, match="not UTF-8") as info:
        values.load_file(str(path))
    assert str(path) in str(info.value)
