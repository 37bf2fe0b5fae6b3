"""Command line: `main(argv) -> int`, one function per subcommand, no injection logic here.

Exit codes: 0 done, 1 bad input or values (message on stderr, nothing on stdout), 2 usage,
3 internal error (short message; the traceback goes to the log file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from consul_inject import __version__, runner, sources, webhooks
from consul_inject import report as report_mod
from consul_inject.problems import ConsulInjectError
from consul_inject.usage import (
    PROG,
    Parser,
    RawDescriptionHelpFormatter,
    UsageError,
    add_render_options,
)

SUBCOMMANDS = ("inject", "uninject", "demo", "validate", "schema", "chart", "helm", "plugin",
               "intentions", "graph")

DESCRIPTION = """\
Add Consul Connect sidecars to rendered Kubernetes manifests exactly as the consul-k8s
connect-inject webhook would add them to the pods: v{release} (client agents) by default, or
with --consul-k8s-version 1.9 / 2.0 the consul-dataplane webhook of v{releases}.

Without a subcommand it is a Helm post-renderer: manifests on stdin, manifests on stdout.
  Helm 3: helm install web ./chart --post-renderer consul-inject \\
              --post-renderer-args=--namespace=apps
  Helm 4: HELM_PLUGINS=$(consul-inject plugin path) helm install web ./chart \\
              --post-renderer consul-inject \\
              --post-renderer-args=--namespace=apps

Settings come from the Consul chart values you install Consul with (-f, --set; Helm's syntax
and precedence), with the chart's defaults, except that connectInject.enabled defaults to true.
Only pod templates that opt in with consul.hashicorp.com/connect-inject: "true" are injected
unless connectInject.default=true.
"""

EPILOG = """\
commands (each has --help):
  inject PATH...       inject files, folders or - (stdin), all one release; -o FILE,
                       --in-place, --reinject (kustomizations, Chart.yaml, values files left out)
  uninject PATH...     remove an injection again (restores the original manifests)
  validate VALUES...   check Consul chart values: every problem as file:line:col
  schema               print the values JSON Schema
  chart package        package the consul-connect-inject chart (.tgz)
  helm OPTIONS -- ARGS run helm install/upgrade/template/diff with the post-renderer wired
  plugin install|path  the Helm 4 plugin: install it, or print where the package keeps it
  intentions PATH...   the ServiceIntentions the release's upstreams need (inject --intentions
                       appends them to the injected stream)
  graph PATH...        the release's service graph: mermaid, dot, json or svg
  demo                 inject the bundled seed examples

examples:
  helm template web ./chart | consul-inject -n apps
  consul-inject helm -f consul-values.yaml -- install web ./chart -n apps
  consul-inject inject deploy.yaml --set connectInject.default=true -o injected.yaml
  consul-inject -f consul-values.yaml --set 'connectInject.k8sDenyNamespaces={legacy}'
  kubectl kustomize overlays/prod | consul-inject -n apps
  consul-inject inject k8s/ --in-place --reinject --consul-k8s-version 2.0 \\
      --cluster-dns-ip 10.96.0.10 -f consul-2.0-values.yaml

