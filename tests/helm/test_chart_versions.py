"""The consul-connect-inject chart under consulInject.consulK8sVersion "1.9" and "2.0", with the
real Helm 3 and Helm 4: it renders only the settings ConfigMap, holding only consulInject (the
official Consul chart installs the cluster side then), its NOTES say why, a package for those
versions takes only consulInject, and the post-renderer injects consul-dataplane sidecars from
that ConfigMap."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

import pytest

from consul_inject import commands, yamlcodec
from consul_inject.problems import ConsulInjectError
from tests.conftest import HELM_VERSIONS, REPO, HelmEnv, consul_inject, make_helm_env, yaml_docs

pytestmark = pytest.mark.helm

CHART = REPO / "chart" / "consul-connect-inject"
DATAPLANE = ("1.9", "2.0")
APP = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {consul.hashicorp.com/connect-inject: "true"}
    spec:
      containers: [{name: web, image: example/web:1, ports: [{containerPort: 8080}]}]
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> HelmEnv:
    return make_helm_env(tmp_path_factory.mktemp("helm-env")).with_vars(
        CONSUL_INJECT_BIN=str(consul_inject()))


def _settings(docs: list[dict[str, Any]]) -> Any:
    (doc,) = docs
    assert (doc["kind"], doc["metadata"]["name"]) == ("ConfigMap", "rel-consul-inject-settings")
    return yamlcodec.load(doc["data"]["values.yaml"])


@pytest.mark.parametrize("helm_version", HELM_VERSIONS)
@pytest.mark.parametrize("version", DATAPLANE)
def test_only_the_settings_configmap_renders(helm_version: int, version: str,
                                             env: HelmEnv) -> None:
    """Even with every switch of the 0.49 control plane on."""
    text = env.render(helm_version, CHART, "--set-string", f"consulInject.consulK8sVersion={version}",
                      "--set", "controller.enabled=true", "--set", "connectInject.enabled=true",
                      "--set-string", "consulInject.clusterDNSIP=10.96.0.10", post=False)
    settings = _settings(yaml_docs(text))
    assert list(settings) == ["consulInject"]
    assert settings["consulInject"]["consulK8sVersion"] == version
    assert settings["consulInject"]["clusterDNSIP"] == "10.96.0.10"


@pytest.mark.parametrize("helm_version", HELM_VERSIONS)
def test_the_0_49_default_still_renders_the_control_plane(helm_version: int, env: HelmEnv) -> None:
    docs = yaml_docs(env.render(helm_version, CHART, post=False))
    kinds = {doc["kind"] for doc in docs}
    assert {"Deployment", "ConfigMap"} <= kinds
    settings = yamlcodec.load(next(d for d in docs if d["kind"] == "ConfigMap")["data"]["values.yaml"])
    assert settings["consulInject"]["consulK8sVersion"] == "0.49"
    assert "global" in settings


@pytest.mark.parametrize("version", DATAPLANE)
def test_the_notes_say_why(version: str, env: HelmEnv) -> None:
    """Helm 4 renders NOTES without a cluster (install --dry-run=client); Helm 3 needs one."""
    proc = env.helm(4, "install", "rel", CHART, "--dry-run=client", "--set-string",
                    f"consulInject.consulK8sVersion={version}")
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr.decode()
    notes = out[out.index("NOTES:"):]
    assert "rendered only the settings ConfigMap rel-consul-inject-settings" in notes
    assert f"Under consul-k8s {version} the official Consul chart installs" in notes


@pytest.mark.parametrize("helm_version", HELM_VERSIONS)
def test_the_post_renderer_injects_dataplane_from_the_configmap(helm_version: int, env: HelmEnv,
                                                                tmp_path: Path) -> None:
    text = env.render(helm_version, CHART, "--set-string", "consulInject.consulK8sVersion=2.0",
                      "--set-string", "consulInject.clusterDNSIP=10.96.0.10", post=False)
    stream = tmp_path / "release.yaml"
    stream.write_text(text + "---\n" + APP, encoding="utf-8")
    proc = env.run([consul_inject(), "inject", "-n", "apps", stream])
    assert proc.returncode == 0, proc.stderr.decode()
    deployment = next(d for d in yaml_docs(proc.stdout.decode()) if d["kind"] == "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    names = [c["name"] for c in pod["containers"]] + [c["name"] for c in pod["initContainers"]]
    assert "consul-dataplane" in names
    assert "envoy-sidecar" not in names


def test_a_package_for_dataplane_takes_only_consul_inject(tmp_path: Path, env: HelmEnv,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUL_INJECT_HELM", str(REPO / ".tools" / "helm3" / "helm"))
    sets = ["consulInject.consulK8sVersion=2.0", "consulInject.intentions.enabled=true"]
    assert commands.cmd_chart_package([], sets, str(tmp_path)) == 0
    (package,) = tmp_path.glob("*.tgz")
    with tarfile.open(package) as tar:
        member = tar.extractfile("consul-connect-inject/values.yaml")
        assert member is not None
        baked = yamlcodec.load(member.read().decode("utf-8"))
    assert baked["consulInject"]["consulK8sVersion"] == "2.0"
    assert baked["consulInject"]["intentions"] == {"enabled": True}
    text = env.render(4, package, post=False)
    assert list(_settings(yaml_docs(text))) == ["consulInject"]
    with pytest.raises(ConsulInjectError, match="carries only consulInject"):
        commands.cmd_chart_package([], [*sets, "global.imageConsulDataplane=d:1"], str(tmp_path))
