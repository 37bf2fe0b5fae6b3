"""emit() writes YAML that yamlcodec reads back as the same tree (go-yaml meaning)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consul_inject import emitter, yamlcodec
from consul_inject.emitter import emit, scalar

TRICKY = [
    "", " ", "yes", "no", "on", "off", "y", "n", "Y", "true", "False", "null", "~", "0644",
    "0x1F", "1e3", "1_000", "08", ".5", "1.", ".inf", "-.inf", ".nan", "1:30", "2020-01-01",
    "2001-12-14t21:59:43.10-05:00", "<<", "- a", "-a", "a: b", "a #b", "#x", "@x", "`x", "!x",
    "&x", "*x", "|", ">", "'q'", '"q"', "%x", "{a}", "[a]", "a,b", "key:", " lead", "trail ",
    "---", "...", "--- x", "multi\nline", "\nlead", "trail\n", "two\n\n", "\n", "tab\there",
    "line \nspace", "\x85next", "a\u2028b", "\ufeffbom", "\x7fdel", "é ü 漢字", "$(reboot)",
    '-text="hello world"', "while true; do sleep 30; done;", "  indented\nlines",
]


def roundtrip(data: Any) -> Any:
    return yamlcodec.load(emit(data))


def test_tricky_strings_round_trip_as_values_and_keys() -> None:
    for text in TRICKY:
        assert roundtrip({"v": text}) == {"v": text}, repr(text)
        assert roundtrip({text: 1}) == {text: 1}, repr(text)
        assert roundtrip([text]) == [text], repr(text)
        assert roundtrip({"l": [{"k": text, "m": [text]}]}) == {"l": [{"k": text, "m": [text]}]}


def test_plain_where_safe_and_literal_blocks_for_scripts() -> None:
    assert scalar("web") == "web"
    assert scalar("yes") == '"yes"'
    assert scalar("0644") == '"0644"'
    assert emit({"s": "\nexport A=1\nrun"}) == "s: |2-\n\n  export A=1\n  run\n"
    assert emit({"c": [{"name": "a", "ports": []}]}) == "c:\n- name: a\n  ports: []\n"


def test_numbers_and_specials() -> None:
    data = {"i": 420, "f": 1000.0, "big": 10**20, "t": True, "n": None, "inf": float("inf")}
    assert roundtrip(data) == data


json_scalars = st.one_of(
    st.text(max_size=12), st.sampled_from(TRICKY), st.integers(-(2**63), 2**63 - 1),
    st.booleans(), st.none(), st.floats(allow_nan=False, width=64),
)
trees = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(TRICKY)), children, max_size=4),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), trees, min_size=1, max_size=5))
def test_any_tree_round_trips(data: dict[str, Any]) -> None:
    assert roundtrip(data) == data


def _reference_lines(data: Any, indent: int) -> list[str]:
    """The writer as first written (a list per value): the one-list writer must agree."""
    def value_lines(value: Any, indent: int) -> tuple[str, list[str]]:
        if isinstance(value, dict):
            return (" {}", []) if not value else ("", mapping(value, indent + 2))
        if isinstance(value, list):
            return (" []", []) if not value else ("", sequence(value, indent))
        if isinstance(value, str) and (block := emitter.literal(value, indent)) is not None:
            return " " + block[0], block[1:]
        return " " + scalar(value), []

    def mapping(data: dict[Any, Any], indent: int) -> list[str]:
        lines: list[str] = []
        for key, value in data.items():
            head, rest = value_lines(value, indent)
            lines.append(f"{' ' * indent}{scalar(key)}:{head}")
            lines.extend(rest)
        return lines

    def sequence(data: list[Any], indent: int) -> list[str]:
        lines: list[str] = []
        for item in data:
            if isinstance(item, (dict, list)) and item:
                inner = mapping(item, indent + 2) if isinstance(item, dict) else sequence(item, indent + 2)
                lines.append(f"{' ' * indent}- {inner[0][indent + 2:]}")
                lines.extend(inner[1:])
            else:
                head, rest = value_lines(item, indent)
                lines.append(f"{' ' * indent}-{head}")
                lines.extend(rest)
        return lines

    return mapping(data, indent) if isinstance(data, dict) else sequence(data, indent)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.dictionaries(st.one_of(st.text(max_size=8), st.sampled_from(TRICKY)), trees,
                                 min_size=1, max_size=5),
                 st.lists(trees, min_size=1, max_size=4)),
       st.integers(0, 6))
def test_block_writers_agree_with_the_reference_writer(data: Any, indent: int) -> None:
    want = _reference_lines(data, indent)
    write = emitter.block_mapping if isinstance(data, dict) else emitter.block_sequence
    assert write(data, indent) == want
    assert write(data, indent) == want  # the cached copy too


def test_block_cache_tells_apart_keys_that_json_writes_alike() -> None:
    """JSON writes the keys 1 and "1" (and True and "true") alike; the cache must not."""
    blocks: list[dict[Any, Any]] = [{1: "a"}, {"1": "a"}, {True: "a"}, {"true": "a"}, {1.0: "a"},
                                    {"x": 1}, {"x": True}]
    for data in blocks + blocks:
        assert emitter.block_mapping(data, 2) == _reference_lines(data, 2), data


def test_block_cache_is_not_shared_by_a_changed_block() -> None:
    data: dict[str, Any] = {"c": [{"name": "a"}]}
    first = emitter.block_mapping(data, 0)
    first.append("caller's edit")  # callers get their own list
    data["c"][0]["name"] = "b"
    assert emitter.block_mapping(data, 0) == ["c:", "- name: b"]
    assert emitter.block_mapping({"c": [{"name": "a"}]}, 0) == ["c:", "- name: a"]
