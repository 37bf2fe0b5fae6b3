"""OpenShift UIDs and GIDs of the injected containers (spec section 3.11), from the Namespace's
`openshift.io/sa.scc.uid-range` and `openshift.io/sa.scc.supplemental-groups` annotations.

The IDs available to a pod are the Namespace's range minus every runAsUser the pod already uses
(its own securityContext and its containers', the injected images excepted); connect-init takes
the highest available, consul-dataplane the one below it. Pure: the ranges are counted, never
listed (a range may hold 100000 IDs or more).
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from consul_inject.problems import TemplateError

UID_RANGE = "openshift.io/sa.scc.uid-range"
SUPPLEMENTAL_GROUPS = "openshift.io/sa.scc.supplemental-groups"
_ATOI_RE = re.compile(r"^[+-]?[0-9]+\Z")


class IDs(NamedTuple):
    """(dataplane, connect-init) user and group IDs."""

    dataplane_uid: int
    init_uid: int
    dataplane_gid: int
    init_gid: int


def _atoi(text: str, whole: str) -> int:
    if not _ATOI_RE.match(text):
        raise _invalid(whole)
    return int(text)


def _invalid(value: str) -> TemplateError:
    return TemplateError(UID_RANGE, "unable to get valid userIDs from namespace annotation: "
                         f"invalid range format: {value}",
                         'expected START/LENGTH (or START-LENGTH), e.g. "1000700000/10000"')


def parse_ranges(value: str) -> list[tuple[int, int]]:
    """The (start, length) blocks of an annotation: `start/length` or `start-length`, several
    separated by commas (supplemental groups)."""
    blocks = []
    for block in value.split(","):
        parts = re.split(r"[/-]", block.strip(), maxsplit=1) if block.strip() else []
        if len(parts) != 2:
            raise _invalid(value)
        blocks.append((_atoi(parts[0], value), max(0, _atoi(parts[1], value))))
    return blocks


def used_ids(spec: Mapping[str, Any], exempt_images: Iterable[str]) -> set[int]:
    """The runAsUser values the pod sets, apart from containers of the injected images."""
    exempt = set(exempt_images)
    found = [(spec.get("securityContext") or {}).get("runAsUser")]
    found += [(x.get("securityContext") or {}).get("runAsUser")
              for x in spec.get("containers") or []
              if isinstance(x, dict) and x.get("image") not in exempt]
    return {x for x in found if isinstance(x, int) and not isinstance(x, bool)}


def highest_available(ranges: list[tuple[int, int]], used: set[int], count: int) -> list[int]:
    """The `count` highest IDs of `ranges` not in `used`, highest first; refused when the
    ranges hold fewer."""
    out: list[int] = []
    for start, length in sorted(ranges, key=lambda r: r[0] + r[1], reverse=True):
        candidate = start + length - 1
        while candidate >= start and len(out) < count:
            if candidate not in used and candidate not in out:
                out.append(candidate)
            candidate -= 1
    out.sort(reverse=True)
    if len(out) < count:
        raise TemplateError(UID_RANGE, "namespace does not have enough available UIDs",
                            "the Namespace's range must leave two IDs the pod does not use")
    return out[:count]


def _pick(namespace_annotations: Mapping[str, str], key: str, spec: Mapping[str, Any],
          exempt_images: Iterable[str], count: int) -> list[int]:
    value = namespace_annotations.get(key)
    if key == SUPPLEMENTAL_GROUPS and not value:
        value = namespace_annotations.get(UID_RANGE)
    return highest_available(parse_ranges(value or ""), used_ids(spec, exempt_images), count)


def connect_init_uid(namespace_annotations: Mapping[str, str], spec: Mapping[str, Any],
                     exempt_images: Iterable[str] = ()) -> int:
    """The highest available UID."""
    return _pick(namespace_annotations, UID_RANGE, spec, exempt_images, 1)[0]


def dataplane_uid(namespace_annotations: Mapping[str, str], spec: Mapping[str, Any],
                  exempt_images: Iterable[str] = ()) -> int:
    """The second highest available UID."""
    return _pick(namespace_annotations, UID_RANGE, spec, exempt_images, 2)[1]


def ids(namespace_annotations: Mapping[str, str], spec: Mapping[str, Any],
        exempt_images: Iterable[str]) -> IDs:
    """The IDs of both injected containers; groups fall back to the UID range."""
    uids = _pick(namespace_annotations, UID_RANGE, spec, exempt_images, 2)
    gids = _pick(namespace_annotations, SUPPLEMENTAL_GROUPS, spec, exempt_images, 2)
    return IDs(uids[1], uids[0], gids[1], gids[0])
