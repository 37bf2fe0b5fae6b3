"""Run the inputs of one command through the pipeline into spools, then deliver them: to
stdout, to -o FILE, or back in place, and only if every input is good. The file I/O edge of
`inject`, `uninject`, the post-renderer and the demo."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from consul_inject import meshtap, pipeline, sources, tooloptions, usage, values, webhooks, workloads
from consul_inject import report as report_mod
from consul_inject.problems import ConsulInjectError
from consul_inject.transforms import Mode
from consul_inject.webhooks.base import SettingsContext

if TYPE_CHECKING:
    from pathlib import Path

PROG = "consul-inject"


class Configure:
    """Settings for each input: the values of the chart's settings ConfigMap found in it, if
    any, under -f and --set (which win). Values files are read and checked once per run."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sets = list(args.set)
        self.set_strings = list(args.set_string)
        for flag, key in (("consul_k8s_version", tooloptions.VERSION_KEY),
                          ("cluster_dns_ip", "consulInject.clusterDNSIP"),
                          ("cluster_domain", "consulInject.clusterDomain")):
            if getattr(args, flag, None):
                self.set_strings.append(f"{key}={getattr(args, flag)}")
        if args.missing_service:
            self.sets.append(f"consulInject.missingService={args.missing_service}")
        if args.create_service_account_secrets:
            self.sets.append("consulInject.createServiceAccountSecrets=true")
        self.set_strings += map(workloads.workload_kind_setting, getattr(args, "workload_kind", []))
        if getattr(args, "intentions", False):
            self.sets.append("consulInject.intentions.enabled=true")
        self.made: dict[str, Any] = {}  # settings by the ConfigMap values they came from
        self.warnings: list[str] = []  # what the values check found that is not an error
        self.current: Any = None  # the settings of the input being run

    def __call__(self, found: Mapping[str, Any] | None) -> Any:
        key = json.dumps(found, sort_keys=True, default=str)
        if key not in self.made:
            args = self.args
            merged = values.load(args.values, self.sets, self.set_strings, base=found)
            # as errors read, without "warning:" inside: the report adds its own
            texts = [w._replace(severity="error").text() for w in merged.warnings]
            self.warnings += [w for w in texts if w not in self.warnings]
            webhook = webhooks.get(tooloptions.version_of(merged))
            self.made[key] = webhook.settings(merged, self._context())
        self.current = self.made[key]
        return self.current

    def _context(self) -> SettingsContext:
        ca_text = None
        if self.args.consul_ca_file:
            try:
                with open(self.args.consul_ca_file, encoding="utf-8") as ca_file:
                    ca_text = ca_file.read()
            except (OSError, UnicodeDecodeError) as err:
                raise ConsulInjectError(f"{self.args.consul_ca_file}: cannot read CA file: "
                                        f"{err}") from None
        return SettingsContext(release=self.args.release, ca_cert=ca_text,
                               dns_ip=self.args.consul_dns_ip, environ=os.environ,
                               release_namespace=self.args.release_namespace,
                               access_logs=self.args.access_logs,
                               kube_version=getattr(self.args, "kube_version", None))


def _report(args: argparse.Namespace, reports: list[report_mod.Report], names: list[str]) -> None:
    text = []
    for name, report in zip(names, reports, strict=True):
        body = report.text() if args.report == "text" else (
            report.as_json() if args.report == "json" else "")
        if len(reports) > 1 and body and args.report == "text":
            body = f"==> {name}\n{body}"
        text.append(body)
    if len(reports) > 1 and args.report == "text":
        totals = report_mod.Report()
        for report in reports:
            totals.entries.extend(report.entries)
            totals.documents += report.documents
        left = sum(1 for report in reports if report.left_out)
        files = f"{len(reports)} files" + (f" ({left} left out)" if left else "")
        text.append(f"consul-inject: {files}: {totals.summary()}, 0 errors\n")
    joined = "".join(text)
    sys.stderr.write(joined)
    # Helm 3 drops a successful post-renderer's stderr and Helm 4 all of it: the report is
    # kept in the log file on every run.
    report_mod.write_log(joined)


