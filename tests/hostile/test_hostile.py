"""Hostile and broken input: every case in tests/hostile/cases/ is refused cleanly, or, for a
document of a kind injection never reads, passed through untouched.

Each case is a folder:

- `input.yaml`: the bytes fed to `consul-inject inject` (any bytes: non-UTF-8, CRLF, NUL, ...);
  `@@repeat(N,TEXT)@@` stands for TEXT repeated N times, so that 1 MiB values need no 1 MiB file;
- `args` (optional): extra command-line arguments, one per line (`{case}` is the case folder;
  `@@repeat(...)@@` works here too);
- `expected`: one or more lines, each a substring the single error line must contain; or, for a
  pass-through case, a first line `pass-through: <kind>` and then substrings of the error that
  reading the input's <kind> document would raise (yamlcodec.load, in-process);
- `xfail` (optional): the reason, starting with `BUG`, that today's behaviour is wrong. The case
  keeps the correct expectation and runs as `xfail(strict=True)`, so fixing the bug turns it into
  an XPASS failure that asks for the marker to go.

A refused case runs as a subprocess under resource limits set in `preexec_fn` (address space and
CPU time; no wall-clock timer decides anything). It must exit 1, print nothing on stdout and
exactly one line on stderr, `consul-inject: error: ...`, of at most MAX_LINE characters, and no
traceback.

A pass-through case is the designed behaviour for kinds injection never reads (ConfigMaps,
custom resources, ...: README and SECURITY.md): such documents are not parsed, so a document a
reader would refuse (alias bombs, duplicate keys, tabs, Python tags, deep nesting) goes out byte
for byte, as Helm rendered it, while the rest of the stream is injected. The run must exit 0
with no error and no traceback, and every input document of that kind must appear unchanged on
stdout; the case also checks that the document is one a reader refuses, with that error.
"""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from consul_inject import yamlcodec
from consul_inject.problems import ConsulInjectError
from tests.conftest import consul_inject

HERE = Path(__file__).parent
CASES_DIR = HERE / "cases"
REPO = HERE.parent.parent
MEMORY_LIMIT = 1 << 30  # address space, bytes
CPU_LIMIT = 20  # seconds of CPU time
OUTPUT_LIMIT = 64 << 20  # largest file the command may write
MAX_LINE = 4096  # a "clear" line: long enough for any message, too short to echo a 1 MiB value
MIN_CASES = 188  # the corpus as of this writing: fewer means cases were lost or not discovered
PREFIX = "consul-inject: error: "
PASS_THROUGH = "pass-through: "
_REPEAT_RE = re.compile(rb"@@repeat\((\d+),(.*?)\)@@", re.DOTALL)
_MARKER_RE = re.compile(rb"^---[ \t]*\r?\n", re.MULTILINE)


def expand(data: bytes) -> bytes:
    return _REPEAT_RE.sub(lambda m: m.group(2) * int(m.group(1)), data)


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    expected: tuple[str, ...]
    args: tuple[str, ...]
    xfail: str | None
    pass_through: str | None = None  # the kind whose documents must come out unchanged

    @classmethod
    def load(cls, folder: Path) -> Case:
        expected = tuple(line for line in (folder / "expected").read_text("utf-8").splitlines() if line)
        pass_through = None
        if expected and expected[0].startswith(PASS_THROUGH):
            pass_through, expected = expected[0][len(PASS_THROUGH):].strip(), expected[1:]
        args_file = folder / "args"
        args = tuple(
            expand(line.encode()).decode().replace("{case}", str(folder))
            for line in (args_file.read_text("utf-8").splitlines() if args_file.exists() else [])
        )
        xfail_file = folder / "xfail"
        xfail = xfail_file.read_text("utf-8").strip() if xfail_file.exists() else None
        return cls(folder.name, folder, expected, args, xfail, pass_through)

    def data(self) -> bytes:
        return expand((self.folder / "input.yaml").read_bytes())

    def source(self, tmp: Path) -> Path:
        """The input file, expanded into `tmp` when it uses @@repeat."""
        data = self.data()
        if data == (self.folder / "input.yaml").read_bytes():
            return self.folder / "input.yaml"
        (tmp / "input.yaml").write_bytes(data)
        return tmp / "input.yaml"


def load_cases() -> list[Case]:
    return [Case.load(p) for p in sorted(CASES_DIR.iterdir()) if (p / "input.yaml").is_file()]


