"""Command line: `main(argv) -> int`, one function per subcommand, no injection logic here.

Exit codes: 0 done, 1 bad input or values (message on stderr, nothing on stdout), 2 usage,
3 internal error (short message; the traceback goes to the log file).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from consul_inject import __version__, runner, sources, webhooks
from consul_inject import report as report_mod
from consul_inject.problems import ConsulInjectError

PROG = "consul-inject"
SUBCOMMANDS = ("inject", "uninject", "demo", "validate", "schema", "chart")

DESCRIPTION = """\
Add Consul Connect sidecars to rendered Kubernetes manifests exactly as the consul-k8s
v{release} connect-inject webhook would add them to the pods.

Without a subcommand it is a Helm post-renderer: manifests on stdin, manifests on stdout.
  Helm 3: helm install web ./chart --post-renderer consul-inject \\
              --post-renderer-args=--namespace=apps
  Helm 4: HELM_PLUGINS=<repo>/plugin helm install web ./chart --post-renderer consul-inject \\
              --post-renderer-args=--namespace=apps

Settings come from the Consul chart values you install Consul with (-f, --set; Helm's syntax
and precedence), with the chart's defaults, except that connectInject.enabled defaults to true.
Only pod templates that opt in with consul.hashicorp.com/connect-inject: "true" are injected
unless connectInject.default=true.
"""

EPILOG = """\
commands (each has --help):
  inject PATH...       inject files, folders or - (stdin); -o FILE, --in-place, --reinject
  uninject PATH...     remove an injection again (restores the original manifests)
  validate VALUES...   check Consul chart values: every problem as file:line:col
  schema               print the values JSON Schema
  chart package        package the consul-connect-inject chart (.tgz)
  demo                 inject the bundled seed examples

examples:
  helm template web ./chart | consul-inject -n apps
  consul-inject inject deploy.yaml --set connectInject.default=true -o injected.yaml
  consul-inject -f consul-values.yaml --set 'connectInject.k8sDenyNamespaces={legacy}'

The report (one line per workload) goes to stderr. Helm 4 discards a post-renderer's stderr, so
under Helm 4 errors are also written to the terminal and to the log file
($CONSUL_INJECT_LOG, default ~/.local/state/consul-inject/last-run.log).
"""


def _add_render_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--namespace", default=None, metavar="NS",
                        help="namespace of resources that have no metadata.namespace "
                        "(Helm passes none: give the release namespace; default: default)")
    parser.add_argument("-f", "--values", action="append", default=[], metavar="FILE",
                        help="Consul chart values file; repeatable, later files win")
    parser.add_argument("--set", action="append", default=[], metavar="K=V",
                        help="chart value in Helm syntax, e.g. connectInject.default=true or "
                        "'connectInject.k8sAllowNamespaces={apps,web}'")
    parser.add_argument("--set-string", action="append", default=[], metavar="K=V",
                        help="like --set, but every value stays a string")
    parser.add_argument("--release", default="consul", metavar="NAME",
                        help="release name Consul was installed as; names the ACL auth method "
                        "<fullname>-k8s-auth-method unless global.name is set (default: consul)")
    parser.add_argument("--consul-ca-file", metavar="PEM",
                        help="Consul CA certificate, required with global.tls.enabled (the init "
                        "script embeds it)")
    parser.add_argument("--consul-dns-ip", metavar="IP",
                        help="ClusterIP of the Consul DNS Service, required when DNS redirection "
                        "is on (dns.enableRedirection or the consul-dns annotation)")
    parser.add_argument("--missing-service", choices=("error", "warn"), default=None,
                        help="a pod with no Service selecting it (or a multi-port service without "
                        "its ServiceAccount and token Secret) is an error (default) or only a "
                        "warning, for releases whose Services live elsewhere "
                        "(values: consulInject.missingService)")
    parser.add_argument("--create-service-account-secrets", action="store_true",
                        help="add the ServiceAccount and kubernetes.io/service-account-token "
                        "Secret each multi-port service needs when the stream lacks them "
                        "(values: consulInject.createServiceAccountSecrets)")
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings as errors")
    parser.add_argument("--report", choices=("text", "json", "none"), default="text",
                        help="report format on stderr (default: text)")


def _parser() -> argparse.ArgumentParser:
    release = webhooks.get().release
    parser = _Parser(
        prog=PROG, description=DESCRIPTION.format(release=release), epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"{PROG} {__version__} (consul-k8s {release})")
    _add_render_options(parser)
    return parser


def _files_parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = _Parser(prog=f"{PROG} {command}", formatter_class=argparse.RawDescriptionHelpFormatter,
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
    _add_render_options(parser)
    return parser


def _inject_parser() -> argparse.ArgumentParser:
    parser = _files_parser("inject", "Inject the manifests in PATH... and write them to stdout, "
                           "-o FILE or back in place.")
    parser.add_argument("--reinject", action="store_true",
                        help="remove an existing injection first and inject anew with the current "
                        "settings and images (without it, injected workloads are skipped)")
    return parser


def _uninject_parser() -> argparse.ArgumentParser:
    return _files_parser("uninject", "Remove what injection added to the manifests in PATH...: "
                         "containers, init containers, volumes, env vars, mounts, annotations, "
                         "labels and probe ports. The user's own annotations stay.")


class UsageError(Exception):
    """A command-line mistake (exit 2); raised instead of argparse's print-and-exit so the
    message also reaches the log under Helm 4."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.format_usage()}{self.prog}: error: {message}\n")


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


