"""Load and dump one YAML document with the meaning Kubernetes gives it.

Kubernetes reads manifests with go-yaml v2 (YAML 1.1 flavoured): `0644` is the integer 420,
`on`/`yes`/`y` are booleans, `1e3` is a float, and there is no sexagesimal `1:30`. PyYAML's
stock YAML 1.1 resolvers differ in those last points, so the loader here uses
a resolver table that follows go-yaml; `emitter` writes a string plain only when these rules
read it back as the same string, and quotes it otherwise.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

from consul_inject import gocompat
from consul_inject.problems import ConsulInjectError

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Bounds that keep hostile input from exhausting memory (see SECURITY notes in README).
MAX_DEPTH = 400  # a 100-level CRD schema nests about 200 YAML levels
MAX_EXPANDED_NODES = 1_000_000  # go-yaml refuses "excessive aliasing" similarly

_BOOL_TRUE = ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
_BOOL_FALSE = ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
_BOOL_RE = re.compile("^(?:" + "|".join(_BOOL_TRUE + _BOOL_FALSE) + ")$")
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
# go-yaml removes every "_" and then tries strconv.ParseInt(s, 0, 64).
_INT_RE = re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|0[0-7_]*|[1-9][0-9_]*)$")
_FLOAT_RE = re.compile(r"^[-+]?(?:\.[0-9_]+|[0-9_]+(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9_]+)?$")
_FLOAT_CLEAN_RE = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT_RE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
# Not resolved on load (kept as text, as written), but quoted by the emitter so that a string
# never turns into a go-yaml timestamp.
_TIMESTAMP_RE = re.compile(
    r"^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    r"(?:(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)?)$"
)

@lru_cache(maxsize=4096)  # ports, replicas, ids: manifests repeat the same few numbers
def _int_value(text: str) -> Any:
    """go-yaml removes every "_", then tries strconv.ParseInt(s, 0, 64) and ParseUint."""
    try:
        return gocompat.parse_int(text.replace("_", ""), 64, unsigned_too=True)
    except ValueError:
        return _float_value(text)


@lru_cache(maxsize=4096)
def _float_value(text: str) -> Any:
    clean = text.replace("_", "")
    if _SPECIAL_FLOAT_RE.match(clean):
        return float(clean.lower().replace(".", ""))  # .inf, -.Inf, .NaN
    if not _FLOAT_CLEAN_RE.match(clean):
        return text  # go-yaml falls back to a string when a number does not parse
    return float(clean)


def _install_resolvers(cls: Any) -> None:
    cls.yaml_implicit_resolvers = {}
    cls.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_RE, list("yYnNtTfFoO"))
    cls.add_implicit_resolver("tag:yaml.org,2002:null", _NULL_RE, ["~", "n", "N", ""])
    cls.add_implicit_resolver("tag:yaml.org,2002:int", _INT_RE, list("-+0123456789"))
    cls.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_RE, list("-+.0123456789"))
    cls.add_implicit_resolver("tag:yaml.org,2002:float", _SPECIAL_FLOAT_RE, list("-+."))
    cls.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


_RESOLVED: dict[str, str] = {}  # plain scalar text -> tag; manifests repeat the same words
_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"


class KubeLoader(_BaseLoader):  # type: ignore[misc]
    """Safe loader with go-yaml's scalar meaning, duplicate-key and size guards."""

    # The composer calls these around every node, for path resolvers; none are installed, so
    # C built-ins that take the same arguments and do nothing stand in for the Python methods.
    descend_resolver = staticmethod(slice)
    ascend_resolver = staticmethod(tuple)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # What BaseResolver.resolve answers without path resolvers, with plain scalars cached.
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR_TAG  # quoted, block or `!`-tagged text
            if isinstance(value, str):
                return _RESOLVED.get(value) or _plain_tag(value)
            return super().resolve(kind, value, implicit)
        return _MAP_TAG if kind is MappingNode else _SEQ_TAG if kind is SequenceNode else None

    def construct_yaml_bool(self, node: ScalarNode) -> bool:
        return str(node.value) in _BOOL_TRUE

    def construct_yaml_int(self, node: ScalarNode) -> Any:
        return _int_value(str(node.value))

    def construct_yaml_float(self, node: ScalarNode) -> Any:
        return _float_value(str(node.value))

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: dict[Any, Node] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag.endswith(":merge"):
                    continue
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        f"found duplicate key {key!r}", key_node.start_mark)
                seen[key] = key_node
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


_install_resolvers(KubeLoader)
KubeLoader.add_constructor("tag:yaml.org,2002:bool", KubeLoader.construct_yaml_bool)
KubeLoader.add_constructor("tag:yaml.org,2002:int", KubeLoader.construct_yaml_int)
KubeLoader.add_constructor("tag:yaml.org,2002:float", KubeLoader.construct_yaml_float)
# Unresolved timestamps stay strings; an explicit !!timestamp tag is kept as its text too.
KubeLoader.add_constructor("tag:yaml.org,2002:timestamp", KubeLoader.construct_yaml_str)
_BASE_RESOLVE: Any = BaseResolver.resolve


