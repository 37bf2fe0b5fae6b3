"""The values Helm would see for `-f files --set ... --set-string ...` over a base tree, merged
once with Helm's precedence (base, then each file, then each `--set`, then each
`--set-string`; later wins), keeping for each key where it was last written."""

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.values import files, strvals
from consul_inject.values.files import Layer, Mark
from consul_inject.values.tree import Path, Values, merge


class Merged(NamedTuple):
    """The merged tree, the mark of each key, and the problems that stopped loading (a file
    that cannot be read or parsed, a `--set` that does not parse): with any, `tree` is empty."""

    tree: Values
    marks: dict[Path, Mark]
    problems: list[Problem]


def layers(paths: Sequence[str], sets: Sequence[str] = (), set_strings: Sequence[str] = (),
           base: Mapping[str, Any] | None = None, base_source: str = "base") -> list[Layer]:
    """Each source once, in Helm's order; `base_source` names where `base` came from."""
    out: list[Layer] = [files.whole(dict(base), base_source)] if base else []
    for path in paths:
        out.append(files.read_file(path, len(out)))
    for flag, exprs in (("--set", sets), ("--set-string", set_strings)):
        for expr in exprs:
            where = f"{flag} {expr}"
            try:
                tree = strvals.parse_set(expr, as_string=flag == "--set-string")
            except ConsulInjectError as err:
                out.append(Layer(where, problems=err.problems))
                continue
            out.append(files.whole(tree, where, len(out)))
    return out


def merged(sources: Sequence[Layer]) -> Merged:
    """The sources merged over each other; the later mark of a key wins."""
    problems = [p for layer in sources for p in layer.problems]
    if problems:
        return Merged({}, {}, problems)
    tree: Values = {}
    marks: dict[Path, Mark] = {}
    for layer in sources:
        tree = merge(tree, layer.tree or {})
        marks.update(layer.marks)
    return Merged(tree, marks, [])
