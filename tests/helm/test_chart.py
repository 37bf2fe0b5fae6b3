"""chart/consul-connect-inject with the real Helm 3 and Helm 4 binaries (.tools/; a missing binary
fails): lint, the schema enforced by Helm agreeing with `consul-inject validate`, the injector and
controller exactly as the official chart renders them, every manifest valid against the Kubernetes
1.29 schemas in strict mode, packaging, and the seed's values end to end through the chart and the
post-renderer."""

from __future__ import annotations

import base64
import copy
import subprocess
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from consul_inject import commands, pipeline, release, yamlcodec
from consul_inject.values import schema as schema_mod
from consul_inject.values import strvals as values_mod
from consul_inject.webhooks.v0_49 import settings
from tests.conftest import (
    CORPUS,
    HELM_VERSIONS,
    REPO,
    HelmEnv,
    consul_inject,
    helm,
    make_helm_env,
    needs_shared,
    without_descriptions,
    yaml_docs,
)

pytestmark = pytest.mark.helm

CHART = REPO / "chart" / "consul-connect-inject"
VALUES = REPO / "tests" / "values"
VERSIONS = HELM_VERSIONS
EVERYTHING = VALUES / "good" / "everything-on.yaml"
STATUS = "consul.hashicorp.com/connect-inject-status"
CONSUL_NS = "consul.hashicorp.com/consul-namespace"
SCHEMA_REFUSAL = "values don't meet the specifications of the schema"
Doc = dict[str, Any]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> HelmEnv:
    """A private HOME and Helm folders (tests/conftest.py), shared by the module's tests."""
    return make_helm_env(tmp_path_factory.mktemp("helm-env")).with_vars(
        CONSUL_INJECT_BIN=str(consul_inject()))


def run_helm(version: int, args: Sequence[str | Path], env: HelmEnv,
             ) -> subprocess.CompletedProcess[str]:
    proc = env.helm(version, *args)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(),
                                       proc.stderr.decode(errors="replace"))


def render(version: int, env: HelmEnv, *args: str | Path, chart_ref: Path = CHART,
           release: str = "consul", namespace: str = "consul") -> list[Doc]:
    return yaml_docs(env.render(version, chart_ref, *args, release=release, namespace=namespace,
                                post=False))


def find(docs: list[Doc], kind: str, name: str) -> Doc:
    for doc in docs:
        if doc["kind"] == kind and doc["metadata"]["name"] == name:
            return doc
    pytest.fail(f"no {kind} {name} in {[(d['kind'], d['metadata']['name']) for d in docs]}")


def official() -> list[Doc]:
    needs_shared(CORPUS)
    return yaml_docs(CORPUS.read_text(encoding="utf-8"))


def command(deployment: Doc) -> str:
    text: str = deployment["spec"]["template"]["spec"]["containers"][0]["command"][2]
    return text


# --- lint, and the schema as Helm enforces it ------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("values", [None, EVERYTHING], ids=["defaults", "everything-on"])
def test_lint(version: int, values: Path | None, env: HelmEnv) -> None:
    args: list[str | Path] = ["lint", CHART, "--strict"]
    if values:
        args += ["-f", values]
    proc = run_helm(version, args, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 chart(s) failed" in proc.stdout


def _schema_says(path: Path) -> bool | None:
    """Whether the schema refuses the file merged over the chart's defaults, as Helm merges them
    (None: not YAML our loader reads)."""
    try:
        user = yamlcodec.load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, ValueError):
        return None
    if not isinstance(user, dict):
        return None
    merged = values_mod.merge(yamlcodec.load((CHART / "values.yaml").read_text(encoding="utf-8")),
                              user)
    # Helm ignores x-closed: global stays open for it (a parent chart's globals reach a subchart).
    helm_view = copy.deepcopy(schema_mod.load())
    helm_view["properties"]["global"].pop("x-closed")
    return not schema_mod.valid(helm_view, merged)


