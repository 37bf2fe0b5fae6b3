"""passes: which documents are read at all, and pass 1 over every input of a release (one
index for a folder of files)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consul_inject import passes, stream, workloads

SERVICE = """apiVersion: v1
kind: Service
metadata:
  name: podinfo
spec:
  selector:
    app.kubernetes.io/name: podinfo
  ports:
    - port: 9898
"""
ROLLOUT = """apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata:
  name: podinfo
spec:
  template:
    metadata:
      annotations:
        consul.hashicorp.com/connect-inject: "true"
    spec:
      containers: [{name: podinfod, image: ghcr.io/stefanprodan/podinfo:6.5.4}]
"""


@pytest.mark.parametrize(("kind", "expected"), [
    ("Service", passes.INDEX), ("Secret", passes.INDEX), ("Deployment", passes.TRANSFORM),
    ("Rollout", passes.TRANSFORM), ("CloneSet", passes.TRANSFORM), ("ConfigMap", 0),
    ("ServiceMonitor", 0), (passes.UNKNOWN, passes.INDEX | passes.TRANSFORM),
    ("ServiceList", passes.INDEX | passes.TRANSFORM),
])
def test_passes_of_each_kind(kind: str, expected: int) -> None:
    assert passes.passes_of(kind) == expected


def segment(text: str) -> stream.Segment:
    return stream.Segment(text, 1, True)


def test_custom_kinds_and_annotated_documents_are_read_once_settings_are_known() -> None:
    kinds = workloads.kinds_from([("batch.acme.example/WorkerPool", "spec.worker.podTemplate")])
    pool = segment("apiVersion: batch.acme.example/v1\nkind: WorkerPool\n")
    assert passes.late_passes(pool, 0, "WorkerPool", kinds) == passes.TRANSFORM
    annotated = segment(ROLLOUT.replace("Rollout", "Canary"))
    assert passes.late_passes(annotated, 0, "Canary", workloads.NO_KINDS) == passes.PEEK
    # ConfigMaps and Secrets may quote the annotation (a chart's docs): never worth a look.
    quoted = segment("kind: ConfigMap\ndata:\n  x: consul.hashicorp.com/connect-inject\n")
    assert passes.late_passes(quoted, 0, "ConfigMap", workloads.NO_KINDS) == 0
    assert passes.late_passes(segment("kind: Widget\n"), 0, "Widget", kinds) == 0
    assert passes.late_passes(pool, passes.INDEX, "WorkerPool", kinds) == passes.INDEX


def test_index_release_reads_every_input_into_one_index() -> None:
    shared = passes.index_release([
        (SERVICE.encode(), "k8s/service.yaml", "apps"),
        (ROLLOUT.encode(), "k8s/rollout.yaml", "apps"),
        (b"kind: Service\nmetadata: [unclosed\n", "k8s/broken.yaml", "apps"),
        (b"\xff\xfe", "k8s/binary.yaml", "apps"),  # left to its own pass 2 to report
    ])
    assert [s.name for s in shared.index.services] == ["podinfo"]
    assert shared.index.services[0].namespace == "apps"
    assert [len(e) for e in shared.errors] == [0, 0, 1, 0]
    assert shared.errors[2][0].text().startswith("k8s/broken.yaml:3:1: invalid YAML")
    assert shared.failed
    assert shared.unread == [set(), set(), set(), set()]  # a Service is read by pass 1 only


def test_a_document_pass_2_would_read_again_is_marked_unread() -> None:
    """A document of unknown kind that fails in pass 1 is reported there, not twice."""
    shared = passes.index_release([(b"---\nkind: [x\n", "a.yaml", "default")])
    assert len(shared.errors[0]) == 1
    assert shared.unread == [{0}]


_KIND_PIECES = st.sampled_from(["kind: List", "kind: 'Pod'", 'kind: "Svc"', "kind:Foo", " kind: X",
                                "kind: a b", "kind: Z # c", "kind: Q\r", "x: 1", "kind:", "kind: 'A\"",
                                "apiVersion: v1", ""])


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(_KIND_PIECES, st.sampled_from(["\n", "\r\n", ""])), max_size=8))
def test_the_kind_is_sniffed_as_the_expression_over_every_line_finds_it(
        lines: list[tuple[str, str]]) -> None:
    text = "".join(a + b for a, b in lines)
    found = re.findall(passes._KIND_LINE_RE, text)
    assert passes.sniff_kind(text) == (found[0][1] if len(found) == 1 else passes.UNKNOWN)
