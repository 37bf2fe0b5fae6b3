"""Which documents are read, and when: a cheap look at each document's `kind:` line decides
whether it is parsed at all, and pass 1 reads the kinds the release checks look up into the
release index, over every input of a run, before any workload is transformed.

Documents are read in two passes: first the kinds the checks look up (Services, accounts,
Namespaces), then the workloads, one at a time, so that only one parsed workload is in memory.
"""

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml
from yaml.nodes import Node

from consul_inject import podmeta, release, stream, workloads, yamlcodec
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.release import ReleaseIndex

if TYPE_CHECKING:
    from consul_inject.lists import Outline  # imported for large Lists only

_CONTEXT_KINDS = frozenset({"Namespace", "ServiceAccount", "Service", "Secret"})
_KIND_LINE_RE = re.compile(r"^kind:[ \t]*(['\"]?)([A-Za-z0-9]+)\1[ \t]*(?:#.*)?\r?$", re.MULTILINE)
UNKNOWN = "?"  # no single top-level `kind:` line: parse to find out
INDEX, TRANSFORM, PEEK = 1, 2, 4  # the passes a document takes part in; PEEK: read to warn
LARGE_LIST = 256 << 10  # characters: a List this long is read item by item (lists.py)
# Kinds never worth a look for a pod template of a custom resource injection does not know.
_NEVER_PEEK = frozenset({"ConfigMap", "Secret", "CustomResourceDefinition"})


def sniff_kind(text: str) -> str:
    """The kind named by the one top-level `kind:` line, or UNKNOWN. Cheap: no parsing, and
    the expression is tried only where a line begins with `kind:`."""
    kinds = [found[2] for at in stream.line_starts(text, "kind:")
             if (found := _KIND_LINE_RE.match(text, at)) is not None]
    return kinds[0] if len(kinds) == 1 else UNKNOWN


def kinds_of(segments: list[stream.Segment]) -> list[str]:
    return [sniff_kind(seg.text) if seg.is_document else "" for seg in segments]


def passes_of(kind: str) -> int:
    """Which passes read a document of this kind; 0: passed through unread (a kind injection
    never reads; Helm and kubectl still parse it)."""
    if kind == UNKNOWN:
        return INDEX | TRANSFORM
    if kind in _CONTEXT_KINDS:
        return INDEX
    if kind.endswith("List"):
        return INDEX | TRANSFORM
    return TRANSFORM if kind in workloads.WORKLOAD_KINDS else 0


def late_passes(seg: stream.Segment, which: int, kind: str, kinds: workloads.Kinds) -> int:
    """Passes known only once the settings are: the custom kinds they add, and a look at other
    documents that name the inject annotation (a custom resource with a pod template)."""
    if which or not seg.is_document:
        return which
    if kind in kinds.names:
        return TRANSFORM
    if kind not in _NEVER_PEEK and podmeta.INJECT in seg.text:
        return PEEK
    return 0


class Doc(NamedTuple):
    segment: stream.Segment
    data: Any = None
    node: Node | None = None  # the composed tree, with positions for patching the text
    parts: "Outline | None" = None  # a large List's outline instead of both: read item by item


def parse(segment: stream.Segment, source: str, *, positions: bool = True) -> Doc:
    """The document read; without `positions` (a document only read, never patched) the node
    tree is not kept and plain block YAML is read without composing one."""
    try:
        if positions:
            node, data = yamlcodec.load_with_node(segment.text)
        else:
            node, data = None, yamlcodec.load_data(segment.text)
    except yaml.MarkedYAMLError as err:
        line, col, problem = yamlcodec.error_position(err, segment.line)
        template = segment.template()
        where = f"{source}:{line}:{col}" + (f" ({template})" if template else "")
        raise ConsulInjectError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as err:
        raise ConsulInjectError(f"{source}:{segment.line}: invalid YAML: {err}") from None
    except ConsulInjectError as err:
        raise ConsulInjectError(f"{source}:{segment.line}: {err}") from None
    return Doc(segment, data, node)


