"""A large `v1 List` document read item by item (`kubectl get -o yaml` of a busy namespace).

Composed whole, a document's node tree takes about 50 bytes of memory a byte of text: a List of
5,000 items (0.5 MB) held 27 MB of nodes, over the bound of three times the input + 60 MB.
Here the List's events are walked once, without nodes, for where each item's text lies; each
item is then read on its own (its text indented to its own column, so that positions and
indentation are those of the whole document), and an edited item is spliced back into the text.
Only one item's nodes are held at a time.

Anything this cannot split exactly (a List in flow style or JSON, anchors and aliases, which may
reach across items, a tag on the List or its items, an item that is not a mapping) is left to
the whole-document reading, which also reports every error.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import yaml
from yaml import events

from consul_inject import emitter, patch, workloads, yamlcodec
from consul_inject.problems import ConsulInjectError


class Span(NamedTuple):
    """Where an item's text lies: text[start:end], its first line beginning at `column`."""

    start: int
    end: int
    column: int


class Outline(NamedTuple):
    head: dict[str, Any]  # the List without its items (`items: []`)
    items: list[Span]


def outline(text: str) -> Outline | None:
    """The List's head and where each item lies; None when it is not a List this can split."""
    loader = yamlcodec.KubeLoader(text)
    try:
        found = _walk(loader)
    except yaml.YAMLError:
        return None  # the whole document's reading reports it
    finally:
        loader.dispose()
    if found is None:
        return None
    (start, end, end_column), items = found
    try:
        head = yamlcodec.load(text[:start] + " []\n" + " " * end_column + text[end:])
    except (ConsulInjectError, yaml.YAMLError, ValueError):
        return None
    if not (isinstance(head, dict) and workloads.is_list(head) and head["items"] == []):
        return None
    return Outline(head, items)


def _walk(loader: yamlcodec.KubeLoader) -> tuple[tuple[int, int, int], list[Span]] | None:
    """(the items sequence's start, end and end column, the items' spans), or None."""
    get = loader.get_event
    opened = (get(), get(), get())
    if not (isinstance(opened[0], events.StreamStartEvent)
            and isinstance(opened[1], events.DocumentStartEvent)
            and _plain_collection(opened[2], events.MappingStartEvent)):
        return None
    sequence, items, keys = None, [], set()
    while not isinstance(key := get(), events.MappingEndEvent):
        if not isinstance(key, events.ScalarEvent) or key.anchor or key.tag or key.value in keys \
                or key.value == "<<":
            return None
        keys.add(key.value)
        value = get()
        if key.value == "items" and _plain_collection(value, events.SequenceStartEvent):
            while not isinstance(item := get(), events.SequenceEndEvent):
                if not _plain_collection(item, events.MappingStartEvent):
                    return None
                end = _skip(get)
                if end is None:
                    return None
                start, column = _at(item.start_mark)
                items.append(Span(start, end, column))
            sequence = (_at(value.start_mark)[0], *_at(item.end_mark))
        elif _skip(get, value) is None:
            return None
    if not (isinstance(get(), events.DocumentEndEvent) and isinstance(get(), events.StreamEndEvent)):
        return None
    return (sequence, items) if sequence is not None and items else None


def _at(mark: Any) -> tuple[int, int]:
    """A mark's index and column (the C parser marks every event)."""
    assert mark is not None
    return int(mark.index), int(mark.column)


def _plain_collection(event: events.Event, kind: type[events.Event]) -> bool:
    """A block collection of this kind, without anchor or tag."""
    return (isinstance(event, kind) and not getattr(event, "anchor", None)
            and not getattr(event, "tag", None) and not getattr(event, "flow_style", True))


def _skip(get: Any, first: events.Event | None = None) -> int | None:
    """Past one node, whose first event is `first` or, without it, an already opened
    collection; its end index, or None at an anchor or alias (or no more events)."""
    depth, event = (0, first) if first is not None else (1, get())
    while event is not None:
        if isinstance(event, events.AliasEvent) or getattr(event, "anchor", None):
            return None
        if isinstance(event, events.CollectionStartEvent):
            depth += 1
        elif isinstance(event, events.CollectionEndEvent):
            depth -= 1
        if depth == 0:
            return _at(event.end_mark)[0]
        event = get()
    return None


def _text(text: str, span: Span) -> str:
    """An item's own text: indented to its column, its positions and indentation are those of
    the whole document."""
    return " " * span.column + text[span.start:span.end]


UNREADABLE = (ConsulInjectError, yaml.YAMLError, ValueError)  # what reading an item may raise


def read(text: str, span: Span) -> Any:
    """One item's data; its nodes are let go."""
    return yamlcodec.load(_text(text, span))


def read_wanted(text: str, found: Outline, wanted: Callable[[Any], bool]) -> list[Any] | None:
    """Every item read once, one at a time: those `wanted` keeps, or None if one does not read
    (the whole document's reading then reports where). Nothing is used before all have read,
    so nothing is half done."""
    kept = []
    try:
        for span in found.items:
            item = read(text, span)
            if wanted(item):
                kept.append(item)
    except UNREADABLE:
        return None
    return kept


def split(text: str) -> Outline | None:
    """The outline of a List whose every item reads; None: read the document whole."""
    found = outline(text)
    return found if found is not None and read_wanted(text, found, _nothing) is not None else None


def _nothing(item: Any) -> bool:
    return False


def edit(text: str, span: Span, new: dict[str, Any]) -> str:
    """The item at `span` edited in place to read as `new`, for text[span.start:span.end]; where
    it cannot be edited in place (merge keys), written anew at its column (losing its comments,
    as a document written anew does)."""
    own = _text(text, span)
    node, data = yamlcodec.load_with_node(own)
    edited = patch.rewrite(own, node, data, new) if node is not None else None
    if edited is not None and edited.startswith(own[:span.column]):
        return edited[span.column:]
    body = own.rstrip(" ")  # what follows its last line: the next item's indentation, if any
    after = own[len(body):] if body.endswith("\n") else ""
    return "\n".join(emitter.block_mapping(new, span.column))[span.column:] + "\n" + after


def splice(text: str, found: Outline, edited: dict[int, str]) -> str:
    """`text` with the items at the given positions replaced by their edited texts."""
    pieces, at = [], 0
    for i in sorted(edited):
        span = found.items[i]
        pieces += [text[at:span.start], edited[i]]
        at = span.end
    pieces.append(text[at:])
    return "".join(pieces)
