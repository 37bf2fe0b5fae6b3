"""Annotation values read the way the 2.0 webhook's Go code reads them: ParseBool with `""` as
the default, ParseUint, Atoi (invalid means 0), and ports (a number or a container port name)
with the webhook's range checks and messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from consul_inject import podmeta
from consul_inject.problems import TemplateError

_ATOI_RE = re.compile(r"^[+-]?[0-9]+\Z")


def flag(a: Mapping[str, Any], key: str, default: bool) -> bool:
    """Bool with `""` meaning the default, as the lifecycle and metrics readers do."""
    return podmeta.get_bool(a, key, default, empty_is_default=True)


def uint(a: Mapping[str, Any], key: str, default: int) -> int:
    """Go strconv.ParseUint(v, 10, 64): digits only; `""` is an error."""
    raw = podmeta.get(a, key)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= 2**64:
        raise TemplateError(key, f'"{raw}" is not a whole number of 0 or more '
                            f'(strconv.ParseUint: parsing "{raw}": invalid syntax)',
                            'expected digits only, e.g. "30"')
    return int(raw)


def atoi(a: Mapping[str, Any], key: str, default: int) -> int:
    """Go strconv.Atoi, where the webhook takes an invalid value as 0 without a word."""
    raw = podmeta.get(a, key)
    if raw is None:
        return default
    if not _ATOI_RE.match(raw) or not -(2**63) <= int(raw) < 2**63:
        return 0
    return int(raw)


def port(a: Mapping[str, Any], spec: Mapping[str, Any], key: str, default: str, low: int) -> int:
    """A port annotation (number or container port name) in low-65535."""
    raw = podmeta.get(a, key)
    text = default if raw is None or raw == "" else raw
    try:
        number = podmeta.port_value(spec, text)
    except ValueError:
        raise TemplateError(key, f"annotation value of {text} is not a valid integer",
                            f"expected a port number {low}-65535 or a container port name"
                            ) from None
    if raw is not None and raw != "" and not low <= number <= 65535:
        what = "unprivileged port range" if low == 1024 else "valid port range"
        raise TemplateError(key, f"annotation value of {number} is not in the {what} "
                            f"{low}-65535", f"expected a port number {low}-65535")
    return number
