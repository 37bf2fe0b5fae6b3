"""Pass 2 of a large stream over worker processes, merged back in stream order so that the
output, the report and the facts are those of the sequential run, byte for byte.

The parent forks once pass 1 and the settings are done: each child inherits the imports, the
release index, the settings and the segments, and runs one contiguous chunk of the stream
(nothing big is pickled on the way in). The parent runs the first chunk itself, straight into
the sink, then takes each child's result in order: a header (the chunk's additions to the report,
facts and index) and batches of output pieces, written through the same sink, so that a sink
(the spool, the intentions tap) sees exactly the sequential sequence of writes.

Why a chunk's result can be trusted: the only state one document leaves for a later one is
what pass 2 adds to the release index, the ServiceAccounts and token Secrets created for
multi-port services (`checks.record_created`). Those are read back in one place only,
`binding._need_account`, and a lookup there that finds an object missing creates it. A child
started from the pass-1 index therefore differs from the sequential run exactly when it looks
up an object an earlier chunk created, and then it creates that object itself. So a chunk is
kept when none of the objects it created was created by an earlier chunk, and otherwise run
again here, against the index the earlier chunks left. A child that fails in any way (an
exception, a crash, a result that does not pickle) is run again here too: the exception, if
there is one, is then raised by the parent at the same document, after the same writes.

Children always leave with os._exit (no atexit handlers, no flush of the parent's buffers) and
are reaped before `run` returns or raises.
"""

import contextlib
import gc
import itertools
import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any, NamedTuple, Protocol

from consul_inject import checks, mesh, stream, workloads
from consul_inject.problems import Problem
from consul_inject.release import ReleaseIndex
from consul_inject.report import Entry, Report
from consul_inject.workloads import Ref

Write = Callable[[str], object]
Added = list[tuple[list[dict[str, Any]], str]]  # created documents, with their pod's namespace
BATCH_CHARACTERS = 1 << 20  # output a child pickles at a time: its memory stays its output's
LEAD = 1.05  # a chunk of the parent's against a child's: best measured through the CLI (1.0-1.1)
_FREED = stream.Segment("", 0, False)


class Run(Protocol):
    """What a chunk changes on the pipeline's run (`pipeline._Run`)."""

    report: Report
    facts: list[mesh.Fact]
    privileged: dict[str, list[str]]
    added: Added
    index: ReleaseIndex


class SecondPass(Protocol):
    """Pass 2 over a range of segments (`pipeline._SecondPass`)."""

    @property
    def run(self) -> Run: ...

    @property
    def segments(self) -> list[stream.Segment]: ...

    def transforms(self, i: int) -> bool: ...

    def __call__(self, lo: int, hi: int, write: Write) -> None: ...


class _Mark(NamedTuple):
    """How long the run's lists were when a chunk started."""

    entries: int
    warnings: int
    errors: int
    notes: int
    facts: int
    privileged: dict[str, int]
    added: int


class Delta(NamedTuple):
    """What one chunk added to the run, and how many output batches follow it."""

    entries: list[Entry]
    warnings: list[str]
    errors: list[Problem]
    notes: list[str]
    facts: list[mesh.Fact]
    privileged: dict[str, list[str]]
    added: Added
    batches: int


def usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def can_fork(jobs: int) -> bool:
    """Whether more than one process may run pass 2 at all."""
    if jobs < 2 or not hasattr(os, "fork") or usable_cpus() < 2:
        return False
    threading = sys.modules.get("threading")
    # a forked child would hold copies of other threads' locks (and 3.12 warns)
    return threading is None or threading.active_count() == 1


def weights(second: SecondPass) -> list[int]:
    """The work of each segment: a document pass 2 transforms costs about its length; one
    written as it came, nothing."""
    return [len(seg.text) + 1 if second.transforms(i) else 0
            for i, seg in enumerate(second.segments)]