CASES = load_cases()
REFUSED = [c for c in CASES if c.pass_through is None]
PASSED_THROUGH = [c for c in CASES if c.pass_through is not None]


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


def documents_of_kind(data: bytes, kind: str) -> list[bytes]:
    """The documents of a stream (split on its `---` lines, marker excluded) whose top-level
    `kind:` line names `kind`: found without parsing, as the documents cannot be parsed."""
    line = re.compile(rb"^kind:[ \t]*['\"]?" + re.escape(kind.encode()) + rb"['\"]?[ \t]*\r?$",
                      re.MULTILINE)
    return [doc for doc in _MARKER_RE.split(data) if line.search(doc)]


def check_passed_through(outcome: Outcome, data: bytes, kind: str) -> None:
    """Exit 0, no error, and every `kind` document of the input on stdout, byte for byte."""
    assert "Traceback" not in outcome.stderr, outcome.stderr[-2000:]
    assert outcome.code == 0, f"{describe_exit(outcome.code)}; stderr: {outcome.stderr[:1000]!r}"
    assert "error" not in outcome.stderr, outcome.stderr[:1000]
    assert outcome.stderr.splitlines()[-1].startswith("consul-inject: "), outcome.stderr[-300:]
    documents = documents_of_kind(data, kind)
    assert documents, f"no {kind} document in the input: the case proves nothing"
    for document in documents:
        assert outcome.stdout.count(document) == 1, (
            f"{kind} document not passed through byte for byte: {document[:300]!r}")


def _params(cases: list[Case]) -> list[object]:
    marks = {c.name: pytest.mark.xfail(strict=True, reason=c.xfail) for c in cases if c.xfail}
    return [pytest.param(c, id=c.name, marks=marks.get(c.name, ())) for c in cases]


@pytest.mark.parametrize("case", _params(REFUSED))
def test_hostile_input_is_refused(case: Case, tmp_path: Path) -> None:
    check_refused(run_cli(["inject", str(case.source(tmp_path)), *case.args], tmp_path),
                  case.expected)


@pytest.mark.parametrize("case", _params(PASSED_THROUGH))
def test_unread_kinds_pass_through_byte_for_byte(case: Case, tmp_path: Path) -> None:
    assert case.pass_through is not None
    data = case.data()
    outcome = run_cli(["inject", str(case.source(tmp_path)), *case.args], tmp_path)
    check_passed_through(outcome, data, case.pass_through)
    # ... though a reader refuses the document: what passes is hostile, not harmless.
    for document in documents_of_kind(data, case.pass_through):
        with pytest.raises((yaml.YAMLError, ConsulInjectError)) as refused:
            yamlcodec.load(document.decode("utf-8"))
        for part in case.expected:
            assert part in str(refused.value), f"{part!r} not in {str(refused.value)[:500]!r}"


def test_corpus_size_and_shape() -> None:
    """The corpus has not shrunk; every xfail names the bug; every case says what it expects."""
    assert len(CASES) >= MIN_CASES, f"{len(CASES)} cases, at least {MIN_CASES} expected"
    folders = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
    assert folders == [c.name for c in CASES], "a folder without input.yaml is never run"
    assert len(PASSED_THROUGH) >= 6, [c.name for c in PASSED_THROUGH]
    for case in CASES:
        assert case.expected, f"{case.name}: empty expected"
        assert case.xfail is None or case.xfail.startswith("BUG"), case.name
        assert case.pass_through is None or case.pass_through not in (
            "Deployment", "Service", "Pod"), f"{case.name}: a kind injection reads"


def test_pass_through_check_can_fail() -> None:
    """check_passed_through fails on a changed, a missing or a refused document."""
    data = b"---\nkind: ConfigMap\ndata: {a: 1}\n---\nkind: Deployment\n"
    kept = Outcome(0, b"---\nkind: ConfigMap\ndata: {a: 1}\n---\nchanged\n", "consul-inject: ok\n")
    check_passed_through(kept, data, "ConfigMap")
    assert documents_of_kind(data, "ConfigMap") == [b"kind: ConfigMap\ndata: {a: 1}\n"]
    for outcome, kind in ((Outcome(0, b"kind: ConfigMap\ndata: {a: 2}\n", "consul-inject: ok\n"),
                           "ConfigMap"),
                          (kept, "Widget"),
                          (Outcome(1, b"", "consul-inject: error: x\n"), "ConfigMap")):
        with pytest.raises(AssertionError):
            check_passed_through(outcome, data, kind)


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