def process(args: argparse.Namespace, inputs: list[sources.Source], mode: Mode) -> int:
    """Run every input through the pipeline into spools; write only if all of them are good."""
    namespace = args.namespace
    if namespace is not None and not workloads.valid_namespace(namespace):
        # It names Consul namespaces and reaches the init script: refuse it before any input.
        raise ConsulInjectError(f"--namespace {namespace!r}: not a Kubernetes namespace name; "
                                "expected lower-case letters, digits and '-', at most 63 "
                                "characters")
    configure = Configure(args)
    in_place = bool(getattr(args, "in_place", False))
    if in_place and any(src.path is None for src in inputs):
        raise ConsulInjectError("--in-place needs files or folders, not stdin")
    run = [src for src in inputs if not src.left_out]  # kustomizations, values, ... are not
    spools: list[sources.Spool] = []
    results: list[pipeline.Result] = []
    tap: meshtap.Tap | None = None  # inject --intentions: one over the whole release
    try:
        shared = _index_release(args, run, mode, len(inputs) > 1)
        for part, src in enumerate(run):
            if in_place or not spools:
                target = src.path if in_place else getattr(args, "output_file", None)
                spools.append(sources.Spool(target or None))
            spool = spools[-1]
            spool.start_stream()
            options = _options(args, src, mode, len(inputs) > 1)
            # --in-place compares the result with the file; otherwise the bytes are handed over
            # (inline, no local name) so that the pipeline holds the only reference.
            if mode != "uninject" and (tap is None or in_place):
                tap = meshtap.Tap(spool.write, lambda: configure.current)
            results.append(pipeline.run_release(src.data if in_place else src.take(), configure,
                                                options, tap or spool.write, shared=shared,
                                                part=part))
            if tap is not None and in_place:
                tap.finish(results[-1], options.namespace)
        if tap is not None and results:
            _finish_intentions(tap, results, in_place, args.namespace or "default")
        if results:  # the values' warnings once, ahead of the first input's
            results[0].report.warnings[:0] = configure.warnings
        errors = [e.text() for r in results for e in r.report.errors]
        if args.strict and not errors:
            errors = [f"--strict: {w}" for r in results for w in r.report.warnings]
        if errors:
            message = "".join(f"{PROG}: error: {report_mod.printable(e)}\n" for e in errors)
            if len(inputs) > 1:
                message += f"{PROG}: {len(errors)} error(s) in {len(inputs)} files; nothing written\n"
            report_mod.fail(message)
            return 1
        if in_place:
            _commit_in_place(args, run, spools)
        else:
            _deliver(args, spools[0] if spools else sources.Spool())
    finally:
        for spool in spools:
            spool.discard()
    _report(args, _in_order(inputs, results, in_place), [src.name for src in inputs])
    return 0


def _options(args: argparse.Namespace, src: sources.Source, mode: Mode,
             several: bool) -> pipeline.Options:
    return pipeline.Options(namespace=args.namespace or "default", source=src.name,
                            transform=mode, name_source=several,
                            jobs=getattr(args, "jobs", None) or usage.default_jobs())


def _index_release(args: argparse.Namespace, run: list[sources.Source], mode: Mode,
                   several: bool) -> pipeline.Shared | None:
    """Several inputs are one release (a folder, a kustomize base): one index over all of them
    before any is transformed, so a Service in service.yaml registers the Deployment in
    deployment.yaml. One input needs no second look at its text."""
    if len(run) < 2:
        return None
    seen: set[Path] = set()

    def once(src: sources.Source) -> bytes:
        """A file given twice (a folder and a file in it) is one part of the release."""
        path = src.path.resolve() if src.path else None
        if path in seen:
            return b""
        if path is not None:
            seen.add(path)
        return src.data
    return pipeline.index_release((once(src), _options(args, src, mode, several)) for src in run)


def _in_order(inputs: list[sources.Source], results: list[pipeline.Result],
              in_place: bool) -> list[report_mod.Report]:
    """Each input's report, a left-out file's saying what became of it."""
    done = iter(results)
    fate = "left as it is" if in_place else "not in the output"
    return [report_mod.Report(left_out=f"{src.left_out}, not a Kubernetes manifest; {fate}")
            if src.left_out else next(done).report for src in inputs]


def _finish_intentions(tap: meshtap.Tap, results: list[pipeline.Result], in_place: bool,
                       namespace: str) -> None:
    """The release's intentions after the whole stream, planned over every input's workloads
    (a destination reached from two files gets one ServiceIntentions)."""
    if not tap.enabled():
        return
    if in_place:
        if len(results) > 1:
            raise ConsulInjectError(
                "--intentions with --in-place over several files would add a ServiceIntentions "
                "to each file for destinations they share, and one would replace another; write "
                "them to a file of their own: consul-inject intentions PATH... -o intentions.yaml")
        return
    last = results[-1]
    tap.finish(pipeline.Result("", last.report, [f for r in results for f in r.facts]), namespace)


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
    elif report_mod.under_helm4() and not spool.read().strip():
        text = "# consul-inject: no documents\n"  # Helm 4 refuses empty output
    else:
        text = None
    target = getattr(args, "output_file", None)
    if target:
        if text is not None:
            spool.replace(text)
        spool.commit(target)
    elif text is None:
        spool.copy_to(sys.stdout.buffer)
    else:
        _write(text)


def _write(output: str) -> None:
    sys.stdout.buffer.write(output.encode("utf-8"))
    sys.stdout.flush()
