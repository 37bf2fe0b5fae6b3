"""Whole-stream behaviour of pipeline.run: small hand-written streams, and the official Consul
chart's own release (47 documents)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from consul_inject import pipeline
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49.settings import Settings
from tests.conftest import CORPUS, load_all, needs_shared, run_pipeline, settings_for

SETTINGS = Settings()

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations:
        consul.hashicorp.com/connect-inject: "true"
    spec:
      containers:
        - name: web
          image: example/web:1
          ports: [{name: http, containerPort: 8080}]
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
"""
CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  mode: "0644"   # a comment that must survive
  flag: 'yes'
"""


def run(text: str, settings: Settings = SETTINGS) -> pipeline.Result:
    return run_pipeline(text, settings)


def template_of(doc: dict[str, Any]) -> dict[str, Any]:
    template = doc["spec"]["template"]
    assert isinstance(template, dict)
    return template


def test_injects_opted_in_deployment_and_keeps_the_rest_verbatim() -> None:
    text = ("# Source: web/templates/cm.yaml\n" + CONFIG_MAP + "---\n# Source: web/templates/d.yaml\n"
            + DEPLOYMENT + "---\n" + SERVICE)
    result = run(text)
    assert result.ok, result.report.errors
    first, second, third = result.output.split("---\n")
    assert first == "# Source: web/templates/cm.yaml\n" + CONFIG_MAP
    assert third == SERVICE
    assert second.startswith("# Source: web/templates/d.yaml\n")
    deployment = load_all(result.output)[1]
    template = template_of(deployment)
    assert [c["name"] for c in template["spec"]["containers"]] == ["web", "envoy-sidecar"]
    assert [c["name"] for c in template["spec"]["initContainers"]] == [
        "copy-consul-bin", "consul-connect-inject-init"]
    annotations = template["metadata"]["annotations"]
    assert annotations[ann.INJECT_STATUS] == "injected"
    assert annotations[ann.SERVICE_PORT] == "http"
    assert template["metadata"]["labels"][ann.LABEL_MANAGED_BY] == ann.MANAGED_BY_VALUE
    assert result.report.count("injected") == 1
    assert result.report.documents == 3


def test_second_run_skips_already_injected() -> None:
    once = run(DEPLOYMENT + "---\n" + SERVICE)
    assert once.ok, once.report.errors
    twice = run(once.output)
    assert twice.ok, twice.report.errors
    assert twice.output == once.output
    assert twice.report.count("injected") == 0
    assert twice.report.count("skipped") == 1


def test_crlf_document_is_rewritten_with_crlf() -> None:
    text = (DEPLOYMENT + "---\n" + SERVICE).replace("\n", "\r\n")
    result = run(text)
    assert result.ok, result.report.errors
    assert result.output.count("\n") == result.output.count("\r\n")
    assert load_all(result.output)[1] == load_all(text)[1]


def test_flow_document_on_the_marker_line_is_edited_in_flow_style() -> None:
    flow = yaml.safe_dump(yaml.safe_load(DEPLOYMENT), default_flow_style=True, width=10**6)
    text = SERVICE + "--- " + flow
    result = run(text)
    assert result.ok, result.report.errors
    head = result.output[len(SERVICE):]
    assert head.startswith("--- {apiVersion: apps/v1, kind: Deployment")
    assert head.count("\n") == 1
    docs = load_all(result.output)
    assert template_of(docs[1])["metadata"]["annotations"][ann.INJECT_STATUS] == "injected"


def test_end_marker_and_trailing_comment_kept_after_rewrite() -> None:
    text = SERVICE + "---\n" + DEPLOYMENT + "# end of web\n...\n"
    result = run(text)
    assert result.ok, result.report.errors
    assert result.output.endswith("# end of web\n...\n")


def test_not_opted_in_is_byte_identical() -> None:
    text = "\ufeff# top\n" + DEPLOYMENT.replace('"true"', '"false"') + "...\n---\n" + CONFIG_MAP
    result = run(text)
    assert result.ok, result.report.errors
    assert result.output == text
    assert result.report.count("skipped") == 1


def test_error_names_the_helm_template() -> None:
    bad = DEPLOYMENT.replace(
        'connect-inject: "true"\n',
        'connect-inject: "true"\n        consul.hashicorp.com/connect-service-upstreams: db\n')
    result = run("---\n# Source: web/templates/deploy.yaml\n" + bad + "---\n" + SERVICE)
    assert not result.ok
    assert result.output == ""
    (error,) = [e.text() for e in result.report.errors]
    assert error.startswith('web/templates/deploy.yaml: deployment "web": '
                            f'{ann.UPSTREAMS}: item "db" has no port')


def test_invalid_inject_annotation_is_an_error() -> None:
    result = run(DEPLOYMENT.replace('"true"', '"yes"') + "---\n" + SERVICE)
    assert not result.ok
    assert any(f'{ann.INJECT}: "yes" is not a boolean' in e.text() for e in result.report.errors)


def test_invalid_yaml_reports_line_and_column() -> None:
    result = run(SERVICE + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: [oops\n")
    assert not result.ok
    (error,) = [e.text() for e in result.report.errors]
    assert error.startswith("<stdin>:")
    assert "invalid YAML" in error


def test_non_mapping_document_is_an_error() -> None:
    result = run("- a\n- b\n")
    assert not result.ok
    assert "not a mapping" in result.report.errors[0].text()


def test_empty_and_comment_only_streams() -> None:
    for text in ("", "# nothing\n", "---\n", "---\n---\n"):
        result = run(text)
        assert result.ok, result.report.errors
        assert result.output == text


def test_repeated_end_markers_pass_through() -> None:
    text = CONFIG_MAP + "...\n...\n"
    assert len(list(yaml.safe_load_all(text))) == 1
    result = run(text)
    assert result.report.errors == []
    assert result.output == text


# --- the official Consul chart's release ----------------------------------------------------------


@pytest.fixture(scope="module")
def corpus() -> bytes:
    needs_shared(CORPUS)
    return CORPUS.read_bytes()


def run_corpus(data: bytes, *sets: str) -> pipeline.Result:
    return run_pipeline(data, settings_for(*sets), namespace="consul")


def test_default_settings_pass_the_release_through_byte_for_byte(corpus: bytes) -> None:
    result = run_corpus(corpus)
    assert result.ok, result.report.errors
    assert result.output.encode() == corpus
    assert result.report.documents == 47
    assert result.report.count("injected") == 0


def test_inject_by_default_still_skips_the_consul_chart_pods(corpus: bytes) -> None:
    # The webhook's objectSelector (app != consul) keeps every pod of the chart away from it.
    result = run_corpus(corpus, "connectInject.default=true")
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
    result = run_corpus(corpus, "connectInject.default=true", "nameOverride=mesh",
                        "consulInject.missingService=warn")
    assert result.ok, result.report.errors
    outcome = {e.ref.name: e.outcome for e in result.report.entries}
    assert outcome["consul-connect-injector"] == "skipped"
    assert outcome["consul-controller"] == "skipped"
    assert outcome["consul-test"] == "injected"


# --- custom workloads (issue 12 item 5) -----------------------------------------------------------

WORKER_POOL = """---
# Source: reports/templates/service.yaml
apiVersion: v1
kind: Service
metadata: {name: renderer}
spec:
  selector: {app: renderer}
  ports: [{port: 8000, targetPort: 8000}]
