"""lists: a large `v1 List` read and written item by item gives what the whole document gives;
what cannot be split exactly is left to the whole-document reading."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from consul_inject import lists, pipeline, runner, yamlcodec
from consul_inject.problems import ConsulInjectError

BLOCK = ("apiVersion: v1\nitems:\n- a: 1\n  b: [x]\n# between\n- a: 2\n  c:\n    d: e\n"
         "kind: List\nmetadata: {resourceVersion: ''}\n")
INDENTED = "apiVersion: v1\nkind: List\nitems:\n  - a: 1\n    b: 2\n  -\n    a: 3\n"


@pytest.mark.parametrize("text", [BLOCK, INDENTED, BLOCK.replace("\n", "\r\n")])
def test_the_outline_finds_every_item_and_the_head(text: str) -> None:
    found = lists.outline(text)
    assert found is not None
    whole = yamlcodec.load(text)
    assert found.head == {**whole, "items": []}
    assert [lists.read(text, span) for span in found.items] == whole["items"]
    assert lists.split(text) == found


@pytest.mark.parametrize("text", [
    '{"apiVersion": "v1", "kind": "List", "items": [{"a": 1}]}\n',  # JSON: flow style
    "apiVersion: v1\nkind: List\nitems: [{a: 1}]\n",  # a flow sequence
    "apiVersion: v1\nkind: List\nitems:\n- {a: 1}\n",  # a flow item
    "apiVersion: v1\nkind: List\nitems:\n- &x {a: 1}\n- *x\n",  # anchors reach across items
    "apiVersion: v1\nkind: List\nitems:\n- a: &x 1\n- b: *x\n",
    "apiVersion: v1\nkind: List\nmetadata: &m {}\nitems:\n- a: 1\n",
    "apiVersion: v1\nkind: List\nitems:\n- !custom\n  a: 1\n",  # a tagged item
    "apiVersion: v1\nkind: List\nitems: !!seq\n- a: 1\n",
    "apiVersion: v1\nkind: List\nitems:\n- plain\n",  # an item that is not a mapping
    "apiVersion: v1\nkind: List\nitems: []\n",  # nothing to split
    "apiVersion: v1\nkind: ConfigMap\ndata: {}\n",  # no items
    "apiVersion: v1\nkind: List\nitems:\n- a: 1\nitems:\n- b: 2\n",  # a duplicate key
    "apiVersion: v1\nkind: List\n<<: {x: 1}\nitems:\n- a: 1\n",  # a merge key at the top
    "apiVersion: example.com/v1\nkind: WidgetList\nitems:\n- a: 1\n",  # not a core List
    "- a: 1\n",  # not a mapping at all
    "apiVersion: v1\nkind: List\nitems:\n- a: 1\n  a: 2\n",  # reads as a head, not as an item
    "apiVersion: v1\nkind: List\nitems:\n- a: [\n",  # not YAML
])
def test_what_cannot_be_split_exactly_is_read_whole(text: str) -> None:
    assert lists.split(text) is None


def test_an_item_is_edited_in_place_at_its_own_column() -> None:
    found = lists.outline(INDENTED)
    assert found is not None
    span = found.items[0]
    edited = lists.edit(INDENTED, span, {"a": 1, "b": 3, "z": {"k": "x"}})
    text = lists.splice(INDENTED, found, {0: edited})
    assert text == ("apiVersion: v1\nkind: List\nitems:\n  - a: 1\n    b: 3\n    z:\n      k: x\n"
                    "  -\n    a: 3\n")
    assert yamlcodec.load(text)["items"][0] == {"a": 1, "b": 3, "z": {"k": "x"}}


def test_an_inline_merge_key_is_edited_in_place() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- <<: {a: 1}\n  b: 2\n# after\n- c: 3\n"
    found = lists.outline(text)
    assert found is not None
    edited = lists.edit(text, found.items[0], {"a": 1, "b": 5})
    out = lists.splice(text, found, {0: edited})
    assert out == text.replace("b: 2", "b: 5")


@pytest.mark.parametrize(("text", "expected"), [
    ("apiVersion: v1\nkind: List\nitems:\n  - a: 1\n    b: 2\n  # c\n  - c: 3\n",
     "apiVersion: v1\nkind: List\nitems:\n  - a: 1\n    b: 5\n  - c: 3\n"),
    ("apiVersion: v1\nkind: List\nitems:\n- c: 3\n- a: 1\n  b: 2",
     "apiVersion: v1\nkind: List\nitems:\n- c: 3\n- a: 1\n  b: 5\n"),
])
def test_an_item_that_cannot_be_edited_in_place_is_written_anew(
        monkeypatch: pytest.MonkeyPatch, text: str, expected: str) -> None:
    monkeypatch.setattr("consul_inject.patch.rewrite", lambda *args: None)  # an ambiguous edit
    found = lists.outline(text)
    assert found is not None
    at = next(i for i, span in enumerate(found.items) if "a: 1" in text[span.start:span.end])
    edited = lists.edit(text, found.items[at], {"a": 1, "b": 5})
    assert lists.splice(text, found, {at: edited}) == expected


GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _as_list(case: Path) -> bytes | None:
    """A golden case's documents as one block-style `v1 List`, or None if they are not all
    Kubernetes resources."""
    try:
        docs = [d for d in yaml.load_all((case / "input.yaml").read_text("utf-8"),
                                         Loader=yamlcodec.KubeLoader) if d is not None]
    except (yaml.YAMLError, ValueError, ConsulInjectError):
        return None
    if not docs or not all(isinstance(d, dict) for d in docs):
        return None
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": docs},
                          sort_keys=False, width=100).encode()


def _run(case: Path, data: bytes, lists_from: int) -> tuple[Any, ...]:
    from consul_inject import cli
    from tests.golden.test_golden import case_args

    _, extra = case_args(case)
    args = cli._inject_parser().parse_args(["-", *extra])
    options = pipeline.Options(namespace=args.namespace or "default", source="input.yaml",
                               transform="reinject" if args.reinject else "inject",
                               lists_from=lists_from)
    writes: list[str] = []
    try:
        result = pipeline.run_release(data, runner.Configure(args), options, writes.append)
    except ConsulInjectError as err:
        return ("raised", str(err))
    return "".join(writes), result.report.text(), list(result.facts)


def test_every_golden_case_as_one_list_reads_the_same_in_parts() -> None:
    from tests.golden.test_golden import case_args

    cases = [(c, data) for c in sorted(GOLDEN.iterdir())
             if (c / "input.yaml").is_file() and not case_args(c)[0]
             and (data := _as_list(c)) is not None]
    assert len(cases) > 150
    runs = [(c.name, _run(c, data, 1), _run(c, data, 10**12)) for c, data in cases]
    assert [name for name, parts, whole in runs if parts != whole] == []
    assert sum(" injected (" in str(parts[1]) for _, parts, _ in runs) > 100  # not vacuous


def test_a_list_after_a_failed_first_pass_is_reported_as_read_whole() -> None:
    """Pass 1 kept the List (its kind is read in both passes): pass 2 still transforms it and
    reports its workloads, in parts as whole, while nothing is written."""
    from consul_inject import cli

    case = GOLDEN / "seed-static-server"
    listed = _as_list(case)
    assert listed is not None
    data = b"apiVersion: v1\nkind: Service\nmetadata: {name: [\n---\n" + listed
    args = cli._inject_parser().parse_args(["-"])

    def run(lists_from: int) -> tuple[Any, ...]:
        writes: list[str] = []
        result = pipeline.run_release(data, runner.Configure(args),
                                      pipeline.Options(lists_from=lists_from), writes.append)
        errors = [e.text() for e in result.report.errors]
        return "".join(writes), errors, result.report.text(), list(result.facts)

    whole, parts = run(10**12), run(1)
    assert any("invalid YAML" in e for e in whole[1])
    assert " injected" in whole[2]
    assert parts == whole
