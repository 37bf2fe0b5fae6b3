"""A short run of the fuzz target in `make test`: 300 mutated inputs, derandomized.

`make fuzz` runs the long campaign (tests/fuzz/run.py). Known bugs (target.KNOWN, each with a
reproducer in tests/hostile/cases/) are tolerated here; anything else fails.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consul_inject import stream
from tests.fuzz import target

CORPUS = target.seeds()


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_fuzz_smoke(rng: random.Random) -> None:
    data = target.mutate(rng, CORPUS)
    finding = target.check(data)
    if finding is not None and target.known(finding) is None:
        raise AssertionError(f"{finding.signature()}\n{finding.detail[:500]}\ninput: {data[:3000]!r}")


@pytest.mark.parametrize("version", sorted(target.DATAPLANE_ARGV))
def test_fuzz_smoke_dataplane(version: str) -> None:
    """The same campaign, shorter, under the consul-k8s 2.0 and 1.9 webhooks."""
    argv = target.DATAPLANE_ARGV[version]
    corpus = target.seeds(argv)
    assert len(corpus) >= 100

    @settings(max_examples=100, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(st.randoms(use_true_random=False))
    def one(rng: random.Random) -> None:
        data = target.mutate(rng, corpus)
        finding = target.check(data, argv)
        if finding is not None and target.known(finding) is None:
            raise AssertionError(f"{finding.signature()}\n{finding.detail[:500]}\n"
                                 f"input: {data[:3000]!r}")

    one()


def test_seeds_pass_and_target_detects_bugs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The target can fail: a valid seed is clean, and a crash is reported as a finding."""
    assert len(CORPUS) >= 100  # the golden inputs accepted with ARGV (118 as of this writing)
    assert target.check(CORPUS[0]) is None

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("planted")

    # Deep in the path every command takes (pipeline.run is no longer the CLI's entry point).
    monkeypatch.setattr(stream, "split", crash)
    finding = target.check(CORPUS[0])
    monkeypatch.undo()
    assert finding is not None
    assert finding.kind == "exit-3", finding
    lost = target._check_accepted(b"kind: A\n---\nkind: B\n", b"kind: A\n", "")
    assert lost is not None
    assert lost.kind == "documents-changed"
    assert target._check_accepted(b"kind: A\n", b"", "") is not None
