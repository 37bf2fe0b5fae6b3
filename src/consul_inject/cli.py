"""Command line: `main(argv) -> int`, one function per subcommand, no injection logic here.

Exit codes: 0 done, 1 bad input or values (message on stderr, nothing on stdout), 2 usage,
3 internal error (short message; the traceback goes to the log file).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from consul_inject import __version__, pipeline, sources, values, webhooks
from consul_inject import report as report_mod
from consul_inject.problems import ConsulInjectError
from consul_inject.transforms import Mode
from consul_inject.webhooks.base import SettingsContext

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


def _log_path() -> Path:
    explicit = os.environ.get("CONSUL_INJECT_LOG")
    if explicit:
        return Path(explicit)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "consul-inject" / "last-run.log"


def _under_helm4() -> bool:
    """Set by the plugin's launcher; HELM_PLUGIN_NAME alone would also match Helm 3 plugins
    (helm-diff) that run `helm template --post-renderer consul-inject`."""
    return os.environ.get("CONSUL_INJECT_HELM4") == "1"


class UsageError(Exception):
    """A command-line mistake (exit 2); raised instead of argparse's print-and-exit so the
    message also reaches the log under Helm 4."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.format_usage()}{self.prog}: error: {message}\n")


def _log(text: str) -> None:
    try:
        path = _log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError:
        pass


def _tell_user(text: str) -> None:
    """Errors reach stderr; under Helm 4 (which drops stderr) also the terminal and the log."""
    sys.stderr.write(text)
    if _under_helm4():
        try:
            with open("/dev/tty", "w", encoding="utf-8") as tty:
                tty.write(text)
        except OSError:
            pass


