"""What `consul-inject validate` prints: one line per problem and a summary, or one JSON object."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

from consul_inject.problems import Problem


def _counts(problems: Sequence[Problem]) -> tuple[int, int]:
    errors = sum(1 for p in problems if p.severity == "error")
    return errors, len(problems) - errors


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# How messages name a key of another consul-k8s version (values/messages.py writes them).
_OTHER_VERSION = re.compile(r"is a (?:section of the )?consul-k8s ([0-9.]+(?: and [0-9.]+)?) "
                            r"(?:value|chart)")


def version_hint(problems: Sequence[Problem]) -> str | None:
    """When several keys belong to another version, the likely cause: the file is that
    version's values, checked under another one."""
    groups = [m.group(1).split(" and ") for p in problems
              if (m := _OTHER_VERSION.search(p.message))]
    if len(groups) < 3:
        return None
    per_version = Counter(v for group in groups for v in group)
    best, count = max(per_version.items(), key=lambda item: (item[1], item[0]))
    share = "all of them" if count == len(groups) else f"{count} of them"
    return (f"hint: {len(groups)} keys belong to other consul-k8s versions, {share} to {best}: "
            f"this looks like the {best} chart's values; pass --consul-k8s-version {best}, or set "
            "consulInject.consulK8sVersion in them")


def text(problems: Sequence[Problem], files: int) -> str:
    """`file:line:col: key.path: message` per problem, then the counts (or `ok`)."""
    errors, warnings = _counts(problems)
    lines = [p.text() for p in problems]
    if hint := version_hint(problems):
        lines.append(hint)
    noun = "file" if files == 1 else "files"
    if problems:
        lines.append(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')} in {files} {noun}")
    else:
        lines.append(f"ok: {files} {noun} valid")
    return "\n".join(lines) + "\n"


def as_json(problem: Problem) -> dict[str, Any]:
    return {"file": problem.where or None, "line": problem.line, "column": problem.column,
            "path": problem.key, "severity": problem.severity, "message": problem.message}


def json_text(problems: Sequence[Problem], paths: Sequence[str]) -> str:
    """One object: valid, the counts, each file's verdict and every problem."""
    errors, warnings = _counts(problems)
    bad = {p.where for p in problems if p.severity == "error"}
    names = ["<stdin>" if path == "-" else path for path in paths]
    body = {
        "valid": errors == 0,
        "errors": errors,
        "warnings": warnings,
        "files": [{"file": name, "valid": name not in bad} for name in names],
        "problems": [as_json(p) for p in problems],
    }
    return json.dumps(body, indent=2) + "\n"
