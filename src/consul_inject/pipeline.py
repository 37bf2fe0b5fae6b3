"""bytes -> documents -> release index -> (transform -> checks) per workload -> documents -> bytes,
with a report beside it.

A document that is not changed is never re-serialised: its original text goes out as it came in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import Node

from consul_inject import (
    checks,
    emitter,
    patch,
    podshape,
    release,
    stream,
    transforms,
    webhooks,
    workloads,
    yamlcodec,
)
from consul_inject.problems import ConsulInjectError, Problem, TemplateError
from consul_inject.release import ReleaseIndex
from consul_inject.report import Entry, Report
from consul_inject.transforms import Outcome, Transform, Workload

# Documents are read in two passes: first the kinds the checks look up (Services, accounts,
# Namespaces), then the workloads, one at a time, so that only one parsed workload is in memory.
_CONTEXT_KINDS = frozenset({"Namespace", "ServiceAccount", "Service", "Secret"})
_KIND_LINE_RE = re.compile(r"^kind:[ \t]*(['\"]?)([A-Za-z0-9]+)\1[ \t]*(?:#.*)?\r?$", re.MULTILINE)
UNKNOWN = "?"  # no single top-level `kind:` line: parse to find out
_INDEX, _TRANSFORM = 1, 2  # the passes a document takes part in


def sniff_kind(text: str) -> str:
    """The kind named by the one top-level `kind:` line, or UNKNOWN. Cheap: no parsing."""
    kinds = _KIND_LINE_RE.findall(text)
    return kinds[0][1] if len(kinds) == 1 else UNKNOWN


def _passes_of(kind: str) -> int:
    """Which passes read a document of this kind; 0: passed through unread (a kind injection
    never reads; Helm and kubectl still parse it)."""
    if kind == UNKNOWN:
        return _INDEX | _TRANSFORM
    if kind in _CONTEXT_KINDS:
        return _INDEX
    if kind.endswith("List"):
        return _INDEX | _TRANSFORM
    return _TRANSFORM if kind in workloads.WORKLOAD_KINDS else 0


@dataclass(frozen=True)
class Options:
    namespace: str = "default"
    source: str = "<stdin>"
    transform: transforms.Mode = "inject"
    name_source: bool = False  # several inputs: messages name the file before the template


@dataclass
class Result:
    output: str
    report: Report

    @property
    def ok(self) -> bool:
        return not self.report.errors


@dataclass
class _Doc:
    segment: stream.Segment
    data: Any = None
    node: Node | None = None  # the composed tree, with positions for patching the text


def _where(doc: _Doc, options: Options) -> str:
    template = doc.segment.template()
    if template is None and isinstance(doc.data, dict):
        meta = doc.data.get("metadata")
        if isinstance(meta, dict) and isinstance(meta.get("annotations"), dict):
            name = meta["annotations"].get(workloads.HELM4_FILENAME)
            template = name if isinstance(name, str) else None
    if template and options.name_source:
        return f"{options.source}: {template}"
    return template or f"{options.source}:{doc.segment.line}"


def _json_document(text: str) -> Callable[[Any], str] | None:
    """For a document written as JSON (kubectl -o json, .json files), a writer that keeps it
    JSON, with the same indentation; None for YAML."""
    body = text.strip()
    if not (body.startswith("{") and body.endswith("}")):
        return None
    try:
        json.loads(body)
    except ValueError:
        return None
    indent = re.search(r"\n( +)\S", body)
    width = len(indent.group(1)) if indent else None
    lead = text[: len(text) - len(text.lstrip())]
    tail = text[len(text.rstrip()):]
    return lambda data: lead + json.dumps(data, indent=width, ensure_ascii=False) + tail


def _parse(segment: stream.Segment, options: Options) -> _Doc:
    doc = _Doc(segment)
    try:
        doc.node, doc.data = yamlcodec.load_with_node(segment.text)
    except yaml.MarkedYAMLError as err:
        line, col, problem = yamlcodec.error_position(err, segment.line)
        template = segment.template()
        where = f"{options.source}:{line}:{col}" + (f" ({template})" if template else "")
        raise ConsulInjectError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as err:
        raise ConsulInjectError(f"{options.source}:{segment.line}: invalid YAML: {err}") from None
    except ConsulInjectError as err:
        raise ConsulInjectError(f"{options.source}:{segment.line}: {err}") from None
    return doc


class _Run:
    """One stream through one transform: the release index, then each document in turn."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.report = Report()
        self.index = ReleaseIndex()
        self.settings_maps: list[dict[str, Any]] = []  # the chart's settings ConfigMaps
        self.created: list[dict[str, Any]] = []  # documents to emit before the current one
        self.privileged: list[str] = []  # injected pods whose init container runs privileged

    def configure(self, settings: Any) -> None:
        """Settings are known once the release is indexed (they may come from it)."""
        self.settings = settings
        self.webhook = webhooks.get(settings.consul_k8s_version)
        self.transform: Transform = transforms.build(self.options.transform, self.webhook,
                                                     settings)

    def error(self, text: str) -> None:
        self.report.errors.append(Problem(text))

    def workload(self, res: dict[str, Any], where: str) -> dict[str, Any] | None:
        """The changed copy of `res` if the transform changes it, else None."""
        path = workloads.template_path(res)
        if path is None:
            return None
        ref = workloads.ref_of(res, self.options.namespace)
        try:
            podshape.check_metadata(res)  # a mapping, and its namespace a string, from here on
            if not workloads.valid_namespace(ref.namespace):
                shown = (res.get("metadata") or {}).get("namespace")
                self.error(f"{where}: {ref}: namespace "
                           f"{shown if shown is not None else ref.namespace!r} is not a Kubernetes "
                           "namespace name; expected lower-case letters, digits and '-', at most "
                           "63 characters")
                return None
            template = workloads.get_template(res, path)
            if template is None:
                self.report.warn(where, ref, "has no pod template; passed through")
                return None
            podshape.check(template, ".".join(path))
            outcome = self.transform.apply(Workload(res, path, template, ref, where), self.index)
            found = checks.check_injected(outcome, self.settings, self.index) \
                if outcome.status == "injected" else None
        except TemplateError as err:
            self.report.errors.extend(p.at(f"{where}: {ref}") for p in err.problems)
            return None
        self._record(outcome, found)
        if outcome.template is None:
            return None
        return workloads.with_template(res, path, outcome.template)

    def _record(self, outcome: Outcome, found: checks.Findings | None) -> None:
        ref, where = outcome.workload.ref, outcome.workload.where
        if found is None:
            for warning in outcome.advice:
                self.report.warn(where, ref, warning)
            self.report.entries.append(Entry(ref, where, outcome.status, outcome.reason))
            return
        assert outcome.injection is not None
        self.report.errors.extend(Problem(f"{where}: {ref}: {e}") for e in found.errors)
        for warning in found.warnings:
            self.report.warn(where, ref, warning)
        for created in checks.record_created(found.created, self.index, ref.namespace):
            self.report.entries.append(Entry(created, where, "created",
                                             f"for the multi-port services of {ref}"))
        self.created.extend(found.created)
        for warning in outcome.injection.warnings + found.binding.warnings + outcome.advice:
            self.report.warn(where, ref, warning)
        if checks.runs_privileged(outcome):
            self.privileged.append(str(ref))
        self.report.entries.append(Entry(
            ref, where, "injected", outcome.reason, found.binding.consul_services,
            tuple(u.raw.strip() for u in outcome.injection.upstreams)))

    def document(self, doc: _Doc) -> str:
        data = doc.data
        if data is None:
            return doc.segment.text
        where = _where(doc, self.options)
        if not isinstance(data, dict):
            self.error(f"{where}: document is a {type(data).__name__}, not a mapping; every "
                       "document must be a Kubernetes resource (apiVersion, kind, metadata)")
            return doc.segment.text
        new = self.workload(data, where) or data
        if workloads.is_list(data):
            if not all(isinstance(item, dict) for item in data["items"]):
                self.error(f"{where}: {data.get('kind')} has items that are not mappings; every "
                           "item must be a Kubernetes resource")
                return doc.segment.text
            items = list(new["items"])
            for i, item in workloads.list_items(data):
                if isinstance(item, dict) and (changed := self.workload(item, where)) is not None:
                    items[i] = changed
            if items != new["items"]:
                new = {**new, "items": items}
        created = self._take_created()
        if new is data:
            return created + doc.segment.text if created else doc.segment.text
        text = _rewrite(doc, new)
        if created and not any(stream.is_document_start(line) for line in text.split("\n")):
            text = "---\n" + text
        return created + text

    def _take_created(self) -> str:
        """ServiceAccounts and Secrets added for multi-port services, placed before their pod."""
        text = "".join(f"---\n# Source: consul-inject/service-account-{d['kind'].lower()}.yaml\n"
                       + emitter.emit(d) for d in self.created)
        self.created = []
        return text

    def notes(self) -> None:
        note = checks.privileged_note(self.privileged)
        if note:
            self.report.notes.append(note)


