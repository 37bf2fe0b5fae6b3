"""problems: one Problem type printed as one line, and the exceptions that carry problems."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consul_inject.problems import ConsulInjectError, Problem, TemplateError


@pytest.mark.parametrize(("problem", "text"), [
    (Problem("is wrong"), "is wrong"),
    (Problem("is wrong", "use x"), "is wrong; use x"),
    (Problem("is wrong", key="a.b"), "a.b: is wrong"),
    (Problem("is wrong", "use x", "a.b", "values.yaml", 3, 7), "values.yaml:3:7: a.b: is wrong; use x"),
    (Problem("is wrong", where="values.yaml", line=3), "values.yaml:3:1: is wrong"),
    (Problem("is wrong", where="--set", column=4), "--set: is wrong"),  # a column needs a line
    (Problem("unknown key", key="x", where="f.yaml", severity="warning"),
     "f.yaml: x: warning: unknown key"),
])
def test_text(problem: Problem, text: str) -> None:
    assert problem.text() == text


def test_location() -> None:
    assert Problem("m", where="f", line=2, column=5).location() == "f:2:5"
    assert Problem("m", where="f", line=2).location() == "f:2:1"
    assert Problem("m", where="f").location() == "f"
    assert Problem("m").location() == ""


def test_at_places_a_problem_and_keeps_the_rest() -> None:
    problem = Problem("is not a boolean", "expected true", "consul.hashicorp.com/connect-inject")
    placed = problem.at('web/templates/d.yaml: deployment "web"')
    assert placed.text() == ('web/templates/d.yaml: deployment "web": '
                             'consul.hashicorp.com/connect-inject: is not a boolean; expected true')
    assert problem.where == ""  # frozen: a new problem
    again = placed.at("file.yaml")
    assert again.where == 'file.yaml: web/templates/d.yaml: deployment "web"'
    assert (again.message, again.fix, again.key) == (problem.message, problem.fix, problem.key)


def test_consul_inject_error_from_a_message_a_problem_or_several() -> None:
    assert ConsulInjectError("bad").problems == [Problem("bad")]
    one = Problem("bad", key="k")
    assert ConsulInjectError(one).problems == [one]
    two = [Problem("a"), Problem("b", "fix")]
    err = ConsulInjectError(iter(two))
    assert err.problems == two
    assert str(err) == "a\nb; fix"


def test_template_error_is_one_problem_with_a_key() -> None:
    err = TemplateError("consul.hashicorp.com/connect-service", "is empty", "name a service")
    assert isinstance(err, ConsulInjectError)
    assert err.problems == [Problem("is empty", "name a service",
                                    "consul.hashicorp.com/connect-service")]
    assert str(err) == "consul.hashicorp.com/connect-service: is empty; name a service"


def test_template_error_of_several() -> None:
    combined = TemplateError.of([TemplateError("a", "x"), TemplateError("b", "y", "z")])
    assert isinstance(combined, TemplateError)
    assert [p.text() for p in combined.problems] == ["a: x", "b: y; z"]
    assert str(combined) == "a: x\nb: y; z"


TEXT = st.text(st.characters(blacklist_categories=["Cc", "Cs"]), max_size=12)


@given(TEXT.filter(bool), TEXT, TEXT, TEXT)
def test_text_is_one_line_holding_every_part_in_order(message: str, fix: str, key: str,
                                                      where: str) -> None:
    text = Problem(message, fix, key, where).text()
    assert "\n" not in text
    assert text.endswith(f"{message}; {fix}" if fix else message)
    position = 0
    for part in (where, key, message, fix):
        if part:
            position = text.index(part, position)
