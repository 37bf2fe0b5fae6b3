"""One values source read once: a file's tree with the line and column of every key, and the
one problem that stops a file from loading."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest

from consul_inject.problems import Problem
from consul_inject.values import files


def _only_problem(path: Path) -> Problem:
    layer = files.read_file(str(path))
    assert layer.tree is None
    (problem,) = layer.problems
    assert problem.where == str(path)
    return problem


def test_read_file_reads_mapping_with_kubernetes_meaning(tmp_path: Path) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("global:\n  name: x\n  mode: 0644\n  flag: yes\n")
    layer = files.read_file(str(path))
    assert layer.tree == {"global": {"name": "x", "mode": 420, "flag": True}}
    assert not layer.problems


@pytest.mark.parametrize("text", ["", "# nothing\n", "---\n"])
def test_read_file_empty_is_empty_mapping(tmp_path: Path, text: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(text)
    assert files.read_file(str(path)).tree == {}


def test_read_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    problem = _only_problem(path)
    assert problem.text().startswith(f"{path}: cannot read values file")


def test_read_file_invalid_yaml_has_file_line_col(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\nb: [1, 2\nc: 3\n")
    problem = _only_problem(path)
    assert problem.message.startswith("invalid YAML")
    assert problem.line is not None
    assert problem.line >= 2
    assert problem.column is not None
    assert problem.text().startswith(f"{path}:{problem.line}:{problem.column}: invalid YAML")


def test_read_file_duplicate_key_has_position(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n")
    problem = _only_problem(path)
    assert problem.text().startswith(f"{path}:3:1: invalid YAML")


@pytest.mark.parametrize(("text", "kind"), [("- a\n- b\n", "a list"), ("hello\n", 'the string "hello"'),
                                            ("42\n", "the number 42")])
def test_read_file_non_mapping_top_level(tmp_path: Path, text: str, kind: str) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(text)
    problem = _only_problem(path)
    assert problem.text() == f"{path}:1:1: values must be a map of keys at the top level, not {kind}"


def test_read_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: caf\xe9\n")
    assert _only_problem(path).message == "values file is not UTF-8 text"


def test_read_file_too_deep_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("a: " + "[" * 500 + "]" * 500 + "\n")
    assert "nesting deeper than" in _only_problem(path).message


def test_marks_point_at_keys_and_list_items(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("# comment\nconnectInject:\n  enabled: true\n\n  k8sAllowNamespaces:\n"
                    "    - apps\n    - Bad\n", encoding="utf-8")
    marks = files.read_file(str(path), layer=2).marks
    where = str(path)
    assert marks[()] == (2, where, 1, 1)
    assert marks[("connectInject",)] == (2, where, 2, 1)
    assert marks[("connectInject", "enabled")] == (2, where, 3, 3)
    assert marks[("connectInject", "k8sAllowNamespaces", 1)] == (2, where, 7, 7)


def test_stdin_is_read_as_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"a: 1\n")))
    layer = files.read_file("-")
    assert (layer.where, layer.tree) == ("<stdin>", {"a": 1})


def test_a_whole_tree_marks_every_key_with_its_source() -> None:
    tree: dict[str, Any] = {"a": {"b": [1]}}
    layer = files.whole(tree, "--set a.b={1}", 3)
    assert layer.marks == {("a",): (3, "--set a.b={1}", 0, 0), ("a", "b"): (3, "--set a.b={1}", 0, 0),
                           ("a", "b", 0): (3, "--set a.b={1}", 0, 0)}
