"""A small, fast block-style YAML writer for the JSON-like trees that injected documents are.

PyYAML's representer costs about 2 ms per injected Deployment; this writes the same shape of
YAML (block mappings, sequences at their key's indentation, literal blocks for multi-line text)
in a fraction of that. A string is written plain only when `yamlcodec` (go-yaml's meaning) reads
it back as the same string; otherwise it is double-quoted. `tests/unit/test_emitter.py` checks
load(emit(x)) == x over generated trees.
"""

from __future__ import annotations

import json
import marshal
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
    lines: list[str] = []
    head = _value_into(value, indent, lines)
    return head, lines


def _value_into(value: Any, indent: int, out: list[str]) -> str:
    """The text after `key:` or `-` for one value; its following lines go to `out`."""
    if isinstance(value, dict):
        if not value:
            return " {}"
        _mapping_into(value, indent + 2, out)
        return ""
    if isinstance(value, list):
        if not value:
            return " []"
        _sequence_into(value, indent, out)
        return ""
    if isinstance(value, str) and (block := literal(value, indent)) is not None:
        out.extend(block[1:])
        return " " + block[0]
    return " " + scalar(value)


def _mapping(data: dict[Any, Any], indent: int) -> list[str]:
    lines: list[str] = []
    _mapping_into(data, indent, lines)
    return lines


def _sequence(data: list[Any], indent: int) -> list[str]:
    lines: list[str] = []
    _sequence_into(data, indent, lines)
    return lines


# The writers append to one list of lines: no list per nested value, and a one-line string
# value (most of them) is written without the general path.
def _mapping_into(data: dict[Any, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    append = out.append
    for key, value in data.items():
        if type(value) is str and "\n" not in value:
            append(f"{pad}{_string(key) if type(key) is str else scalar(key)}: {_string(value)}")
        else:
            at = len(out)
            append(pad)  # the key's line, written once its value's tail is known
            tail = _value_into(value, indent, out)
            out[at] = f"{pad}{scalar(key)}:{tail}"


def _sequence_into(data: list[Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for item in data:
        at = len(out)
        if isinstance(item, (dict, list)) and item:
            if isinstance(item, dict):
                _mapping_into(item, indent + 2, out)
            else:
                _sequence_into(item, indent + 2, out)
            out[at] = pad + "- " + out[at][indent + 2:]
        else:
            out.append(pad)
            tail = _value_into(item, indent, out)
            out[at] = f"{pad}-{tail}"


_BLOCKS: dict[tuple[bytes, int], list[str]] = {}


def _cached(data: Any, indent: int, write: Any) -> list[str]:
    """Injected blocks repeat from pod to pod (the same sidecar, init containers, volume):
    write each distinct one once. The key is marshal's bytes, not JSON: four times cheaper on
    these blocks, and it tells `1`, `True` and `"1"` apart as keys too (JSON writes them alike)."""
    try:
        key = (marshal.dumps(data), indent)
    except ValueError:  # a type marshal does not know (str subclasses included)
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
