"""A small, fast block-style YAML writer for the JSON-like trees that injected documents are.

PyYAML's representer costs about 2 ms per injected Deployment; this writes the same shape of
YAML (block mappings, sequences at their key's indentation, literal blocks for multi-line text)
in a fraction of that. A string is written plain only when `yamlcodec` (go-yaml's meaning) reads
it back as the same string; otherwise it is double-quoted. `tests/unit/test_emitter.py` checks
load(emit(x)) == x over generated trees.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

from consul_inject import yamlcodec

# A plain scalar may not start with an indicator, except `-?:` followed by a non-space.
_PLAIN_RE = re.compile(
    r"^[^\s\-?:,\[\]{}#&*!|>'\"%@`][^\n\r\t]*\Z|^[-?:][^\s,\[\]{}#&*!|>'\"%@`][^\n\r\t]*\Z"
)
_UNSAFE_IN_PLAIN = (": ", " #", "\t")
_LITERAL_BAD = re.compile("[\r\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff]| \n| \\Z")
_QUOTE_ESCAPES = {"\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P", "\x7f": "\\x7f", "\ufeff": "\\uFEFF"}
_QUOTE_RE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")


_NOT_STR_RE = re.compile(
    "|".join(
        f"(?:{pattern.pattern})"
        for pattern in yamlcodec.NON_STRING_PATTERNS
    )
    + "|^<<$"
)


def quoted(text: str) -> str:
    dumped = json.dumps(text, ensure_ascii=False)
    return _QUOTE_RE.sub(lambda m: _QUOTE_ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), dumped)


@lru_cache(maxsize=8192)
def _string(value: str) -> str:
    if (
        _PLAIN_RE.match(value)
        and not value.endswith((" ", ":"))
        and not any(x in value for x in _UNSAFE_IN_PLAIN)
        and not value.startswith(("---", "..."))
        and value.isprintable()
        and not _NOT_STR_RE.match(value)
    ):
        return value
    return quoted(value)


def scalar(value: Any) -> str:
    """One scalar in flow position (a key, or a value on its key's line)."""
    if isinstance(value, str):
        return _string(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def literal(text: str, indent: int) -> list[str] | None:
    """`|` block lines for multi-line text, or None when a literal block cannot hold it."""
    if "\n" not in text or _LITERAL_BAD.search(text) or not text.strip():
        return None
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    hint = "2" if text[0] in " \n" else ""
    pad = " " * (indent + 2)
    lines = [f"|{hint}{chomp}"]
    lines.extend(pad + line if line else "" for line in body.split("\n"))
    lines.extend("" for _ in range(trailing - 1))
    return lines


def _value_lines(value: Any, indent: int) -> tuple[str, list[str]]:
    """(text after `key:` or `-`, following lines) for one value."""
    if isinstance(value, dict):
        if not value:
            return " {}", []
        return "", _mapping(value, indent + 2)
    if isinstance(value, list):
        if not value:
            return " []", []
        return "", _sequence(value, indent)
    if isinstance(value, str) and (block := literal(value, indent)) is not None:
        return " " + block[0], block[1:]
    return " " + scalar(value), []


def _mapping(data: dict[Any, Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for key, value in data.items():
        head, rest = _value_lines(value, indent)
        lines.append(f"{pad}{scalar(key)}:{head}")
        lines.extend(rest)
    return lines


def _sequence(data: list[Any], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for item in data:
        if isinstance(item, (dict, list)) and item:
            inner = _mapping(item, indent + 2) if isinstance(item, dict) else _sequence(item, indent + 2)
            lines.append(f"{pad}- {inner[0][indent + 2:]}")
            lines.extend(inner[1:])
        else:
            head, rest = _value_lines(item, indent)
            lines.append(f"{pad}-{head}")
            lines.extend(rest)
    return lines


_BLOCKS: dict[tuple[str, int], list[str]] = {}


def _cached(data: Any, indent: int, write: Any) -> list[str]:
    """Injected blocks repeat from pod to pod (the same sidecar, init containers, volume):
    write each distinct one once."""
    try:
        key = (json.dumps(data, ensure_ascii=False), indent)
    except (TypeError, ValueError):
        return list(write(data, indent))
    lines = _BLOCKS.get(key)
    if lines is None:
        if len(_BLOCKS) > 4096:
            _BLOCKS.clear()
        lines = _BLOCKS[key] = write(data, indent)
    return list(lines)


def block_mapping(data: dict[Any, Any], indent: int) -> list[str]:
    """Lines of a block mapping whose keys start at column `indent`."""
    return _cached(data, indent, _mapping)


def block_sequence(data: list[Any], indent: int) -> list[str]:
    """Lines of a block sequence whose dashes stand at column `indent`."""
    return _cached(data, indent, _sequence)


def emit(data: Any) -> str:
    """A whole document body (no `---`), ending with a newline."""
    if isinstance(data, dict) and data:
        return "\n".join(_mapping(data, 0)) + "\n"
    if isinstance(data, list) and data:
        return "\n".join(_sequence(data, 0)) + "\n"
    head, rest = _value_lines(data, 0)
    return "\n".join([head.lstrip(), *rest]) + "\n"