def _plain_tag(value: str) -> str:
    """The tag of a plain scalar (BaseResolver's rule over KubeLoader's table), cached."""
    tag: str = _BASE_RESOLVE(KubeLoader, ScalarNode, value, (True, False))  # reads class data only
    if len(_RESOLVED) < 50_000 and len(value) < 64:
        _RESOLVED[value] = tag
    return tag


def _surely_shallow(text: str) -> bool:
    """Cheap proof that a document has no aliases and cannot nest MAX_DEPTH levels: each level
    needs an indentation column, a bracket or a `- ` on a line."""
    if "*" in text:
        return False
    # deepest indentation + the rest < MAX_DEPTH: no line may start with `room` spaces, which
    # one substring search answers without listing every line's indentation.
    room = MAX_DEPTH - (text.count("[") + text.count("{") + text.count("- ") + 2)
    if room <= 0:
        return False
    pad = " " * room
    return not (text.startswith(pad) or "\n" + pad in text)


def _check_shape(root: Node) -> None:
    """Refuse deep nesting, recursive aliases, and aliases that would expand the document far
    beyond its size ("billion laughs"), before anything is constructed or written out."""
    stack: list[tuple[Node, int]] = [(root, 1)]
    seen: set[int] = set()
    aliased = False
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            aliased = True
            continue
        if depth > MAX_DEPTH:
            raise ConsulInjectError(f"line {node.start_mark.line + 1}: nesting deeper than {MAX_DEPTH} "
                             "levels; flatten the document")
        seen.add(id(node))
        stack.extend((child, depth + 1) for child in _children(node))
    if not aliased:
        return
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node) -> int:  # recursion depth is bounded by MAX_DEPTH, checked above
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConsulInjectError(f"line {node.start_mark.line + 1}: an alias refers to a node that "
                             "contains it; Kubernetes cannot represent recursive data")
        active.add(key)
        total = 1 + sum(size(child) for child in _children(node))
        active.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise ConsulInjectError(f"line {root.start_mark.line + 1}: anchors and aliases would expand "
                             f"this document to more than {MAX_EXPANDED_NODES:,} nodes; write it "
                             "out without aliases")
        sizes[key] = total
        return total

    size(root)


def _children(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value) if isinstance(node.value, list) else []


def load(text: str) -> Any:
    """Parse one document (text may carry its own `---`, comments and `...`).

    Raises yaml.YAMLError with marks relative to `text`, or ConsulInjectError for bound violations.
    """
    return load_with_node(text)[1]


def load_data(text: str) -> Any:
    """The data of one document, as `load` gives it, for documents that are only read (the
    release index's Services and accounts): those written in plain block YAML, as charts write
    them, are read line by line (about twice as fast as composing nodes); anything else is
    left to `load`, errors included."""
    data = _simple(text)
    return load(text) if data is _NOT_SIMPLE else data


# One line of the simple block YAML: `key: word`, `key:`, `- word`, `- key: word`, `- key:`,
# where a word (keys too) is letters, digits and `_./-`, or text quoted without escapes.
_WORD = r"[A-Za-z0-9][A-Za-z0-9_./-]*"
_VALUE = rf"{_WORD}|\"[ !#-\[\]-~]*\"|'[ -&(-~]*'"
_SIMPLE_LINE = re.compile(rf"( *)(- )?(?:({_VALUE}):(?: ({_VALUE}))?|({_VALUE}))")
_NOT_PRINTABLE = re.compile(r"[^\t\n -~]")  # libyaml refuses these, or breaks lines at them
_NOT_SIMPLE: Any = object()


@lru_cache(maxsize=8192)  # keys and values repeat from document to document
def _word(token: str) -> Any:
    if token[0] in "\"'":
        return token[1:-1]
    return _SCALAR_BUILDERS[_RESOLVED.get(token) or _plain_tag(token)](token)


def _simple(text: str) -> Any:
    """The data of a document written in the simple block YAML above, or _NOT_SIMPLE."""
    if _NOT_PRINTABLE.search(text):
        return _NOT_SIMPLE
    frames: list[tuple[int, Any]] = []  # (column, the mapping or list there), innermost last
    pending: tuple[dict[Any, Any], Any, int] | None = None  # a `key:` whose value may follow
    marker = False  # the one `---` a document may open with (a second opens another document)
    for line in text.split("\n"):
        body = line.lstrip(" ")
        if not body or body[0] == "#":
            continue
        if line == "---" and not frames and not marker:
            marker = True
            continue
        match = _SIMPLE_LINE.fullmatch(line) if len(line) < 1000 else None  # libyaml's key limit
        if match is None or len(frames) > 64:
            return _NOT_SIMPLE
        col, dash, key, value, item = len(match[1]), match[2], match[3], match[4], match[5]
        if pending is not None:  # a deeper line is its value; a list may stand at its column
            owner, owner_key, owner_col = pending
            pending = None
            if col > owner_col or (dash and col == owner_col):
                child: Any = [] if dash else {}
                owner[owner_key] = child
                frames.append((col, child))
        elif not frames:
            if col or dash:
                return _NOT_SIMPLE
            frames.append((0, {}))
        while frames and (frames[-1][0] > col or (frames[-1][0] == col and not dash
                                                  and type(frames[-1][1]) is list)):
            frames.pop()  # never the root: a mapping at column 0
        if frames[-1][0] != col or (type(frames[-1][1]) is list) != bool(dash):
            return _NOT_SIMPLE
        top = frames[-1][1]
        if dash:
            if key is None:
                top.append(_word(item))
                continue
            top.append({})
            top, col = top[-1], col + 2
            frames.append((col, top))
        if key is None or (name := _word(key)) in top:
            return _NOT_SIMPLE  # a word alone, or a duplicate key (load reports it)
        top[name] = None if value is None else _word(value)
        if value is None:
            pending = (top, name, col)
    return frames[0][1] if frames else _NOT_SIMPLE


