"""One values tree checked: the schema (jsonschema), then the rules it cannot express, each
failure one `Problem` placed where its key was written and sorted by place.

A null deletes a key in Helm, so nulls are not checked. Two failures with the same key and
message are one problem.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from consul_inject.problems import Problem
from consul_inject.values import rules, schema
from consul_inject.values.files import Mark
from consul_inject.values.messages import explain, not_a_map
from consul_inject.values.tree import Path, dotted, prune


def check(values: Any, marks: Mapping[Path, Mark] | None = None, *,
          chart_rules: bool = True) -> list[Problem]:
    """Every problem in one values tree (errors and warnings). `marks` say where each key was
    written. `chart_rules` adds the official chart's `fail` rules that read keys outside our
    sections; they predict that chart's failure for values as a user wrote them, so they are
    off for trees that already hold our chart's defaults (the settings ConfigMap)."""
    marks = marks or {}
    if values is None:
        return []
    if not isinstance(values, dict):
        return [_placed(Problem(not_a_map(values)), marks)]
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for found in _problems(prune(values), chart_rules):
        if (found.key, found.message) not in seen:
            seen.add((found.key, found.message))
            problems.append(_placed(found, marks))
    return sorted(problems, key=lambda p: (_mark(p.path, marks) or (-1, "", 0, 0), p.key))


def _problems(values: dict[str, Any], chart_rules: bool) -> Iterator[Problem]:
    for error in schema.iter_errors(values):
        path, message = explain(error)
        yield rules.problem(path, message)
    if chart_rules:
        yield from rules.chart_rules(values)
    yield from rules.injector_rules(values)
    yield from rules.top_level(values)
    yield from rules.formats(values)


def _mark(path: Path, marks: Mapping[Path, Mark]) -> Mark | None:
    """Where `path` was written, else the first of its NEAR keys that was, else its closest
    written ancestor."""
    path = tuple(p if isinstance(p, int) else str(p) for p in path)  # marks hold text keys
    for candidate in (path, *rules.NEAR.get(path, ())):
        if candidate in marks:
            return marks[candidate]
    for end in range(len(path) - 1, -1, -1):
        if path[:end] in marks:
            return marks[path[:end]]
    return None


def _placed(problem: Problem, marks: Mapping[Path, Mark]) -> Problem:
    mark = _mark(problem.path, marks)
    if mark is None:
        return problem
    _, where, line, column = mark
    return replace(problem, where=where, line=line or None, column=column or None,
                   key=problem.key or dotted(problem.path))
