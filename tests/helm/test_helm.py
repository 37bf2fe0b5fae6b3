"""consul-inject as a post-renderer of the real Helm 3 and Helm 4 binaries.

Helm 3 runs the executable (`--post-renderer <venv>/bin/consul-inject`) on the rendered manifests
only (hooks are printed afterwards, untouched); Helm 4 runs the `postrenderer/v1` plugin in
`plugin/` on every document, hooks included, and discards the plugin's stderr
(spec/helm-and-values.md sections 3.1, 3.2, 3.5 and 6).

The binaries come from `python3 tools/fetch_helm.py` (into .tools/); a missing binary is a
failure, not a skip, because CI installs them. Children get a private HOME, XDG and Helm
directories and CONSUL_INJECT_LOG under tmp_path (tests/conftest.py: HelmEnv), so nothing touches
the real home.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CORPUS, EXAMPLES, HELM_VERSIONS, HelmEnv, consul_inject, needs_shared, yaml_docs

pytestmark = pytest.mark.helm

CHARTS = Path(__file__).resolve().parent / "charts"
VERSIONS = HELM_VERSIONS
EXAMPLE_CHARTS = ("static-server", "static-client", "multiport-web")

INJECT = "consul.hashicorp.com/connect-inject"
STATUS = "consul.hashicorp.com/connect-inject-status"
FILENAME_ANNOTATION = "postrenderer.helm.sh/postrender-filename"
SOURCE = "# Source: "
SEPARATOR = "\n---\n"


# --- reading rendered streams -------------------------------------------------------------------

Doc = dict[str, Any]


def source_lines(text: str) -> Counter[str]:
    return Counter(line for line in text.splitlines() if line.startswith(SOURCE))


def chunks(text: str) -> list[str]:
    """Helm's output split on its document separators; chunks holding no document are dropped."""
    return [c for c in text.split(SEPARATOR) if yaml.safe_load(c) is not None]


def key(doc: Doc) -> tuple[str, str]:
    return str(doc.get("kind")), str(doc.get("metadata", {}).get("name"))


def pod_templates(doc: Doc) -> Iterator[Doc]:
    spec = doc.get("spec") or {}
    if doc.get("kind") == "Pod":
        yield doc
    elif doc.get("kind") == "CronJob":
        yield from [spec["jobTemplate"]["spec"]["template"]] if spec.get("jobTemplate") else []
    elif isinstance(spec.get("template"), dict):
        yield spec["template"]


def pod_annotations(pod: Doc) -> dict[str, Any]:
    return dict((pod.get("metadata") or {}).get("annotations") or {})


def opted_in(doc: Doc) -> bool:
    return any(pod_annotations(p).get(INJECT) == "true" for p in pod_templates(doc))


def is_injected(doc: Doc) -> bool:
    return any(pod_annotations(p).get(STATUS) == "injected" for p in pod_templates(doc))


def container_names(pod: Doc, field: str) -> list[str]:
    return [str(c["name"]) for c in pod["spec"].get(field) or []]


def assert_injected(doc: Doc, services: Sequence[str] = ()) -> None:
    """Single-service naming unless `services` (multi-port: one init and one sidecar each)."""
    (pod,) = pod_templates(doc)
    name = "/".join(key(doc))
    assert pod_annotations(pod).get(STATUS) == "injected", f"{name}: no {STATUS} annotation"
    containers, inits = container_names(pod, "containers"), container_names(pod, "initContainers")
    if services:
        for service in services:
            assert containers.count(f"envoy-sidecar-{service}") == 1, (name, containers)
            assert inits.count(f"consul-connect-inject-init-{service}") == 1, (name, inits)
        assert "envoy-sidecar" not in containers, (name, containers)
        assert "consul-connect-inject-init" not in inits, (name, inits)
    else:
        assert containers.count("envoy-sidecar") == 1, (name, containers)
        assert inits.count("consul-connect-inject-init") == 1, (name, inits)


def by_key(docs: Sequence[Doc]) -> dict[tuple[str, str], Doc]:
    result = {key(d): d for d in docs}
    assert len(result) == len(docs), f"duplicate kind/name in {[key(d) for d in docs]}"
    return result


def sources_by_key(text: str) -> dict[tuple[str, str], str]:
    """kind/name -> the `# Source:` line heading that document in a Helm output."""
    result: dict[tuple[str, str], str] = {}
    for chunk in chunks(text):
        lines = [line for line in chunk.splitlines() if line.startswith(SOURCE)]
        result[key(yaml.safe_load(chunk))] = lines[0] if lines else "<none>"
    return result


# --- the example charts themselves -------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("chart", EXAMPLE_CHARTS)
def test_example_chart_passes_helm_lint(chart: str, version: int, helm_env: HelmEnv) -> None:
    proc = helm_env.helm(version, "lint", "--strict", EXAMPLES / chart)
    assert proc.returncode == 0, proc.stdout.decode(errors="replace") + proc.stderr.decode()


