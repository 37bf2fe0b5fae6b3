"""Hostile and broken input: every case in tests/hostile/cases/ must be refused cleanly.

Each case is a folder:

- `input.yaml`: the bytes fed to `consul-inject inject` (any bytes: non-UTF-8, CRLF, NUL, ...);
  `@@repeat(N,TEXT)@@` stands for TEXT repeated N times, so that 1 MiB values need no 1 MiB file;
- `args` (optional): extra command-line arguments, one per line (`{case}` is the case folder;
  `@@repeat(...)@@` works here too);
- `expected`: one or more lines, each a substring the single error line must contain;
- `xfail` (optional): the reason, starting with `BUG:`, that today's behaviour is wrong. The case
  keeps the correct expectation and runs as `xfail(strict=True)`, so fixing the bug turns it into
  an XPASS failure that asks for the marker to go.

The command runs as a subprocess under resource limits set in `preexec_fn` (address space and CPU
time; no wall-clock timer decides anything). It must exit 1, print nothing on stdout and exactly
one line on stderr, `consul-inject: error: ...`, of at most MAX_LINE characters, and no traceback.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"
REPO = HERE.parent.parent
MEMORY_LIMIT = 1 << 30  # address space, bytes
CPU_LIMIT = 20  # seconds of CPU time
OUTPUT_LIMIT = 64 << 20  # largest file the command may write
MAX_LINE = 4096  # a "clear" line: long enough for any message, too short to echo a 1 MiB value
PREFIX = "consul-inject: error: "
_REPEAT_RE = re.compile(rb"@@repeat\((\d+),(.*?)\)@@", re.DOTALL)


def consul_inject() -> Path:
    """The console script of the venv that runs the tests."""
    path = Path(sys.executable).parent / "consul-inject"
    if not path.exists():
        pytest.fail(f"{path} is missing: install the package into the venv (make test does)")
    return path


def expand(data: bytes) -> bytes:
    return _REPEAT_RE.sub(lambda m: m.group(2) * int(m.group(1)), data)


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    expected: tuple[str, ...]
    args: tuple[str, ...]
    xfail: str | None

    @classmethod
    def load(cls, folder: Path) -> Case:
        expected = tuple(line for line in (folder / "expected").read_text("utf-8").splitlines() if line)
        args_file = folder / "args"
        args = tuple(
            expand(line.encode()).decode().replace("{case}", str(folder))
            for line in (args_file.read_text("utf-8").splitlines() if args_file.exists() else [])
        )
        xfail_file = folder / "xfail"
        xfail = xfail_file.read_text("utf-8").strip() if xfail_file.exists() else None
        return cls(folder.name, folder, expected, args, xfail)


def load_cases() -> list[Case]:
    return [Case.load(p) for p in sorted(CASES_DIR.iterdir()) if (p / "input.yaml").is_file()]


CASES = load_cases()


def limit_resources() -> None:
    """Runs in the child before exec: a blow-up becomes MemoryError or SIGXCPU, never a hang."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT))
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def child_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONSUL_INJECT", "HELM_"))}
    env.update(HOME=str(tmp), CONSUL_INJECT_LOG=str(tmp / "last-run.log"), LC_ALL="C.UTF-8")
    return env


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: bytes
    stderr: str


def run_cli(argv: list[str], tmp: Path) -> Outcome:
    proc = subprocess.run(
        [str(consul_inject()), *argv], stdin=subprocess.DEVNULL, capture_output=True,
        env=child_env(tmp), cwd=tmp, preexec_fn=limit_resources, check=False,
        timeout=600,  # a safety net against a hang only; the CPU limit is the bound under test
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


def describe_exit(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name} (resource limit hit)"
    return {0: "accepted (exit 0)", 2: "usage error (exit 2)", 3: "internal error (exit 3)"}.get(
        code, f"exit {code}")


def check_refused(outcome: Outcome, expected: tuple[str, ...]) -> None:
    """Exit 1, empty stdout, one clear `consul-inject: error:` line containing every expected part."""
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    assert outcome.code == 1, f"{describe_exit(outcome.code)}; stderr: {outcome.stderr[:1000]!r}"
    assert outcome.stdout == b"", f"stdout not empty: {outcome.stdout[:300]!r}"
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}: {outcome.stderr[:1500]!r}"
    line = lines[0]
    assert outcome.stderr.endswith("\n")
    assert line.startswith(PREFIX), line[:300]
    assert len(line) <= MAX_LINE, f"error line is {len(line):,} characters long: {line[:300]!r}..."
    for part in expected:
        assert part in line, f"{part!r} not in {line[:1500]!r}"