class _Configure:
    """Settings for each input: the values of the chart's settings ConfigMap found in it, if
    any, under -f and --set (which win). Values files are read and checked once per run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sets = list(args.set)
        if args.missing_service:
            self.sets.append(f"consulInject.missingService={args.missing_service}")
        if args.create_service_account_secrets:
            self.sets.append("consulInject.createServiceAccountSecrets=true")
        self.made: dict[str, Any] = {}  # settings by the ConfigMap values they came from

    def __call__(self, found: Mapping[str, Any] | None) -> Any:
        key = json.dumps(found, sort_keys=True, default=str)
        if key not in self.made:
            args = self.args
            merged = values.load(args.values, self.sets, args.set_string, base=found)
            self.made[key] = webhooks.get().settings(merged, self._context())
        return self.made[key]

    def _context(self) -> SettingsContext:
        ca_text = None
        if self.args.consul_ca_file:
            try:
                ca_text = Path(self.args.consul_ca_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise ConsulInjectError(f"{self.args.consul_ca_file}: cannot read CA file: "
                                        f"{err}") from None
        return SettingsContext(release=self.args.release, ca_cert=ca_text,
                               dns_ip=self.args.consul_dns_ip, environ=os.environ)


def _one_line(text: str) -> str:
    """Messages quote user text: control characters must not break the one-line form, and a
    megabyte annotation must not become a megabyte line."""
    return report_mod.printable(text)


def _report(args: argparse.Namespace, reports: list[report_mod.Report], names: list[str]) -> None:
    text = []
    for name, report in zip(names, reports, strict=True):
        body = {"text": report.text(), "json": report.as_json(), "none": ""}[args.report]
        if len(reports) > 1 and body and args.report == "text":
            body = f"==> {name}\n{body}"
        text.append(body)
    if len(reports) > 1 and args.report == "text":
        totals = report_mod.Report()
        for report in reports:
            totals.entries.extend(report.entries)
            totals.documents += report.documents
        text.append(f"consul-inject: {len(reports)} files: {totals.summary()}, 0 errors\n")
    joined = "".join(text)
    sys.stderr.write(joined)
    if _under_helm4():
        _log(joined)


def _process(args: argparse.Namespace, inputs: list[sources.Source], mode: Mode) -> int:
    """Run every input through the pipeline into spools; write only if all of them are good."""
    configure = _Configure(args)
    in_place = bool(getattr(args, "in_place", False))
    if in_place and any(src.path is None for src in inputs):
        raise ConsulInjectError("--in-place needs files or folders, not stdin")
    spools: list[sources.Spool] = []
    results: list[pipeline.Result] = []
    try:
        for src in inputs:
            if in_place or not spools:
                target = src.path if in_place else getattr(args, "output_file", None)
                spools.append(sources.Spool(Path(target) if target else None))
            spool = spools[-1]
            spool.start_stream()
            options = pipeline.Options(namespace=args.namespace or "default", source=src.name,
                                       transform=mode, name_source=len(inputs) > 1)
            # --in-place compares the result with the file; otherwise the bytes are handed over
            # (inline, no local name) so that the pipeline holds the only reference.
            results.append(pipeline.run_release(src.data if in_place else src.take(), configure,
                                                options, spool.write))
        errors = [e.text() for r in results for e in r.report.errors]
        if args.strict and not errors:
            errors = [f"--strict: {w}" for r in results for w in r.report.warnings]
        if errors:
            message = "".join(f"{PROG}: error: {_one_line(e)}\n" for e in errors)
            if len(inputs) > 1:
                message += f"{PROG}: {len(errors)} error(s) in {len(inputs)} files; nothing written\n"
            _tell_user(message)
            _log(message)
            return 1
        if in_place:
            _commit_in_place(args, inputs, spools)
        else:
            _deliver(args, spools[0])
    finally:
        for spool in spools:
            spool.discard()
    _report(args, [r.report for r in results], [src.name for src in inputs])
    return 0


def _commit_in_place(args: argparse.Namespace, inputs: list[sources.Source],
                     spools: list[sources.Spool]) -> None:
    for src, spool in zip(inputs, spools, strict=True):
        assert src.path is not None
        if args.output == "json":
            spool.replace(sources.to_json(spool.read().decode("utf-8")))
            spool.commit(src.path)
        elif not spool.same_as(src.data):
            spool.commit(src.path)


def _deliver(args: argparse.Namespace, spool: sources.Spool) -> None:
    """The spooled stream to -o FILE or stdout (JSON if asked; never empty under Helm 4)."""
    if getattr(args, "output", "yaml") == "json" and spool.size:
        text: str | None = sources.to_json(spool.read().decode("utf-8"))
    elif _under_helm4() and not spool.read().strip():
        text = "# consul-inject: no documents\n"  # Helm 4 refuses empty output
    else:
        text = None
    target = getattr(args, "output_file", None)
    if target:
        if text is not None:
            spool.replace(text)
        spool.commit(Path(target))
    elif text is None:
        spool.copy_to(sys.stdout.buffer)
    else:
        _write(text)


def _write(output: str) -> None:
    sys.stdout.buffer.write(output.encode("utf-8"))
    sys.stdout.flush()


def cmd_postrender(args: argparse.Namespace) -> int:
    return _process(args, [sources.Source("<stdin>", sys.stdin.buffer.read(), None)], "inject")


def cmd_inject(args: argparse.Namespace) -> int:
    return _process(args, sources.collect(args.paths), "reinject" if args.reinject else "inject")


def cmd_uninject(args: argparse.Namespace) -> int:
    return _process(args, sources.collect(args.paths), "uninject")


def cmd_demo(args: argparse.Namespace) -> int:
    from importlib import resources  # only the demo reads package data; keeps start-up short

    sample = resources.files("consul_inject").joinpath("demo.yaml").read_bytes()
    sys.stderr.write("# consul-inject demo: the seed's static-server and static-client, injected "
                     "with the chart defaults\n")
    return _process(args, [sources.Source("demo.yaml", sample, None)], "inject")


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
        message = "".join(f"{PROG}: error: {_one_line(p.text())}\n" for p in err.problems)
        _tell_user(message)
        _log(message)
        return 1
    except UsageError as err:
        _tell_user(str(err))
        _log(str(err))
        return 2
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2
    except Exception as exc:
        import traceback

        _log(traceback.format_exc())
        _tell_user(f"{PROG}: internal error: {type(exc).__name__}: {exc} "
                   f"(details in {_log_path()}); please report it\n")
        return 3
