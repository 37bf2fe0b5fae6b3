"""The values schema (JSON Schema draft-07) of each consul-k8s version, checked by the
`jsonschema` package.

The consul-k8s 0.49 schema is package data (`data/values.schema.json`, the one source of every
key the versions share); the chart carries a copy (`data/chart/consul-connect-inject/
values.schema.json`, which Helm enforces), kept equal by a test. Helm 3, Helm 4 and this
validator read the same file; tests/helm checks that they accept and refuse the same values.
The 1.9 and 2.0 schemas are that file with overlays applied in order (`data/schema-overlays/`:
`dataplane.json` for what 1.9 and 2.0 share, then the version's own file). An overlay is a JSON
merge patch (RFC 7386): maps merge key by key, `null` removes a key (a 0.49-only value), and
anything else replaces, so a version writes only what differs from 0.49.

The validator is jsonschema's Draft7Validator extended with our annotations, which other
validators ignore:

- `x-closed: true`: the section refuses unknown keys for consul-inject, while it stays open for
  Helm (a parent chart's globals reach this chart as a subchart);
- an `allOf` item with `x-rule`, `x-path` and `x-message` is one of the chart's cross-field rules
  (an `if`/`then`); when it fails it is one error, reported at `x-path` with `x-message`;
- `pattern` has ECMA-262 (and Go RE2) semantics for a trailing `$`: it matches only at the very
  end, where Python's would also match before a final newline;
- `format` names the rule a `pattern` encodes (for messages); it checks nothing.

Errors come one per unknown key and one per missing key (at the key's path), and a node whose
`type` fails reports only that. jsonschema is imported on first use: a post-renderer run
without values never pays for it (about 80 ms).
"""

from __future__ import annotations

import json
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any

from consul_inject import tooloptions

Keyword = Callable[[Any, Any, Any, Mapping[str, Any]], Iterator[Any]]


DEFAULT_VERSION = tooloptions.DEFAULT_VERSION
# Each version's overlays over the 0.49 schema, applied in order.
OVERLAYS: dict[str, tuple[str, ...]] = {
    "0.49": (), "1.9": ("dataplane", "1.9"), "2.0": ("dataplane", "2.0"),
}
VERSIONS = tuple(OVERLAYS)


def _data(name: str) -> str:
    # pkgutil asks the package's own loader (a folder or a zip): importlib.resources would
    # import zipfile and tempfile as well, 5 ms of every post-renderer run that has values.
    data = pkgutil.get_data("consul_inject", f"data/{name}")
    if data is None:
        raise FileNotFoundError(f"consul_inject/data/{name}: the package's loader cannot read it")
    return data.decode("utf-8")


def known(version: str | None) -> str:
    """`version` if a schema exists for it, else the default (whose enum reports it)."""
    return version if version in OVERLAYS else DEFAULT_VERSION


@cache
def text(version: str = DEFAULT_VERSION) -> str:
    """A version's schema as JSON text (what `consul-inject schema` prints); 0.49's is the
    shipped file byte for byte."""
    if not OVERLAYS[known(version)]:
        return _data("values.schema.json")
    return json.dumps(load(version), indent=2, ensure_ascii=False) + "\n"


@cache
def load(version: str = DEFAULT_VERSION) -> dict[str, Any]:
    """A version's schema (shared: do not modify)."""
    data: dict[str, Any] = json.loads(_data("values.schema.json"))
    for name in OVERLAYS[known(version)]:
        data = merge_patch(data, json.loads(_data(f"schema-overlays/{name}.json")))
    return data


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: a map patch merges into a map (null removes the key); anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """ECMA-262 (and Go RE2) `$` matches only at the very end; Python's also before a final
    newline, so a trailing `$` becomes `\\Z`."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def iter_errors(instance: Any, schema: Mapping[str, Any] | None = None,
                version: str = DEFAULT_VERSION) -> Iterator[Any]:
    """Every jsonschema ValidationError of `instance` (the version's values schema unless
    `schema`)."""
    if schema is None:
        from consul_inject.values import quickcheck

        if quickcheck.valid(load(version), instance):
            return  # nothing to report: jsonschema is not imported (about 40 ms)
    checker = validator(version) if schema is None else _validator_class()(schema)
    yield from checker.iter_errors(instance)


def valid(schema: Mapping[str, Any] | bool, instance: Any) -> bool:
    """Whether `instance` passes `schema`, read with our annotations."""
    return bool(_validator_class()(schema).is_valid(instance))


@cache
def validator(version: str = DEFAULT_VERSION) -> Any:
    """The validator of a version's values schema (built once)."""
    return _validator_class()(load(version))