def _rewrite(doc: _Doc, new: dict[str, Any]) -> str:
    """The document's text edited in place to read as `new`; written anew only where the edit
    would be ambiguous (aliases, merge keys). Reading every edit back would double the cost of
    a large release; tests/unit/test_patch.py checks edits read back instead."""
    prefix, trailing = doc.segment.split_for_rewrite()
    as_json = _json_document(doc.segment.text[len(prefix):]) if doc.segment.text.startswith(
        prefix) else None
    if as_json is not None:
        return prefix + as_json(new)
    if doc.node is not None:
        patched = patch.rewrite(doc.segment.text, doc.node, doc.data, new)
        if patched is not None:
            return patched
    text = prefix + emitter.emit(new) + trailing
    return text.replace("\n", "\r\n") if doc.segment.crlf else text


def _index(run: _Run, segments: list[stream.Segment], passes: list[int]) -> dict[int, _Doc]:
    """Pass 1: read the kinds the checks look up into the release index, and the chart's
    settings ConfigMaps. Returns the parsed documents that pass 2 needs as well (kind unknown
    until parsed), so each is parsed once."""
    kept: dict[int, _Doc] = {}
    for i, (seg, which) in enumerate(zip(segments, passes, strict=True)):
        settings_map = release.SETTINGS_LABEL in seg.text
        if not (which & _INDEX or (settings_map and seg.is_document)):
            continue
        try:
            doc = _parse(seg, run.options)
        except ConsulInjectError as err:
            run.report.errors.extend(err.problems)
            passes[i] = 0
            continue
        for res in workloads.resources(doc.data):
            run.index.add(res, run.options.namespace)
            if settings_map:
                run.settings_maps.append(res)
        if which & _TRANSFORM:
            kept[i] = doc
    return kept