# --- 1. Helm 3 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("chart", EXAMPLE_CHARTS)
def test_helm3_injects_and_keeps_the_rest_byte_for_byte(chart: str, helm_env: HelmEnv) -> None:
    plain = helm_env.render(3, EXAMPLES / chart, post=False)
    post = helm_env.render(3, EXAMPLES / chart)

    missing = source_lines(plain) - source_lines(post)
    assert not missing, f"# Source: lines lost by the post-renderer: {sorted(missing)}"

    plain_chunks, post_chunks = chunks(plain), chunks(post)
    assert len(post_chunks) == len(plain_chunks), "documents were added or dropped"
    expected = [opted_in(yaml.safe_load(c)) for c in plain_chunks]
    assert any(expected), f"{chart}: no opted-in workload, the test would prove nothing"
    for want, before, after in zip(expected, plain_chunks, post_chunks, strict=True):
        doc = yaml.safe_load(after)
        assert key(doc) == key(yaml.safe_load(before)), "documents were reordered"
        if want:
            assert_injected(doc, ("web", "web-admin") if key(doc) == ("Deployment", "web") else ())
            assert before.splitlines()[0] == after.splitlines()[0], "the # Source: line moved"
        else:
            assert not is_injected(doc), key(doc)
            assert after == before, f"{key(doc)} changed though it was not injected"


def test_helm3_keeps_octal_modes_and_strings_in_injected_documents(helm_env: HelmEnv) -> None:
    docs = by_key(yaml_docs(helm_env.render(3, EXAMPLES / "static-server")))
    pod = docs["Deployment", "static-server"]["spec"]["template"]["spec"]
    # Kubernetes reads YAML 1.1, where 0644 is octal: whatever the injector writes must mean 420.
    assert pod["volumes"][0]["configMap"]["defaultMode"] == 0o644
    assert docs["ConfigMap", "static-server-settings"]["data"]["enabled"] == "yes"


# --- 2. Helm 4 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("chart", EXAMPLE_CHARTS)
def test_helm4_plugin_injects_and_keeps_the_rest(chart: str, helm_env: HelmEnv) -> None:
    plain = helm_env.render(4, EXAMPLES / chart, post=False)
    post = helm_env.render(4, EXAMPLES / chart)

    missing = source_lines(plain) - source_lines(post)
    assert not missing, f"# Source: lines lost (filename annotation dropped?): {sorted(missing)}"
    assert sources_by_key(post) == sources_by_key(plain), "a document moved to another # Source:"
    assert FILENAME_ANNOTATION not in post

    before, after = by_key(yaml_docs(plain)), by_key(yaml_docs(post))
    assert after.keys() == before.keys(), "documents were added or dropped"
    wanted = [k for k, d in before.items() if opted_in(d)]
    assert wanted, f"{chart}: no opted-in workload, the test would prove nothing"
    for k, doc in before.items():
        if k in wanted:
            assert_injected(after[k], ("web", "web-admin") if k == ("Deployment", "web") else ())
        else:
            assert not is_injected(after[k]), k
            assert after[k] == doc, f"{k} changed though it was not injected"


def test_helm4_passes_the_hook_job_to_the_plugin_which_leaves_it_alone(helm_env: HelmEnv,
                                                                       tmp_path: Path) -> None:
    # Record what Helm 4 hands the plugin: the launcher runs $CONSUL_INJECT_BIN when set.
    received = tmp_path / "received.yaml"
    recorder = tmp_path / "record-and-inject"
    recorder.write_text(f'#!/bin/sh\ntee "{received}" | exec "{consul_inject()}" "$@"\n')
    recorder.chmod(0o755)
    hook_env = helm_env.with_vars(CONSUL_INJECT_BIN=str(recorder))

    post = hook_env.render(4, EXAMPLES / "static-server")

    hooks = [d for d in yaml_docs(received.read_text()) if d["kind"] == "Job"]
    assert [key(d) for d in hooks] == [("Job", "static-server-pre-install")], "hook not post-rendered"
    assert hooks[0]["metadata"]["annotations"][FILENAME_ANNOTATION] == (
        "static-server/templates/hook-job.yaml")
    job = by_key(yaml_docs(post))["Job", "static-server-pre-install"]
    plain_job = by_key(yaml_docs(helm_env.render(4, EXAMPLES / "static-server", post=False)))[
        "Job", "static-server-pre-install"]
    assert not is_injected(job)
    assert container_names(job["spec"]["template"], "containers") == ["check"]
    assert job == plain_job


