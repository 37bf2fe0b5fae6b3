"""bytes -> documents -> release index -> (transform -> checks) per workload -> documents -> bytes,
with a report beside it.

A document that is not changed is never re-serialised: its original text goes out as it came in.
"""

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from consul_inject import (
    checks,
    emitter,
    mesh,
    passes,
    patch,
    podshape,
    release,
    stream,
    transforms,
    webhooks,
    workloads,
)
from consul_inject.problems import ConsulInjectError, Problem, TemplateError
from consul_inject.release import ReleaseIndex
from consul_inject.report import Entry, Report
from consul_inject.transforms import Outcome, Transform, Workload


class Options(NamedTuple):
    namespace: str = "default"
    source: str = "<stdin>"
    transform: transforms.Mode = "inject"
    name_source: bool = False  # several inputs: messages name the file before the template
    jobs: int = 1  # processes pass 2 may use (workers.py); 1 never forks
    jobs_from: int = 200  # workload documents from which splitting pays (measured on 2 cores)
    lists_from: int = passes.LARGE_LIST  # characters from which a List is read item by item


class Result(NamedTuple):
    output: str
    report: Report
    facts: Sequence[mesh.Fact] = ()  # the injected and refused workloads

    @property
    def ok(self) -> bool:
        return not self.report.errors


def _where(doc: passes.Doc, options: Options) -> str:
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


class _Run:
    """One stream through one transform: the release index, then each document in turn."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.report = Report()
        self.index = ReleaseIndex()
        self.settings_maps: list[dict[str, Any]] = []  # the chart's settings ConfigMaps
        self.created: list[dict[str, Any]] = []  # documents to emit before the current one
        # injected pods whose init container rewrites iptables: "privileged" or "root"
        self.privileged: dict[str, list[str]] = {"privileged": [], "root": []}
        self.facts: list[mesh.Fact] = []
        # what pass 2 added to the index, in order: the one state a later document depends on
        self.added: list[tuple[list[dict[str, Any]], str]] = []

    def configure(self, settings: Any) -> None:
        """Settings are known once the release is indexed (they may come from it)."""
        self.settings = settings
        self.webhook = webhooks.get(settings.consul_k8s_version)
        self.kinds = workloads.kinds_from(settings.workload_kinds)
        self.transform: Transform = transforms.build(self.options.transform, self.webhook,
                                                     settings)

    def error(self, text: str) -> None:
        self.report.errors.append(Problem(text))

    def workload(self, res: dict[str, Any], where: str) -> dict[str, Any] | None:
        """The changed copy of `res` if the transform changes it, else None."""
        path = workloads.template_path(res, self.kinds)
        if path is None:
            self._unknown_kind(res, where)
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
            self.facts.append(mesh.refused(ref, where, err, self.settings))
            return None
        self._record(outcome, found)
        if outcome.template is None:
            return None
        return workloads.with_template(res, path, outcome.template)

    def peek(self, seg: stream.Segment) -> None:
        """Read a document only to warn about it; one that does not read is not ours to judge
        (its kind is one injection never reads) and goes out as it came."""
        try:
            doc = passes.parse(seg, self.options.source)
        except ConsulInjectError:
            return
        for res in workloads.resources(doc.data):
            self._unknown_kind(res, _where(doc, self.options))

    def _unknown_kind(self, res: dict[str, Any], where: str) -> None:
        warning = workloads.unlisted_kind(res)
        if warning:
            self.report.warn(where, workloads.ref_of(res, self.options.namespace), warning)

    def _record(self, outcome: Outcome, found: checks.Findings | None) -> None:
        ref, where = outcome.workload.ref, outcome.workload.where
        if found is None:
            for warning in outcome.advice:
                self.report.warn(where, ref, warning)
            self.report.entries.append(Entry(ref, where, outcome.status, outcome.reason))
            return
        assert outcome.injection is not None
        self.facts.append(mesh.injected(outcome, found, self.settings))
        self.report.errors.extend(Problem(f"{where}: {ref}: {e}") for e in found.errors)
        for warning in found.warnings:
            self.report.warn(where, ref, warning)
        if found.created:
            self.added.append((found.created, ref.namespace))
        for created in checks.record_created(found.created, self.index, ref.namespace):
            self.report.entries.append(Entry(created, where, "created",
                                             f"for the multi-port services of {ref}"))
        self.created.extend(found.created)
        for warning in (*outcome.injection.warnings, *found.binding.warnings, *outcome.advice):
            self.report.warn(where, ref, warning)
        if how := checks.runs_privileged(outcome):
            self.privileged[how].append(str(ref))
        self.report.entries.append(Entry(
            ref, where, "injected", outcome.reason, found.binding.consul_services,
            tuple(u.raw.strip() for u in outcome.injection.upstreams)))

    def document(self, doc: passes.Doc) -> str:
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
        return self._after_created(doc.segment.text if new is data else _rewrite(doc, new),
                                   new is not data)

    def in_parts(self, doc: passes.Doc) -> str:
        """A large List (`doc.parts`, every item known to read) read and written item by item,
        as `document` writes a List: only one item's nodes are held (lists.py)."""
        from consul_inject import lists  # large Lists only

        seg, found = doc.segment, doc.parts
        assert found is not None
        where = _where(passes.Doc(seg, found.head), self.options)
        edited = {i: lists.edit(seg.text, span, new) for i, span in enumerate(found.items)
                  if (new := self.workload(lists.read(seg.text, span), where)) is not None}
        return self._after_created(lists.splice(seg.text, found, edited), bool(edited))

    def _after_created(self, text: str, changed: bool) -> str:
        """The document after the accounts and Secrets its pods need (multi-port services)."""
        created = self._take_created()
        if created and changed and not any(stream.is_document_start(line)
                                           for line in text.split("\n")):
            text = "---\n" + text
        return created + text

    def _take_created(self) -> str:
        """ServiceAccounts and Secrets added for multi-port services, placed before their pod."""
        text = "".join(f"---\n# Source: consul-inject/service-account-{d['kind'].lower()}.yaml\n"
                       + emitter.emit(d) for d in self.created)
        self.created = []
        return text

    def notes(self) -> None:
        for how, refs in self.privileged.items():
            if note := checks.privileged_note(refs, how):
                self.report.notes.append(note)