def chunks(weights: list[int], parts: int, lead: float | None = None) -> list[tuple[int, int]]:
    """`parts` contiguous ranges covering `weights`, of about equal weight but the first's,
    which is `lead` of the others'."""
    lead = LEAD if lead is None else lead
    total = sum(weights) or 1
    share = total / (parts - 1 + lead)
    bounds, done, goal = [0], 0, share * lead
    for i, weight in enumerate(weights):
        if done >= goal and len(bounds) < parts:
            bounds.append(i)
            goal += share
        done += weight
    bounds.append(len(weights))
    return list(itertools.pairwise(bounds))


def run(second: SecondPass, jobs: int, least: int, write: Write) -> bool:
    """Run pass 2 over worker processes and write its output in order; False (nothing done)
    when it does not pay or cannot be done safely, for the caller to run it in one process."""
    if not can_fork(jobs):
        return False
    work = weights(second)
    documents = sum(1 for weight in work if weight)
    if documents < max(least, 2):
        return False
    ranges = chunks(work, min(jobs, documents))
    lo, hi = ranges[0]
    # The first workload loads what injection imports lazily and fills its caches (the init
    # script, the sidecar blocks): done once, here, before the children inherit it.
    warm = next((i + 1 for i in range(lo, hi) if work[i]), hi)
    second(lo, warm, write)
    children: list[_Child] = []
    try:
        gc.freeze()  # the children's collections leave the inherited objects (and pages) alone
        try:
            for start, end in ranges[1:]:
                children.append(_fork(second, start, end, [c.fd for c in children]))
        finally:
            gc.unfreeze()
        second(warm, hi, write)
        made = {key for docs, ns in second.run.added for key in _keys(docs, ns)}
        for child, span in zip(children, ranges[1:], strict=True):
            _merge(second, child, span, write, made)
    finally:
        for child in children:
            child.close()
    return True


def _keys(docs: list[dict[str, Any]], namespace: str) -> Iterator[Ref]:
    return (workloads.ref_of(doc, namespace) for doc in docs)


def _merge(second: SecondPass, child: "_Child", span: tuple[int, int], write: Write,
           made: set[Ref]) -> None:
    """One child's chunk into the run and the output; run here instead when the child failed
    or its result could differ from the sequential one (module docstring). `made`: what the
    chunks before it created."""
    lo, hi = span
    delta = child.header()
    created = {key for docs, ns in (delta.added if delta else []) for key in _keys(docs, ns)}
    if delta is None or created & made:
        child.close()
        before = len(second.run.added)
        second(lo, hi, write)
        made.update(key for docs, ns in second.run.added[before:] for key in _keys(docs, ns))
        return
    _apply(second.run, delta)
    made |= created
    segments = second.segments
    for batch in child.batches(delta.batches):
        for piece in batch:
            write(segments[piece].text if isinstance(piece, int) else piece)
    segments[lo:hi] = [_FREED] * (hi - lo)


def _mark(run_: Run) -> _Mark:
    report = run_.report
    return _Mark(len(report.entries), len(report.warnings), len(report.errors),
                 len(report.notes), len(run_.facts),
                 {how: len(refs) for how, refs in run_.privileged.items()}, len(run_.added))


def _delta(run_: Run, mark: _Mark, batches: int) -> Delta:
    report = run_.report
    return Delta(report.entries[mark.entries:], report.warnings[mark.warnings:],
                 report.errors[mark.errors:], report.notes[mark.notes:], run_.facts[mark.facts:],
                 {how: refs[mark.privileged.get(how, 0):]
                  for how, refs in run_.privileged.items()},
                 run_.added[mark.added:], batches)


