"""`consul-inject validate`: every problem with file:line:col, did-you-mean, the chart's rules,
text and JSON reports, and `validate_merged` for the post-renderer.

The bad-values corpus lives in tests/values/bad: <case>.yaml and <case>.expected, the expected
report lines without the file name (`line:col: key.path: message`), in order. UPDATE_VALUES=1
rewrites the .expected files from the current output (review the diff).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from consul_inject import commands
from consul_inject.problems import ConsulInjectError
from consul_inject.values import check as validate

REPO = Path(__file__).resolve().parents[2]
VALUES = REPO / "tests" / "values"
BAD = sorted(VALUES.glob("bad/*.yaml"))
GOOD = sorted(VALUES.glob("good/*.yaml")) + sorted(VALUES.glob("seed/*.yaml"))
OFFICIAL = REPO.parent / "shared" / "corpus" / "consul-chart-v0.49.8-values.yaml"


def _lines(path: Path) -> list[str]:
    prefix = f"{path}:"
    out = []
    for problem in validate.validate_file(str(path)):
        line = problem.line()
        out.append(line[len(prefix):] if line.startswith(prefix) else line)
    return out


def test_bad_corpus_is_big_enough() -> None:
    assert len(BAD) >= 30
    assert all(p.with_suffix(".expected").is_file() for p in BAD) or os.environ.get("UPDATE_VALUES")


@pytest.mark.parametrize("case", BAD, ids=[p.stem for p in BAD])
def test_bad_values_get_their_messages(case: Path) -> None:
    actual = _lines(case)
    expected_file = case.with_suffix(".expected")
    if os.environ.get("UPDATE_VALUES"):
        expected_file.write_text("".join(f"{line}\n" for line in actual), encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8").splitlines()
    assert actual == expected
    problems = validate.validate_file(str(case))
    assert any(p.severity == "error" for p in problems), "every bad case must be an error"


@pytest.mark.parametrize("case", [*GOOD, OFFICIAL], ids=[p.stem for p in [*GOOD, OFFICIAL]])
def test_good_values_have_no_problem(case: Path) -> None:
    assert _lines(case) == []


def test_official_values_keys_all_known() -> None:
    """Not one warning either: every key of the official file is one the schema knows."""
    assert validate.validate_file(str(OFFICIAL)) == []


def test_positions_point_at_the_key(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("# comment\nconnectInject:\n  enabled: true\n\n  k8sAllowNamespaces:\n"
                    "    - apps\n    - Bad\n", encoding="utf-8")
    (problem,) = validate.validate_file(str(path))
    assert problem.position == validate.Position(str(path), 7, 7)
    assert problem.key == "connectInject.k8sAllowNamespaces[1]"


def test_nulls_delete_keys_as_in_helm(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("connectInject:\n  default: null\n  replicas: ~\nglobal: null\n",
                    encoding="utf-8")
    assert validate.validate_file(str(path)) == []


@pytest.mark.parametrize(("text", "message"), [
    ("connectInject:\n  Default: true\n", 'did you mean "default"? (keys are case-sensitive)'),
    ("connectInject:\n  imageK8S: x\n", "it is a key of global; did you mean global.imageK8S?"),
    ("connectInject:\n  k8sAllowNamspaces: []\n", 'did you mean "k8sAllowNamespaces"?'),
    ("controller:\n  zzz: 1\n", 'unknown key "zzz" in controller; known keys: enabled, replicas'),
    ("Global:\n  enabled: true\n", 'unknown section "Global"; did you mean "global"?'),
])
def test_did_you_mean(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(text, encoding="utf-8")
    (problem,) = validate.validate_file(str(path))
    assert message in problem.message


def test_open_sections_accept_anything(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("server:\n  replicas: 5\n  anything: {deep: [1, 2]}\nmyApp:\n  x: 1\n"
                    "dns:\n  whatever: 1\n", encoding="utf-8")
    assert validate.validate_file(str(path)) == []


def test_empty_allow_list_is_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("connectInject:\n  k8sAllowNamespaces: []\n", encoding="utf-8")
    (problem,) = validate.validate_file(str(path))
    assert problem.severity == "warning"
    assert problem.line().endswith("warning: an empty list allows no namespace, so nothing is "
                                   'injected; ["*"] allows all')
    assert commands.cmd_validate([str(path)]) == 0


def test_template_strings_are_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text('connectInject:\n  nodeSelector: |\n    {{ .Values.x | toYaml }}\n',
                    encoding="utf-8")
    assert validate.validate_file(str(path)) == []


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    (problem,) = validate.validate_file(str(missing))
    assert problem.line().startswith(f"{missing}: cannot read values file")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", encoding="utf-8")
    assert validate.validate_file(str(empty)) == []


def test_cmd_validate_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = VALUES / "bad" / "many-problems.yaml"
    assert commands.cmd_validate([str(bad), str(OFFICIAL)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 9
    assert out[-1] == "8 errors, 0 warnings in 2 files"
    assert all(line.startswith(f"{bad}:") for line in out[:-1])
    assert commands.cmd_validate([str(OFFICIAL)]) == 0
    assert capsys.readouterr().out == "ok: 1 file valid\n"


def test_cmd_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
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
    with pytest.raises(ConsulInjectError):
        commands.cmd_validate([str(OFFICIAL)], "xml")


# --- validate_merged: what the post-renderer calls -----------------------------------------


def test_merged_attributes_each_key_to_where_it_was_set(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("connectInject:\n  default: true\n  failurePolicy: fail\n", encoding="utf-8")
    second = tmp_path / "b.yaml"
    second.write_text("connectInject:\n  failurePolicy: Ignore\n", encoding="utf-8")
    errors = validate.validate_merged([str(first), str(second)],
                                      ["connectInject.k8sDenyNamespaces={*}"])
    assert errors == [
        "--set connectInject.k8sDenyNamespaces={*}: connectInject.k8sDenyNamespaces[0]: \"*\" is "
        "not supported in k8sDenyNamespaces: it would deny every namespace; to turn injection off "
        "set connectInject.enabled: false"]


def test_merged_rules_see_all_sources(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("connectInject:\n  consulNamespaces:\n    mirroringK8S: true\n", encoding="utf-8")
    assert validate.validate_merged([str(file)], ["global.enableConsulNamespaces=true"]) == []
    (error,) = validate.validate_merged([str(file)], [])
    assert error.startswith(f"{file}:3:5: connectInject.consulNamespaces.mirroringK8S: ")


def test_merged_null_deletes_a_bad_value(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("connectInject:\n  replicas: many\n", encoding="utf-8")
    assert validate.validate_merged([str(file)], ["connectInject.replicas=null"]) == []


def test_merged_set_string_and_base() -> None:
    errors = validate.validate_merged([], [], ["connectInject.default=true"],
                                      base={"connectInject": {"replicas": "x"}},
                                      base_source='configmap "consul-consul-inject-settings"')
    assert errors == [
        'configmap "consul-consul-inject-settings": connectInject.replicas: expected a whole '
        'number, got the string "x"',
        '--set-string connectInject.default=true: connectInject.default: is the string "true", '
        "not a boolean; write true or false without quotes"]


def test_merged_reports_yaml_errors_and_bad_set(tmp_path: Path) -> None:
    file = tmp_path / "a.yaml"
    file.write_text("a: [\n", encoding="utf-8")
    (error,) = validate.validate_merged([str(file)], [])
    assert error.startswith(f"{file}:2:1: invalid YAML")
    with pytest.raises(ConsulInjectError):
        validate.validate_merged([], ["novalue"])


def test_merged_base_skips_the_official_chart_rules() -> None:
    """The settings ConfigMap holds our chart's defaults (connectInject.enabled: true); with
    global.enabled false the official chart's "clients must be enabled" rule would misfire."""
    base = {"global": {"enabled": False}, "connectInject": {"enabled": True}}
    assert validate.validate_merged([], [], base=base) == []
    (error,) = validate.validate_merged([], ["global.enabled=false", "connectInject.enabled=true"])
    assert "clients must be enabled" in error


def test_merged_ignores_warnings() -> None:
    assert validate.validate_merged([], ["connectInject.k8sAllowNamespaces={}"]) == []
