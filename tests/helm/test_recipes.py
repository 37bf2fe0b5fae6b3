"""The README's GitOps recipes, run for real with the Helm 3 binary from .tools/ (issue 6).

- Argo CD: the Config Management Plugin in recipes/argocd/plugin.yaml, its `init` and `generate`
  commands run as the CMP server runs them (`command + args`, in the application's folder, with
  ARGOCD_APP_NAME, ARGOCD_APP_NAMESPACE and ARGOCD_ENV_* set).
- Flux: recipes/flux/render.sh into a folder, then `kubectl kustomize` of that folder.
- `helm diff`-style review: `helm template | consul-inject | kubectl diff -f -`, run up to
  consul-inject (the diff itself needs a cluster: only checked to be documented).

`helm` is found on PATH as Argo CD's sidecar would find it: a temporary folder holding a `helm`
symlink to .tools/helm3/helm, then the virtualenv's bin (consul-inject). A missing binary is a
failure, not a skip. Children get a private HOME and Helm folders under tmp_path.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import (
    EXAMPLES,
    KUBECTL,
    REPO,
    HelmEnv,
    helm,
    make_helm_env,
    tool,
    venv_bin,
    yaml_docs,
)

pytestmark = pytest.mark.helm

README = REPO / "README.md"
ARGOCD_PLUGIN = REPO / "recipes" / "argocd" / "plugin.yaml"
FLUX_RENDER = REPO / "recipes" / "flux" / "render.sh"
CHART = EXAMPLES / "static-client"
NAMESPACE = "apps"
ENVOY_V124 = "envoyproxy/envoy:v1.24.0"


@pytest.fixture
def env(tmp_path: Path) -> HelmEnv:
    """PATH = <tmp>/bin (helm -> .tools/helm3/helm) : <venv>/bin : the system's; private homes."""
    base = make_helm_env(tmp_path / "env")
    tools = base.root / "bin"
    tools.mkdir(parents=True)
    (tools / "helm").symlink_to(helm(3))
    return base.with_vars(PATH=os.pathsep.join([str(tools), str(venv_bin()), "/usr/bin", "/bin"]))


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """A checkout of the static-client chart, as Argo CD's repo server would have it (the
    plugin's `init` may write into it)."""
    target = tmp_path / "repo" / "static-client"
    shutil.copytree(CHART, target)
    return target


def the(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in docs if d.get("kind") == kind]
    assert len(found) == 1, [d.get("kind") for d in docs]
    return found[0]