def _params() -> list[object]:
    marks = {c.name: pytest.mark.xfail(strict=True, reason=c.xfail) for c in CASES if c.xfail}
    return [pytest.param(c, id=c.name, marks=marks.get(c.name, ())) for c in CASES]


@pytest.mark.parametrize("case", _params())
def test_hostile_input_is_refused(case: Case, tmp_path: Path) -> None:
    raw = (case.folder / "input.yaml").read_bytes()
    data = expand(raw)
    source = case.folder / "input.yaml"
    if data != raw:
        source = tmp_path / "input.yaml"
        source.write_bytes(data)
    check_refused(run_cli(["inject", str(source), *case.args], tmp_path), case.expected)


def test_corpus_size_and_shape() -> None:
    """At least 80 cases; every xfail names the bug; every case says what it expects."""
    assert len(CASES) >= 80, len(CASES)
    for case in CASES:
        assert case.expected, f"{case.name}: empty expected"
        assert case.xfail is None or case.xfail.startswith(("BUG", "BY DESIGN")), case.name


def test_stdin_path_is_refused_the_same_way(tmp_path: Path) -> None:
    """The post-renderer path (no subcommand, stdin) refuses like `inject FILE` does."""
    case = next(c for c in CASES if c.name == "alias-bomb-lists-in-deployment")
    proc = subprocess.run(
        [str(consul_inject()), "--namespace", "apps"], input=(case.folder / "input.yaml").read_bytes(),
        capture_output=True, env=child_env(tmp_path), cwd=tmp_path, preexec_fn=limit_resources,
        check=False, timeout=600)
    check_refused(Outcome(proc.returncode, proc.stdout, proc.stderr.decode()), case.expected)


def test_runner_detects_acceptance(tmp_path: Path) -> None:
    """The checks can fail: a valid stream is accepted, and check_refused says so."""
    good = tmp_path / "good.yaml"
    good.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    outcome = run_cli(["inject", str(good)], tmp_path)
    assert outcome.code == 0
    with pytest.raises(AssertionError, match="accepted"):
        check_refused(outcome, ("anything",))


def test_report_escapes_control_characters(tmp_path: Path) -> None:
    source = tmp_path / "input.yaml"
    source.write_text('apiVersion: v1\nkind: Pod\nmetadata:\n  name: "evil\\e[31mRED\\rfake"\n'
                      "  annotations: {consul.hashicorp.com/connect-inject: 'false'}\n"
                      "spec:\n  containers: [{name: a, image: b}]\n")
    outcome = run_cli(["inject", str(source)], tmp_path)
    assert outcome.code == 0, outcome.stderr
    assert not any(ch in outcome.stderr for ch in "\x1b\r"), repr(outcome.stderr)


@pytest.mark.parametrize("data", [b"", b"\n", b"# only a comment\n", b"---\n", b"---\n...\n",
                                  b"\xef\xbb\xbf", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"])
def test_empty_in_empty_out_and_never_empty_otherwise(data: bytes, tmp_path: Path) -> None:
    """Empty input gives empty output; any other accepted input gives non-empty output (Helm 3
    would apply an empty output and an upgrade would delete every resource of the release)."""
    proc = subprocess.run(
        [str(consul_inject()), "--namespace", "apps"], input=data, capture_output=True,
        env=child_env(tmp_path), cwd=tmp_path, preexec_fn=limit_resources, check=False, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout == b"") == (data == b""), proc.stdout
    assert proc.stdout == data  # nothing to inject: byte for byte
