"""What `consul-inject validate` prints: a line per problem and a summary, or one JSON object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consul_inject import commands
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.values import report
from tests.conftest import OFFICIAL_VALUES, needs_shared

REPO = Path(__file__).resolve().parents[3]
VALUES = REPO / "tests" / "values"
OFFICIAL = OFFICIAL_VALUES


def test_cmd_validate_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    needs_shared(OFFICIAL)
    bad = VALUES / "bad" / "many-problems.yaml"
    assert commands.cmd_validate([str(bad), str(OFFICIAL)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 9
    assert out[-1] == "7 errors, 1 warning in 2 files"  # the prefix without mirroring warns
    assert all(line.startswith(f"{bad}:") for line in out[:-1])
    assert commands.cmd_validate([str(OFFICIAL)]) == 0
    assert capsys.readouterr().out == "ok: 1 file valid\n"


def test_cmd_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    needs_shared(OFFICIAL)
    bad = VALUES / "bad" / "typo-connectinject-key.yaml"
    assert commands.cmd_validate([str(bad), str(OFFICIAL)], "json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert report["errors"] == 1
    assert report["files"] == [{"file": str(bad), "valid": False},
                               {"file": str(OFFICIAL), "valid": True}]
    assert report["problems"] == [{
        "file": str(bad), "line": 4, "column": 3, "path": "connectInject.defualt",
        "severity": "error",
        "message": 'unknown key "defualt" in connectInject; did you mean "default"?'}]


def test_cmd_validate_rejects_unknown_output() -> None:
    needs_shared(OFFICIAL)
    with pytest.raises(ConsulInjectError):
        commands.cmd_validate([str(OFFICIAL)], "xml")


def test_text_counts_and_warnings() -> None:
    problems = [Problem("bad", key="a.b", where="v.yaml", line=2, column=3),
                Problem("hmm", key="c", where="v.yaml", line=4, column=1, severity="warning")]
    assert report.text(problems, 1) == ("v.yaml:2:3: a.b: bad\nv.yaml:4:1: c: warning: hmm\n"
                                        "1 error, 1 warning in 1 file\n")
    assert report.text([], 2) == "ok: 2 files valid\n"


def test_json_of_a_problem_without_a_line() -> None:
    body = json.loads(report.json_text([Problem("bad", key="a", where="--set a=1")], ["-"]))
    assert body["files"] == [{"file": "<stdin>", "valid": True}]
    assert body["problems"] == [{"file": "--set a=1", "line": None, "column": None, "path": "a",
                                 "severity": "error", "message": "bad"}]


def _other(version: str, key: str) -> Problem:
    return Problem(f'"{key}" is a consul-k8s {version} value, not of 0.49 (the version '
                   "consulInject.consulK8sVersion selects)", key=f"global.{key}")


def test_a_file_of_another_version_gets_one_hint_naming_it() -> None:
    problems = [_other("1.9 and 2.0", "a"), _other("1.9 and 2.0", "b"), _other("2.0", "c"),
                Problem("is not a string", key="global.name")]
    hint = report.version_hint(problems)
    assert hint == ("hint: 3 keys belong to other consul-k8s versions, all of them to 2.0: this "
                    "looks like the 2.0 chart's values; pass --consul-k8s-version 2.0, or set "
                    "consulInject.consulK8sVersion in them")
    assert report.text(problems, 1).splitlines()[-2] == hint


def test_one_or_two_keys_of_another_version_are_no_hint() -> None:
    assert report.version_hint([_other("2.0", "a"), _other("2.0", "b")]) is None
    mixed = [_other("0.49", "a"), _other("0.49", "b"), _other("2.0", "c")]
    hint = report.version_hint(mixed)
    assert hint is not None
    assert "2 of them to 0.49" in hint