The report (one line per workload) goes to stderr and to the log file ($CONSUL_INJECT_LOG,
default ~/.local/state/consul-inject/last-run.log): Helm 3 drops a successful post-renderer's
stderr and Helm 4 all of it (under Helm 4 errors also go to the terminal).
"""


def _parser() -> argparse.ArgumentParser:
    release = webhooks.RELEASES[webhooks.DEFAULT]
    others = " / v".join(r for r in webhooks.RELEASES.values() if r != release)
    parser = Parser(
        prog=PROG, description=DESCRIPTION.format(release=release, releases=others),
        epilog=EPILOG, formatter_class=RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"{PROG} {__version__} (consul-k8s "
                        f"{', '.join(webhooks.RELEASES.values())})")
    add_render_options(parser)
    return parser


def _files_parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = Parser(prog=f"{PROG} {command}", formatter_class=RawDescriptionHelpFormatter,
                    description=description, epilog=EPILOG)
    parser.add_argument("paths", nargs="*", default=["-"], metavar="PATH",
                        help="manifest files or folders (walked for .yaml, .yml and .json), - for "
                        "stdin (default: -)")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("-o", "--output-file", metavar="FILE",
                        help="write here instead of stdout; may name an input file (written "
                        "atomically, and only when all input is good)")
    target.add_argument("--in-place", action="store_true",
                        help="rewrite each input file that changes, atomically; nothing is written "
                        "if any input has an error")
    parser.add_argument("--output", choices=("yaml", "json"), default="yaml",
                        help="yaml (default: documents not changed stay byte for byte) or json (one "
                        "object, or a v1 List)")
    add_render_options(parser)
    return parser


def _inject_parser() -> argparse.ArgumentParser:
    parser = _files_parser("inject", "Inject the manifests in PATH... and write them to stdout, "
                           "-o FILE or back in place.")
    parser.add_argument("--reinject", action="store_true",
                        help="remove an existing injection first and inject anew with the current "
                        "settings and images (without it, injected workloads are skipped)")
    parser.add_argument("--intentions", action="store_true",
                        help="append one ServiceIntentions per destination the upstreams declare, "
                        "allowing exactly those sources (values: consulInject.intentions.enabled)")
    return parser


def _uninject_parser() -> argparse.ArgumentParser:
    return _files_parser("uninject", "Remove what injection added to the manifests in PATH...: "
                         "containers, init containers, volumes, env vars, mounts, annotations, "
                         "labels and probe ports. The user's own annotations stay.")


def cmd_postrender(args: argparse.Namespace) -> int:
    return runner.process(args, [sources.Source("<stdin>", sys.stdin.buffer.read(), None)], "inject")


def cmd_inject(args: argparse.Namespace) -> int:
    return runner.process(args, sources.collect(args.paths), "reinject" if args.reinject else "inject")


def cmd_uninject(args: argparse.Namespace) -> int:
    return runner.process(args, sources.collect(args.paths), "uninject")


def cmd_demo(args: argparse.Namespace) -> int:
    from importlib import resources  # only the demo reads package data; keeps start-up short

    sample = resources.files("consul_inject").joinpath("demo.yaml").read_bytes()
    sys.stderr.write("# consul-inject demo: the seed's static-server and static-client, injected "
                     "with the chart defaults\n")
    return runner.process(args, [sources.Source("demo.yaml", sample, None)], "inject")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            name, rest = args_list[0], args_list[1:]
            if name == "inject":
                return cmd_inject(_inject_parser().parse_args(rest))
            if name == "uninject":
                return cmd_uninject(_uninject_parser().parse_args(rest))
            if name in ("validate", "schema", "chart", "helm", "plugin"):
                from consul_inject import commands  # their imports cost the post-renderer nothing

                return commands.main(name, rest)
            if name in ("intentions", "graph"):
                from consul_inject import meshcommands  # the post-renderer never loads them

                return meshcommands.main(name, rest)
            demo = Parser(prog=f"{PROG} demo",
                                           description="Inject the bundled seed examples.")
            add_render_options(demo)
            return cmd_demo(demo.parse_args(rest))
        return cmd_postrender(_parser().parse_args(args_list))
    except ConsulInjectError as err:
        from consul_inject.values.report import version_hint  # only when there is an error

        message = "".join(f"{PROG}: error: {report_mod.printable(p.text())}\n"
                          for p in err.problems)
        if hint := version_hint(err.problems):
            message += f"{PROG}: {hint}\n"
        report_mod.fail(message)
        return 1
    except UsageError as err:
        report_mod.fail(str(err))
        return 2
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:
        import traceback

        report_mod.write_log(traceback.format_exc())
        report_mod.tell_user(f"{PROG}: internal error: {type(exc).__name__}: {exc} "
                             f"(details in {report_mod.log_path()}); please report it\n")
        return 3
