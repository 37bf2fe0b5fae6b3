"""The command line's parsers: usage errors that reach the log, and the post-renderer's options
shared by the post-renderer, `inject`, `uninject`, `demo` and the Helm wrapper."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, NoReturn

PROG = "consul-inject"
# Past four processes the parent, which writes every chunk's output in order, is the bottleneck.
JOBS_CAP = 4


class UsageError(Exception):
    """A command-line mistake (exit 2); raised instead of argparse's print-and-exit so the
    message also reaches the log under Helm 4."""


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size finds it: $COLUMNS, else stdout's."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, told the width: left to itself it imports shutil (with bz2 and lzma, 2 ms)
    for the width, and it makes a formatter for every option added, on every run."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _columns() - 2 if width is None else width)


class RawDescriptionHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """The same, keeping the description's own line breaks."""


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.format_usage()}{self.prog}: error: {message}\n")


def _add_workload_kind(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workload-kind", action="append", default=[], metavar="KIND=PATH",
                        help="inject a custom resource whose controller copies a pod template "
                        "into its pods: KIND is Kind or <apiGroup>/<Kind>, PATH the dotted path "
                        "to the template, e.g. --workload-kind example.com/Worker=spec.template; "
                        "repeatable (values: consulInject.workloadKinds; Argo Rollouts and "
                        "OpenKruise CloneSet, Advanced StatefulSet and DaemonSet are known)")


def _add_jobs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", type=_jobs, default=None, metavar="N",
                        help="processes for a large release: after the release is indexed, the "
                        "documents to transform are split into N contiguous parts run side by "
                        "side, and their output is written in stream order; it applies from "
                        "about 200 workloads (fewer do not pay for it) where processes can be "
                        "forked (not on Windows). Output and report are identical whatever N; 1 "
                        f"never forks (default: the usable CPUs, at most {JOBS_CAP})")


def add_render_options(parser: argparse.ArgumentParser, *, namespace: bool = True) -> None:
    """The post-renderer's options; without `namespace` for the Helm wrapper, which takes the
    namespace from Helm's own arguments."""
    if namespace:
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
    parser.add_argument("--consul-k8s-version", choices=("0.49", "1.9", "2.0"), default=None,
                        help="consul-k8s version whose webhook to follow: 0.49 (client agents, "
                        "the default), 1.9 or 2.0 (consul-dataplane); -f/--set are then that "
                        "version's chart values (values: consulInject.consulK8sVersion)")
    parser.add_argument("--release-namespace", default="consul", metavar="NS",
                        help="namespace Consul is installed in; 1.9/2.0 pods reach the servers at "
                        "<fullname>-server.<NS>.svc (default: consul)")
    parser.add_argument("--cluster-dns-ip", metavar="IP",
                        help="1.9/2.0 with Consul DNS: the cluster resolver's IP, e.g. kubectl -n "
                        "kube-system get svc kube-dns -o jsonpath='{.spec.clusterIP}' (values: "
                        "consulInject.clusterDNSIP)")
    parser.add_argument("--cluster-domain", metavar="DOMAIN",
                        help="1.9/2.0 with Consul DNS: the cluster's DNS domain (values: "
                        "consulInject.clusterDomain; default: cluster.local)")
    parser.add_argument("--access-logs", metavar="WHERE",
                        help="1.9/2.0: the access logs of Consul's global proxy-defaults, which "
                        "the webhook reads from Consul: stdout, stderr or an absolute file path "
                        "(default: none)")
    parser.add_argument("--kube-version", metavar="X.Y",
                        help="Kubernetes version of the cluster, as for helm template "
                        "--kube-version; 1.9/2.0 refuse the native consul-dataplane sidecar "
                        "below 1.29 (the Helm wrapper passes Helm's own --kube-version)")
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
    _add_workload_kind(parser)
    _add_jobs(parser)
    parser.add_argument("--strict", action="store_true",
                        help="treat warnings as errors")
    parser.add_argument("--report", choices=("text", "json", "none"), default="text",
                        help="report format on stderr (default: text)")


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = 0
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of processes, 1 or more")
    return jobs


def default_jobs() -> int:
    """--jobs when it is not given: the CPUs this process may run on, at most JOBS_CAP."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, JOBS_CAP))
