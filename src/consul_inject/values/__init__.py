"""Chart values in one place: load once (with positions), merge `-f`/`--set` once (Helm's
precedence), check once (the schema and the chart's rules), report.

Every rule that can refuse values lives in this package, so `consul-inject validate` and the
post-renderer always give the same verdict; a webhook version's settings mapper only maps
(what it still refuses depends on the command line: a CA file, a DNS IP, the release name).

Public functions:

- `load(files, sets, set_strings, *, base=None, base_source=BASE_SOURCE) -> Checked`: the merged
  values Helm would see for `-f files --set sets --set-string set_strings` over `base` (the
  settings ConfigMap's values), checked; raises ConsulInjectError with every error (warnings
  are not errors).
- Every check uses the schema and the chart rules of the consul-k8s version the merged values
  select (`consulInject.consulK8sVersion`: "0.49", the default, "1.9" or "2.0").
- `validate_values(values) -> list[Problem]`: every problem (errors and warnings) in one values
  tree, as `consul-inject validate` reports them. `values` is a mapping (checked as one values
  tree, each problem placed at `where="values"`) or the path of a values file (str or
  os.PathLike; each problem with the file as `where` and its `line` and `column`). Every
  problem has `path` (the key path, a tuple), `key` (it dotted), `message` and `severity`.
- `validate_files(paths, version=None) -> list[Problem]`: each file on its own, as a complete
  values file; `version` (validate's --consul-k8s-version) applies to files that select none,
  and a file that selects another one gets an error at that key.
- `checked(values) -> Checked`: a tree `load` returned as it is, any other tree checked now.

| module        | what                                                                      |
|---------------|---------------------------------------------------------------------------|
| `tree`        | key paths, Helm's merge (coalesce), null deletion, dotted access          |
| `strvals`     | `--set` syntax (Helm's strvals)                                           |
| `files`       | one source read once: a file with the line and column of every key        |
| `loading`     | the sources merged once in Helm's order, each key's mark kept             |
| `schema`      | values.schema.json and its jsonschema validator with our annotations      |
| `messages`    | one-line messages for schema failures, with did-you-mean                  |
| `selector`    | connectInject.namespaceSelector: a Kubernetes label selector in a string  |
| `rules`       | what the schema cannot express: chart `fail` rules, YAML in strings, ...  |
| `check`       | schema + rules -> problems, placed and sorted                             |
| `report`      | validate's text and JSON output                                           |

Importing this package is cheap; jsonschema is imported only when values are checked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from consul_inject.problems import ConsulInjectError, Problem

BASE_SOURCE = "consul-connect-inject settings ConfigMap"
MAPPING_SOURCE = "values"


class Checked(dict[str, Any]):
    """A merged values tree that has been checked: a settings mapper maps it as it is.
    `warnings` are the problems found that are not errors (for a report or --strict)."""

    warnings: tuple[Problem, ...] = ()


def load(files: Sequence[str] = (), sets: Sequence[str] = (), set_strings: Sequence[str] = (),
         *, base: Mapping[str, Any] | None = None,
         base_source: str = BASE_SOURCE) -> Checked:
    """The merged values Helm would see for `-f files --set sets --set-string set_strings`
    over `base`, checked. Raises ConsulInjectError with every error found. With a base (the
    settings ConfigMap, which holds our chart's defaults) the official chart's own rules are
    not applied."""
    if not (files or sets or set_strings or base):
        return Checked()  # nothing to read or check: no schema validator to import
    from consul_inject.values import check, loading

    merged = loading.merged(loading.layers(files, sets, set_strings, base, base_source))
    # Our chart's ConfigMap holds its 0.49 defaults, except under 1.9/2.0 (only consulInject).
    defaults = base is not None and bool(base) and not set(base) <= {"consulInject"}
    problems = merged.problems or check.check(merged.tree, merged.marks, chart_rules=not defaults)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ConsulInjectError(errors)
    result = Checked(merged.tree)
    result.warnings = tuple(problems)
    return result


def validate_values(values: Mapping[str, Any] | str | os.PathLike[str]) -> list[Problem]:
    """Every problem in one values tree (a mapping) or values file (a path); see above."""
    if isinstance(values, (str, os.PathLike)):
        return validate_files([os.fspath(values)])
    from consul_inject.values import check, files

    tree = _plain(values)
    marks = {**files.whole(tree, MAPPING_SOURCE).marks, (): (0, MAPPING_SOURCE, 0, 0)}
    return check.check(tree, marks)


def validate_files(paths: Sequence[str], version: str | None = None) -> list[Problem]:
    """Each file on its own, as a complete values file ("-" reads stdin), under the version it
    selects, else `version`, else 0.49."""
    from consul_inject.values import check, files

    problems: list[Problem] = []
    for path in paths:
        layer = files.read_file(path)
        if layer.problems:
            problems.extend(layer.problems)
            continue
        conflict = check.version_conflict(layer.tree, layer.marks, version)
        problems.extend([conflict] if conflict else [])
        chosen = None if conflict else version
        problems.extend(check.check(layer.tree, layer.marks, version=chosen))
    return problems


def checked(values: Mapping[str, Any]) -> Checked:
    """`values` if `load` returned it, else checked now as one values tree (ConsulInjectError
    with every error): a settings mapper called with a tree of its own never maps bad values."""
    if isinstance(values, Checked):
        return values
    if not values:
        return Checked()
    errors = [p for p in validate_values(values) if p.severity == "error"]
    if errors:
        raise ConsulInjectError(errors)
    return Checked(values)


def _plain(value: Any) -> Any:
    """Mappings as dicts and tuples as lists, as YAML would have loaded them."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
