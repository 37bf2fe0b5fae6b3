"""The subcommands beside injection: `validate`, `schema`, `chart package`, `helm` and `plugin`.
Each parses its own arguments, prints, and returns the exit code (0 done, 1 bad values or input
with the message on stderr, 2 usage); internal errors are left to the caller (exit 3).
"""

from __future__ import annotations

import sys

from consul_inject import chart, values
from consul_inject.problems import ConsulInjectError
from consul_inject.usage import PROG, Parser, UsageError, add_render_options
from consul_inject.values import report, schema


def cmd_validate(paths: list[str], output: str = "text", version: str | None = None) -> int:
    """Validate each values file on its own (under `version` when the file selects none); print
    every problem; 1 when any is an error."""
    if output not in ("text", "json"):
        raise ConsulInjectError(f'--output {output!r}: expected "text" or "json"')
    problems = values.validate_files(paths, version)
    if output == "json":
        sys.stdout.write(report.json_text(problems, paths))
    else:
        sys.stdout.write(report.text(problems, len(paths)))
    return 1 if any(p.severity == "error" for p in problems) else 0


def cmd_schema(version: str = schema.DEFAULT_VERSION) -> int:
    """Print a consul-k8s version's values schema (JSON Schema draft-07)."""
    sys.stdout.write(schema.text(version))
    return 0


def cmd_chart_package(values_files: list[str], sets: list[str], dest: str = ".") -> int:
    """Package the consul-connect-inject chart (with -f/--set baked into its values.yaml) into
    DEST; print the .tgz path. Bad values raise ConsulInjectError (every problem, exit 1,
    nothing written), reported by the command line as every other refusal."""
    target = chart.package(values_files, sets, dest)
    sys.stdout.write(f"{target}\n")
    return 0


def cmd_plugin(action: str) -> int:
    """`plugin path`: the folder of the shipped Helm 4 plugin; `plugin install`: install or
    update it into Helm 4's plugin folder, and say what was done."""
    from consul_inject import helm, plugin

    if action == "path":
        sys.stdout.write(f"{plugin.shipped()}\n")
        return 0
    found = helm.find()
    done, where = plugin.install(found)
    sys.stdout.write(f"{PROG}: plugin {done}: {where} (Helm v{found.version}); use it with "
                     f"helm install ... --post-renderer {plugin.NAME}\n")
    return 0


def cmd_helm(rest: list[str]) -> int:
    """`helm [POST-RENDERER OPTIONS] -- HELM ARGS...`."""
    from consul_inject import wrapper

    if "--" not in rest:
        if "-h" in rest or "--help" in rest:
            _helm_parser().parse_args(["--help"])
        raise UsageError(f"usage: {PROG} helm [POST-RENDERER OPTIONS] -- HELM ARGS...\n"
                         f"{PROG} helm: error: put the Helm command after --, for example: "
                         f"{PROG} helm -f consul-values.yaml -- install web ./chart -n apps\n")
    split = rest.index("--")
    ours, theirs = rest[:split], rest[split + 1:]
    _helm_parser().parse_args(ours)  # refuse a mistake before Helm runs
    return wrapper.run(ours, theirs)


def _helm_parser() -> Parser:
    parser = Parser(prog=f"{PROG} helm", usage=f"{PROG} helm [OPTIONS] -- HELM ARGS...",
                    description=(
        "Run helm install, upgrade, template or diff with consul-inject as the post-renderer, "
        "wired as the Helm found needs it (Helm 3: this program; Helm 4: the plugin shipped in "
        "the package, nothing installed). The namespace comes from Helm's own -n/--namespace "
        "(else $HELM_NAMESPACE). The OPTIONS are the post-renderer's; the report is printed "
        "after Helm's output. Example: "
        f"{PROG} helm -f consul-values.yaml -- install web ./chart -n apps"))
    add_render_options(parser, namespace=False)
    return parser


def _plugin_parser() -> Parser:
    parser = Parser(prog=f"{PROG} plugin", description="The Helm 4 post-renderer plugin.")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("install", help="install or update the plugin into Helm 4's plugin folder "
                   "(helm env HELM_PLUGINS), its launcher pinned to this consul-inject")
    sub.add_parser("path", help="print the folder of the shipped plugin, for "
                   "HELM_PLUGINS=$(consul-inject plugin path) helm ... --post-renderer "
                   "consul-inject")
    return parser


def _validate_parser() -> Parser:
    parser = Parser(prog=f"{PROG} validate", description=(
        "Check Consul chart values files against the schema and the chart's own rules: every "
        "problem as file:line:col: key.path: message, with a did-you-mean for misspelt keys; "
        "exit 1 on any error."))
    parser.add_argument("paths", nargs="+", metavar="VALUES")
    parser.add_argument("--output", choices=("text", "json"), default="text")
    _version_option(parser, "for files that do not set consulInject.consulK8sVersion (a file "
                    "that sets another version is an error)")
    return parser


def _version_option(parser: Parser, applies: str) -> None:
    parser.add_argument("--consul-k8s-version", choices=schema.VERSIONS, default=None,
                        metavar="VERSION", help=f"the consul-k8s version whose chart values to "
                        f"check ({', '.join(schema.VERSIONS)}; default 0.49), {applies}")


def _chart_parser() -> Parser:
    parser = Parser(prog=f"{PROG} chart", description="The consul-connect-inject Helm chart.")
    sub = parser.add_subparsers(dest="action", required=True)
    package = sub.add_parser("package", help="package the chart (with -f/--set baked into its "
                             "values.yaml) as a .tgz")
    package.add_argument("-f", "--values", action="append", default=[], metavar="FILE")
    package.add_argument("--set", action="append", default=[], metavar="K=V")
    package.add_argument("-d", "--destination", default=".", metavar="DIR")
    return parser


def main(name: str, rest: list[str]) -> int:
    if name == "validate":
        args = _validate_parser().parse_args(rest)
        return cmd_validate(args.paths, args.output, args.consul_k8s_version)
    if name == "schema":
        parser = Parser(prog=f"{PROG} schema", description="Print the values schema (JSON Schema "
                        "draft-07) of a consul-k8s version.")
        _version_option(parser, "whose schema to print")
        version = parser.parse_args(rest).consul_k8s_version
        return cmd_schema(version or schema.DEFAULT_VERSION)
    if name == "chart":
        args = _chart_parser().parse_args(rest)
        return cmd_chart_package(args.values, args.set, args.destination)
    if name == "plugin":
        return cmd_plugin(_plugin_parser().parse_args(rest).action)
    return cmd_helm(rest)
