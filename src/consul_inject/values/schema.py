"""The values schema (JSON Schema draft-07) and a small evaluator for the keywords it uses.

The schema ships in three copies kept equal by tests: `schema/values.schema.json` (the source),
`chart/consul-connect-inject/values.schema.json` (Helm enforces it) and the package data read
here. The evaluator covers exactly the keywords the schema uses (`SUPPORTED`; a test fails when
the schema grows a keyword outside it) and yields every failure with its path, so `validate` can
name file, line and key. Helm 3, Helm 4 and the `jsonschema` package read the same file; the tests
check that they accept and refuse the same values as this evaluator. It exists because importing
`jsonschema` alone takes about 80 ms, more than the post-renderer may spend on values.

Two annotations of our own ride along, ignored by other validators: `format` names the rule a
`pattern` encodes (for messages), and a top-level `allOf` item with `x-rule`, `x-path` and
`x-message` is one of the chart's cross-field rules as an `if`/`then`, reported as one problem.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

Path = tuple[str | int, ...]

# Keywords the evaluator understands; annotations are accepted and carry no check.
CHECKED = frozenset({
    "type", "enum", "const", "properties", "additionalProperties", "propertyNames", "required",
    "items", "pattern", "minLength", "maxLength", "minimum", "maximum", "not", "anyOf", "allOf",
    "if", "then", "else",
})
ANNOTATIONS = frozenset({
    "$schema", "$id", "$comment", "title", "description", "default", "format", "x-rule", "x-path",
    "x-closed",
    "x-message",
})
SUPPORTED = CHECKED | ANNOTATIONS


@dataclass(frozen=True)
class SchemaError:
    """One failed keyword: where in the values, which keyword, the schema node that holds it."""

    path: Path
    keyword: str
    schema: Mapping[str, Any]
    instance: Any


@cache
def text() -> str:
    """The schema as shipped (what `consul-inject schema` prints)."""
    return resources.files("consul_inject").joinpath("data/values.schema.json").read_text("utf-8")


@cache
def load() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text())
    return data


def json_type(value: Any) -> str:
    """The JSON type name of a loaded YAML value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def is_type(value: Any, name: str) -> bool:
    actual = json_type(value)
    if name == "number":
        return actual in ("integer", "number")
    if name == "integer":
        return actual == "integer" or (actual == "number" and float(value).is_integer())
    return actual == name


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and bool(a == b)


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """ECMA-262 (and Go RE2) `$` matches only at the very end; Python's also before a final
    newline, so a trailing `$` becomes `\\Z`."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def matches(pattern: str, value: str) -> bool:
    return _regex(pattern).search(value) is not None


def valid(schema: Mapping[str, Any] | bool, instance: Any) -> bool:
    return next(iter_errors(schema, instance), None) is None


def iter_errors(schema: Mapping[str, Any] | bool, instance: Any,
                path: Path = ()) -> Iterator[SchemaError]:
    """Every failure of `instance` against `schema`. A node whose `type` fails reports only that;
    an `x-rule` node that fails reports one error for the whole rule."""
    if schema is True:
        return
    if schema is False:
        yield SchemaError(path, "false", {}, instance)
        return
    if "x-rule" in schema:
        rule = {k: v for k, v in schema.items() if k != "x-rule"}
        if not valid(rule, instance):
            yield SchemaError(path, "x-rule", schema, instance)
        return
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(is_type(instance, name) for name in names):
            yield SchemaError(path, "type", schema, instance)
            return
    yield from _value_errors(schema, instance, path)
    if isinstance(instance, dict):
        yield from _object_errors(schema, instance, path)
    elif isinstance(instance, list) and "items" in schema:
        for index, item in enumerate(instance):
            yield from iter_errors(schema["items"], item, (*path, index))
    yield from _logic_errors(schema, instance, path)


def _value_errors(schema: Mapping[str, Any], instance: Any, path: Path) -> Iterator[SchemaError]:
    if "enum" in schema and not any(json_equal(instance, v) for v in schema["enum"]):
        yield SchemaError(path, "enum", schema, instance)
    if "const" in schema and not json_equal(instance, schema["const"]):
        yield SchemaError(path, "const", schema, instance)
    if isinstance(instance, str):
        if "pattern" in schema and not matches(schema["pattern"], instance):
            yield SchemaError(path, "pattern", schema, instance)
        if "minLength" in schema and len(instance) < schema["minLength"]:
            yield SchemaError(path, "minLength", schema, instance)
        if "maxLength" in schema and len(instance) > schema["maxLength"]:
            yield SchemaError(path, "maxLength", schema, instance)
    if is_type(instance, "number"):
        if "minimum" in schema and instance < schema["minimum"]:
            yield SchemaError(path, "minimum", schema, instance)
        if "maximum" in schema and instance > schema["maximum"]:
            yield SchemaError(path, "maximum", schema, instance)


def _object_errors(schema: Mapping[str, Any], instance: dict[str, Any],
                   path: Path) -> Iterator[SchemaError]:
    for name in schema.get("required", ()):
        if name not in instance:
            yield SchemaError((*path, name), "required", schema, instance)
    props: Mapping[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    if schema.get("x-closed") is True:
        extra = False  # closed for consul-inject, open for Helm (see the schema's x-closed note)
    names = schema.get("propertyNames")
    for key, value in instance.items():
        if names is not None and not valid(names, key):
            yield SchemaError((*path, key), "propertyNames", names, key)
        if key in props:
            yield from iter_errors(props[key], value, (*path, key))
        elif extra is False:
            yield SchemaError((*path, key), "additionalProperties", schema, value)
        elif isinstance(extra, dict):
            yield from iter_errors(extra, value, (*path, key))


def _logic_errors(schema: Mapping[str, Any], instance: Any, path: Path) -> Iterator[SchemaError]:
    for sub in schema.get("allOf", ()):
        yield from iter_errors(sub, instance, path)
    if "anyOf" in schema and not any(valid(sub, instance) for sub in schema["anyOf"]):
        yield SchemaError(path, "anyOf", schema, instance)
    if "not" in schema and valid(schema["not"], instance):
        yield SchemaError(path, "not", schema, instance)
    if "if" in schema:
        branch = "then" if valid(schema["if"], instance) else "else"
        if branch in schema:
            yield from iter_errors(schema[branch], instance, path)


def keywords(schema: Any) -> set[str]:
    """Every keyword used anywhere in a schema (for the test that pins SUPPORTED)."""
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key == "properties":
                for sub in value.values():
                    found |= keywords(sub)
            elif key in ("items", "additionalProperties", "propertyNames", "not", "if", "then",
                         "else"):
                found |= keywords(value)
            elif key in ("allOf", "anyOf"):
                for sub in value:
                    found |= keywords(sub)
    return found
