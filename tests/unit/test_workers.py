"""workers: pass 2 split over processes gives the sequential run's writes, report, facts and
index, whatever the chunks hold, and leaves no child behind.

Most tests run a small stand-in for pipeline's pass 2 (`Toy`), so that a child can be made to
fail or die at a chosen document; the rest run the real pipeline with the threshold forced low
(Options.jobs_from), including every golden case."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from consul_inject import checks, mesh, pipeline, release, stream, workers
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.release import ReleaseIndex
from consul_inject.report import Entry, Report
from consul_inject.workloads import Ref

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or workers.usable_cpus() < 2,
                                reason="needs fork and two usable CPUs")
PARENT = os.getpid()
DONE = stream.Segment("", 0, False)


class ToyRun:
    def __init__(self) -> None:
        self.report = Report()
        self.facts: list[mesh.Fact] = []
        self.privileged: dict[str, list[str]] = {"privileged": [], "root": []}
        self.added: workers.Added = []
        self.index = ReleaseIndex()


class Toy:
    """Pass 2 over words: `w:NAME` is a workload (reported, a fact, privileged), `c:ACCOUNT` a
    workload that creates ServiceAccount ACCOUNT unless the index has it (as a multi-port pod
    does), `e:...` a parse error, `x` raises, `d` kills a child (not the parent); anything else
    is written as it came."""

    def __init__(self, words: list[str]) -> None:
        self.run = ToyRun()
        self.segments = [stream.Segment(f"{w}\n", i + 1, True) for i, w in enumerate(words)]

    def transforms(self, i: int) -> bool:
        return self.segments[i].text[:2] in ("w:", "c:", "e:", "x\n", "d\n")

    def __call__(self, lo: int, hi: int, write: Callable[[str], object]) -> None:
        for i in range(lo, hi):
            seg = self.segments[i]
            self.segments[i] = DONE
            word = seg.text.strip()
            if not self.transforms_word(word):
                write(seg.text)
                continue
            self.workload(i, word, seg, write)

    @staticmethod
    def transforms_word(word: str) -> bool:
        return word[:2] in ("w:", "c:", "e:") or word in ("x", "d")

    def workload(self, i: int, word: str, seg: stream.Segment,
                 write: Callable[[str], object]) -> None:
        run_ = self.run
        if word == "x":
            raise ValueError(f"unexpected at {i}")
        if word == "d" and os.getpid() != PARENT:
            os._exit(7)
        if word.startswith("e:"):
            run_.report.errors.append(Problem(f"{i}: invalid"))
            return
        ref = Ref("Deployment", word, "default")
        run_.report.warn(str(i), ref, "looked at")
        if word.startswith("c:") and ("default", word[2:]) not in run_.index.accounts:
            docs = release.account_documents(word[2:], "default")[:1]
            run_.added.append((docs, "default"))
            for made in checks.record_created(docs, run_.index, "default"):
                run_.report.entries.append(Entry(made, str(i), "created"))
            write(f"# created {word[2:]}\n")
        run_.report.entries.append(Entry(ref, str(i), "injected"))
        run_.facts.append(mesh.Fact(ref, str(i), "injected"))
        run_.privileged["root" if i % 2 else "privileged"].append(str(ref))
        write(f"{word} injected\n")


def outcome(run_: ToyRun, writes: list[str]) -> tuple[Any, ...]:
    report = run_.report
    return ("".join(writes), writes, report.text(), report.errors, run_.facts, run_.privileged,
            run_.added, sorted(run_.index.accounts), sorted(run_.index.token_secrets))


def sequential(words: list[str]) -> tuple[Any, ...]:
    toy, writes = Toy(words), list[str]()
    toy(0, len(words), writes.append)
    return outcome(toy.run, writes)


def split(words: list[str], jobs: int) -> tuple[Any, ...]:
    toy, writes = Toy(words), list[str]()
    assert workers.run(toy, jobs, 1, writes.append)
    return outcome(toy.run, writes)


def no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


WORDS = [f"w:app-{i}" if i % 3 else f"plain-{i}" for i in range(30)]


@pytest.mark.parametrize("jobs", [2, 3, 4])
def test_the_split_writes_and_reports_what_one_process_does(jobs: int) -> None:
    assert split(WORDS, jobs) == sequential(WORDS)
    assert no_children_left()


def test_accounts_an_earlier_chunk_created_are_not_created_again() -> None:
    """Every chunk's pod wants the same account: only the first creates it, as in one process
    (a child that created it too is run again in the parent)."""
    words = ["c:web", "w:a", "c:web", "w:b", "c:api", "c:web", "c:api", "c:other"] * 3
    expected = sequential(words)
    assert split(words, 4) == expected
    assert expected[0].count("# created web") == 1
    assert no_children_left()


def test_a_chunk_that_creates_only_new_accounts_is_kept() -> None:
    words = ["c:a", "w:x", "w:y", "c:b", "w:z", "w:v", "c:c", "w:u"]
    assert split(words, 3) == sequential(words)


def test_parse_errors_keep_their_order() -> None:
    words = ["w:a", "e:1", "w:b", "e:2", "w:c", "e:3", "w:d", "e:4"]
    assert split(words, 4) == sequential(words)


def test_a_child_that_raises_is_run_again_here_and_raises_the_same() -> None:
    words = [f"w:{i}" for i in range(12)] + ["x"] + [f"w:{i}" for i in range(12, 20)]
    toy, writes = Toy(words), list[str]()
    with pytest.raises(ValueError, match="unexpected at 12") as raised:
        toy(0, len(words), writes.append)
    toy2, writes2 = Toy(words), list[str]()
    with pytest.raises(ValueError, match="unexpected at 12") as raised2:
        workers.run(toy2, 3, 1, writes2.append)
    assert str(raised2.value) == str(raised.value)
    assert writes2 == writes  # the same writes before the error
    assert toy2.run.report.text() == toy.run.report.text()
    assert no_children_left()


def test_a_child_that_dies_is_run_again_here() -> None:
    words = [f"w:{i}" for i in range(10)] + ["d"] + [f"w:{i}" for i in range(10, 20)]
    assert split(words, 2) == sequential(words)
    assert no_children_left()


def test_an_error_in_the_parents_own_chunk_stops_and_reaps_the_children() -> None:
    words = ["x"] + [f"w:{i}" for i in range(20)]
    with pytest.raises(ValueError, match="unexpected at 0"):
        workers.run(Toy(words), 4, 1, list[str]().append)
    assert no_children_left()


def test_too_little_work_or_one_job_runs_nothing() -> None:
    toy = Toy(["w:a", "plain", "w:b"])
    assert not workers.run(toy, 2, 3, list[str]().append)
    assert not workers.run(toy, 1, 1, list[str]().append)
    assert toy.segments[0].text == "w:a\n"  # untouched: the caller runs it


@pytest.mark.parametrize(("weights", "parts"), [
    ([1] * 10, 2), ([1] * 10, 4), ([0, 0, 5, 0, 5, 0], 2), ([100, 1, 1, 1], 3), ([0] * 5, 3),
    ([3], 2)])
def test_chunks_cover_the_stream_in_order(weights: list[int], parts: int) -> None:
    ranges = workers.chunks(weights, parts)
    assert ranges[0][0] == 0
    assert ranges[-1][1] == len(weights)
    assert all(lo < hi for lo, hi in ranges)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert len(ranges) <= parts


def test_chunks_give_the_parent_a_little_less() -> None:
    ranges = workers.chunks([1] * 1000, 2, lead=0.8)
    first, second = (hi - lo for lo, hi in ranges)
    assert first < second
    assert abs(first / second - 0.8) < 0.01


# --- the real pipeline --------------------------------------------------------------------------


def multiport(name: str, services: tuple[str, str], account: str) -> str:
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  selector:
    matchLabels: {{app: {services[0]}}}
  template:
    metadata:
      labels: {{app: {services[0]}}}
      annotations:
        consul.hashicorp.com/connect-inject: "true"
        consul.hashicorp.com/transparent-proxy: "false"
        consul.hashicorp.com/connect-service: "{services[0]},{services[1]}"
        consul.hashicorp.com/connect-service-port: "8080,9090"
    spec:
      serviceAccountName: {account}
      containers:
        - {{name: a, image: example/a, ports: [{{containerPort: 8080}}]}}
        - {{name: b, image: example/b, ports: [{{containerPort: 9090}}]}}
"""


