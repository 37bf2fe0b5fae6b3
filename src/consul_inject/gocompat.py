"""What Go and Kubernetes accept, for text that reaches the webhook's Go code or the API server.

One leaf module (it imports nothing of the package) so that every part of the package parses a
boolean, an integer, a duration or a name the same way: strconv.ParseBool and ParseInt,
time.ParseDuration, strconv.Quote, google/shlex, encoding/json, resource quantities, DNS labels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

# strconv.ParseBool ------------------------------------------------------------------------------

BOOLS: Mapping[str, bool] = {
    "1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
    "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False,
}
BOOL_FORM = 'expected one of "true", "false", "1", "0", "t", "f" (Go strconv.ParseBool)'


def parse_bool(value: str) -> bool:
    """strconv.ParseBool; raises ValueError with Go's message."""
    try:
        return BOOLS[value]
    except KeyError:
        raise ValueError(f'strconv.ParseBool: parsing "{value}": invalid syntax') from None


# strconv.ParseInt(s, 0, bits) ------------------------------------------------------------------

# Base prefixes, a leading 0 for octal, and `_` only between digits, as Go integer literals.
_INT_RE = re.compile(
    r"^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])*"
    r"|[1-9](?:_?[0-9])*)\Z"
)


def parse_int(text: str, bits: int, *, unsigned_too: bool = False) -> int:
    """strconv.ParseInt(text, 0, bits); with `unsigned_too`, ParseUint's wider range is also
    accepted (go-yaml tries both). Raises ValueError with Go's message."""
    if not _INT_RE.match(text):
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    clean = text.replace("_", "")
    sign = -1 if clean.startswith("-") else 1
    digits = clean.lstrip("+-")
    if digits[:2].lower() in ("0x", "0o", "0b"):
        value = int(digits[2:], {"x": 16, "o": 8, "b": 2}[digits[1].lower()])
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits[1:], 8)
    else:
        value = int(digits)
    value *= sign
    high = 2**bits if unsigned_too else 2 ** (bits - 1)
    if not -(2 ** (bits - 1)) <= value < high:
        raise ValueError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return value


# time.ParseDuration and Duration.String ---------------------------------------------------------

_DURATION_RE = re.compile(r"^[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+\Z")
_DURATION_PART_RE = re.compile(r"([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_NS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9,
            "m": 60 * 10**9, "h": 3600 * 10**9}


def parse_duration(text: str) -> int:
    """time.ParseDuration, in nanoseconds; raises ValueError."""
    if text in ("0", "+0", "-0"):
        return 0
    if not _DURATION_RE.match(text):
        raise ValueError(f'time: invalid duration "{text}"')
    sign = -1 if text.startswith("-") else 1
    total = 0.0
    for number, unit in _DURATION_PART_RE.findall(text.lstrip("+-")):
        total += float(number) * _UNIT_NS[unit]
    return sign * round(total)


def format_duration(ns: int) -> str:
    """time.Duration.String for the whole-millisecond values a timeout uses."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if ns >= size:
                return sign + _trim(ns / size) + unit
    hours, rest = divmod(ns, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    seconds = _trim(rest / 10**9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{seconds}"
    if minutes:
        return f"{sign}{minutes}m{seconds}"
    return sign + seconds


def _trim(number: float) -> str:
    text = f"{number:.9f}".rstrip("0").rstrip(".")
    return text or "0"


# strconv.Quote, google/shlex, encoding/json -----------------------------------------------------

_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                  "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def quote(text: str) -> str:
    """strconv.Quote: short escapes, then \\x, \\u or \\U for what Go does not print."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def shlex_split(text: str) -> list[str]:
    """Split like github.com/google/shlex; raises ValueError with its message.

    Unlike POSIX shells and Python's shlex: `#` starts a comment only at the start of a word, and
    inside double quotes a backslash escapes any character (it is dropped).
    """
    words: list[str] = []
    word: list[str] = []
    in_word = False
    state = "start"
    for ch in text:
        if state == "comment":
            state = "start" if ch == "\n" else "comment"
        elif state in ("escape", "dquote_escape"):
            word.append(ch)
            state = "word" if state == "escape" else "dquote"
        elif state == "dquote" and ch != '"':
            if ch == "\\":
                state = "dquote_escape"
            else:
                word.append(ch)
        elif state == "squote" and ch != "'":
            word.append(ch)
        elif state in ("dquote", "squote"):
            state = "word"  # the closing quote
        elif ch in " \t\r\n":
            if in_word:
                words.append("".join(word))
            word, in_word, state = [], False, "start"
        elif state == "start" and ch == "#":
            state = "comment"
        else:
            in_word = True
            state = {'"': "dquote", "'": "squote", "\\": "escape"}.get(ch, "word")
            if state == "word":
                word.append(ch)
    if state in ("escape", "dquote_escape"):
        raise ValueError("EOF found after escape character")
    if state in ("dquote", "squote"):
        raise ValueError("EOF found when expecting closing quote")
    if in_word:
        words.append("".join(word))
    return words


