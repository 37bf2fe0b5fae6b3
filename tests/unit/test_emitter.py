"""emit() writes YAML that yamlcodec reads back as the same tree (go-yaml meaning)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from consul_inject import yamlcodec
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
