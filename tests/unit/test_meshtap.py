"""The sink that keeps the stream's ServiceIntentions back while intentions are made."""

from __future__ import annotations

from consul_inject import meshtap, pipeline
from consul_inject.problems import Problem
from consul_inject.report import Report
from tests.conftest import StubSettings

INTENTIONS = "---\nkind: ServiceIntentions\nmetadata: {name: api}\nspec:\n  destination: {name: api}\n"


def On(intentions: bool = True) -> StubSettings:
    return StubSettings(intentions=intentions)


def test_held_only_when_intentions_are_on() -> None:
    out: list[str] = []
    meshtap.Tap(out.append, lambda: On(False))(INTENTIONS)
    assert out == [INTENTIONS]
    tap = meshtap.Tap(out.append, On)
    tap(INTENTIONS)
    tap("---\nkind: ConfigMap\nmetadata: {name: a}")
    assert tap.held == [INTENTIONS]
    assert len(out) == 2


def test_finish_puts_them_after_the_last_line() -> None:
    out: list[str] = []
    tap = meshtap.Tap(out.append, On)
    tap(INTENTIONS.removeprefix("---\n"))
    tap("kind: ConfigMap\nmetadata: {name: a}")  # no newline at the end of the stream
    tap.finish(pipeline.Result("", Report()), "default")
    assert "".join(out) == ("kind: ConfigMap\nmetadata: {name: a}\n---\n"
                            + INTENTIONS.removeprefix("---\n"))


def test_on_errors_the_held_documents_go_back_as_they_came() -> None:
    out: list[str] = []
    tap = meshtap.Tap(out.append, On)
    tap(INTENTIONS)
    report = Report()
    report.errors.append(Problem("bad"))
    tap.finish(pipeline.Result("", report), "default")
    assert out == [INTENTIONS]