def pod_containers(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    spec = deployment["spec"]["template"]["spec"]
    return {c["name"]: c for c in spec["containers"]}


def assert_injected(docs: list[dict[str, Any]], name: str = "static-client") -> dict[str, Any]:
    deployment = the(docs, "Deployment")
    assert deployment["metadata"]["name"] == name
    template = deployment["spec"]["template"]
    assert template["metadata"]["annotations"]["consul.hashicorp.com/connect-inject-status"] \
        == "injected"
    assert "envoy-sidecar" in pod_containers(deployment)
    inits = [c["name"] for c in template["spec"]["initContainers"]]
    assert "consul-connect-inject-init" in inits
    return deployment


def collapse(text: str) -> str:
    return " ".join(text.split())


# --- Argo CD Config Management Plugin ----------------------------------------------------------


def plugin() -> dict[str, Any]:
    data = yaml.safe_load(ARGOCD_PLUGIN.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    assert data["apiVersion"] == "argoproj.io/v1alpha1"
    assert data["kind"] == "ConfigManagementPlugin"
    return data


def plugin_argv(step: str) -> list[str]:
    spec = plugin()["spec"][step]
    argv = [*spec["command"], *spec.get("args", [])]
    assert all(isinstance(a, str) for a in argv), argv
    return argv


def argocd(env: HelmEnv, app_dir: Path, step: str, **extra: str,
           ) -> subprocess.CompletedProcess[bytes]:
    return env.with_vars(ARGOCD_APP_NAME="client", ARGOCD_APP_NAMESPACE=NAMESPACE,
                         **extra).run(plugin_argv(step), cwd=app_dir)


def test_argocd_plugin_discovers_the_chart(app_dir: Path) -> None:
    discover = plugin()["spec"]["discover"]
    assert (app_dir / discover["fileName"]).is_file()


def test_argocd_plugin_init_then_generate_gives_injected_manifests(env: HelmEnv,
                                                                    app_dir: Path) -> None:
    init = argocd(env, app_dir, "init")
    assert init.returncode == 0, init.stderr.decode(errors="replace")
    proc = argocd(env, app_dir, "generate")
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, stderr
    text = proc.stdout.decode()
    sources = re.findall(r"^# Source: (.*)$", text, re.MULTILINE)
    assert sorted(sources) == ["static-client/templates/deployment.yaml",
                               "static-client/templates/service.yaml",
                               "static-client/templates/serviceaccount.yaml"]
    docs = yaml_docs(text)
    assert sorted(d["kind"] for d in docs) == ["Deployment", "Service", "ServiceAccount"]
    deployment = assert_injected(docs)
    upstreams = deployment["spec"]["template"]["metadata"]["annotations"][
        "consul.hashicorp.com/connect-service-upstreams"]
    assert upstreams == "static-server:1234"
    # The release namespace reaches consul-inject (Helm passes none to the post-renderer).
    assert 'deployment "static-client" injected (namespace apps' in stderr
    env_names = {e["name"] for e in pod_containers(deployment)["static-client"].get("env", [])}
    assert "STATIC_SERVER_CONNECT_SERVICE_HOST" in env_names


def test_argocd_plugin_passes_the_application_env(env: HelmEnv, app_dir: Path) -> None:
    """Argo CD exposes an Application's plugin env as ARGOCD_ENV_<NAME>."""
    proc = argocd(env, app_dir, "generate",
                  ARGOCD_ENV_HELM_ARGS="--set name=billing",
                  ARGOCD_ENV_CONSUL_INJECT_ARGS=f"--set global.imageEnvoy={ENVOY_V124}")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    deployment = assert_injected(yaml_docs(proc.stdout), name="billing")
    assert pod_containers(deployment)["envoy-sidecar"]["image"] == ENVOY_V124


def test_argocd_plugin_fails_when_consul_inject_fails(env: HelmEnv, app_dir: Path) -> None:
    proc = argocd(env, app_dir, "generate", ARGOCD_ENV_CONSUL_INJECT_ARGS=(
        "--set connectInject.consulNamespaces.mirroringK8S=true"))
    assert proc.returncode != 0
    assert proc.stdout == b""
    assert b"mirroringK8S" in proc.stderr


def test_argocd_plugin_fails_when_helm_fails(env: HelmEnv, app_dir: Path) -> None:
    (app_dir / "templates" / "broken.yaml").write_text("{{ .Values.nope.missing }}\n",
                                                      encoding="utf-8")
    proc = argocd(env, app_dir, "generate")
    assert b"nil pointer" in proc.stderr or b"Error" in proc.stderr  # helm did fail
    assert proc.returncode != 0


def test_readme_describes_the_argocd_plugin_command() -> None:
    script = collapse(plugin_argv("generate")[-1])
    readme = collapse(README.read_text(encoding="utf-8").replace("`", ""))
    documented = ('helm template "$ARGOCD_APP_NAME" . --namespace "$ARGOCD_APP_NAMESPACE" > '
                  'rendered, then consul-inject --namespace "$ARGOCD_APP_NAMESPACE" < rendered')
    assert documented in readme
    assert 'helm template "$ARGOCD_APP_NAME" . --namespace "$ARGOCD_APP_NAMESPACE"' in script
    assert 'consul-inject --namespace "$ARGOCD_APP_NAMESPACE"' in script
    assert "set -e" in script  # a failing helm template must fail the sync


# --- Flux: render in CI, apply plain manifests ---------------------------------------------------


def flux_render(env: HelmEnv, out: Path, *helm_args: str, **extra: str,
                ) -> subprocess.CompletedProcess[bytes]:
    return env.with_vars(**extra).run(["sh", FLUX_RENDER, "client", CHART, NAMESPACE, out,
                                       *helm_args])


def test_flux_render_writes_injected_manifests_and_a_kustomization(env: HelmEnv,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "deploy" / "client"
    proc = flux_render(env, out)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert sorted(p.name for p in out.iterdir()) == ["kustomization.yaml", "manifests.yaml"]
    manifests = (out / "manifests.yaml").read_text(encoding="utf-8")
    assert "# Source: static-client/templates/deployment.yaml" in manifests
    assert_injected(yaml_docs(manifests))
    kustomization = yaml.safe_load((out / "kustomization.yaml").read_text(encoding="utf-8"))
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["namespace"] == NAMESPACE
    assert kustomization["resources"] == ["manifests.yaml"]

    # What Flux's kustomize-controller would build from the committed folder.
    kubectl = tool(KUBECTL, "kubectl")
    built = env.run([kubectl, "kustomize", out], cwd=tmp_path)
    assert built.returncode == 0, built.stderr.decode(errors="replace")
    docs = yaml_docs(built.stdout)
    deployment = assert_injected(docs)
    assert deployment["metadata"]["namespace"] == NAMESPACE
    assert {d["metadata"]["namespace"] for d in docs} == {NAMESPACE}


def test_flux_render_passes_helm_args_and_consul_inject_args(env: HelmEnv, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = flux_render(env, out, "--set", "name=billing",
                       CONSUL_INJECT_ARGS=f"--set global.imageEnvoy={ENVOY_V124}")
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    deployment = assert_injected(yaml_docs((out / "manifests.yaml").read_bytes()), name="billing")
    assert pod_containers(deployment)["envoy-sidecar"]["image"] == ENVOY_V124


def test_flux_render_again_gives_the_same_files(env: HelmEnv, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert flux_render(env, out).returncode == 0
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert flux_render(env, out).returncode == 0
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_flux_render_keeps_the_old_manifests_when_consul_inject_fails(env: HelmEnv,
                                                                      tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert flux_render(env, out).returncode == 0
    before = (out / "manifests.yaml").read_bytes()
    proc = flux_render(env, out, CONSUL_INJECT_ARGS=(
        "--set connectInject.consulNamespaces.mirroringK8S=true"))
    assert proc.returncode != 0
    assert (out / "manifests.yaml").read_bytes() == before


def test_flux_render_fails_and_keeps_the_old_manifests_when_helm_fails(env: HelmEnv,
                                                                        tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert flux_render(env, out).returncode == 0
    before = (out / "manifests.yaml").read_bytes()
    proc = env.run(["sh", FLUX_RENDER, "client", tmp_path / "no-such-chart", NAMESPACE, out])
    assert b"Error" in proc.stderr  # helm did fail
    assert (out / "manifests.yaml").read_bytes() == before
    assert proc.returncode != 0


def test_readme_documents_the_flux_script() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "recipes/flux/render.sh" in readme
    usage = re.search(r"recipes/flux/render\.sh (\S+) (\S+) (\S+) (\S+)", readme)
    assert usage is not None
    assert "RELEASE CHART NAMESPACE OUT_DIR" in FLUX_RENDER.read_text(encoding="utf-8")


# --- helm diff-style review --------------------------------------------------------------------


def review_recipe() -> list[str]:
    """The README's review pipeline, split into its stages."""
    readme = README.read_text(encoding="utf-8")
    found = re.search(r"`(helm template [^`]*\| *consul-inject [^`]*\| *kubectl diff -f -)`",
                      readme)
    assert found is not None, "README documents `helm template | consul-inject | kubectl diff -f -`"
    return [stage.strip() for stage in found.group(1).split("|")]


def test_review_recipe_renders_injected_changes(env: HelmEnv, tmp_path: Path) -> None:
    helm_stage, inject_stage, diff_stage = review_recipe()
    assert diff_stage == "kubectl diff -f -"  # documented, not run: it needs a cluster
    # The README's example chart path, pointed at the example chart.
    helm_argv = ["helm" if a == "helm" else str(CHART) if a.startswith("./") else a
                 for a in helm_stage.split()]
    rendered = env.run(helm_argv, cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr.decode(errors="replace")
    assert b"envoy-sidecar" not in rendered.stdout
    proc = env.run(inject_stage.split(), stdin=rendered.stdout, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert_injected(yaml_docs(proc.stdout))
    assert b"# Source: static-client/templates/deployment.yaml" in proc.stdout
