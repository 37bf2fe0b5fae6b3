"""Whole-stream golden cases: tests/golden/<case>/ holds

- input.yaml: the manifests (any bytes);
- args (optional): extra command-line arguments, one per line;
- expected.yaml + expected.report: output (compared by meaning) and stderr report (exact text),
  for a run that succeeds; or
- expected.stderr: the exact stderr of a run that must fail with exit 1 and print nothing.

`UPDATE_GOLDEN=1 pytest tests/golden` rewrites the expected files from the current behaviour.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from consul_inject import yamlcodec
from consul_inject.cli import main

HERE = Path(__file__).parent
CASES = sorted(p for p in HERE.iterdir() if (p / "input.yaml").is_file())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


def load_all(text: str) -> list[object]:
    return list(yaml.load_all(text, Loader=yamlcodec.KubeLoader))


def run_case(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    args_file = case / "args"
    extra = [a for a in args_file.read_text().splitlines() if a] if args_file.exists() else []
    out = tmp_path / "out.yaml"
    code = main(["inject", str(case / "input.yaml"), "-o", str(out), *extra])
    stderr = capsys.readouterr().err.replace(str(case / "input.yaml"), "input.yaml")
    return code, out.read_bytes().decode() if out.exists() else "", stderr


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output, stderr = run_case(case, tmp_path, capsys)
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


def test_cases_exist() -> None:
    assert len(CASES) >= 1
