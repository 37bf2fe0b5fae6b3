"""The official Consul chart's own release (47 documents) through the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from consul_inject import pipeline
from consul_inject.values import strvals as values
from consul_inject.webhooks.v0_49 import settings

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "consul-chart-v0.49.8-rendered.yaml"


@pytest.fixture(scope="module")
def corpus() -> bytes:
    assert CORPUS.exists(), f"{CORPUS} is missing (the shared/ folder beside the repository)"
    return CORPUS.read_bytes()


def run(data: bytes, *sets: str) -> pipeline.Result:
    merged = values.resolve([], list(sets))
    return pipeline.run(data, settings.from_values(merged), pipeline.Options(namespace="consul"))


def test_default_settings_pass_the_release_through_byte_for_byte(corpus: bytes) -> None:
    result = run(corpus)
    assert result.ok, result.report.errors
    assert result.output.encode() == corpus
    assert result.report.documents == 47
    assert result.report.count("injected") == 0


def test_inject_by_default_still_skips_the_consul_chart_pods(corpus: bytes) -> None:
    # The webhook's objectSelector (app != consul) keeps every pod of the chart away from it.
    result = run(corpus, "connectInject.default=true")
    assert result.output.encode() == corpus
    skipped = {(e.ref.kind, e.ref.name) for e in result.report.entries if e.outcome == "skipped"}
    assert skipped == {
        ("DaemonSet", "consul-client"), ("Deployment", "consul-connect-injector"),
        ("Deployment", "consul-controller"), ("Deployment", "consul-webhook-cert-manager"),
        ("StatefulSet", "consul-server"), ("Pod", "consul-test"),
    }
    assert all("label app is \"consul\"" in e.reason for e in result.report.entries)


def test_a_renamed_chart_exposes_only_the_pods_without_an_opt_out(corpus: bytes) -> None:
    # With nameOverride the selector no longer matches app=consul: now only the pods that do
    # not carry connect-inject "false" are injected, as the webhook would inject them.
    result = run(corpus, "connectInject.default=true", "nameOverride=mesh",
                 "consulInject.missingService=warn")
    assert result.ok, result.report.errors
    outcome = {e.ref.name: e.outcome for e in result.report.entries}
    assert outcome["consul-connect-injector"] == "skipped"
    assert outcome["consul-controller"] == "skipped"
    assert outcome["consul-test"] == "injected"
