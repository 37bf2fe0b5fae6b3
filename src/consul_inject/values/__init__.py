"""Chart values in one place: load once (with positions), merge `-f`/`--set` once (Helm's
precedence), check once (the schema and the chart's rules), report.

Every rule that can refuse values lives in this package, so `consul-inject validate` and the
post-renderer always give the same verdict; a webhook version's settings mapper only maps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from consul_inject.problems import ConsulInjectError, Problem

BASE_SOURCE = "consul-connect-inject settings ConfigMap"


def load(files: Sequence[str] = (), sets: Sequence[str] = (), set_strings: Sequence[str] = (),
         *, base: Mapping[str, Any] | None = None,
         base_source: str = BASE_SOURCE) -> dict[str, Any]:
    """The merged values Helm would see for `-f files --set sets --set-string set_strings`
    over `base`, checked. Raises ConsulInjectError with every error found."""
    if not (files or sets or set_strings or base):
        return {}  # nothing to check: no schema validator to import
    from consul_inject.values import check, strvals

    lines = check.validate_merged(list(files), list(sets), list(set_strings), base=base,
                                  base_source=base_source)
    if lines:
        raise ConsulInjectError([Problem(line) for line in lines])
    merged = strvals.resolve(list(files), list(sets), list(set_strings))
    return strvals.merge(base, merged) if base else merged