def _apply(run_: Run, delta: Delta) -> None:
    """A child's chunk as if this process had run it: the created objects join the index."""
    report = run_.report
    report.entries.extend(delta.entries)
    report.warnings.extend(delta.warnings)
    report.errors.extend(delta.errors)
    report.notes.extend(delta.notes)
    run_.facts.extend(delta.facts)
    for how, refs in delta.privileged.items():
        run_.privileged.setdefault(how, []).extend(refs)
    for docs, namespace in delta.added:
        checks.record_created(docs, run_.index, namespace)
        run_.added.append((docs, namespace))


class _Recorder:
    """A child's sink: pieces pickled in batches as they come, into its spill file (disk, not
    the child's memory: at 100,000 documents a child's output is 25 MB); a segment's own text
    is sent as its position (the parent holds the same text)."""

    __slots__ = ("batches", "out", "pending", "size", "texts")

    def __init__(self, segments: list[stream.Segment], lo: int, hi: int, out: IO[bytes]) -> None:
        # the texts themselves are kept too: an id is unique only while its object lives
        self.texts = {id(seg.text): (i, seg.text) for i, seg in enumerate(segments[lo:hi], lo)}
        self.pending: list[str | int] = []
        self.size = 0
        self.batches = 0
        self.out = out

    def __call__(self, piece: str) -> None:
        known = self.texts.get(id(piece))
        if known is not None and known[1] is piece:
            self.pending.append(known[0])
            return
        self.pending.append(piece)
        self.size += len(piece)
        if self.size >= BATCH_CHARACTERS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            pickle.dump(self.pending, self.out, pickle.HIGHEST_PROTOCOL)
            self.batches += 1
        self.pending, self.size = [], 0


def _fork(second: SecondPass, lo: int, hi: int, others: list[int]) -> "_Child":
    read, write = os.pipe()
    spill = tempfile.TemporaryFile()  # noqa: SIM115 - the child writes it, _Child closes it
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(read)
            for fd in others:  # an earlier child's pipe: the parent alone reads it
                os.close(fd)
            _work(second, lo, hi, write, spill)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return _Child(pid, read, spill)


def _work(second: SecondPass, lo: int, hi: int, fd: int, spill: IO[bytes]) -> None:
    """In the child: run the chunk, its output batches into the spill file, then send the
    header, which tells the parent the batches are all there."""
    try:
        mark = _mark(second.run)
        recorder = _Recorder(second.segments, lo, hi, spill)
        second(lo, hi, recorder)
        recorder.flush()
        spill.flush()
        header = pickle.dumps(_delta(second.run, mark, recorder.batches),
                              pickle.HIGHEST_PROTOCOL)
    except BaseException:  # the parent runs the chunk again and meets the same error
        header = pickle.dumps(None)
    with os.fdopen(fd, "wb") as out:
        out.write(header)


class _Child:
    __slots__ = ("fd", "file", "pid", "spill")

    def __init__(self, pid: int, fd: int, spill: IO[bytes]) -> None:
        self.pid, self.fd, self.spill = pid, fd, spill
        self.file: IO[bytes] | None = os.fdopen(fd, "rb")

    def header(self) -> Delta | None:
        """The chunk's delta; None if the child failed or died."""
        assert self.file is not None
        try:
            delta = pickle.load(self.file)
        except Exception:  # EOF or a truncated pickle: the child died
            return None
        return delta if isinstance(delta, Delta) else None

    def batches(self, count: int) -> Iterator[list[str | int]]:
        self.spill.seek(0)  # the offset is the child's too: it is done with the file
        for _ in range(count):
            try:
                yield pickle.load(self.spill)
            except (EOFError, pickle.UnpicklingError):
                # killed from outside halfway through: part of its chunk is written already
                raise OSError(f"consul-inject: worker process {self.pid} stopped while handing "
                              "over its output; run again, or with --jobs 1") from None

    def close(self) -> None:
        """Stop the child if it still runs, and reap it: no zombie is left behind."""
        if self.file is not None:
            self.file.close()
            self.file = None
        self.spill.close()
        if self.pid:
            with contextlib.suppress(ProcessLookupError):  # gone already, not yet reaped
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
