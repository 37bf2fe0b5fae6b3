"""`consul-inject intentions` and `consul-inject graph`: the release seen as a mesh.

Both read a release as `inject` does (the same inputs, values and settings), run it through the
pipeline in inject mode, and take what they need from its facts; the injected stream itself is
dropped. The I/O edge of `intentions` and `graph`; the decisions live in `intentions` and
`graph`.
"""

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

from consul_inject import graph, intentions, mesh, passes, pipeline, runner, sources, workloads
from consul_inject import report as report_mod
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.usage import PROG, Parser, add_render_options

GRAPHVIZ_HINT = ("--format svg runs Graphviz's `dot`, which is not on PATH: install Graphviz "
                 "(the `graphviz` package of most systems and of Homebrew), or write --format dot "
                 "and render it with `dot -Tsvg` where Graphviz is")


class Release(NamedTuple):
    """What the pipeline found in every input."""

    facts: list[mesh.Fact]
    intentions: list[str]  # the stream's own ServiceIntentions
    errors: list[Problem]
    settings: Any
    namespace: str


def read(args: argparse.Namespace) -> Release:
    """Every input through the pipeline in inject mode; the injected output is not kept."""
    if args.namespace is not None and not workloads.valid_namespace(args.namespace):
        raise ConsulInjectError(f"--namespace {args.namespace!r}: not a Kubernetes namespace "
                                "name; expected lower-case letters, digits and '-', at most 63 "
                                "characters")
    inputs = sources.collect(args.paths)
    configure = runner.Configure(args)
    namespace = args.namespace or "default"
    facts: list[mesh.Fact] = []
    held: list[str] = []
    errors: list[Problem] = []

    def keep(piece: str) -> None:
        if intentions.KIND in piece and passes.sniff_kind(piece) == intentions.KIND:
            held.append(piece)

    for src in inputs:
        options = pipeline.Options(namespace=namespace, source=src.name,
                                   transform="inject", name_source=len(inputs) > 1)
        result = pipeline.run_release(src.take(), configure, options, keep)
        facts += result.facts
        errors += result.report.errors
    return Release(facts, held, errors, configure.current, namespace)


def _write(args: argparse.Namespace, data: str | bytes) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if args.output_file:
        spool = sources.Spool(Path(args.output_file))
        spool.start_stream()
        spool.write(raw.decode("utf-8"))
        spool.commit(Path(args.output_file))
        spool.discard()
    else:
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()


def _tell(args: argparse.Namespace, notes: list[str], errors: list[str], summary: str) -> None:
    if args.report == "none":
        return
    if args.report == "json":
        text = json.dumps({"notes": notes, "errors": errors, "summary": summary}, indent=2) + "\n"
    else:
        lines = [f"error: {e}" for e in errors] + [f"note: {n}" for n in notes]
        text = "".join(report_mod.printable(line) + "\n" for line in [*lines, f"{PROG}: {summary}"])
    sys.stderr.write(text)
    report_mod.write_log(text)


def cmd_intentions(args: argparse.Namespace) -> int:
    release = read(args)
    if release.errors:  # as inject would refuse the release: no intentions for half of it
        report_mod.fail("".join(f"{PROG}: error: {report_mod.printable(p.text())}\n"
                                for p in release.errors))
        return 1
    plan = intentions.plan(release.facts, release.intentions, release.settings,
                           release.namespace)
    if plan.errors:
        raise ConsulInjectError(plan.errors)
    _write(args, plan.changed() or "# consul-inject: no intentions: no upstreams declared\n")
    _tell(args, plan.notes, [], f"intentions: {plan.summary()}")
    return 0


def render_svg(dot_text: str) -> bytes:
    """Graphviz's SVG of the graph; Graphviz is not bundled, so say how to get it."""
    found = shutil.which("dot")
    if found is None:
        raise ConsulInjectError(GRAPHVIZ_HINT)
    done = subprocess.run([found, "-Tsvg"], input=dot_text.encode("utf-8"), capture_output=True,
                          check=False)
    if done.returncode != 0:
        raise ConsulInjectError(f"{found} -Tsvg failed: "
                                f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def cmd_graph(args: argparse.Namespace) -> int:
    release = read(args)
    drawn = graph.build(release.facts)
    if args.format == "mermaid":
        out: str | bytes = graph.mermaid(drawn)
    elif args.format == "json":
        out = graph.as_json(drawn)
    else:
        out = graph.dot(drawn)
        if args.format == "svg":
            out = render_svg(out)
    _write(args, out)
    # Refused workloads are drawn as such; every other problem is told, not hidden.
    errors = [p.text() for p in release.errors]
    services = sum(1 for n in drawn.nodes if n.kind == "service")
    _tell(args, [], errors, f"graph: {services} service(s), {len(drawn.nodes) - services} other "
          f"node(s), {len(drawn.edges)} upstream(s)")
    return 0


def _parser(command: str, description: str) -> Parser:
    parser = Parser(prog=f"{PROG} {command}", description=description)
    parser.add_argument("paths", nargs="*", default=["-"], metavar="PATH",
                        help="manifest files or folders (walked for .yaml, .yml and .json), - for "
                        "stdin (default: -)")
    parser.add_argument("-o", "--output-file", metavar="FILE",
                        help="write here instead of stdout (atomically)")
    add_render_options(parser)
    return parser


def _intentions_parser() -> Parser:
    return _parser("intentions", (
        "Print one ServiceIntentions (consul.hashicorp.com/v1alpha1) per destination that the "
        "release's connect-service-upstreams name, allowing exactly the workloads that name it. "
        "A ServiceIntentions already in the release for a destination is printed with the "
        "missing sources merged in (its own deny wins). Upstreams that make no intention here "
        "(prepared queries, other datacenters, peers, partitions) are listed in the report. "
        "`inject --intentions` appends the same documents to the injected release."))


def _graph_parser() -> Parser:
    parser = _parser("graph", (
        "Draw the release's service graph: one node per Consul service, grouped by Kubernetes "
        "and Consul namespace; one edge per declared upstream, labelled with its local port; "
        "external destinations dashed; marks for pods without a Service, with transparent "
        "proxy off, or refused."))
    parser.add_argument("--format", choices=("mermaid", "dot", "json", "svg"), default="mermaid",
                        help="mermaid (default; renders on GitHub and GitLab), dot (Graphviz), "
                        "json (nodes and edges), svg (runs Graphviz's dot)")
    return parser


def main(name: str, rest: list[str]) -> int:
    if name == "intentions":
        return cmd_intentions(_intentions_parser().parse_args(rest))
    return cmd_graph(_graph_parser().parse_args(rest))
