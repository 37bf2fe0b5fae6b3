"""Whether a values tree passes a version's schema, decided without importing jsonschema.

Importing jsonschema costs about 40 ms, more than the rest of a small post-renderer run, and a
run given only tool flags (`--consul-k8s-version 2.0 --cluster-dns-ip IP` become values) has
almost always nothing to report. `valid` answers True, False, or None when the schema uses a
keyword it does not know; only True is acted on (no schema errors, jsonschema is not
imported): False and None leave the messages to jsonschema, so they are the same as before.

It reads the schema as `schema.py`'s extended Draft 7 validator does: a `pattern` ending in
`$` matches only at the very end, `x-closed` refuses unknown keys, `format` and annotations
check nothing, and types are Draft 7's (a bool is no integer, 1.0 is one).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

_IGNORED = frozenset({"$comment", "$id", "$schema", "default", "description", "title",
                      "format", "examples", "x-message", "x-path", "x-rule", "then", "else"})


class _Unsure(Exception):
    """The schema uses a keyword this check does not read."""


def valid(schema: Mapping[str, Any] | bool, instance: Any) -> bool | None:
    """True if `instance` passes `schema`, False if not, None if this check cannot tell."""
    try:
        return _ok(schema, instance)
    except _Unsure:
        return None


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """As schema.py reads a pattern: a trailing `$` matches only at the very end."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda x: isinstance(x, str),
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _number,
    "integer": lambda x: _number(x) and (isinstance(x, int) or float(x).is_integer()),
}


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: a bool equals only a bool."""
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    return (type(one) is type(two) and one == two) or (_number(one) and _number(two)
                                                     and one == two)


def _ok(schema: Mapping[str, Any] | bool, x: Any) -> bool:
    if schema is True or schema is False:
        return schema
    for key, value in schema.items():
        if key in _IGNORED:
            continue
        check = _KEYWORDS.get(key)
        if check is None:
            raise _Unsure(key)
        if not check(value, x, schema):
            return False
    return True


def _type(names: Any, x: Any, _: Mapping[str, Any]) -> bool:
    return any(_TYPES[n](x) for n in ([names] if isinstance(names, str) else names))


def _properties(props: Mapping[str, Any], x: Any, _: Mapping[str, Any]) -> bool:
    return not isinstance(x, dict) or all(_ok(props[k], v) for k, v in x.items() if k in props)


def _additional(extra: Any, x: Any, schema: Mapping[str, Any]) -> bool:
    if not isinstance(x, dict):
        return True
    known = schema.get("properties", {})
    return all(_ok(extra, v) for k, v in x.items() if k not in known)


def _closed(closed: Any, x: Any, schema: Mapping[str, Any]) -> bool:
    known = schema.get("properties", {})
    return closed is not True or not isinstance(x, dict) or all(k in known for k in x)


def _items(items: Any, x: Any, _: Mapping[str, Any]) -> bool:
    if isinstance(items, list):
        raise _Unsure("items")
    return not isinstance(x, list) or all(_ok(items, v) for v in x)


def _if(condition: Any, x: Any, schema: Mapping[str, Any]) -> bool:
    branch = "then" if _ok(condition, x) else "else"
    return _ok(schema.get(branch, True), x)


def _size(limit: Any, x: Any, test: Callable[[int, Any], bool]) -> bool:
    return not isinstance(x, str) or test(len(x), limit)


_KEYWORDS: dict[str, Callable[[Any, Any, Mapping[str, Any]], bool]] = {
    "type": _type,
    "properties": _properties,
    "additionalProperties": _additional,
    "x-closed": _closed,
    "items": _items,
    "if": _if,
    "enum": lambda values, x, _: any(_equal(v, x) for v in values),
    "const": lambda value, x, _: _equal(value, x),
    "pattern": lambda p, x, _: not isinstance(x, str) or _regex(p).search(x) is not None,
    "maxLength": lambda n, x, _: _size(n, x, lambda size, limit: size <= limit),
    "minLength": lambda n, x, _: _size(n, x, lambda size, limit: size >= limit),
    "minimum": lambda n, x, _: not _number(x) or x >= n,
    "maximum": lambda n, x, _: not _number(x) or x <= n,
    "required": lambda names, x, _: not isinstance(x, dict) or all(n in x for n in names),
    "propertyNames": lambda names, x, _: not isinstance(x, dict) or all(_ok(names, k) for k in x),
    "not": lambda s, x, _: not _ok(s, x),
    "allOf": lambda items, x, _: all(_ok(s, x) for s in items),
    "anyOf": lambda items, x, _: any(_ok(s, x) for s in items),
    "oneOf": lambda items, x, _: sum(1 for s in items if _ok(s, x)) == 1,
}
