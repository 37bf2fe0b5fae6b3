"""folders: the files of a manifests folder that are not Kubernetes manifests (kustomize's and
Helm's own), by name, by content and by what a kustomization names."""

from __future__ import annotations

from pathlib import Path

import pytest

from consul_inject import folders

KUSTOMIZATION = b"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop
resources:
  - deployment.yaml
  - service.yaml
patches:
  - path: patches/replicas.yaml
    target: {kind: Deployment, name: cart}
patchesStrategicMerge:
  - patches/resources.yaml
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: cart}
configurations:
  - kustomizeconfig/rollout.yaml
replacements:
  - path: replacements/image-tag.yaml
"""


@pytest.mark.parametrize(("name", "data", "what"), [
    ("kustomization.yaml", b"resources: [deployment.yaml]\n", "a kustomize kustomization"),
    ("kustomization.yml", b"namePrefix: prod-\n", "a kustomize kustomization"),
    ("base.yaml", KUSTOMIZATION, "a kustomize Kustomization"),
    ("component.yaml", b"apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
     "a kustomize Component"),
    ("Chart.yaml", b"apiVersion: v2\nname: cart\nversion: 0.3.0\n", "a Helm chart's Chart.yaml"),
    ("values.yaml", b"replicaCount: 2\nimage:\n  tag: 1.9.0\n", "Helm values"),
    ("values-prod.yml", b"replicaCount: 4\n", "Helm values"),
    ("values.schema.json", b'{"type": "object"}', "a Helm values file or schema"),
    ("helmfile.yaml", b"releases:\n  - name: cart\n    chart: ./charts/cart\n", "a helmfile"),
])
def test_tool_files_are_not_manifests(name: str, data: bytes, what: str) -> None:
    assert folders.not_a_manifest(Path("k8s") / name, data) == what


@pytest.mark.parametrize(("path", "data"), [
    ("k8s/deployment.yaml", b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart}\n"),
    # Named like a values file, but it declares a resource: a manifest after all.
    ("k8s/values-configmap.yaml", b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: values}\n"),
    # Flux's Kustomization is a real resource (kustomize.toolkit.fluxcd.io), applied as any other.
    ("clusters/prod/apps.yaml", b"apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
                                b"metadata: {name: apps}\n"),
])
def test_manifests_are_manifests(path: str, data: bytes) -> None:
    assert folders.not_a_manifest(Path(path), data) == ""


def test_the_files_a_kustomization_names_as_patches_are_not_manifests(tmp_path: Path) -> None:
    base = tmp_path / "overlays" / "prod"
    base.mkdir(parents=True)
    (base / "kustomization.yaml").write_bytes(KUSTOMIZATION)
    named = folders.referenced([tmp_path], [])
    kustomization = base / "kustomization.yaml"
    assert named == {
        (base / "patches/replicas.yaml").resolve(): f"a kustomize patch named by {kustomization}",
        (base / "patches/resources.yaml").resolve():
            f"a kustomize strategic-merge patch named by {kustomization}",
        (base / "kustomizeconfig/rollout.yaml").resolve():
            f"a kustomize transformer configuration named by {kustomization}",
        (base / "replacements/image-tag.yaml").resolve():
            f"a kustomize replacement named by {kustomization}",
    }
    # A file given by name finds the kustomization beside it, without a walk of the folder.
    assert folders.referenced([], [base]) == named
    assert folders.referenced([], [tmp_path]) == {}


def test_a_kustomization_that_does_not_read_names_nothing(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [a.yaml\n")
    assert folders.referenced([tmp_path], []) == {}