def services(first: str, second: str) -> str:
    return "".join(f"""---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  selector: {{app: {first}}}
  ports: [{{port: 80, targetPort: {port}}}]
""" for name, port in ((first, 8080), (second, 9090)))


def run(text: str, jobs: int, *, create: bool = False) -> tuple[Any, ...]:
    from consul_inject.webhooks.v0_49.settings import Settings

    writes: list[str] = []
    options = pipeline.Options(jobs=jobs, jobs_from=1)
    result = pipeline.run(text.encode(), Settings(create_service_account_secrets=create),
                          options, writes.append)
    return writes, result.report.text(), result.report.as_json(), list(result.facts)


def test_multi_port_pods_create_their_accounts_once_across_chunks() -> None:
    text = services("web", "web-admin") + services("api", "api-admin") + "".join(
        multiport(f"d{i}", ("web", "web-admin") if i % 2 else ("api", "api-admin"),
                  "web" if i % 2 else "api") for i in range(8))
    expected = run(text, 1, create=True)
    assert expected[1].count(" created: ") == 8  # four objects per service pair, once each
    for jobs in (2, 4):
        assert run(text, jobs, create=True) == expected


def test_invalid_yaml_in_pass_2_and_in_pass_1_is_reported_alike() -> None:
    body = services("web", "web-admin") + "".join(
        multiport(f"d{i}", ("web", "web-admin"), "web") for i in range(6))
    broken_workload = body + "---\nkind: Deployment\nmetadata: {name: [\n" + body
    broken_service = body + "---\nkind: Service\nmetadata: {name: [\n" + body
    for text in (broken_workload, broken_service):
        expected = run(text, 1)
        assert "invalid YAML" in expected[2]  # the JSON report has the errors
        assert run(text, 3) == expected


GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def golden(case: Path, jobs: int, *, twice: bool = False) -> tuple[Any, ...]:
    """A golden case's input (`twice`: two copies of it, one stream) through
    pipeline.run_release as the command line runs it, with two workload documents enough to
    split over `jobs` processes."""
    from consul_inject import cli, runner
    from tests.golden.test_golden import case_args

    _, extra = case_args(case)
    args = cli._inject_parser().parse_args([str(case / "input.yaml"), *extra])
    options = pipeline.Options(namespace=args.namespace or "default", source="input.yaml",
                               transform="reinject" if args.reinject else "inject",
                               jobs=jobs, jobs_from=1)
    data = (case / "input.yaml").read_bytes()
    writes: list[str] = []
    try:
        result = pipeline.run_release(data + b"\n---\n" + data if twice else data,
                                      runner.Configure(args), options, writes.append)
    except ConsulInjectError as err:
        return ("raised", str(err))
    return writes, result.report.text(), result.report.as_json(), list(result.facts)


def test_every_single_input_golden_case_splits_to_the_same_result() -> None:
    cases = [c for c in sorted(GOLDEN.iterdir())
             if (c / "input.yaml").is_file() and not _more_inputs(c)]
    assert len(cases) > 200
    differ = [c.name for c in cases if golden(c, 3) != golden(c, 1)]
    # twice: every case with a workload splits, and later copies meet what earlier ones made
    differ += [f"{c.name} twice" for c in cases
               if golden(c, 3, twice=True) != golden(c, 1, twice=True)]
    assert differ == []
    assert no_children_left()


def _more_inputs(case: Path) -> bool:
    from tests.golden.test_golden import case_args

    return bool(case_args(case)[0])


def test_a_small_release_never_loads_the_workers() -> None:
    code = ("import io, sys; from consul_inject import cli; "
            "sys.stdin = io.TextIOWrapper(io.BytesIO(b'apiVersion: v1\\nkind: Service\\n"
            "metadata: {name: a}\\n')); rc = cli.main(['--jobs', '4']); "
            "print(rc, sorted(m for m in ('consul_inject.workers', 'multiprocessing', 'pickle') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"CONSUL_INJECT_LOG": "/dev/null", "PATH": ""})
    assert out.stdout.strip().endswith("0 []"), out


def test_created_objects_change_only_what_makes_a_later_pod_create_them_again() -> None:
    """The premise of keeping a chunk (the module's docstring): the accounts and Secrets pass 2
    creates change only the two lookups binding._need_account makes, and nothing a pod's
    injection reads (the token Secret it mounts)."""
    index, empty = ReleaseIndex(), ReleaseIndex()
    for doc in release.account_documents("web", "apps"):
        index.add(doc, "default")
    assert index.accounts == {("apps", "web"): []}
    assert index.token_secrets == {("apps", "web")}
    assert (index.services, index.by_name, index.by_selector, index.no_automount,
            index.namespace_labels, index.namespace_annotations) == ([], {}, {}, set(), {}, {})
    assert index.secret_for("apps", "web") == empty.secret_for("apps", "web")


def test_the_api_and_the_command_line_take_jobs() -> None:
    import argparse

    from consul_inject import api, usage

    text = "".join(services(f"s{i}", f"s{i}-admin") + multiport(f"d{i}", (f"s{i}", f"s{i}-admin"),
                                                                f"s{i}") for i in range(210))
    sets = ["consulInject.createServiceAccountSecrets=true"]
    one = api.inject_stream(text, set_values=sets)
    assert api.inject_stream(text, set_values=sets, jobs=2) == one
    assert len(one.workloads) == 210 * 5  # each pod, its two accounts and two Secrets
    with pytest.raises(argparse.ArgumentTypeError, match="1 or more"):
        usage._jobs("0")
    assert 1 <= usage.default_jobs() <= usage.JOBS_CAP
