"""Whole-stream golden cases: tests/golden/<case>/ holds

- input.yaml: the manifests (any bytes);
- args (optional): extra command-line arguments, one per line; a manifest file of the case
  named there on its own (not as an option's value) is another input of the same release;
- expected.yaml + expected.report: output (compared by meaning) and stderr report (exact text),
  for a run that succeeds; or
- expected.stderr: the exact stderr of a run that must fail with exit 1 and print nothing;
- nothing else but files its args name (a CA file). test_every_case_folder_is_a_well_formed_case
  checks every folder has this shape and the corpus keeps at least MIN_CASES cases.

`UPDATE_GOLDEN=1 pytest tests/golden` rewrites the expected files from the current behaviour.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import GOLDEN, Cli, load_all

HERE = Path(__file__).parent
CASES = sorted(p for p in HERE.iterdir() if (p / "input.yaml").is_file())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
# The corpus as of this writing: fewer cases means some were lost or are no longer discovered.
MIN_CASES = 223
SUCCESS_FILES = {"expected.yaml", "expected.report"}
FAILURE_FILES = {"expected.stderr"}


def case_args(case: Path) -> tuple[list[str], list[str]]:
    """(more inputs, options) from a case's args. More inputs of the same release are manifest
    paths that no option takes (the values right after an option are its own: -f values.yaml);
    they run after input.yaml."""
    args_file = case / "args"
    extra = [a for a in args_file.read_text().splitlines() if a] if args_file.exists() else []
    inputs = [a for i, a in enumerate(extra) if a.endswith((".yaml", ".yml", ".json"))
              and not (i and extra[i - 1].startswith("-") and "=" not in extra[i - 1])]
    return inputs, [a for a in extra if a not in inputs]


def case_inputs(case: Path) -> list[Path]:
    """Every input file of a case, in the order the run reads them."""
    return [case / "input.yaml", *(GOLDEN.parent.parent / a for a in case_args(case)[0])]


def run_case(case: Path, tmp_path: Path, cli: Cli) -> tuple[int, str, str]:
    inputs, extra = case_args(case)
    out = tmp_path / "out.yaml"
    code, _, stderr = cli("inject", case / "input.yaml", *inputs, "-o", out, *extra)
    stderr = stderr.replace(str(case / "input.yaml"), "input.yaml")
    return code, out.read_bytes().decode() if out.exists() else "", stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, tmp_path: Path, cli: Cli) -> None:
    code, output, stderr = run_case(case, tmp_path, cli)
    if UPDATE:
        for name in ("expected.yaml", "expected.report", "expected.stderr"):
            (case / name).unlink(missing_ok=True)
        if code == 0:
            (case / "expected.yaml").write_text(output)
            (case / "expected.report").write_text(stderr)
        else:
            (case / "expected.stderr").write_text(stderr)
        return
    if (case / "expected.stderr").exists():
        assert code == 1, stderr
        assert output == ""
        assert stderr == (case / "expected.stderr").read_text()
        return
    assert code == 0, stderr
    assert load_all(output) == load_all((case / "expected.yaml").read_text())
    assert stderr == (case / "expected.report").read_text()


def case_problems(folder: Path) -> list[str]:
    """What is wrong with a case folder: it must hold input.yaml and either the expected output
    and report of a run that succeeds, or the expected stderr of one that fails (never both);
    any other file (args, a CA file) must be named by its args."""
    names = {p.name for p in folder.iterdir() if p.name != "__pycache__"}
    problems = []
    if "input.yaml" not in names:
        problems.append("no input.yaml")
    has_success, has_failure = bool(names & SUCCESS_FILES), bool(names & FAILURE_FILES)
    if has_success == has_failure:
        problems.append(f"expects {'both' if has_success else 'neither'} success and failure")
    elif has_success and not names >= SUCCESS_FILES:
        problems.append(f"missing {sorted(SUCCESS_FILES - names)}")
    args = (folder / "args").read_text() if "args" in names else ""
    extra = names - {"input.yaml", "args"} - SUCCESS_FILES - FAILURE_FILES
    problems += [f"{name} is not named by args" for name in sorted(extra)
                 if f"{folder.name}/{name}" not in args]
    return problems


def test_every_case_folder_is_a_well_formed_case() -> None:
    """Every folder is discovered, holds a complete case, and the corpus has not shrunk."""
    folders = sorted(p for p in HERE.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert HERE == GOLDEN
    assert folders == CASES, sorted(set(folders) ^ set(CASES))
    bad = {f.name: found for f in folders if (found := case_problems(f))}
    assert bad == {}
    assert len(CASES) >= MIN_CASES, f"{len(CASES)} cases, at least {MIN_CASES} expected"
    failing = sum((case / "expected.stderr").exists() for case in CASES)
    assert 0 < failing < len(CASES), "the corpus must hold runs that succeed and runs that fail"


def test_case_check_can_fail(tmp_path: Path) -> None:
    """case_problems finds each kind of broken folder."""
    case = tmp_path / "broken"
    case.mkdir()
    (case / "input.yml").write_text("")
    (case / "expected.yaml").write_text("")
    (case / "expected.stderr").write_text("")
    assert case_problems(case) == ["no input.yaml", "expects both success and failure",
                                   "input.yml is not named by args"]
    (case / "expected.stderr").unlink()
    assert "missing ['expected.report']" in case_problems(case)
