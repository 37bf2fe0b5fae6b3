"""Values validation: load (with positions) -> check (schema, chart rules) -> report (text, JSON).

Every problem is reported, each as `file:line:col: key.path: message`, with lines and columns
from the YAML (PyYAML node marks). A null deletes a key in Helm, so nulls are not checked. The
post-renderer and `inject` call `validate_merged`, which merges `-f` files and `--set` values the
way Helm does and keeps, for each key, where it was last set.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path as FsPath
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from consul_inject import yamlcodec
from consul_inject.problems import ConsulInjectError
from consul_inject.values import rules as values_rules
from consul_inject.values import schema as schema_mod
from consul_inject.values import strvals as values_mod
from consul_inject.values.messages import describe, dotted, explain
from consul_inject.values.schema import Path


@dataclass(frozen=True)
class Position:
    """Where a key was written: a file (1-based line and column) or a `--set` flag (no line)."""

    source: str
    line: int = 0
    column: int = 0
    layer: int = field(default=0, compare=False)  # order of the source in a merge

    def text(self) -> str:
        return f"{self.source}:{self.line}:{self.column}" if self.line else self.source


Positions = Mapping[Path, Position]


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str
    severity: str = "error"
    position: Position | None = None

    @property
    def key(self) -> str:
        return dotted(self.path)

    def line(self) -> str:
        parts = [self.position.text()] if self.position else []
        if self.path:
            parts.append(self.key)
        if self.severity != "error":
            parts.append(self.severity)
        return ": ".join([*parts, self.message])

    def as_json(self) -> dict[str, Any]:
        pos = self.position
        return {"file": pos.source if pos else None, "line": pos.line if pos and pos.line else None,
                "column": pos.column if pos and pos.line else None, "path": self.key,
                "severity": self.severity, "message": self.message}


def positions_of(node: Node | None, source: str) -> dict[Path, Position]:
    """Path -> position of its key (mapping entries) or of the item itself (list items)."""
    found: dict[Path, Position] = {}
    stack: list[tuple[Node, Path]] = [(node, ())] if node is not None else []
    while stack:
        current, path = stack.pop()
        if isinstance(current, MappingNode):
            for key_node, value_node in current.value:
                sub = (*path, str(key_node.value))
                mark = key_node.start_mark
                found.setdefault(sub, Position(source, mark.line + 1, mark.column + 1))
                stack.append((value_node, sub))
        elif isinstance(current, SequenceNode):
            for index, item in enumerate(current.value):
                mark = item.start_mark
                found[(*path, index)] = Position(source, mark.line + 1, mark.column + 1)
                stack.append((item, (*path, index)))
    return found


def _prune(value: Any) -> Any:
    """Helm deletes a key whose value is null; what remains is what the chart sees."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def _locate(path: Path, positions: Positions, near: tuple[Path, ...] = ()) -> Position | None:
    """The position of `path`, else of the first of `near` that was written, else of the
    closest ancestor of `path` that was."""
    for candidate in (path, *near):
        found = positions.get(tuple(p if isinstance(p, int) else str(p) for p in candidate))
        if found is not None:
            return found
    for end in range(len(path), -1, -1):
        found = positions.get(tuple(p if isinstance(p, int) else str(p) for p in path[:end]))
        if found is not None:
            return found
    return None


def check_values(values_tree: Any, positions: Positions, *, official_rules: bool = True,
                 ) -> list[Problem]:
    """Every problem in one values tree: schema, the chart's rules, YAML inside strings.
    `official_rules` adds the official chart's `fail` rules that read keys outside our sections
    (clients, peering, external servers); they predict that chart's failure for values as a user
    wrote them, so they are off for trees that already hold our chart's defaults."""
    if values_tree is None:
        return []
    if not isinstance(values_tree, dict):
        return [Problem((), f"values must be a map of keys at the top level, not "
                            f"{describe(values_tree)}", position=_locate((), positions))]
    tree = _prune(values_tree)
    found: list[values_rules.Finding] = []
    for error in schema_mod.iter_errors(schema_mod.load(), tree):
        path, message = explain(error)
        found.append(values_rules.Finding(path, message))
    if official_rules:
        found.extend(values_rules.chart_rules(tree))
    found.extend(values_rules.top_level(tree))
    found.extend(values_rules.embedded(tree))
    problems: list[Problem] = []
    seen: set[tuple[Path, str]] = set()
    for item in found:
        if (item.path, item.message) in seen:
            continue
        seen.add((item.path, item.message))
        problems.append(Problem(item.path, item.message, item.severity,
                                _locate(item.path, positions, item.near)))
    return sorted(problems, key=_order)