@pytest.mark.parametrize("version", VERSIONS)
def test_helm_refuses_what_the_schema_refuses(version: int, env: HelmEnv) -> None:
    """Each bad values file: Helm refuses it through values.schema.json exactly when our evaluator
    does; the rest (the chart's rules outside our sections, YAML inside strings) Helm lets by."""
    cases = sorted((VALUES / "bad").glob("*.yaml")) + sorted((VALUES / "good").glob("*.yaml"))

    def one(path: Path) -> tuple[str, bool | None, bool]:
        proc = run_helm(version, ["template", "consul", CHART, "-f", path], env)
        return path.name, _schema_says(path), SCHEMA_REFUSAL in proc.stderr

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, cases))
    refused = [name for name, ours, helms in results if ours]
    assert len(refused) >= 30
    mismatches = [(name, ours, helms) for name, ours, helms in results
                  if ours is not None and ours != helms]
    assert mismatches == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("values", "message"), [
    (["global.peering.enabled=true"], "does not install the peering CRDs"),
    (["global.secretsBackend.vault.enabled=true"], "has no Vault support yet"),
])
def test_chart_refuses_what_it_cannot_render(version: int, values: list[str], message: str,
                                             env: HelmEnv) -> None:
    args: list[str | Path] = ["template", "consul", CHART]
    for value in values:
        args += ["--set", value]
    proc = run_helm(version, args, env)
    assert proc.returncode != 0
    assert message in proc.stderr


# --- what the chart renders --------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_injector_and_controller_as_the_official_chart(version: int, env: HelmEnv) -> None:
    """Same values as the corpus render (release consul, namespace consul, global.name consul,
    controller on): the injector and controller commands are byte for byte the official ones, and
    so are their RBAC rules and Services."""
    ours = render(version, env, "--set", "global.name=consul", "--set", "controller.enabled=true")
    theirs = official()
    for kind, name in (("Deployment", "consul-connect-injector"),
                       ("Deployment", "consul-controller")):
        assert command(find(ours, kind, name)) == command(find(theirs, kind, name))
    for kind, name, field in (("ClusterRole", "consul-connect-injector", "rules"),
                              ("ClusterRole", "consul-controller", "rules"),
                              ("Role", "consul-connect-inject-leader-election", "rules"),
                              ("Role", "consul-controller-leader-election", "rules")):
        assert find(ours, kind, name)[field] == find(theirs, kind, name)[field]
    assert find(ours, "Service", "consul-connect-injector")["spec"]["ports"] == \
        find(theirs, "Service", "consul-connect-injector")["spec"]["ports"]
    ours_injector = find(ours, "Deployment", "consul-connect-injector")["spec"]["template"]
    theirs_injector = find(theirs, "Deployment", "consul-connect-injector")["spec"]["template"]
    assert ours_injector["metadata"]["annotations"] == theirs_injector["metadata"]["annotations"]
    for key in ("startupProbe", "readinessProbe", "ports", "resources", "volumeMounts"):
        assert ours_injector["spec"]["containers"][0][key] == \
            theirs_injector["spec"]["containers"][0][key], key
    # The CRDs are the same API: the same schemas; the descriptions are our own words (or none).
    ours_crds = {d["metadata"]["name"]: without_descriptions(d["spec"]) for d in ours
                 if d["kind"] == "CustomResourceDefinition"}
    theirs_crds = {d["metadata"]["name"]: without_descriptions(d["spec"]) for d in theirs
                   if d["kind"] == "CustomResourceDefinition"}
    assert ours_crds == theirs_crds


