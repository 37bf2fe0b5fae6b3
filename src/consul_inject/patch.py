"""Edit a document's YAML text in place so that it reads as a changed tree.

Injection only appends keys and list items and replaces a few scalars (probe ports, annotation
values); uninjection removes what injection appended. Doing that as text edits on the original,
instead of writing the whole document anew, keeps every untouched line as it was: comments, key
order, quoting, indentation. `uninject(inject(x))` then gives back x byte for byte.

`rewrite` returns None where an edit would be ambiguous (anchors and aliases, merge keys, a value
changing kind); callers then write the document anew with `emitter`.
"""

from __future__ import annotations

from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from consul_inject import emitter

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Unpatchable(Exception):
    pass


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _flow_scalar(value: Any) -> str:
    text = emitter.scalar(value)
    # In flow context a plain scalar may not hold flow indicators or start with `?`/`:`.
    if isinstance(value, str) and (any(c in text for c in ",[]{}") or text.startswith(("?", ":"))):
        return emitter.quoted(value)
    return text


def _flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_flow_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _flow_scalar(value)


class _Patch:
    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.edits: list[tuple[int, int, str]] = []
        # A merge key is a plain `<<` or carries a tag, which needs a `!`: without either, no
        # mapping needs the per-key look for one.
        self.merges = "<<" in text or "!" in text

    # positions ---------------------------------------------------------------------------

    def end_of(self, node: Node) -> int:
        """Where the last character of a node's content is (block collections: their last leaf)."""
        if isinstance(node, (MappingNode, SequenceNode)) and not node.flow_style and node.value:
            last = node.value[-1]
            return self.end_of(last[1] if isinstance(node, MappingNode) else last)
        return int(node.end_mark.index)

    def line_end(self, pos: int) -> int:
        if pos > 0 and self.text[pos - 1] == "\n":
            return pos
        newline = self.text.find("\n", pos)
        return newline + 1 if newline >= 0 else len(self.text)

    def before_break(self, pos: int) -> int:
        """The end of the line holding the character before `pos`, before its line break."""
        end = self.line_end(pos)
        if self.text[end - 2:end] == "\r\n":
            return end - 2
        return end - 1 if self.text[end - 1:end] == "\n" else end

    def line_start(self, pos: int) -> int:
        return self.text.rfind("\n", 0, pos) + 1

    def insert_lines(self, pos: int, lines: list[str]) -> None:
        block = self.newline.join(lines) + self.newline if lines else ""
        if pos == len(self.text) and not self.text.endswith("\n"):
            block = self.newline + block.removesuffix(self.newline)
        self.edits.append((pos, pos, block))

    def delete_lines(self, start: int, end: int) -> None:
        """Remove whole lines; at the very end of a text without a final newline, also the line
        break before them (which an insertion there added)."""
        if end == len(self.text) and not self.text.endswith("\n") and start > 0:
            start -= 2 if self.text[start - 2:start] == "\r\n" else 1
        self.edits.append((start, end, ""))

    def line_of(self, pos: int) -> int:
        """Start of the line holding `pos`, which must be the line's first non-blank character."""
        start = self.line_start(pos)
        if self.text[start:pos].strip():
            raise _Unpatchable("shares its line")
        return start

    # the walk ------------------------------------------------------------------------------

    def diff(self, node: Node, old: Any, new: Any, *, flow: bool, indent: int,
             key_end: int | None) -> None:
        # No node is reached twice: `rewrite` has refused trees with aliases before the walk.
        if _same(old, new):
            return
        if isinstance(node, MappingNode) and isinstance(old, dict) and isinstance(new, dict):
            if node.flow_style and not old and not flow and key_end is not None:
                self.fill(node, new, indent, key_end)
            else:
                self.mapping(node, old, new, flow=flow or bool(node.flow_style), key_end=key_end)
        elif isinstance(node, SequenceNode) and isinstance(old, list) and isinstance(new, list):
            if node.flow_style and not old and not flow and key_end is not None:
                self.fill(node, new, indent, key_end)
            else:
                self.sequence(node, old, new, flow=flow or bool(node.flow_style), key_end=key_end)
        elif isinstance(node, ScalarNode) and not isinstance(new, (dict, list)):
            self.scalar(node, new, flow, indent)
        elif isinstance(node, ScalarNode) and old is None and not flow and key_end is not None:
            self.fill(node, new, indent, key_end)
        elif new is None and not flow and key_end is not None and not getattr(node, "flow_style", False):
            self.edits.append((key_end, self.before_break(self.end_of(node)), ":"))  # null again
        else:
            raise _Unpatchable("a value changes kind")

    def scalar(self, node: ScalarNode, new: Any, flow: bool, indent: int) -> None:
        start, end = int(node.start_mark.index), int(node.end_mark.index)
        block = emitter.literal(new, indent) if isinstance(new, str) and not flow else None
        if block is not None:
            text = block[0] + self.newline + self.newline.join(block[1:])
        else:
            text = _flow_scalar(new) if flow else emitter.scalar(new)
        if node.style in ("|", ">") and self.text[end - 1:end] == "\n":
            text += "\n"
        self.edits.append((start, end, text))

    def fill(self, node: Node, new: Any, indent: int, key_end: int) -> None:
        """A null, `{}` or `[]` value that gains content becomes a block under its key."""
        if isinstance(new, dict) and new:
            lines = emitter.block_mapping(new, indent + 2)
        elif isinstance(new, list) and new:
            lines = emitter.block_sequence(new, indent)
        else:
            text = ": {}" if isinstance(new, dict) else ": []" if isinstance(new, list) else None
            if text is None:
                raise _Unpatchable("scalar to collection")
            self.edits.append((key_end, int(node.end_mark.index), text))
            return
        self.edits.append((key_end, int(node.end_mark.index),
                           ":" + self.newline + self.newline.join(lines)))

    def mapping(self, node: MappingNode, old: dict[Any, Any], new: dict[Any, Any], *, flow: bool,
                key_end: int | None) -> None:
        pairs = node.value
        if len(pairs) != len(old) or (self.merges and any(k.tag == _MERGE_TAG for k, _ in pairs)):
            raise _Unpatchable("merge keys")
        kept = [key for key in old if key in new]
        if flow and not kept and old:
            self.replace_flow(node, new)
            return
        if flow and len(kept) != len(old):
            self.delete_flow_items([(int(k.start_mark.index), int(v.end_mark.index)) for k, v in pairs],
                                   [i for i, key in enumerate(old) if key not in new])
        if not flow and not kept and not new and key_end is not None:
            # Every key goes and the mapping was `{}` before: write it back as `{}`.
            self.edits.append((key_end, self.end_of(node), ": {}"))
            return
        for (key_node, value_node), key in zip(pairs, old, strict=True):
            if key in new:
                was, now = old[key], new[key]
                if was is now or (type(was) is type(now) and was == now):
                    continue  # most keys: diff would return at once, a call not worth making
                self.diff(value_node, was, now, flow=flow,
                          indent=int(key_node.start_mark.column),
                          key_end=int(key_node.end_mark.index))
            elif not flow:
                self.delete_lines(self.line_of(int(key_node.start_mark.index)),
                                  self.line_end(self.end_of(value_node)))
        added = {k: v for k, v in new.items() if k not in old}
        if not added:
            return
        if flow:
            close = int(node.end_mark.index) - 1
            items = ", ".join(f"{_flow_scalar(k)}: {_flow(v)}" for k, v in added.items())
            self.edits.append((close, close, (", " if pairs else "") + items))
        else:
            indent = int(pairs[0][0].start_mark.column)
            self.insert_lines(self.line_end(self.end_of(node)),
                              emitter.block_mapping(added, indent))

    def sequence(self, node: SequenceNode, old: list[Any], new: list[Any], *, flow: bool,
                 key_end: int | None) -> None:
        items = node.value
        if len(items) != len(old):
            raise _Unpatchable("sequence")
        lead, new = self.leading(old, new)
        pairs: list[tuple[int, int]] = []  # (old index, new index) of items kept in place
        j = 0
        for i in range(len(old)):
            if j < len(new) and _matches(old[i], new[j]):
                pairs.append((i, j))
                j += 1
        deleted = sorted(set(range(len(old))) - {i for i, _ in pairs})
        rest = new[j:]
        if flow and deleted and not pairs:
            self.replace_flow(node, new)
            return
        if flow and deleted:
            self.delete_flow_items([(int(x.start_mark.index), int(x.end_mark.index)) for x in items],
                                   deleted)
        for i, k in pairs:
            self.diff(items[i], old[i], new[k], flow=flow, indent=int(node.start_mark.column),
                      key_end=None)
        if not flow and len(deleted) == len(items) and not new and key_end is not None:
            self.edits.append((key_end, self.end_of(node), ": []"))
            return
        for i in [] if flow else deleted:
            dash = self.text.rfind("-", 0, int(items[i].start_mark.index) + 1)
            self.delete_lines(self.line_of(dash), self.line_end(self.end_of(items[i])))
        if lead and flow:  # before the first item, so that removing it undoes this exactly
            first = int(items[0].start_mark.index)
            self.edits.append((first, first, "".join(_flow(v) + ", " for v in lead)))
        elif lead:
            dash = self.text.rfind("-", 0, int(items[0].start_mark.index) + 1)
            self.insert_lines(self.line_of(dash),
                              emitter.block_sequence(lead, int(node.start_mark.column)))
        if not rest:
            return
        if flow:
            close = int(node.end_mark.index) - 1
            self.edits.append((close, close, (", " if items else "") +
                               ", ".join(_flow(v) for v in rest)))
        else:
            self.insert_lines(self.line_end(self.end_of(node)),
                              emitter.block_sequence(rest, int(node.start_mark.column)))

    @staticmethod
    def leading(old: list[Any], new: list[Any]) -> tuple[list[Any], list[Any]]:
        """(new items put before the first old one, the rest of `new`): a list that gains items
        at its head (consul-k8s 1.9+ puts its sidecar first) keeps its own items' text."""
        if not old or not new or _matches(old[0], new[0]):
            return [], new
        k = next((k for k, item in enumerate(new) if _matches(old[0], item)), None)
        if k is None or any(_matches(o, n) for o in old for n in new[:k]):
            return [], new
        return new[:k], new[k:]

    def delete_flow_items(self, spans: list[tuple[int, int]], deleted: list[int]) -> None:
        """Remove items of a flow collection with their separating comma, exactly undoing an
        append (`, item` before the closing bracket). Some item must stay."""
        gone = set(deleted)
        first_kept = min(set(range(len(spans))) - gone)
        if first_kept:
            self.edits.append((spans[0][0], spans[first_kept][0], ""))
        for i in sorted(gone):
            if i > first_kept:
                self.edits.append((spans[i - 1][1], spans[i][1], ""))

    def replace_flow(self, node: Node, new: Any) -> None:
        self.edits.append((int(node.start_mark.index), int(node.end_mark.index), _flow(new)))

    def result(self) -> str:
        # Applied back to front. Of two insertions at one place, the one planned first (a list's
        # items) must end up first, before what its parent mapping appends (the next key).
        order = sorted(range(len(self.edits)), key=lambda i: (self.edits[i][0], self.edits[i][1], i),
                       reverse=True)
        text = self.text
        for i in order:
            start, end, replacement = self.edits[i]
            text = text[:start] + replacement + text[end:]
        return text


def _matches(a: Any, b: Any) -> bool:
    """Is new item `b` the old item `a`, changed in place? Named items (containers, volumes,
    env vars) by name; anything else by position."""
    if _same(a, b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return bool(a.get("name") == b.get("name"))
    return not isinstance(a, (dict, list)) and not isinstance(b, (dict, list))


def _shares_nodes(text: str, root: Node) -> bool:
    """Does the tree use an alias or a merge key? (Only walked when the text could.)"""
    if "*" not in text and "<<" not in text:
        return False
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if key.tag == _MERGE_TAG:
                    return True
                stack.extend((key, value))
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return False


def rewrite(text: str, root: Node, old: Any, new: Any) -> str | None:
    """`text` (whose parse is `root`/`old`) edited to read as `new`, or None if not patchable."""
    if _shares_nodes(text, root):
        return None  # aliases and merge keys share nodes: an edit in one place shows in others
    patch = _Patch(text)
    try:
        patch.diff(root, old, new, flow=False, indent=0, key_end=None)
    except _Unpatchable:
        return None
    return patch.result()
