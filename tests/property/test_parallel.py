"""Pass 2 split over processes (`--jobs`) is the sequential run, for random streams.

The streams are test_stream_properties' random documents, mixed with what makes a split hard:
multi-port pods of a few shared services that create their ServiceAccounts and Secrets (so
pods in later chunks depend on what earlier chunks created), Lists, documents that do not parse
(in pass 2, and in pass 1, after which nothing is written), and documents that only warn. The
threshold is forced to two workloads (Options.jobs_from), so nearly every example forks.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consul_inject import pipeline, workers
from consul_inject.webhooks.v0_49.settings import Settings
from tests.property.test_stream_properties import streams

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or workers.usable_cpus() < 2,
                                reason="needs fork and two usable CPUs")
PROFILE = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PAIRS = (("web", "web-admin"), ("api", "api-admin"))


def _services(pair: tuple[str, str]) -> str:
    return "".join(f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n"
                   f"  selector: {{app: {pair[0]}}}\n  ports: [{{port: 80, targetPort: {port}}}]\n"
                   for name, port in zip(pair, (8080, 9090), strict=True))


def _multiport(i: int, pair: tuple[str, str]) -> str:
    return f"""---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: mp-{i}}}
spec:
  selector:
    matchLabels: {{app: {pair[0]}}}
  template:
    metadata:
      labels: {{app: {pair[0]}}}
      annotations:
        consul.hashicorp.com/connect-inject: "true"
        consul.hashicorp.com/transparent-proxy: "false"
        consul.hashicorp.com/connect-service: "{pair[0]},{pair[1]}"
        consul.hashicorp.com/connect-service-port: "8080,9090"
    spec:
      serviceAccountName: {pair[0]}
      containers:
        - {{name: a, image: example/a, ports: [{{containerPort: 8080}}]}}
        - {{name: b, image: example/b, ports: [{{containerPort: 9090}}]}}
"""


EXTRAS = [
    # a List around a workload with no Service: an error (or a warning under warn)
    "---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n"
    "  metadata: {name: listed}\n  spec:\n    template:\n      metadata:\n        annotations:\n"
    "          consul.hashicorp.com/connect-inject: 'true'\n      spec:\n"
    "        containers: [{name: c, image: i}]\n",
    # invalid YAML read in pass 2, and in pass 1 (a Service: then nothing after it is written)
    "---\nkind: Deployment\nmetadata: {name: [\n",
    "---\nkind: Service\nmetadata: {name: [\n",
    # a custom resource that only warns (peeked at), and the annotation in the wrong place
    "---\napiVersion: example.com/v1\nkind: Runner\nmetadata: {name: r}\nspec:\n  template:\n"
    "    metadata:\n      annotations: {consul.hashicorp.com/connect-inject: 'true'}\n"
    "    spec: {containers: [{name: c, image: i}]}\n",
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wrong-place\n"
    "  annotations: {consul.hashicorp.com/connect-inject: 'true'}\nspec:\n  template:\n"
    "    metadata: {labels: {app: nothing}}\n    spec: {containers: [{name: c, image: i}]}\n",
    # a ServiceAccount the first pair already has: only its Secret is created
    "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web}\n",
]


@st.composite
def hard_streams(draw: st.DrawFn) -> str:
    base, _ = draw(streams())
    pieces: list[str] = [_services(pair) for pair in PAIRS]
    for i in range(draw(st.integers(0, 8))):
        pieces.append(_multiport(i, draw(st.sampled_from(PAIRS))))
    pieces += draw(st.lists(st.sampled_from(EXTRAS), max_size=4))
    order = draw(st.permutations(pieces))
    # the random stream keeps its own start (a byte-order mark, an implicit first document)
    return base + ("" if base.endswith("\n") or not base else "\n") + "".join(order)


def outcome(text: str, jobs: int, sets: dict[str, Any]) -> tuple[Any, ...]:
    writes: list[str] = []
    options = pipeline.Options(jobs=jobs, jobs_from=2)
    result = pipeline.run(text.encode(), Settings(**sets), options, writes.append)
    return writes, result.report.text(), result.report.as_json(), list(result.facts)


@PROFILE
@given(hard_streams(), st.sampled_from([2, 3, 4]),
       st.sampled_from([{"create_service_account_secrets": True},
                        {"create_service_account_secrets": True, "missing_service": "warn"},
                        {}]))
def test_split_runs_equal_one_process(text: str, jobs: int, sets: dict[str, Any]) -> None:
    assert outcome(text, jobs, sets) == outcome(text, 1, sets)