# --- 3. multi-port ------------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_multiport_web_gets_one_init_and_one_sidecar_per_service(version: int, helm_env: HelmEnv) -> None:
    docs = by_key(yaml_docs(helm_env.render(version, EXAMPLES / "multiport-web")))
    web = docs["Deployment", "web"]
    assert_injected(web, ("web", "web-admin"))
    pod = web["spec"]["template"]
    assert len(container_names(pod, "containers")) == 4, container_names(pod, "containers")
    assert_injected(docs["Deployment", "static-client"])
    upstreams = pod_annotations(docs["Deployment", "static-client"]["spec"]["template"])
    assert upstreams["consul.hashicorp.com/connect-service-upstreams"] == "web:1234,web-admin:2234"


# --- 4. errors ----------------------------------------------------------------------------------

def _our_message(text: str) -> list[str]:
    return [line for line in text.splitlines()
            if "consul-inject" in line and INJECT in line and '"yes"' in line]


def test_helm3_invalid_annotation_fails_with_our_message(helm_env: HelmEnv) -> None:
    proc = helm_env.template(3, CHARTS / "invalid-inject")
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode != 0
    assert proc.stdout == b"", "something was rendered despite the error"
    assert len(_our_message(stderr)) == 1, stderr
    assert "Traceback" not in stderr


def test_helm4_invalid_annotation_fails_and_the_log_says_why(helm_env: HelmEnv) -> None:
    proc = helm_env.template(4, CHARTS / "invalid-inject")
    assert proc.returncode != 0
    assert proc.stdout == b"", "something was rendered despite the error"
    assert 'plugin "consul-inject" exited with error' in proc.stderr.decode(errors="replace")
    assert helm_env.log.exists(), f"Helm 4 drops plugin stderr, so {helm_env.log} must hold the error"
    assert len(_our_message(helm_env.read_log())) == 1, helm_env.read_log()


# --- 5. --post-renderer-args --------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_post_renderer_args_reach_consul_inject(version: int, helm_env: HelmEnv) -> None:
    chart = CHARTS / "no-annotation"
    untouched = by_key(yaml_docs(helm_env.render(version, chart)))
    assert not is_injected(untouched["Deployment", "plain"]), "injected without connectInject.default"

    docs = by_key(yaml_docs(helm_env.render(version, chart, "--post-renderer-args=--set",
                                   "--post-renderer-args=connectInject.default=true")))
    assert_injected(docs["Deployment", "plain"])


# --- Helm 3 and Helm 4 agree ---------------------------------------------------------------------

@pytest.mark.parametrize("chart", EXAMPLE_CHARTS)
def test_helm3_and_helm4_render_the_same_resources(chart: str, helm_env: HelmEnv) -> None:
    helm3 = by_key(yaml_docs(helm_env.render(3, EXAMPLES / chart)))
    helm4 = by_key(yaml_docs(helm_env.render(4, EXAMPLES / chart)))
    assert any(is_injected(d) for d in helm4.values())
    assert helm3 == helm4


# --- regressions: Helm 4 specifics (bare Pod annotation, empty charts, usage errors) -----------

def test_bare_pod_is_injected_alike_by_helm3_and_helm4(helm_env: HelmEnv) -> None:
    helm3 = by_key(yaml_docs(helm_env.render(3, CHARTS / "bare-pod")))
    text4 = helm_env.render(4, CHARTS / "bare-pod")
    helm4 = by_key(yaml_docs(text4))
    assert_injected(helm4["Pod", "bare"])
    assert FILENAME_ANNOTATION not in text4
    assert helm3 == helm4


def test_helm4_chart_that_renders_nothing(helm_env: HelmEnv) -> None:
    assert helm_env.render(4, CHARTS / "renders-nothing", post=False).strip() == ""
    assert yaml_docs(helm_env.render(4, CHARTS / "renders-nothing")) == []


def test_helm4_usage_error_reaches_the_log(helm_env: HelmEnv) -> None:
    proc = helm_env.template(4, EXAMPLES / "static-client", "--post-renderer-args=--namspace=apps")
    assert proc.returncode != 0
    assert proc.stdout == b""
    assert "--namspace" in helm_env.read_log()


# --- 6, 7. plain stdin -> stdout ----------------------------------------------------------------

def test_consul_chart_corpus_passes_through_byte_for_byte(helm_env: HelmEnv) -> None:
    needs_shared(CORPUS)
    if not CORPUS.is_file():
        pytest.fail(f"corpus missing: {CORPUS} (the shared folder beside the repo holds "
                    "corpus/consul-chart-v0.49.8-rendered.yaml)")
    data = CORPUS.read_bytes()
    proc = helm_env.run([consul_inject()], stdin=data)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stdout == data


def test_empty_stdin_gives_empty_stdout(helm_env: HelmEnv) -> None:
    proc = helm_env.run([consul_inject()], stdin=b"")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert proc.stdout == b""