def _order(problem: Problem) -> tuple[int, str, int, int, str]:
    pos = problem.position
    if pos is None:
        return (-1, "", 0, 0, problem.key)
    return (pos.layer, pos.source, pos.line, pos.column, problem.key)


def load_file(path: str) -> tuple[Any, dict[Path, Position], list[Problem]]:
    """(values, positions, problems that stopped loading) for one file; "-" reads stdin."""
    source = "<stdin>" if path == "-" else path
    try:
        raw = sys.stdin.buffer.read() if path == "-" else FsPath(path).read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as err:
        return None, {}, [Problem((), f"cannot read values file: {err.strerror}",
                                  position=Position(source))]
    except UnicodeDecodeError:
        return None, {}, [Problem((), "values file is not UTF-8 text", position=Position(source))]
    try:
        node, data = yamlcodec.load_with_node(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        where = Position(source, mark.line + 1, mark.column + 1) if mark else Position(source)
        problem = "; ".join(str(x) for x in (err.context, err.problem) if x)
        return None, {}, [Problem((), f"invalid YAML: {problem}", position=where)]
    except (yaml.YAMLError, ConsulInjectError) as err:
        return None, {}, [Problem((), f"invalid YAML: {err}", position=Position(source))]
    positions = positions_of(node, source)
    positions[()] = Position(source, 1, 1)
    return data, positions, []


def validate_file(path: str) -> list[Problem]:
    data, positions, problems = load_file(path)
    return problems or check_values(data, positions)


def validate_files(paths: Iterable[str]) -> list[Problem]:
    """Each file on its own, as a complete values file."""
    return [problem for path in paths for problem in validate_file(path)]


def validate_merged(files: list[str], sets: list[str], set_strings: list[str] | None = None,
                    base: Mapping[str, Any] | None = None,
                    base_source: str = "values from the stream") -> list[str]:
    """Errors (one line each) in the values Helm would see for `-f files --set sets`, over `base`
    (e.g. the chart's settings ConfigMap found in the stream, which holds the chart's defaults:
    the official chart's own rules are then not applied). Empty when all is well. A `--set`
    that does not parse raises ConsulInjectError, as `values.resolve` does."""
    merged: dict[str, Any] = {}
    positions: dict[Path, Position] = {}
    layers: list[tuple[Any, dict[Path, Position]]] = []
    if base:
        layers.append((dict(base), {p: Position(base_source) for p in _paths(base)}))
    for path in files:
        data, where, problems = load_file(path)
        if problems:
            return [p.line() for p in problems]
        if data is not None and not isinstance(data, dict):
            return [p.line() for p in check_values(data, where)]
        layers.append((data or {}, where))
    for flag, exprs, as_string in (("--set", sets, False), ("--set-string", set_strings or [], True)):
        for expr in exprs:
            tree = values_mod.parse_set(expr, as_string=as_string)
            layers.append((tree, {p: Position(f"{flag} {expr}") for p in _paths(tree)}))
    for layer, (tree, where) in enumerate(layers):
        merged = values_mod.merge(merged, tree)
        positions.update({path: replace(pos, layer=layer) for path, pos in where.items()})
    problems = check_values(merged, positions, official_rules=not base)
    return [p.line() for p in problems if p.severity == "error"]


def _paths(tree: Any, prefix: Path = ()) -> list[Path]:
    out: list[Path] = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            out.extend(_paths(value, (*prefix, str(key))))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            out.extend(_paths(value, (*prefix, index)))
    return out


def report_text(problems: list[Problem], files: int) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    lines = [p.line() for p in problems]
    noun = "file" if files == 1 else "files"
    if errors or warnings:
        lines.append(f"{errors} error{'s' if errors != 1 else ''}, {warnings} "
                     f"warning{'s' if warnings != 1 else ''} in {files} {noun}")
    else:
        lines.append(f"ok: {files} {noun} valid")
    return "\n".join(lines) + "\n"


def report_json(problems: list[Problem], paths: list[str]) -> str:
    errors = sum(1 for p in problems if p.severity == "error")
    bad = {p.position.source for p in problems if p.position and p.severity == "error"}
    body = {
        "valid": errors == 0,
        "errors": errors,
        "warnings": len(problems) - errors,
        "files": [{"file": "<stdin>" if f == "-" else f,
                   "valid": ("<stdin>" if f == "-" else f) not in bad} for f in paths],
        "problems": [p.as_json() for p in problems],
    }
    return json.dumps(body, indent=2) + "\n"
