"""The public Python API: the same pipeline, values and checks as the command line, without I/O.

    >>> from consul_inject import inject_stream
    >>> result = inject_stream(manifests, values={"connectInject": {"default": True}},
    ...                        namespace="apps")
    >>> result.output          # the injected stream (untouched documents byte for byte)
    >>> result.workloads       # one entry per workload: kind, name, namespace, injected, reason

Bad input raises `ConsulInjectError`, whose `problems` say where, what and how to fix it.
"""

import os
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.transforms import Mode


class WorkloadResult(NamedTuple):
    """What happened to one workload of the stream."""

    kind: str
    name: str
    namespace: str
    injected: bool
    outcome: str  # "injected", "skipped", "uninjected" or "created"
    reason: str  # why it was injected or skipped, as the report says
    services: tuple[str, ...] = ()  # the Consul services it registers
    upstreams: tuple[str, ...] = ()


class InjectResult(NamedTuple):
    output: str  # the whole stream, injected
    workloads: tuple[WorkloadResult, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    report: str = ""  # the text report the command line prints

    def __repr__(self) -> str:  # without the report, which repeats the rest
        return (f"InjectResult(output={self.output!r}, workloads={self.workloads!r}, "
                f"warnings={self.warnings!r}, notes={self.notes!r})")


def inject_stream(data: str | bytes, *, values: Mapping[str, Any] | None = None,
                  namespace: str = "default", set_values: Sequence[str] = (),
                  transform: Mode = "inject", release: str = "consul",
                  consul_ca_cert: str | None = None, consul_dns_ip: str | None = None,
                  consul_k8s_version: str | None = None, release_namespace: str = "consul",
                  access_logs: str | None = None, strict: bool = False,
                  source: str = "<stream>", jobs: int = 1) -> InjectResult:
    """Inject (or with `transform`, uninject or reinject) every pod template of a YAML stream.

    `values` are Consul chart values (as a parsed values.yaml), `set_values` Helm `--set`
    expressions applied over them; both are checked as `consul-inject validate` checks them.
    `consul_k8s_version` ("0.49", "1.9" or "2.0") overrides the values'
    consulInject.consulK8sVersion; `release_namespace` and `access_logs` are the command line's
    --release-namespace and --access-logs. `namespace` is the namespace of resources without
    metadata.namespace. With `strict`, warnings are errors. `jobs` is the command line's
    --jobs: above 1, a large stream (about 200 workloads or more) is transformed by that many
    forked processes, with the same result; the default, 1, never forks (a library should not
    start processes unasked, and forking a process that runs threads is unsafe). Raises
    ConsulInjectError with every problem found.
    """
    from consul_inject import pipeline, tooloptions, webhooks
    from consul_inject import values as values_mod
    from consul_inject.values import strvals, tree
    from consul_inject.webhooks.base import SettingsContext

    merged: dict[str, Any] = dict(values or {})
    for expr in set_values:
        merged = tree.merge(merged, strvals.parse_set(expr))
    if consul_k8s_version is not None:
        merged = tree.merge(merged, {"consulInject": {"consulK8sVersion": consul_k8s_version}})
    checked = values_mod.checked(merged)  # as `validate` checks a values file
    context = SettingsContext(release=release, ca_cert=consul_ca_cert, dns_ip=consul_dns_ip,
                              environ=dict(os.environ), release_namespace=release_namespace,
                              access_logs=access_logs)
    settings = webhooks.get(tooloptions.version_of(checked)).settings(checked, context)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    result = pipeline.run(raw, settings, pipeline.Options(namespace=namespace, source=source,
                                                          transform=transform, jobs=jobs))
    report = result.report
    problems = list(report.errors)
    if strict and not problems:
        problems = [Problem(f"--strict: {w}") for w in report.warnings]
    if problems:
        raise ConsulInjectError(problems)
    workloads = tuple(
        WorkloadResult(e.ref.kind, e.ref.name, e.ref.namespace, e.outcome == "injected",
                       e.outcome, e.reason, e.services, e.upstreams)
        for e in report.entries)
    return InjectResult(result.output, workloads, tuple(report.warnings), tuple(report.notes),
                        report.text())


def validate_values(values: Mapping[str, Any] | str | os.PathLike[str]) -> list[Problem]:
    """Every problem in Consul chart values (a parsed tree, or the path of a values file), as
    `consul-inject validate` reports them: each with `path`, `message`, `severity`, and `line`
    when the values came from a file. An empty list means valid."""
    from consul_inject import values as values_mod

    return values_mod.validate_values(values)