def _rewrite(doc: passes.Doc, new: dict[str, Any]) -> str:
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


def _first_pass(run_: _Run, configure: "Configure", segments: list[stream.Segment],
                kinds: list[str], *, shared: passes.Shared | None, part: int
                ) -> tuple[list[int], dict[int, passes.Doc], bool]:
    """Index the input (or take the run's shared index), then configure: (passes, documents
    already parsed, whether pass 1 failed). A Service or account that did not parse would make
    every check against it misleading: then only YAML errors are reported."""
    which = [passes.passes_of(kind) for kind in kinds]
    if shared is None:
        own = passes.Shared(run_.index, run_.settings_maps)
        kept = passes.index(segments, which, run_.options.source, run_.options.namespace,
                            into=own, errors=run_.report.errors,
                            lists_from=run_.options.lists_from)
        failed = bool(run_.report.errors)
    else:
        run_.index = shared.index
        run_.report.errors.extend(shared.errors[part])
        for i in shared.unread[part]:
            which[i] = 0
        kept, failed = {}, shared.failed
    maps = run_.settings_maps if shared is None else shared.settings_maps
    run_.configure(configure(release.settings_values(maps)))
    return which, kept, failed


class _SecondPass:
    """Pass 2 over segments [lo, hi): each document written as it came or transformed."""

    __slots__ = ("failed_first", "kept", "kinds", "reads", "run", "segments")

    def __init__(self, run_: _Run, segments: list[stream.Segment], *, reads: list[int],
                 kinds: list[str], kept: dict[int, passes.Doc], failed_first: bool) -> None:
        self.run, self.segments, self.reads, self.kinds = run_, segments, reads, kinds
        self.kept, self.failed_first = kept, failed_first

    def transforms(self, i: int) -> bool:
        return bool(passes.late_passes(self.segments[i], self.reads[i], self.kinds[i],
                                       self.run.kinds) & passes.TRANSFORM)

    def __call__(self, lo: int, hi: int, write: Callable[[str], object]) -> None:
        run_, segments, kept = self.run, self.segments, self.kept
        for i in range(lo, hi):
            seg = segments[i]
            segments[i] = _DONE  # written out: let a large release's text go as we go
            which = passes.late_passes(seg, self.reads[i], self.kinds[i], run_.kinds)
            if which == passes.PEEK:
                run_.peek(seg)
            if not which & passes.TRANSFORM:
                write(seg.text)
                continue
            parsed_first = i in kept
            try:
                doc = kept.pop(i) if parsed_first else passes.read(seg, run_.options.source,
                                                                   run_.options.lists_from)
                if doc.parts is not None and workloads.template_path(
                        doc.parts.head, run_.kinds) is not None:  # a List made a workload kind
                    doc = passes.parse(seg, run_.options.source)
            except ConsulInjectError as err:
                run_.report.errors.extend(err.problems)
                continue
            if parsed_first or not self.failed_first:
                write(run_.in_parts(doc) if doc.parts is not None else run_.document(doc))


def _split(second: _SecondPass, options: Options, write: Callable[[str], object]) -> bool:
    """Pass 2 over worker processes if this stream pays for them; False: run it here."""
    from consul_inject import workers  # a large stream only: a small one never loads it

    return workers.run(second, options.jobs, options.jobs_from, write)


def index_release(inputs: Iterable[tuple[bytes, Options]]) -> passes.Shared:
    """Pass 1 over every input of a run: the release that `run_release(..., shared=, part=)`
    checks each input against."""
    return passes.index_release((data, o.source, o.namespace) for data, o in inputs)


Shared = passes.Shared
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
                sink: Callable[[str], object] | None = None, *,
                shared: passes.Shared | None = None, part: int = 0) -> Result:
    """Like `run`, with the settings made by `configure` from the values of the
    consul-connect-inject chart's settings ConfigMap found in the stream (None if there is
    none). A bad ConfigMap or bad values raise ConsulInjectError.

    With `shared` (from `index_release`), the input is input `part` of a release spread over
    several: the checks see every input's Services, accounts and settings, not just its own."""
    run_ = _Run(options)
    try:
        text = stream.decode(data, options.source)
        del data  # the caller may have handed the only reference over: hold the release once
        stream.check_tool_output(text, options.source)
        bom, segments = stream.split(text)
        del text
    except ConsulInjectError as err:
        configure(None)  # bad values are reported before bad input, as always
        run_.report.errors.extend(err.problems)
        return Result("", run_.report)
    run_.report.documents = sum(1 for seg in segments if seg.is_document)
    kinds = passes.kinds_of(segments)
    reads, kept, failed_first = _first_pass(run_, configure, segments, kinds,
                                              shared=shared, part=part)
    texts: list[str] = []
    write = sink or texts.append
    write(bom)
    second = _SecondPass(run_, segments, reads=reads, kinds=kinds, kept=kept,
                         failed_first=failed_first)
    if not (options.jobs > 1 and len(segments) >= options.jobs_from
            and _split(second, options, write)):
        second(0, len(segments), write)
    run_.notes()
    if run_.report.errors or sink is not None:
        return Result("", run_.report, run_.facts)
    return Result("".join(texts), run_.report, run_.facts)