def _values_command(name: str, rest: list[str]) -> int:
    """`validate`, `schema` and `chart package`: the values schema and the chart."""
    from consul_inject import commands

    if name == "validate":
        parser = _Parser(prog=f"{PROG} validate", description=(
            "Check Consul chart values files against the schema and the chart's own rules: every "
            "problem as file:line:col: key.path: message, with a did-you-mean for misspelt keys; "
            "exit 1 on any error."))
        parser.add_argument("paths", nargs="+", metavar="VALUES")
        parser.add_argument("--output", choices=("text", "json"), default="text")
        args = parser.parse_args(rest)
        return commands.cmd_validate(args.paths, args.output)
    if name == "schema":
        _Parser(prog=f"{PROG} schema",
                description="Print the values schema (JSON Schema draft-07).").parse_args(rest)
        return commands.cmd_schema()
    parser = _Parser(prog=f"{PROG} chart", description="The consul-connect-inject Helm chart.")
    sub = parser.add_subparsers(dest="action", required=True)
    package = sub.add_parser("package", help="package the chart (with -f/--set baked into its "
                             "values.yaml) as a .tgz")
    package.add_argument("-f", "--values", action="append", default=[], metavar="FILE")
    package.add_argument("--set", action="append", default=[], metavar="K=V")
    package.add_argument("-d", "--destination", default=".", metavar="DIR")
    args = parser.parse_args(rest)
    return commands.cmd_chart_package(args.values, args.set, args.destination)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        if args_list and args_list[0] in SUBCOMMANDS:
            name, rest = args_list[0], args_list[1:]
            if name == "inject":
                return cmd_inject(_inject_parser().parse_args(rest))
            if name == "uninject":
                return cmd_uninject(_uninject_parser().parse_args(rest))
            if name in ("validate", "schema", "chart"):
                return _values_command(name, rest)
            demo = _Parser(prog=f"{PROG} demo",
                                           description="Inject the bundled seed examples.")
            _add_render_options(demo)
            return cmd_demo(demo.parse_args(rest))
        return cmd_postrender(_parser().parse_args(args_list))
    except ConsulInjectError as err:
        message = "".join(f"{PROG}: error: {report_mod.printable(p.text())}\n"
                          for p in err.problems)
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
