"""report: what happened to each workload as text or JSON, with names from the input made safe
for a terminal, and where the user sees it (stderr, the terminal under Helm 4, the log file)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consul_inject import report
from consul_inject.problems import Problem
from consul_inject.report import Entry, Report
from consul_inject.workloads import Ref

WEB = Ref("Deployment", "web", "apps")


def sample() -> Report:
    out = Report(documents=4)
    out.entries += [
        Entry(WEB, "web/templates/d.yaml", "injected", "annotated", ("web",), ("db:5432",)),
        Entry(Ref("Deployment", "multi", "apps"), "t.yaml", "injected", "", ("a", "b"),
              ("db:5432", "cache:6379")),
        Entry(Ref("Job", "migrate", ""), "t.yaml", "injected"),
        Entry(Ref("Pod", "p", "apps"), "t.yaml", "skipped", "no annotation"),
        Entry(Ref("ServiceAccount", "a", "apps"), "t.yaml", "created", "for the multi-port "
              'services of deployment "multi"'),
    ]
    out.warn("web/templates/d.yaml", WEB, "Service port goes nowhere")
    out.warn("t.yaml", None, "no ref")
    out.notes.append("1 injected pod(s) run privileged")
    return out


def test_text_lists_warnings_notes_entries_and_the_summary() -> None:
    assert sample().text().splitlines() == [
        'warning: web/templates/d.yaml: deployment "web": Service port goes nowhere',
        "warning: t.yaml: no ref",
        "note: 1 injected pod(s) run privileged",
        'deployment "web" injected (namespace apps; as web; upstreams db:5432)',
        'deployment "multi" injected (namespace apps; as a, b; upstreams (on a) db:5432, '
        "cache:6379)",
        'job "migrate" injected',
        'pod "p" skipped: no annotation',
        'serviceaccount "a" created: for the multi-port services of deployment "multi"',
        "consul-inject: 3 injected, 1 skipped, 1 created, 4 documents",
    ]


@pytest.mark.parametrize(("outcomes", "documents", "summary"), [
    ([], 0, "0 injected, 0 skipped, 0 documents"),
    ([], 1, "0 injected, 0 skipped, 1 document"),
    (["injected", "skipped", "skipped"], 2, "1 injected, 2 skipped, 2 documents"),
    (["uninjected", "skipped"], 3, "0 injected, 1 skipped, 1 uninjected, 3 documents"),
    (["uninjected", "created", "created"], 3,
     "0 injected, 0 skipped, 1 uninjected, 2 created, 3 documents"),
])
def test_summary_and_count(outcomes: list[str], documents: int, summary: str) -> None:
    out = Report(entries=[Entry(WEB, "t", o) for o in outcomes], documents=documents)
    assert out.summary() == summary
    for outcome in ("injected", "skipped", "uninjected", "created"):
        assert out.count(outcome) == outcomes.count(outcome)


def test_a_skip_without_a_reason_has_no_colon() -> None:
    out = Report(entries=[Entry(WEB, "t", "skipped"), Entry(WEB, "t", "uninjected", "r")])
    assert out.text().splitlines()[:2] == ['deployment "web" skipped',
                                           'deployment "web" uninjected']


def test_as_json() -> None:
    out = sample()
    out.errors.append(Problem("is not a boolean", "expected true", "k", "f.yaml"))
    data: dict[str, Any] = json.loads(out.as_json())
    assert data["documents"] == 4
    assert data["workloads"][0] == {
        "kind": "Deployment", "name": "web", "namespace": "apps",
        "template": "web/templates/d.yaml", "outcome": "injected", "reason": "annotated",
        "services": ["web"], "upstreams": ["db:5432"]}
    assert [w["outcome"] for w in data["workloads"]] == [
        "injected", "injected", "injected", "skipped", "created"]
    assert data["warnings"] == out.warnings
    assert data["notes"] == out.notes
    assert data["errors"] == ["f.yaml: k: is not a boolean; expected true"]
    assert out.as_json().endswith("}\n")


# --- names from the input reach a terminal only as printable text ---------------------------


@pytest.mark.parametrize(("text", "shown"), [
    ("plain", "plain"),
    ("evil\x1b[31mRED", "evil\\x1b[31mRED"),
    ("a\rb", "a\\rb"),
    ("a\nb", "a\\nb"),
    ("tab\t", "tab\\t"),
    ("caf\u00e9", "caf\u00e9"),
    ("\u2028", "\\u2028"),
])
def test_printable(text: str, shown: str) -> None:
    assert report.printable(text) == shown


def test_printable_shortens_very_long_text_keeping_both_ends() -> None:
    shown = report.printable("a" * 600 + "b" * 600, limit=100)
    assert shown == "a" * 50 + "...(1100 characters)..." + "b" * 50
    assert report.printable("x" * 1000) == "x" * 1000


@given(st.text(max_size=300))
def test_printable_output_is_one_printable_line(text: str) -> None:
    shown = report.printable(text, limit=200)
    assert shown.isprintable()
    assert len(shown) <= 200 + len("...(999999 characters)...")


def test_text_escapes_names_from_the_input() -> None:
    out = Report(entries=[Entry(Ref("Pod", "evil\x1b[31m\rfake", "apps"), "t", "skipped", "r\n")])
    out.warn("t", Ref("Pod", "\x1b]0;title\x07", "apps"), "warning")
    text = out.text()
    assert not any(ch in text for ch in "\x1b\r\x07")
    assert text.count("\n") == 3  # one line each: the warning, the entry, the summary


# --- where the user sees it -------------------------------------------------------------------


def test_log_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONSUL_INJECT_LOG", str(tmp_path / "my.log"))
    assert Path(report.log_path()) == tmp_path / "my.log"
    monkeypatch.delenv("CONSUL_INJECT_LOG")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert Path(report.log_path()) == tmp_path / "state" / "consul-inject" / "last-run.log"
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Path(report.log_path()) == tmp_path / ".local" / "state" / "consul-inject" / "last-run.log"


def test_write_log_creates_the_folder_and_never_fails(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    log = tmp_path / "deep" / "er" / "last-run.log"
    monkeypatch.setenv("CONSUL_INJECT_LOG", str(log))
    report.write_log("first\n")
    report.write_log("second\n")
    assert log.read_text() == "second\n"  # the last run only
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("CONSUL_INJECT_LOG", str(tmp_path / "file" / "under-a-file.log"))
    report.write_log("lost\n")  # an unwritable log is not the user's error


@pytest.mark.parametrize(("value", "helm4"), [("1", True), ("0", False), ("", False),
                                              ("true", False), (None, False)])
def test_under_helm4(monkeypatch: pytest.MonkeyPatch, value: str | None, helm4: bool) -> None:
    monkeypatch.delenv("HELM_PLUGIN_NAME", raising=False)
    if value is None:
        monkeypatch.delenv("CONSUL_INJECT_HELM4", raising=False)
    else:
        monkeypatch.setenv("CONSUL_INJECT_HELM4", value)
    assert report.under_helm4() is helm4


class FakeTty(io.StringIO):
    def __init__(self, written: list[str]) -> None:
        super().__init__()
        self.written = written

    def close(self) -> None:
        self.written.append(self.getvalue())
        super().close()


@pytest.mark.parametrize("helm4", [False, True])
def test_fail_reaches_stderr_the_log_and_under_helm4_the_terminal(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
        helm4: bool) -> None:
    written: list[str] = []
    opened: list[str] = []

    def fake_open(path: str, *args: Any, **kwargs: Any) -> Any:
        if path != "/dev/tty":  # the log file
            return open(path, *args, **kwargs)
        opened.append(path)
        return FakeTty(written)

    monkeypatch.setattr(report, "open", fake_open, raising=False)
    monkeypatch.setenv("CONSUL_INJECT_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("CONSUL_INJECT_HELM4", "1" if helm4 else "0")
    report.fail("consul-inject: error: bad\n")
    assert capsys.readouterr().err == "consul-inject: error: bad\n"
    assert (tmp_path / "log").read_text() == "consul-inject: error: bad\n"
    assert opened == (["/dev/tty"] if helm4 else [])
    assert written == (["consul-inject: error: bad\n"] if helm4 else [])


def test_no_terminal_under_helm4_is_fine(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    def no_tty(path: str, *args: Any, **kwargs: Any) -> io.StringIO:
        raise OSError(6, "No such device or address")

    monkeypatch.setattr(report, "open", no_tty, raising=False)
    monkeypatch.setenv("CONSUL_INJECT_HELM4", "1")
    report.tell_user("text\n")
    assert capsys.readouterr().err == "text\n"


def test_a_left_out_file_says_why_and_nothing_else() -> None:
    report = Report(left_out="a kustomize Kustomization, not a Kubernetes manifest; left as it is")
    assert report.text() == ("left out: a kustomize Kustomization, not a Kubernetes manifest; "
                             "left as it is\n")
    assert json.loads(report.as_json())["left_out"].startswith("a kustomize Kustomization")
    assert "left_out" not in json.loads(Report().as_json())