_DONE = stream.Segment("", 0, False)


Configure = Callable[[Mapping[str, Any] | None], Any]


def run(data: bytes, settings: Any, options: Options,
        sink: Callable[[str], object] | None = None) -> Result:
    """Transform every pod template in a YAML stream with `settings`. Bad input shows up in
    report.errors.

    With a `sink`, output goes there piece by piece (a large release is never held whole in
    memory) and Result.output is empty; on errors the sink has partial output to discard.
    """
    return run_release(data, lambda _found: settings, options, sink)


def run_release(data: bytes, configure: Configure, options: Options,
                sink: Callable[[str], object] | None = None) -> Result:
    """Like `run`, with the settings made by `configure` from the values of the
    consul-connect-inject chart's settings ConfigMap found in the stream (None if there is
    none). A bad ConfigMap or bad values raise ConsulInjectError."""
    run_ = _Run(options)
    try:
        text = stream.decode(data, options.source)
        del data  # the caller may have handed the only reference over: hold the release once
        bom, segments = stream.split(text)
        del text
    except ConsulInjectError as err:
        configure(None)  # bad values are reported before bad input, as always
        run_.report.errors.extend(err.problems)
        return Result("", run_.report)
    passes = [_passes_of(sniff_kind(seg.text)) if seg.is_document else 0 for seg in segments]
    run_.report.documents = sum(1 for seg in segments if seg.is_document)
    kept = _index(run_, segments, passes)
    run_.configure(configure(release.settings_values(run_.settings_maps)))
    # A Service or account that did not parse would make every check against it misleading:
    # then only YAML errors are reported.
    failed_first = bool(run_.report.errors)
    texts: list[str] = []
    write = sink or texts.append
    write(bom)
    for i, (seg, which) in enumerate(zip(segments, passes, strict=True)):
        segments[i] = _DONE  # written out: let a large release's text go as we go
        if not which & _TRANSFORM:
            write(seg.text)
            continue
        parsed_first = i in kept
        try:
            doc = kept.pop(i) if parsed_first else _parse(seg, options)
        except ConsulInjectError as err:
            run_.report.errors.extend(err.problems)
            continue
        if parsed_first or not failed_first:
            write(run_.document(doc))
    run_.notes()
    if run_.report.errors or sink is not None:
        return Result("", run_.report)
    return Result("".join(texts), run_.report)
