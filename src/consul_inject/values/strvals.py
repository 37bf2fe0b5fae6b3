"""`--set` values in Helm's strvals syntax: `a.b=c`, several assignments separated by commas,
`\\,` and `\\.` escapes, lists as `{x,y}`, indexes as `a[0]=x`; `true`/`false`/`null` and plain
integers are typed, everything else is a string (`--set-string` keeps everything a string).

`merge` (Helm's coalesce, from tree.py) and `resolve` (an unchecked merge of `-f` files and
`--set` flags) stay importable here for callers outside this package; `consul_inject.values.load`
is the checked way in.
"""

from __future__ import annotations

import re
from typing import Any

from consul_inject.problems import ConsulInjectError
from consul_inject.values import files
from consul_inject.values.tree import Values, merge

__all__ = ["MAX_INDEX", "MAX_KEY_PARTS", "Values", "merge", "parse_set", "resolve"]
MAX_INDEX = 65536  # Helm's strvals refuses larger list indexes too
MAX_KEY_PARTS = 100  # no chart value nests deeper; a bound keeps hostile flags cheap


def _typed(text: str, as_string: bool) -> Any:
    """Helm's strvals typedVal: true/false/null in any case, then base-10 int64 unless the text
    starts with "0" (so "0644" stays a string)."""
    if as_string:
        return text
    lower = text.lower()
    if lower in ("true", "false"):
        return lower == "true"
    if lower == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and re.fullmatch(r"[+-]?[0-9]+", text):
        number = int(text)
        if -(2**63) <= number < 2**63:
            return number
    return text


def _split_unescaped(text: str, sep: str) -> list[str]:
    """Split on `sep` outside `{...}` lists, honouring backslash escapes (kept for later)."""
    parts: list[str] = []
    buf: list[str] = []
    depth = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i : i + 2])
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    parts.append("".join(buf))
    return parts


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _key_parts(key: str, flag: str) -> list[str | int]:
    """`a.b[0].c` -> ["a", "b", 0, "c"]; `\\.` keeps a dot inside a key."""
    parts: list[str | int] = []
    for raw in _split_unescaped(key, "."):
        name, _, rest = raw.partition("[")
        if not name and not parts:
            raise ConsulInjectError(f"{flag}: empty key in {key!r}")
        if name:
            parts.append(_unescape(name))
        while rest:
            index, close, rest = rest.partition("]")
            if not close or not index.isdigit():
                raise ConsulInjectError(f"{flag}: bad list index in {key!r}; expected name[N]")
            if int(index) > MAX_INDEX:
                raise ConsulInjectError(f"{flag}: index {index} in {key!r} is too large (Helm allows "
                                 f"up to {MAX_INDEX})")
            parts.append(int(index))
            rest = rest.removeprefix("[")
    if len(parts) > MAX_KEY_PARTS:
        raise ConsulInjectError(f"{flag}: {key[:80]!r}... nests {len(parts)} levels; at most "
                         f"{MAX_KEY_PARTS} are accepted")
    return parts


def parse_set(expr: str, *, as_string: bool = False) -> Values:
    """One `--set` argument as a values tree."""
    flag = "--set-string" if as_string else "--set"
    result: Values = {}
    for assignment in _split_unescaped(expr, ","):
        if not assignment:
            continue
        key, eq, raw = assignment.partition("=")
        # An escaped `=` in the key is rare; Helm splits on the first unescaped one as well.
        if not eq:
            raise ConsulInjectError(f"{flag} {expr!r}: {assignment!r} has no '='; expected KEY=VALUE")
        value: Any
        if raw.startswith("{") and raw.endswith("}"):
            inner = raw[1:-1]
            value = [_typed(_unescape(x), as_string) for x in _split_unescaped(inner, ",")] \
                if inner else []
        else:
            value = _typed(_unescape(raw), as_string)
        _assign(result, _key_parts(key, flag), value, flag)
    return result


def _assign(tree: Values, parts: list[str | int], value: Any, flag: str) -> None:
    node: Any = tree
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        following = None if last else parts[i + 1]
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            if not isinstance(node, list):
                raise ConsulInjectError(f"{flag}: index [{part}] used on a non-list")
            while len(node) <= part:
                node.append(None)
            if last:
                node[part] = value
            else:
                if not isinstance(node[part], (dict, list)):
                    node[part] = empty
                node = node[part]
        elif last:
            node[part] = value
        else:
            if not isinstance(node.get(part), (dict, list)):
                node[part] = empty
            node = node[part]


def resolve(paths: list[str], sets: list[str], set_strings: list[str] | None = None) -> Values:
    """Merge `-f` files in order, then `--set`, then `--set-string` (Helm's order), unchecked;
    a file that does not load, or a `--set` that does not parse, raises ConsulInjectError."""
    merged: Values = {}
    for path in paths:
        layer = files.read_file(path)
        if layer.problems:
            raise ConsulInjectError(layer.problems)
        merged = merge(merged, layer.tree)
    for expr in sets:
        merged = merge(merged, parse_set(expr))
    for expr in set_strings or []:
        merged = merge(merged, parse_set(expr, as_string=True))
    return merged
