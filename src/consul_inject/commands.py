"""Subcommands `validate`, `schema` and `chart package`: print, and return the exit code.

Exit codes follow the CLI: 0 done, 1 bad values or input (message on stderr), 3 is left to the
caller for internal errors.
"""

from __future__ import annotations

import sys

from consul_inject import chart, values
from consul_inject.problems import ConsulInjectError
from consul_inject.values import report, schema


def cmd_validate(paths: list[str], output: str = "text") -> int:
    """Validate each values file on its own; print every problem; 1 when any is an error."""
    if output not in ("text", "json"):
        raise ConsulInjectError(f'--output {output!r}: expected "text" or "json"')
    problems = values.validate_files(paths)
    if output == "json":
        sys.stdout.write(report.json_text(problems, paths))
    else:
        sys.stdout.write(report.text(problems, len(paths)))
    return 1 if any(p.severity == "error" for p in problems) else 0


def cmd_schema() -> int:
    """Print the values schema (JSON Schema draft-07)."""
    sys.stdout.write(schema.text())
    return 0


def cmd_chart_package(values_files: list[str], sets: list[str], dest: str = ".") -> int:
    """Package chart/consul-connect-inject (with -f/--set baked into its values.yaml) into DEST;
    print the .tgz path. Bad values: every problem on stderr, exit 1, nothing written."""
    try:
        target = chart.package(values_files, sets, dest)
    except ConsulInjectError as err:
        sys.stderr.write("".join(f"consul-inject: error: {p.text()}\n" for p in err.problems))
        return 1
    sys.stdout.write(f"{target}\n")
    return 0
