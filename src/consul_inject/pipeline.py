"""bytes -> documents -> (decide -> inject) per pod template -> documents -> bytes, with a report.

A document that is not injected is never re-serialised: its original text goes out as it came in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import Node

from consul_inject import annotations as ann
from consul_inject import patch, podshape, services, stream, uninject, workloads, yamlcodec
from consul_inject.decide import decide
from consul_inject.errors import AnnotationError, AnnotationErrors, InputError
from consul_inject.inject import inject
from consul_inject.report import Entry, Report
from consul_inject.settings import Settings
from consul_inject.workloads import Ref

# Documents are read in two passes: first the kinds injection looks up (Services, accounts,
# Namespaces), then the workloads, one at a time, so that only one parsed workload is in memory.
_CONTEXT_KINDS = frozenset({"Namespace", "ServiceAccount", "Service", "Secret"})
_KIND_LINE_RE = re.compile(r"^kind:[ \t]*(['\"]?)([A-Za-z0-9]+)\1[ \t]*(?:#.*)?\r?$", re.MULTILINE)
UNKNOWN = "?"  # no single top-level `kind:` line: parse to find out


def sniff_kind(text: str) -> str:
    """The kind named by the one top-level `kind:` line, or UNKNOWN. Cheap: no parsing."""
    kinds = _KIND_LINE_RE.findall(text)
    return kinds[0][1] if len(kinds) == 1 else UNKNOWN


def _pass_of(kind: str) -> int:
    """1: read for context; 2: a workload (or List) to inject; 0: passed through unread (a kind
    injection never reads; Helm and kubectl still parse it)."""
    if kind == UNKNOWN:
        return 3  # both
    if kind in _CONTEXT_KINDS:
        return 1
    if kind in workloads.WORKLOAD_KINDS or kind.endswith("List"):
        return 2 | (1 if kind.endswith("List") else 0)
    return 0


@dataclass(frozen=True)
class Options:
    namespace: str = "default"
    source: str = "<stdin>"
    mode: str = "inject"  # "uninject": remove injection; "reinject": remove, then inject anew
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
            name = meta["annotations"].get(ann.HELM4_FILENAME)
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


def _parse(doc: _Doc, options: Options) -> None:
    try:
        doc.node, doc.data = yamlcodec.load_with_node(doc.segment.text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = doc.segment.line + (mark.line if mark else 0)
        col = (mark.column + 1) if mark else 1
        template = doc.segment.template()
        where = f"{options.source}:{line}:{col}" + (f" ({template})" if template else "")
        started = err.context_mark if err.context_mark is not mark else None
        context = err.context or ""
        if context and started is not None:
            context += f" (line {doc.segment.line + started.line}, column {started.column + 1})"
        problem = ": ".join(x for x in (context, err.problem) if x)
        raise InputError(f"{where}: invalid YAML: {problem}") from None
    except yaml.YAMLError as err:
        raise InputError(f"{options.source}:{doc.segment.line}: invalid YAML: {err}") from None
    except InputError as err:
        raise InputError(f"{options.source}:{doc.segment.line}: {err}") from None


def _namespace_labels(res: dict[str, Any]) -> tuple[str, dict[str, str]] | None:
    """(name, labels) of a Namespace object (the webhook reads them from the API)."""
    meta = res.get("metadata")
    if (res.get("kind") == "Namespace" and isinstance(meta, dict)
            and workloads.api_group(res.get("apiVersion")) == ""
            and isinstance(meta.get("name"), str)):
        found: dict[str, Any] = meta["labels"] if isinstance(meta.get("labels"), dict) else {}
        return meta["name"], {str(k): str(v) for k, v in found.items()}
    return None


def _own_annotations(res: dict[str, Any]) -> dict[str, Any]:
    """A workload's own metadata.annotations (not its pod template's), whatever their shape."""
    meta = res.get("metadata")
    found = meta.get("annotations") if isinstance(meta, dict) else None
    return found if isinstance(found, dict) else {}


class _Run:
    def __init__(self, settings: Settings, options: Options) -> None:
        self.settings = settings
        self.options = options
        self.report = Report()
        self.ns_labels: dict[str, dict[str, str]] = {}
        self.index = services.StreamIndex()
        self.created: list[dict[str, Any]] = []  # documents to emit before the current one
        self.privileged: list[str] = []  # injected pods whose init container runs privileged

    def workload(self, res: dict[str, Any], where: str) -> dict[str, Any] | None:
        """The injected copy of `res` if it is a workload the webhook would mutate, else None."""
        path = workloads.template_path(res)
        if path is None:
            return None
        ref = workloads.ref_of(res, self.options.namespace)
        if not workloads.valid_namespace(ref.namespace):
            shown = (res.get("metadata") or {}).get("namespace") if isinstance(
                res.get("metadata"), dict) else None
            self.report.errors.append(
                f"{where}: {ref}: namespace {shown if shown is not None else ref.namespace!r} is "
                "not a Kubernetes namespace name; expected lower-case letters, digits and '-', "
                "at most 63 characters")
            return None
        template = workloads.get_template(res, path)
        if template is None:
            self.report.warn(where, ref, "has no pod template; passed through")
            return None
        try:
            podshape.check(template, ".".join(path))
            stripped = self.options.mode != "inject" and uninject.is_injected(template)
            if stripped:
                template = uninject.uninject(template)
                if self.options.mode == "uninject":
                    self.report.entries.append(Entry(ref, where, "uninjected"))
                    return workloads.with_template(res, path, template)
            elif self.options.mode == "uninject":
                self.report.entries.append(Entry(ref, where, "skipped", "not injected"))
                return None
            meta = template.get("metadata") or {}
            decision = decide(self.settings, meta, ref.namespace,
                              self.ns_labels.get(ref.namespace, {}))
            if not decision.inject:
                self._explain_skip(res, path, ref, where)
                self.report.entries.append(Entry(ref, where, "skipped", decision.reason))
                # reinject: an injected template that should no longer be injected comes out bare
                return workloads.with_template(res, path, template) if stripped else None
            result = inject(self.settings, template, ref.namespace,
                            self.ns_labels.get(ref.namespace, {}),
                            lambda account: self.index.secret_for(ref.namespace, account))
            binding = services.bind(self.settings, template, result, ref.namespace, self.index,
                                    workload=ref.name)
        except AnnotationError as err:
            self.report.errors.append(f"{where}: {ref}: {err.text()}")
            return None
        except AnnotationErrors as errs:
            self.report.errors.extend(f"{where}: {ref}: {e.text()}" for e in errs.errors)
            return None
        for problem in binding.missing:
            if self.settings.missing_service == "warn":
                self.report.warn(where, ref, problem)
            else:
                self.report.errors.append(
                    f"{where}: {ref}: {problem} (if it is deployed apart from this release, pass "
                    "--missing-service=warn)")
        for created in binding.to_create:
            self.created.append(created)
            self.index.add(created, ref.namespace)
            self.report.entries.append(Entry(
                workloads.ref_of(created, ref.namespace), where, "created",
                f"for the multi-port services of {ref}"))
        for warning in result.warnings + binding.warnings:
            self.report.warn(where, ref, warning)
        self._warn_injected(res, result.template, ref, where)
        self.report.entries.append(Entry(ref, where, "injected", decision.reason,
                                         binding.consul_services,
                                         tuple(u.raw.strip() for u in result.upstreams)))
        return workloads.with_template(res, path, result.template)

    def _explain_skip(self, res: dict[str, Any], path: tuple[str, ...], ref: Ref,
                      where: str) -> None:
        if not path:
            return
        outer = _own_annotations(res)
        inner = ((workloads.get_template(res, path) or {}).get("metadata") or {}).get(
            "annotations") or {}
        if ann.INJECT in outer and ann.INJECT not in inner:
            self.report.warn(where, ref, f"{ann.INJECT} is set on the {ref.kind}'s own metadata, "
                             "which the injector never reads; move it to "
                             f"{'.'.join(path)}.metadata.annotations")

    def _warn_injected(self, res: dict[str, Any], template: dict[str, Any], ref: Ref,
                       where: str) -> None:
        spec = template.get("spec") or {}
        meta = template.get("metadata") or {}
        if any((c.get("securityContext") or {}).get("privileged") for c in
               spec.get("initContainers") or [] if isinstance(c, dict)):
            self.privileged.append(str(ref))
        if spec.get("hostNetwork") is True:
            self.report.warn(where, ref, "uses hostNetwork: the sidecar shares the node's network "
                             "namespace and its fixed ports (20000, 19000) may clash with other pods")
        if ref.kind in ("Job", "CronJob"):
            self.report.warn(where, ref, "is a Job: the envoy-sidecar container keeps running after "
                             "the job's own containers finish, so the Job never completes")
        if "helm.sh/hook" in _own_annotations(res):
            self.report.warn(where, ref, "is a Helm hook; set "
                             f'{ann.INJECT}: "false" on it unless it needs the mesh')
        unknown = sorted(k for k in (meta.get("annotations") or {})
                         if k.startswith(ann.P) and k not in ann.KNOWN
                         and not k.startswith(ann.META_PREFIX))
        for key in unknown:
            self.report.warn(where, ref, f"{key} is not an annotation consul-k8s 0.49 reads")

    def document(self, doc: _Doc) -> str:
        data = doc.data
        if data is None:
            return doc.segment.text
        where = _where(doc, self.options)
        if not isinstance(data, dict):
            self.report.errors.append(
                f"{where}: document is a {type(data).__name__}, not a mapping; every document "
                "must be a Kubernetes resource (apiVersion, kind, metadata)")
            return doc.segment.text
        new = self.workload(data, where) or data
        if workloads.is_list(data):
            if not all(isinstance(item, dict) for item in data["items"]):
                self.report.errors.append(f"{where}: {data.get('kind')} has items that are not "
                                          "mappings; every item must be a Kubernetes resource")
                return doc.segment.text
            items = list(new["items"])
            for i, item in workloads.list_items(data):
                if isinstance(item, dict) and (injected := self.workload(item, where)) is not None:
                    items[i] = injected
            if items != new["items"]:
                new = {**new, "items": items}
        created = self._take_created()
        if new is data:
            return created + doc.segment.text if created else doc.segment.text
        text = self._rewrite(doc, new)
        if created and not any(stream.is_document_start(line) for line in text.split("\n")):
            text = "---\n" + text
        return created + text

    def _rewrite(self, doc: _Doc, new: dict[str, Any]) -> str:
        """The document's text edited in place to read as `new`; written anew only where the
        edit would be ambiguous (aliases, merge keys). Reading every edit back would double
        the cost of a large release; tests/unit/test_patch.py checks edits read back instead."""
        prefix, trailing = doc.segment.split_for_rewrite()
        as_json = _json_document(doc.segment.text[len(prefix):]) if doc.segment.text.startswith(
            prefix) else None
        if as_json is not None:
            return prefix + as_json(new)
        if doc.node is not None:
            patched = patch.rewrite(doc.segment.text, doc.node, doc.data, new)
            if patched is not None:
                return patched
        text = prefix + yamlcodec.dump(new) + trailing
        return text.replace("\n", "\r\n") if doc.segment.crlf else text

    def _take_created(self) -> str:
        """ServiceAccounts and Secrets added for multi-port services, placed before their pod."""
        text = "".join(f"---\n# Source: consul-inject/service-account-{d['kind'].lower()}.yaml\n"
                       + yamlcodec.dump(d) for d in self.created)
        self.created = []
        return text


_DONE = stream.Segment("", 0, False)


def run(data: bytes, settings: Settings, options: Options,
        sink: Callable[[str], object] | None = None) -> Result:
    """Inject every pod template in a YAML stream. Bad input shows up in report.errors.

    With a `sink`, output goes there piece by piece (a large release is never held whole in
    memory) and Result.output is empty; on errors the sink has partial output to discard.
    """
    run_ = _Run(settings, options)
    try:
        text = stream.decode(data, options.source)
        del data  # the caller may have handed the only reference over: hold the release once
        bom, segments = stream.split(text)
        del text
    except InputError as err:
        run_.report.errors.append(str(err))
        return Result("", run_.report)
    passes = [_pass_of(sniff_kind(seg.text)) if seg.is_document else 0 for seg in segments]
    documents = sum(1 for seg in segments if seg.is_document)
    kept: dict[int, _Doc] = {}  # documents of unknown kind, parsed once for both passes
    for i, (seg, which) in enumerate(zip(segments, passes, strict=True)):
        if which & 1:
            doc = _Doc(seg)
            try:
                _parse(doc, options)
            except InputError as err:
                run_.report.errors.append(str(err))
                passes[i] = 0
                continue
            for res in workloads.resources(doc.data):
                run_.index.add(res, options.namespace)
                if (ns := _namespace_labels(res)) is not None:
                    run_.ns_labels[ns[0]] = ns[1]
            if which & 2:
                kept[i] = doc
    failed_first = bool(run_.report.errors)
    texts: list[str] = []
    write = sink or texts.append
    write(bom)
    for i, (seg, which) in enumerate(zip(segments, passes, strict=True)):
        segments[i] = _DONE  # written out: let a large release's text go as we go
        if not which & 2:
            write(seg.text)
            continue
        if i in kept:
            doc = kept.pop(i)
        elif failed_first:
            # A Service or account that did not parse would make every check against it
            # misleading: report the YAML errors only.
            try:
                _parse(_Doc(seg), options)
            except InputError as err:
                run_.report.errors.append(str(err))
            continue
        else:
            doc = _Doc(seg)
            try:
                _parse(doc, options)
            except InputError as err:
                run_.report.errors.append(str(err))
                continue
        write(run_.document(doc))
    run_.report.documents = documents
    if run_.privileged:
        shown = ", ".join(run_.privileged[:3]) + (" and others" if len(run_.privileged) > 3 else "")
        run_.report.notes.append(f"{len(run_.privileged)} injected pod(s) ({shown}) "
                         "run consul-connect-inject-init privileged, as root with NET_ADMIN, to set "
                         "up transparent proxy; connectInject.cni.enabled=true (the consul-cni "
                         "plugin) sets up the redirect on the node instead")
    if run_.report.errors or sink is not None:
        return Result("", run_.report)
    return Result("".join(texts), run_.report)