@cache
def _validator_class() -> Any:
    from jsonschema import Draft7Validator, validators  # type: ignore[import-untyped,unused-ignore]

    own: dict[str, Keyword] = {
        "pattern": _pattern, "additionalProperties": _additional, "x-closed": _closed,
        "required": _required, "propertyNames": _property_names, "allOf": _all_of,
    }
    keywords = {**Draft7Validator.VALIDATORS, **own}
    checks = {name: fn if name == "type" else _after_type(fn) for name, fn in keywords.items()}
    return validators.extend(Draft7Validator, checks)


def _error(message: str, **details: Any) -> Any:
    from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped,unused-ignore]

    return ValidationError(message, **details)


def _after_type(check: Keyword) -> Keyword:
    """A keyword that says nothing when the node's own `type` fails (that error says it)."""

    def run(validator: Any, value: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
        types = schema.get("type")
        if types is not None:
            names = [types] if isinstance(types, str) else types
            if not any(validator.is_type(instance, name) for name in names):
                return
        yield from check(validator, value, instance, schema)

    return run


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if isinstance(instance, str) and _regex(pattern).search(instance) is None:
        yield _error(f"{instance!r} does not match {pattern!r}")


def _unknown_keys(validator: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    known = schema.get("properties", {})
    for key, value in instance.items():
        if key not in known:
            yield _error(f"unknown key {key!r}", validator="additionalProperties", path=[key],
                         instance=value)


def _additional(validator: Any, extra: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    """One error per unknown key, at its path (jsonschema's is one error for all of them)."""
    if not isinstance(instance, dict) or schema.get("x-closed") is True:
        return  # x-closed reports them
    if isinstance(extra, dict):
        known = schema.get("properties", {})
        for key, value in instance.items():
            if key not in known:
                yield from validator.descend(value, extra, path=key)
    elif extra is False:
        yield from _unknown_keys(validator, instance, schema)


def _closed(validator: Any, closed: Any, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if closed is True and isinstance(instance, dict):
        yield from _unknown_keys(validator, instance, schema)


def _required(validator: Any, names: list[str], instance: Any,
              schema: Mapping[str, Any]) -> Iterator[Any]:
    if isinstance(instance, dict):
        for name in names:
            if name not in instance:
                yield _error(f"{name!r} is a required property", path=[name])


def _property_names(validator: Any, names: Any, instance: Any,
                    schema: Mapping[str, Any]) -> Iterator[Any]:
    if isinstance(instance, dict):
        for key in instance:
            if next(validator.descend(key, names), None) is not None:
                yield _error(f"{key!r} is not a valid key", path=[key], instance=key)


def _all_of(validator: Any, items: list[Any], instance: Any,
            schema: Mapping[str, Any]) -> Iterator[Any]:
    """A rule item (`x-rule`) fails as a whole, as one error at its `x-path`."""
    for index, item in enumerate(items):
        if isinstance(item, dict) and "x-rule" in item:
            if next(validator.descend(instance, item), None) is not None:
                yield _error(str(item["x-message"]), validator="x-rule", schema=item,
                             path=str(item["x-path"]).split("."), validator_value=item["x-rule"])
        else:
            yield from validator.descend(instance, item, schema_path=index)