def load_with_node(text: str) -> tuple[Node | None, Any]:
    """The composed node tree (with text positions) and the data built from it."""
    loader = KubeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if not _surely_shallow(text):
            _check_shape(node)
        try:
            return node, _build(node)
        except _Unusual:
            data = loader.construct_document(node)
            _check_plain(data)
            return node, data
    finally:
        loader.dispose()


def _check_plain(data: Any) -> None:
    """What a YAML tag built must still be JSON-like, as Kubernetes reads manifests as JSON."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if not isinstance(key, (str, int, float, bool)) and key is not None:
                    raise ConsulInjectError(f"a mapping key of type {type(key).__name__}; Kubernetes "
                                     "keys are strings")
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
        elif not isinstance(item, (str, int, float, bool)) and item is not None:
            raise ConsulInjectError(f"a value of type {type(item).__name__} (from a YAML tag such as "
                             "!!binary or !!set); Kubernetes manifests hold JSON values only")


class _Unusual(Exception):
    """A tag or merge key the fast builder leaves to PyYAML's constructor."""


_T = "tag:yaml.org,2002:"
_MERGE_TAG = _T + "merge"
_SCALAR_BUILDERS: dict[str, Any] = {
    _T + "str": str,
    _T + "null": lambda text: None,
    _T + "bool": lambda text: text in _BOOL_TRUE,
    _T + "timestamp": str,
    _T + "int": _int_value,
    _T + "float": _float_value,
}


def _build(node: Node) -> Any:
    """Data from a composed tree: PyYAML's constructor, specialised to what manifests use
    (several times faster); anything else raises _Unusual. Text scalars, most of a manifest,
    are taken in their collection's loop rather than by a call each; one frame per level keeps
    MAX_DEPTH levels well inside Python's recursion limit."""
    cls = type(node)
    if cls is MappingNode:
        if node.tag != _MAP_TAG:
            raise _Unusual
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STR_TAG and type(key_node) is ScalarNode:
                key = key_node.value
            elif key_node.tag == _MERGE_TAG:
                raise _Unusual
            elif not isinstance(key_node, ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    "found a list or mapping used as a key; Kubernetes keys are strings",
                    key_node.start_mark)
            else:
                key = _build(key_node)
            if key in out:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"found duplicate key {key!r}", key_node.start_mark)
            if value_node.tag == _STR_TAG and type(value_node) is ScalarNode:
                out[key] = value_node.value
            else:
                out[key] = _build(value_node)
        return out
    if cls is SequenceNode:
        if node.tag != _SEQ_TAG:
            raise _Unusual
        return [child.value if child.tag == _STR_TAG and type(child) is ScalarNode
                else _build(child) for child in node.value]
    if cls is ScalarNode:
        builder = _SCALAR_BUILDERS.get(node.tag)
        if builder is not None:
            return builder(node.value)
    raise _Unusual


# Plain scalars that go-yaml would read as something other than a string: the emitter quotes
# these. Timestamps are not resolved on load, but quoted so a string never becomes one.
NON_STRING_PATTERNS = (_BOOL_RE, _NULL_RE, _INT_RE, _FLOAT_RE, _SPECIAL_FLOAT_RE, _TIMESTAMP_RE)


def error_position(err: yaml.YAMLError, first_line: int = 1) -> tuple[int, int, str]:
    """(line, column, problem) of a YAML error, 1-based, for text whose first line is line
    `first_line` of its file. The problem names where an unclosed construct started, when that
    is elsewhere. An error without a position is placed at the text's first line."""
    if not isinstance(err, yaml.MarkedYAMLError):
        return first_line, 1, str(err)
    mark = err.problem_mark or err.context_mark
    started = err.context_mark if err.context_mark is not mark else None
    context = err.context or ""
    if context and started is not None:
        context += f" (line {first_line + started.line}, column {started.column + 1})"
    problem = ": ".join(x for x in (context, err.problem) if x)
    if mark is None:
        return first_line, 1, problem
    return first_line + mark.line, mark.column + 1, problem
