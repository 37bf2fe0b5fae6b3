"""One source of values read once, with where each key was written: a values file (line and
column of every key, from the YAML node marks) or a tree given whole (a `--set` flag, the
settings ConfigMap, a mapping passed to the API), whose keys all point at the source itself."""

import sys
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from consul_inject import yamlcodec
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.values import tree as tree_mod
from consul_inject.values.messages import not_a_map
from consul_inject.values.tree import Path

# Where a key was written: (layer, where, line, column). `layer` is the order of the source in a
# merge (later sources win); line and column are 1-based, 0 when the source is not a file.
Mark = tuple[int, str, int, int]


class Layer(NamedTuple):
    """One source: its tree, the mark of each key path, and what stopped it from loading."""

    where: str
    tree: Any = None
    marks: Mapping[Path, Mark] = MappingProxyType({})
    problems: Sequence[Problem] = ()


def read_file(path: str, layer: int = 0) -> Layer:
    """A values file ("-" reads stdin). A file that cannot be read, is not YAML or whose top
    level is not a map gets one problem, placed in the file, and no tree."""
    where = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as file:
                raw = file.read()
        text = raw.decode("utf-8-sig")
    except OSError as err:
        return Layer(where, problems=[Problem(f"cannot read values file: {err.strerror}",
                                              where=where)])
    except UnicodeDecodeError:
        return Layer(where, problems=[Problem("values file is not UTF-8 text", where=where)])
    try:
        node, data = yamlcodec.load_with_node(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        what = "; ".join(str(x) for x in (err.context, err.problem) if x)
        return Layer(where, problems=[Problem(
            f"invalid YAML: {what}", where=where, line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None)])
    except (yaml.YAMLError, ConsulInjectError) as err:
        return Layer(where, problems=[Problem(f"invalid YAML: {err}", where=where)])
    if data is not None and not isinstance(data, dict):
        return Layer(where, problems=[Problem(not_a_map(data), where=where, line=1, column=1)])
    marks = _marks(node, where, layer)
    marks[()] = (layer, where, 1, 1)
    return Layer(where, data or {}, marks)


def whole(tree: Any, where: str, layer: int = 0) -> Layer:
    """A tree given whole: every key in it is marked with the source, without a line."""
    return Layer(where, tree, dict.fromkeys(tree_mod.paths(tree), (layer, where, 0, 0)))


def _marks(node: Node | None, where: str, layer: int) -> dict[Path, Mark]:
    """Path -> mark of its key (map entries) or of the item itself (list items)."""
    found: dict[Path, Mark] = {}
    stack: list[tuple[Node, Path]] = [(node, ())] if node is not None else []
    while stack:
        current, path = stack.pop()
        if isinstance(current, MappingNode):
            for key_node, value_node in current.value:
                sub = (*path, str(key_node.value))
                mark = key_node.start_mark
                found.setdefault(sub, (layer, where, mark.line + 1, mark.column + 1))
                stack.append((value_node, sub))
        elif isinstance(current, SequenceNode):
            for index, item in enumerate(current.value):
                mark = item.start_mark
                found[(*path, index)] = (layer, where, mark.line + 1, mark.column + 1)
                stack.append((item, (*path, index)))
    return found