class Shared:
    """The release every input of a run belongs to: one index and the settings ConfigMaps of
    all of them (a folder, a kustomize base, several files), built by `index_release` before
    any input is transformed."""

    __slots__ = ("errors", "index", "settings_maps", "unread")

    def __init__(self, index: ReleaseIndex | None = None,
                 settings_maps: list[dict[str, Any]] | None = None) -> None:
        self.index = index if index is not None else ReleaseIndex()
        self.settings_maps = settings_maps if settings_maps is not None else []
        self.errors: list[list[Problem]] = []  # per input: what pass 1 could not read
        self.unread: list[set[int]] = []  # per input: those documents, for pass 2

    @property
    def failed(self) -> bool:
        return any(self.errors)


def index(segments: list[stream.Segment], passes: list[int], source: str, namespace: str, *,
          into: Shared, errors: list[Problem], lists_from: int = LARGE_LIST) -> dict[int, Doc]:
    """Pass 1: read the kinds the checks look up into the release index, and the chart's
    settings ConfigMaps. Returns the parsed documents that pass 2 needs as well (kind unknown
    until parsed), so each is parsed once; a document that does not parse gets pass 0. A List
    of `lists_from` characters or more is read item by item and not kept (lists.py)."""
    kept: dict[int, Doc] = {}
    for i, (seg, which) in enumerate(zip(segments, passes, strict=True)):
        settings_map = release.SETTINGS_LABEL in seg.text
        if not (which & INDEX or (settings_map and seg.is_document)):
            continue
        if which & TRANSFORM and len(seg.text) >= lists_from \
                and (found := _index_in_parts(seg, namespace, into, settings_map)) is not None:
            kept[i] = Doc(seg, parts=found)  # pass 2 reads it item by item too
            continue
        try:
            doc = parse(seg, source, positions=bool(which & TRANSFORM))
        except ConsulInjectError as err:
            errors.extend(err.problems)
            passes[i] = 0
            continue
        for res in workloads.resources(doc.data):
            into.index.add(res, namespace)
            if settings_map:
                into.settings_maps.append(res)
        if which & TRANSFORM:
            kept[i] = doc
    return kept


def _index_in_parts(seg: stream.Segment, namespace: str, into: Shared,
                    settings_map: bool) -> "Outline | None":
    """A large List into the index item by item: its outline, or None: read it whole."""
    from consul_inject import lists  # large Lists only

    def wanted(res: Any) -> bool:  # the only kinds the index keeps, and settings_values reads
        kind = res.get("kind")
        return kind in _CONTEXT_KINDS or (settings_map and kind == "ConfigMap")

    found = lists.outline(seg.text)
    items = lists.read_wanted(seg.text, found, wanted) if found is not None else None
    if found is None or items is None:
        return None
    for res in [found.head, *items]:
        if res.get("kind") in _CONTEXT_KINDS:
            into.index.add(res, namespace)
        if settings_map and res.get("kind") == "ConfigMap":
            into.settings_maps.append(res)
    return found


def read(segment: stream.Segment, source: str, lists_from: int) -> Doc:
    """Pass 2's reading of a document pass 1 did not keep: as `parse`, but a List of
    `lists_from` characters or more only outlined, to be read item by item."""
    if len(segment.text) >= lists_from:
        from consul_inject import lists  # large Lists only

        found = lists.split(segment.text)
        if found is not None:
            return Doc(segment, parts=found)
    return parse(segment, source)


def index_release(inputs: Iterable[tuple[bytes, str, str]]) -> Shared:
    """Pass 1 over every input (bytes, source name, default namespace) of a run, one input's
    text at a time. An input that cannot be decoded is left to its own pass 2 to report."""
    shared = Shared()
    for data, source, namespace in inputs:
        errors: list[Problem] = []
        unread: set[int] = set()
        shared.errors.append(errors)
        shared.unread.append(unread)
        try:
            text = stream.decode(data, source)
            del data
            stream.check_tool_output(text, source)
            _, segments = stream.split(text)
            del text
        except ConsulInjectError:
            continue
        passes = [passes_of(kind) for kind in kinds_of(segments)]
        before = list(passes)
        index(segments, passes, source, namespace, into=shared, errors=errors)
        unread.update(i for i, (was, now) in enumerate(zip(before, passes, strict=True))
                      if was & TRANSFORM and not now)
    return shared