def json_compact(data: Any) -> str:
    """Compact JSON the way Go's encoding/json writes it (HTML characters escaped)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# Kubernetes names, quantities and addresses ------------------------------------------------------

DNS_LABEL_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
# Names that reach the init shell script: letters, digits and - . _ only (no quotes, `$`, spaces).
SAFE_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?\Z")
URL_PATH_RE = re.compile(r"^/[A-Za-z0-9._~/%-]*\Z")
_QUANTITY_RE = re.compile(
    r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?\Z"
)
QUANTITY_FORM = 'expected a Kubernetes quantity such as "100m", "0.5", "128Mi" or "1Gi"'


def is_dns_label(text: str, limit: int = 63) -> bool:
    """A DNS-1123 label (namespace names, multi-port service names)."""
    return len(text) <= limit and bool(DNS_LABEL_RE.match(text))


def is_quantity(text: str) -> bool:
    return bool(_QUANTITY_RE.match(text))


def is_ip(text: str) -> bool:
    """An IPv4 or IPv6 address as Go's net.ParseIP reads it: no IPv6 zone id (`%eth0`), which
    Python's ipaddress would accept with any text after it."""
    if "%" in text:
        return False
    import ipaddress  # 1 ms: only runs that check an address pay it

    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_ip_or_cidr(text: str) -> bool:
    if "%" in text:
        return False
    import ipaddress

    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}  # powers of 1024
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_SUFFIX = {v: k for k, v in _DECIMAL.items()}


@lru_cache(maxsize=256)  # a release repeats a handful of quantities in every pod
def canonical_quantity(text: str) -> str:
    """A Kubernetes resource.Quantity as the API server writes it back: the amount rounded up to
    nano units, in the input's format (binary suffix, decimal suffix or exponent) with the
    largest unit that keeps the number whole ("0.5" -> "500m", "1.5Gi" -> "1536Mi"); a binary
    amount that is not a whole number of bytes falls back to decimal suffixes."""
    match = _QUANTITY_RE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a quantity")
    number = re.match(r"^([+-]?)([0-9]*)(?:\.([0-9]*))?", text)
    assert number is not None
    suffix = text[number.end():]
    # The amount as the exact fraction num / den, in integers (fractions.Fraction would import
    # decimal as well: 3 ms of a run).
    fraction = number.group(3) or ""
    num, den = int((number.group(2) or "0") + fraction), 10 ** len(fraction)
    fmt, power = "decimal", 0
    if suffix in _BINARY:
        num *= 1024 ** _BINARY[suffix]
        fmt = "binary"
    elif suffix[:1] in ("e", "E"):
        power, fmt = int(suffix[1:]), "exponent"
    else:
        power = _DECIMAL[suffix]
    num, den = (num * 10 ** power, den) if power >= 0 else (num, den * 10 ** -power)
    nanos = -(-num * 10**9 // den)  # rounded up, as the API server rounds to nano units
    sign = "-" if number.group(1) == "-" and nanos else ""
    if nanos == 0:
        return "0"
    if fmt == "binary" and nanos % 10**9 == 0:
        whole, power = nanos // 10**9, 0
        while power < 6 and whole % 1024 == 0:
            whole, power = whole // 1024, power + 1
        return f"{sign}{whole}" + ("" if power == 0 else list(_BINARY)[power - 1])
    mantissa, exponent = nanos, -9
    while exponent < 18 and mantissa % 1000 == 0:
        mantissa, exponent = mantissa // 1000, exponent + 3
    if fmt == "exponent":
        return f"{sign}{mantissa}" + (f"e{exponent}" if exponent else "")
    return f"{sign}{mantissa}{_DECIMAL_SUFFIX[exponent]}"
