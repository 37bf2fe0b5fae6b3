"""One values tree checked: every problem with file:line:col, did-you-mean, the chart's rules,
on the values corpus (tests/values) and small cases.

The bad-values corpus lives in tests/values/bad: <case>.yaml and <case>.expected, the expected
report lines without the file name (`line:col: key.path: message`), in order; tests/values/warn
holds values the official chart accepts, whose problems are all warnings. UPDATE_VALUES=1
rewrites the .expected files from the current output (review the diff).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from consul_inject import commands, values
from consul_inject.problems import Problem
from consul_inject.values import check
from consul_inject.values.files import Mark
from consul_inject.values.tree import Path as KeyPath
from tests.conftest import OFFICIAL_VALUES, needs_shared

REPO = Path(__file__).resolve().parents[3]
VALUES = REPO / "tests" / "values"
BAD = sorted(VALUES.glob("bad/*.yaml"))
WARN = sorted(VALUES.glob("warn/*.yaml"))
GOOD = sorted(VALUES.glob("good/*.yaml")) + sorted(VALUES.glob("seed/*.yaml"))
OFFICIAL = OFFICIAL_VALUES


def validate_file(path: Path) -> list[Problem]:
    return values.validate_files([str(path)])


def _lines(path: Path) -> list[str]:
    prefix = f"{path}:"
    out = []
    for problem in validate_file(path):
        line = problem.text()
        out.append(line[len(prefix):] if line.startswith(prefix) else line)
    return out


def test_bad_corpus_is_big_enough() -> None:
    assert len(BAD) >= 30
    assert all(p.with_suffix(".expected").is_file() for p in BAD) or os.environ.get("UPDATE_VALUES")


def _expected(case: Path) -> list[str]:
    actual = _lines(case)
    expected_file = case.with_suffix(".expected")
    if os.environ.get("UPDATE_VALUES"):
        expected_file.write_text("".join(f"{line}\n" for line in actual), encoding="utf-8")
    assert actual == expected_file.read_text(encoding="utf-8").splitlines()
    return actual


@pytest.mark.parametrize("case", BAD, ids=[p.stem for p in BAD])
def test_bad_values_get_their_messages(case: Path) -> None:
    _expected(case)
    problems = validate_file(case)
    assert any(p.severity == "error" for p in problems), "every bad case must be an error"


@pytest.mark.parametrize("case", WARN, ids=[p.stem for p in WARN])
def test_values_the_chart_accepts_only_warn(case: Path) -> None:
    assert _expected(case)
    problems = validate_file(case)
    assert problems
    assert all(p.severity == "warning" for p in problems)


@pytest.mark.parametrize("case", [*GOOD, OFFICIAL], ids=[p.stem for p in [*GOOD, OFFICIAL]])
def test_good_values_have_no_problem(case: Path) -> None:
    if case == OFFICIAL:
        needs_shared(case)
    assert _lines(case) == []


def test_official_values_keys_all_known() -> None:
    """Not one warning either: every key of the official file is one the schema knows."""
    needs_shared(OFFICIAL)
    assert validate_file(OFFICIAL) == []


def test_positions_point_at_the_key(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("# comment\nconnectInject:\n  enabled: true\n\n  k8sAllowNamespaces:\n"
                    "    - apps\n    - Bad\n", encoding="utf-8")
    (problem,) = validate_file(path)
    assert (problem.where, problem.line, problem.column) == (str(path), 7, 7)
    assert problem.key == "connectInject.k8sAllowNamespaces[1]"
    assert problem.path == ("connectInject", "k8sAllowNamespaces", 1)


def test_nulls_delete_keys_as_in_helm(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("connectInject:\n  default: null\n  replicas: ~\nglobal: null\n",
                    encoding="utf-8")
    assert validate_file(path) == []


def test_open_sections_accept_anything(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("server:\n  replicas: 5\n  anything: {deep: [1, 2]}\nmyApp:\n  x: 1\n"
                    "dns:\n  whatever: 1\n", encoding="utf-8")
    assert validate_file(path) == []


def test_empty_allow_list_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("connectInject:\n  k8sAllowNamespaces: []\n", encoding="utf-8")
    (problem,) = validate_file(path)
    assert problem.severity == "warning"
    assert problem.text().endswith("warning: an empty list allows no namespace, so nothing is "
                                   'injected; ["*"] allows all')
    assert commands.cmd_validate([str(path)]) == 0


def test_template_strings_are_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text('connectInject:\n  nodeSelector: |\n    {{ .Values.x | toYaml }}\n',
                    encoding="utf-8")
    assert validate_file(path) == []


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    (problem,) = validate_file(missing)
    assert problem.text().startswith(f"{missing}: cannot read values file")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    assert validate_file(empty) == []


def test_without_marks_problems_have_no_place() -> None:
    (problem,) = check.check({"connectInject": {"replicas": "x"}})
    assert (problem.where, problem.line, problem.path) == ("", None, ("connectInject", "replicas"))
    assert problem.text() == 'connectInject.replicas: expected a whole number, got the string "x"'


def test_a_tree_that_is_not_a_map() -> None:
    (problem,) = check.check(["a"], {(): (0, "v.yaml", 1, 1)})
    assert problem.text() == "v.yaml:1:1: values must be a map of keys at the top level, not a list"
    assert check.check(None) == []


def test_problems_are_sorted_by_place_and_not_repeated() -> None:
    marks: dict[KeyPath, Mark] = {("global",): (0, "a.yaml", 1, 1),
                                  ("global", "logLevel"): (1, "b.yaml", 1, 1),
                                  ("controller", "replicas"): (0, "a.yaml", 9, 3)}
    problems = check.check({"global": {"logLevel": "x"}, "controller": {"replicas": "x"},
                            "connectInject": {"replicas": -1}}, marks)
    assert [(p.where, p.line, p.key) for p in problems] == [
        ("", None, "connectInject.replicas"), ("a.yaml", 9, "controller.replicas"),
        ("b.yaml", 1, "global.logLevel")]