def test_crds_have_real_schemas(env: HelmEnv) -> None:
    docs = render(3, env, "--set", "controller.enabled=true")
    crds = {d["spec"]["names"]["kind"]: d for d in docs if d["kind"] == "CustomResourceDefinition"}
    assert len(crds) == 10
    intentions = crds["ServiceIntentions"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    spec = intentions["properties"]["spec"]["properties"]
    assert {"destination", "sources"} <= set(spec)
    assert {"name", "namespace", "action", "permissions"} <= set(spec["sources"]["items"]["properties"])
    defaults = crds["ServiceDefaults"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    assert {"protocol", "mode", "transparentProxy", "meshGateway", "upstreamConfig"} <= \
        set(defaults["properties"]["spec"]["properties"])
    assert all(c["spec"]["group"] == "consul.hashicorp.com" for c in crds.values())


@pytest.mark.parametrize("version", VERSIONS)
def test_webhook_only_when_enabled(version: int, env: HelmEnv) -> None:
    plain = render(version, env)
    assert not [d for d in plain if d["kind"] == "MutatingWebhookConfiguration"]
    docs = render(version, env, "--set", "connectInject.webhook.enabled=true",
                  "--set", "connectInject.failurePolicy=Ignore")
    (hook,) = [d for d in docs if d["kind"] == "MutatingWebhookConfiguration"]
    secret = find(docs, "Secret", "consul-consul-connect-inject-webhook-cert")
    webhook = hook["webhooks"][0]
    assert webhook["clientConfig"]["caBundle"] == secret["data"]["ca.crt"]
    assert base64.b64decode(secret["data"]["tls.crt"]).startswith(b"-----BEGIN CERTIFICATE-----")
    assert webhook["failurePolicy"] == "Ignore"
    assert webhook["objectSelector"]["matchExpressions"][0]["values"] == ["consul"]
    assert webhook["namespaceSelector"]["matchExpressions"][0]["values"] == \
        ["kube-system", "local-path-storage", "openebs"]
    assert webhook["clientConfig"]["service"]["name"] == "consul-consul-connect-injector"


def test_disabled_renders_only_the_settings(env: HelmEnv) -> None:
    docs = render(3, env, "--set", "connectInject.enabled=false")
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == \
        [("ConfigMap", "consul-consul-inject-settings")]


def _strict_errors(docs: list[Doc]) -> Iterator[str]:
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, "1.29", strict=True)
        except kubernetes_validate.ValidationError as err:
            yield f"{doc['kind']} {doc['metadata']['name']}: {err.message}"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("values", [None, EVERYTHING], ids=["defaults", "everything-on"])
def test_manifests_valid_for_kubernetes_1_29_strict(version: int, values: Path | None,
                                                    env: HelmEnv) -> None:
    docs = render(version, env, *(["-f", str(values)] if values else []))
    assert len(docs) >= (10 if values is None else 30)
    assert list(_strict_errors(docs)) == []


def test_strict_validation_can_fail(env: HelmEnv) -> None:
    docs = render(3, env)
    deployment = find(docs, "Deployment", "consul-consul-connect-injector")
    deployment["spec"]["template"]["spec"]["containers"][0]["comand"] = ["x"]
    assert len(list(_strict_errors([deployment]))) == 1


# --- packaging -----------------------------------------------------------------------------------


def test_package_then_template(tmp_path: Path, env: HelmEnv,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUL_INJECT_HELM", str(helm(3)))
    seed = VALUES / "seed" / "injection-defaults.yaml"
    assert commands.cmd_chart_package([str(seed)], ["controller.enabled=true"], str(tmp_path)) == 0
    package = tmp_path / "consul-connect-inject-0.1.0.tgz"
    assert package.is_file()
    for version in VERSIONS:
        docs = render(version, env, chart_ref=package)
        assert "-default-inject=true" in command(find(docs, "Deployment",
                                                      "consul-consul-connect-injector"))
        assert find(docs, "Deployment", "consul-consul-controller")
        assert list(_strict_errors(docs)) == []


# --- the seed's values, end to end ----------------------------------------------------------------

# (name, namespace, inject annotation or None)
WORKLOADS = (("a", "my-ns-1", "true"), ("b", "my-ns-2", "true"), ("c", "other", "true"),
             ("d", "no-inject-ns-1", "true"), ("e", "my-ns-1", None), ("f", "other", "false"))
SEED = {  # snippet -> (injected workloads, Consul namespace of each: None, a name, or "mirror")
    "install": ("abcd", None),
    "injection-defaults": ("abcde", None),
    "namespaces-default": ("abcd", None),
    "namespaces-allow": ("ab", None),
    "namespaces-deny": ("abc", None),
    "consul-namespaces-destination": ("abcd", "my-consul-ns"),
    "consul-namespaces-mirroring": ("abcd", "mirror"),
    "consul-namespaces-mirroring-prefix": ("abcd", "k8s-"),
}
SEED_FLAGS = {
    "injection-defaults": ["-default-inject=true"],
    "namespaces-allow": ['-allow-k8s-namespace="my-ns-1"', '-allow-k8s-namespace="my-ns-2"'],
    "namespaces-deny": ['-allow-k8s-namespace="*"', '-deny-k8s-namespace="no-inject-ns-1"',
                        '-deny-k8s-namespace="no-inject-ns-2"'],
    "consul-namespaces-destination": ["-enable-namespaces=true",
                                      "-consul-destination-namespace=my-consul-ns"],
    "consul-namespaces-mirroring": ["-enable-k8s-namespace-mirroring=true"],
    "consul-namespaces-mirroring-prefix": ["-enable-k8s-namespace-mirroring=true",
                                           "-k8s-namespace-mirroring-prefix=k8s-"],
}


@pytest.fixture(scope="module")
def app_chart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An app chart with the WORKLOADS (a Deployment and a Service each, in their namespaces)."""
    root = tmp_path_factory.mktemp("app") / "app"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n",
                                     encoding="utf-8")
    for name, namespace, inject in WORKLOADS:
        annotations = f"\n      annotations:\n        consul.hashicorp.com/connect-inject: " \
            f'"{inject}"' if inject else ""
        (root / "templates" / f"{name}.yaml").write_text(f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  namespace: {namespace}
spec:
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}{annotations}
    spec:
      containers:
        - name: {name}
          image: hashicorp/http-echo:latest
          ports: [{{containerPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: 8080}}]
""", encoding="utf-8")
    return root


def _outcome(docs: list[Doc]) -> dict[str, str | None]:
    """Injected workload -> its Consul namespace annotation (None when there is none)."""
    out: dict[str, str | None] = {}
    for doc in docs:
        if doc["kind"] != "Deployment" or doc["metadata"]["name"] not in dict.fromkeys("abcdef"):
            continue
        annotations = doc["spec"]["template"]["metadata"].get("annotations") or {}
        if annotations.get(STATUS) == "injected":
            out[doc["metadata"]["name"]] = annotations.get(CONSUL_NS)
    return out


def _expected(snippet: str) -> dict[str, str | None]:
    names, consul_ns = SEED[snippet]
    namespaces = {name: namespace for name, namespace, _ in WORKLOADS}
    if consul_ns == "mirror":
        return {n: namespaces[n] for n in names}
    if consul_ns == "k8s-":
        return {n: f"k8s-{namespaces[n]}" for n in names}
    return dict.fromkeys(names, consul_ns)


@pytest.mark.parametrize("snippet", sorted(SEED))
def test_seed_values_through_the_chart_settings(snippet: str, app_chart: Path,
                                                env: HelmEnv) -> None:
    """The chart renders the injector for the snippet; its settings ConfigMap, read back from the
    rendered stream, makes the pipeline inject the app as the seed says."""
    seed = VALUES / "seed" / f"{snippet}.yaml"
    ours = render(3, env, "-f", str(seed))
    flags = command(find(ours, "Deployment", "consul-consul-connect-injector"))
    for flag in SEED_FLAGS.get(snippet, []):
        assert f"{flag} \\\n" in flags
    proc = run_helm(3, ["template", "rel", app_chart, "--namespace", "apps"], env)
    assert proc.returncode == 0, proc.stderr
    found = release.settings_values(ours)
    assert found is not None
    result = pipeline.run(proc.stdout.encode(), settings.from_values(found),
                          pipeline.Options(namespace="apps"))
    assert result.report.errors == []
    assert _outcome(yaml_docs(result.output)) == _expected(snippet)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("snippet", sorted(SEED))
def test_seed_values_through_the_post_renderer(version: int, snippet: str, app_chart: Path,
                                               env: HelmEnv) -> None:
    """helm template --post-renderer consul-inject -f <snippet> changes injection as the seed
    says, with Helm 3 (executable) and Helm 4 (plugin)."""
    seed = VALUES / "seed" / f"{snippet}.yaml"
    renderer = str(consul_inject()) if version == 3 else "consul-inject"
    docs = render(version, env, "--post-renderer", renderer,
                  "--post-renderer-args=--namespace=apps", f"--post-renderer-args=--values={seed}",
                  chart_ref=app_chart, release="rel", namespace="apps")
    assert _outcome(docs) == _expected(snippet)


def test_subchart_settings_drive_the_post_renderer(tmp_path: Path, app_chart: Path,
                                                   env: HelmEnv) -> None:
    """The chart as a subchart of the app chart: one values file configures both; the
    post-renderer reads the settings ConfigMap from the stream (no -f given to it)."""
    parent = tmp_path / "app"
    subprocess.run(["cp", "-r", str(app_chart), str(parent)], check=True)
    (parent / "charts").mkdir()
    subprocess.run(["cp", "-r", str(CHART), str(parent / "charts")], check=True)
    values = tmp_path / "values.yaml"
    values.write_text("consul-connect-inject:\n  connectInject:\n    default: true\n"
                      "    k8sAllowNamespaces: ['my-ns-1', 'other']\n", encoding="utf-8")
    docs = render(3, env, "-f", str(values), "--post-renderer", str(consul_inject()),
                  "--post-renderer-args=--namespace=apps", chart_ref=parent, release="rel",
                  namespace="apps")
    assert _outcome(docs) == {"a": None, "c": None, "e": None}
    assert find(docs, "Deployment", "rel-consul-connect-injector")
