"""Splitting a YAML stream into documents that keep their exact text."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from consul_inject import stream
from consul_inject.problems import ConsulInjectError

SHAPES: dict[str, str] = {
    "simple": "a: 1\n---\nb: 2\n",
    "leading_comment": "# hello\na: 1\n",
    "leading_comment_then_marker": "# hello\n---\na: 1\n",
    "source_lines": "---\n# Source: c/templates/a.yaml\na: 1\n---\n# Source: c/templates/b.yaml\nb: 2\n",
    "marker_with_comment": "--- # first\na: 1\n--- #second\nb: 2\n",
    "marker_with_tag": "--- !!map\na: 1\n",
    "marker_with_flow_content": "--- {a: 1}\n--- {b: 2}\n",
    "marker_with_scalar": "--- hello\n--- 42\n",
    "end_markers": "a: 1\n...\n---\nb: 2\n...\n",
    "end_marker_then_comment": "a: 1\n...\n# trailing\n",
    "directive": "%YAML 1.1\n---\na: 1\n",
    "directive_after_end": "a: 1\n...\n%YAML 1.1\n---\nb: 2\n",
    "crlf": "a: 1\r\n---\r\nb: 2\r\n",
    "crlf_end_marker": "a: 1\r\n...\r\n---\r\nb: 2\r\n",
    "bom": "\ufeffa: 1\n---\nb: 2\n",
    "bom_crlf_comment": "\ufeff# c\r\n---\r\na: 1\r\n",
    "empty_documents": "---\n---\n",
    "empty_then_document": "---\n# nothing here\n---\na: 1\n",
    "comment_only_trailing_document": "a: 1\n---\n# just a comment\n",
    "comment_after_content": "a: 1\n# just a comment\n",
    "comment_between": "a: 1\n# c\n---\nb: 2\n",
    "no_trailing_newline": "a: 1\n---\nb: 2",
    "marker_without_newline": "---",
    "single_marker": "---\n",
    "blank_lines_first": "\n\n---\na: 1\n",
    "marker_trailing_spaces": "---   \na: 1\n",
    "block_scalar_with_marker_text": "a: |\n  ---\n  x\nb: 1\n",
    "indented_markers_are_content": "a:\n  ---\nb: \"\n  ...\"\n",
    "marker_prefix_word": "---a: 1\n",
    "multiline_plain": "a: b\n  c\n---\nd: e\n",
    "list_documents": "- a\n- b\n---\n- c\n",
    "many": "".join(f"---\n# Source: c/templates/t{i}.yaml\nk{i}: v\n" for i in range(20)),
}

INVALID_OR_BARE: dict[str, str] = {
    "bare_document_after_end": "a: 1\n...\nb: 2\n",
    "comment_then_bare_document_after_end": "a: 1\n...\n# c\nb: 2\n",
    "tab_after_marker": "---\ta: 1\n",
    "end_marker_first": "...\na: 1\n",
}


def documents(text: str) -> list[stream.Segment]:
    _, segments = stream.split(text)
    return [s for s in segments if s.is_document]


@pytest.mark.parametrize("text", [*SHAPES.values(), *INVALID_OR_BARE.values(), ""],
                         ids=[*SHAPES, *INVALID_OR_BARE, "empty"])
def test_split_keeps_text(text: str) -> None:
    bom, segments = stream.split(text)
    assert stream.join(bom, [s.text for s in segments]) == text
    assert all(s.text for s in segments)


@pytest.mark.parametrize("text", list(SHAPES.values()), ids=list(SHAPES))
def test_split_counts_documents_like_a_yaml_parser(text: str) -> None:
    assert len(documents(text)) == len(list(yaml.safe_load_all(text)))


@pytest.mark.parametrize("text", list(SHAPES.values()), ids=list(SHAPES))
def test_each_document_parses_to_what_the_stream_holds(text: str) -> None:
    expected = list(yaml.safe_load_all(text))
    got = [yaml.safe_load(s.text.removeprefix(stream.BOM)) for s in documents(text)]
    assert got == expected


def test_bare_document_after_end_marker_starts_a_new_document() -> None:
    docs = documents("a: 1\n...\nb: 2\n")
    assert [d.text for d in docs] == ["a: 1\n...\n", "b: 2\n"]
    assert [d.line for d in docs] == [1, 3]


def test_segment_lines_are_one_based_stream_lines() -> None:
    docs = documents("# c\n---\na: 1\n---\nb: 2\n\n---\nc: 3\n")
    assert [d.line for d in docs] == [1, 4, 7]


def test_leading_comments_belong_to_the_next_document() -> None:
    _, segments = stream.split("a: 1\n---\n# Source: x/templates/y.yaml\n# more\nb: 2\n")
    assert [s.text for s in segments] == ["a: 1\n", "---\n# Source: x/templates/y.yaml\n# more\nb: 2\n"]


def test_trailing_comment_after_end_marker_is_not_a_document() -> None:
    _, segments = stream.split("a: 1\n...\n# bye\n")
    assert [(s.text, s.is_document) for s in segments] == [("a: 1\n...\n", True),
                                                          ("# bye\n", False)]


def test_comment_only_stream_has_no_document() -> None:
    _, segments = stream.split("# c\n\n# d\n")
    assert [s.is_document for s in segments] == [False]


def test_empty_stream() -> None:
    assert stream.split("") == ("", [])


def test_bom_is_returned_separately() -> None:
    bom, segments = stream.split("\ufeffa: 1\n")
    assert bom == stream.BOM
    assert segments[0].text == "a: 1\n"


def test_repeated_end_markers_are_one_document() -> None:
    text = "a: 1\n...\n...\n"
    assert len(documents(text)) == len(list(yaml.safe_load_all(text))) == 1


# --- Segment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "template"),
    [
        ("---\n# Source: x/templates/y.yaml\na: 1\n", "x/templates/y.yaml"),
        ("# Source: x/templates/y.yaml\r\na: 1\r\n", "x/templates/y.yaml"),
        ("# other\n---\n# Source: x/templates/sub dir/y.yaml\na: 1\n", "x/templates/sub dir/y.yaml"),
        ("---\n# Source: x/charts/sub/templates/z.yaml  \na: 1\n", "x/charts/sub/templates/z.yaml"),
        ("---\na: 1\n# Source: x/templates/y.yaml\n", None),
        ("#Source: x\na: 1\n", None),
        ("---\na: 1\n", None),
    ],
)
def test_segment_template(text: str, template: str | None) -> None:
    (segment,) = documents(text)
    assert segment.template() == template


def test_segment_template_per_document() -> None:
    text = "---\n# Source: c/templates/a.yaml\na: 1\n---\n# Source: c/templates/b.yaml\nb: 2\n"
    assert [d.template() for d in documents(text)] == ["c/templates/a.yaml", "c/templates/b.yaml"]


def test_segment_crlf() -> None:
    first, second = documents("a: 1\n---\r\nb: 2\r\n")
    assert not first.crlf
    assert second.crlf


@pytest.mark.parametrize(
    ("text", "prefix", "trailing"),
    [
        ("a: 1\n", "", ""),
        ("---\na: 1\n", "---\n", ""),
        ("# c1\n---\n# Source: a\nkind: X\n# trailing\n...\n",
         "# c1\n---\n# Source: a\n", "# trailing\n...\n"),
        ("--- {a: 1}\n", "---\n", ""),
        ("--- !!map\na: 1\n", "---\n", ""),
        ("--- # note\na: 1\n", "--- # note\n", ""),
        ("%YAML 1.1\n---\na: 1\n", "%YAML 1.1\n---\n", ""),
        ("---\r\na: 1\r\n# t\r\n", "---\n", "# t\n"),
        ("---\na: 1\n# t\n\n\n", "---\n", "# t\n"),
        ("---\na: |\n  x\n  # not a comment\n", "---\n", ""),
    ],
)
def test_split_for_rewrite(text: str, prefix: str, trailing: str) -> None:
    (segment,) = documents(text)
    assert segment.split_for_rewrite() == (prefix, trailing)


# --- decode ---------------------------------------------------------------------------------


def test_decode_utf8() -> None:
    assert stream.decode("a: caf\u00e9\n".encode(), "in.yaml") == "a: caf\u00e9\n"


def test_decode_rejects_non_utf8_with_position() -> None:
    with pytest.raises(ConsulInjectError, match=r"^in\.yaml:2:4: input is not UTF-8 \(byte 0xff\)"):
        stream.decode(b"a: 1\nb: \xff\n", "in.yaml")


PIECES = ["---\n", "--- # c\n", "# Source: x\n", "a: 1\n", "\n", "  \n", "# c\n", "%YAML 1.1\n",
          "b:\n  - x\n", "---\r\n", "c: 2\r\n", "--- !!map\n", "--- {a: 1}\n", "  # indented\n",
          "x", "---", "%TAG ! tag:x,2000:\n"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=10))
def test_marker_fast_path_agrees_with_the_line_walk(parts: list[str]) -> None:
    """Streams with only `---` markers take the regular-expression path; it must cut exactly
    where the line-by-line walk (used for `...` streams) cuts."""
    text = "".join(parts)
    starts = [m.start() for m in stream._MARKER_RE.finditer(text)]
    fast = [(s.text, s.line, s.is_document) for s in stream._split_on_starts(text, starts)]
    slow = [(s.text, s.line, s.is_document) for s in stream._split_lines(text)]
    assert fast == slow


# --- Helm's own output captured into the stream (issue 12 item 7) --------------------------------

@pytest.mark.parametrize(("line", "what"), [
    ("coalesce.go:237: warning: skipped value for redis.master.persistence: Not a table.",
     "a warning or debug line Helm prints on stderr"),
    ("walk.go:74: found symbolic link in path: /charts/app/templates/extra resolves to /tmp/x",
     "a warning or debug line Helm prints on stderr"),
    ("install.go:214: [debug] Original chart version: \"\"",
     "a warning or debug line Helm prints on stderr"),
    ("WARNING: This chart is deprecated", "a warning Helm prints on stderr"),
    ("Warning: policy/v1beta1 PodDisruptionBudget is deprecated in v1.21+",
     "a warning kubectl or Helm passes on from the API server"),
    ("Error: INSTALLATION FAILED: cannot re-use a name that is still in use",
     "an error Helm or kubectl printed on stderr"),
    ("W0312 09:14:03.118219   48213 warnings.go:70] unknown field \"spec.foo\"",
     "a log line kubectl prints on stderr"),
])
def test_helm_s_stderr_lines_are_recognised(line: str, what: str) -> None:
    text = f"---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n{line}\r\n---\n"
    with pytest.raises(ConsulInjectError) as info:
        stream.check_tool_output(text, "rendered.yaml")
    message = str(info.value.problems[0].text())
    assert message.startswith(f"rendered.yaml:6: {line!r} is not YAML but {what}")
    assert "2>&1" in message
    assert "--post-renderer" in message


@pytest.mark.parametrize("text", [
    "apiVersion: v1\nkind: ConfigMap\ndata:\n  log: |\n    Error: retrying\n    WARNING: x\n",
    "# WARNING: generated file, do not edit\napiVersion: v1\nkind: Service\n",
    "apiVersion: v1\nkind: ConfigMap\ndata:\n  main.go: 'main.go:12: x'\n",
    "warning: lower case is not Helm's shape\n",
])
def test_yaml_that_only_looks_like_it_passes(text: str) -> None:
    stream.check_tool_output(text, "<stdin>")


_MARKER_PIECES = st.sampled_from(["---", "...", "--- x", "---x", "....", " ---", "--", "---\t",
                                  "---\r", "a: 1", "", "# c"])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_MARKER_PIECES, st.sampled_from(["\n", "\r\n", "", " "])), max_size=10))
def test_marker_lines_are_found_as_the_multiline_expression_finds_them(
        lines: list[tuple[str, str]]) -> None:
    body = "".join(a + b for a, b in lines)
    assert stream._marker_starts(body) == [m.start() for m in stream._MARKER_RE.finditer(body)]