---
# Source: reports/templates/workerpool.yaml
apiVersion: batch.acme.example/v1
kind: WorkerPool
metadata:
  name: renderer
spec:
  worker:
    podTemplate:
      metadata:
        labels: {app: renderer}
        annotations:
          consul.hashicorp.com/connect-inject: "true"
      spec:
        containers:
          - name: renderer
            image: registry.example.com/reports/renderer:5.0.1
            ports: [{containerPort: 8000}]
"""


def test_a_kind_the_settings_add_is_injected_at_its_path() -> None:
    settings = Settings(workload_kinds=(("batch.acme.example/WorkerPool",
                                         "spec.worker.podTemplate"),))
    result = run(WORKER_POOL, settings)
    assert result.ok, [p.text() for p in result.report.errors]
    (entry,) = result.report.entries
    assert (entry.ref.kind, entry.outcome) == ("WorkerPool", "injected")
    pool = load_all(result.output)[1]
    containers = pool["spec"]["worker"]["podTemplate"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["renderer", "envoy-sidecar"]


def test_without_it_the_pool_passes_through_byte_for_byte() -> None:
    """Its template is not at a usual place (spec.template, spec.jobTemplate.spec.template), so
    nothing is guessed; at spec.template it is named with the flag to add."""
    result = run(WORKER_POOL)
    assert result.ok
    assert result.output == WORKER_POOL
    assert result.report.warnings == []
    usual = WORKER_POOL.replace("  worker:\n    podTemplate:", "  template:").replace(
        "\n      ", "\n    ")
    result = run(usual)
    assert result.output == usual
    (warning,) = result.report.warnings
    assert warning.startswith('reports/templates/workerpool.yaml: workerpool "renderer": '
                              "spec.template looks like a pod template")
    assert "--workload-kind batch.acme.example/WorkerPool=spec.template" in warning


def test_a_custom_resource_that_does_not_read_is_not_ours_to_refuse() -> None:
    """Read only to warn: an unreadable one (duplicate keys) goes out as it came."""
    broken = WORKER_POOL.replace("  name: renderer\nspec:", "  name: renderer\n  name: x\nspec:")
    broken = broken.replace("podTemplate", "template").replace("  worker:\n", "")
    result = run(broken)
    assert result.ok
    assert result.output == broken
    assert result.report.warnings == []
