"""One values tree checked: the schema (jsonschema), then the rules it cannot express, each
failure one `Problem` placed where its key was written and sorted by place.

The schema and the chart's rules are those of the consul-k8s version the values select
(consulInject.consulK8sVersion, default 0.49), unless the caller names one. A null deletes a key
in Helm, so nulls are not checked. Two failures with the same key and message are one problem.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from consul_inject import tooloptions
from consul_inject.problems import Problem
from consul_inject.values import chartrules, rules, schema
from consul_inject.values.files import Mark
from consul_inject.values.messages import explain, not_a_map
from consul_inject.values.tree import Path, dotted, merge, prune, value_at


def version_of(values: Any) -> str:
    """The version whose schema checks `values`: the one they select, if it has a schema."""
    if not isinstance(values, dict):
        return schema.DEFAULT_VERSION
    return schema.known(tooloptions.version_of(values))


def version_conflict(values: Any, marks: Mapping[Path, Mark],
                     wanted: str | None) -> Problem | None:
    """An error at consulInject.consulK8sVersion when the values select another version than
    the command line's `wanted` (None: no conflict is possible)."""
    if wanted is None or not isinstance(values, dict):
        return None
    written = tooloptions.version_of(values) if value_at(values, tooloptions.VERSION_KEY) \
        is not None else None
    if written is None or written == wanted:
        return None
    path = tuple(tooloptions.VERSION_KEY.split("."))
    return _placed(rules.problem(path, f'selects consul-k8s "{written}", but --consul-k8s-version '
                                 f'is "{wanted}": remove one of them or make them agree (the '
                                 f'file is checked as "{written}")'), marks)


def check(values: Any, marks: Mapping[Path, Mark] | None = None, *,
          chart_rules: bool = True, version: str | None = None) -> list[Problem]:
    """Every problem in one values tree (errors and warnings). `marks` say where each key was
    written. `chart_rules` adds the official chart's `fail` rules that read keys outside our
    sections; they predict that chart's failure for values as a user wrote them, so they are
    off for trees that already hold our chart's defaults (the settings ConfigMap). `version`
    overrides the one the values select."""
    marks = marks or {}
    if values is None:
        return []
    if not isinstance(values, dict):
        return [_placed(Problem(not_a_map(values)), marks)]
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    tree = prune(values)
    if version is not None and value_at(tree, tooloptions.VERSION_KEY) is None:
        # Checked as if written: the schema's 0.49-only rules read the key.
        tree = merge(tree, {"consulInject": {"consulK8sVersion": version}})
    for found in _problems(tree, chart_rules, version_of(tree)):
        if (found.key, found.message) not in seen:
            seen.add((found.key, found.message))
            problems.append(_placed(found, marks))
    return sorted(problems, key=lambda p: (_mark(p.path, marks) or (-1, "", 0, 0), p.key))


def _problems(values: dict[str, Any], chart_rules: bool, version: str) -> Iterator[Problem]:
    for error in schema.iter_errors(values, version=version):
        path, message = explain(error, version)
        yield rules.problem(path, message)
    if chart_rules:
        yield from chartrules.chart_rules(values, version)
    yield from rules.injector_rules(values)
    yield from rules.hints(values, version)
    yield from rules.top_level(values, version)
    yield from rules.formats(values, schema.load(version))


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
    return problem._replace(where=where, line=line or None, column=column or None,
                            key=problem.key or dotted(problem.path))
