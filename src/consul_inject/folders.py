"""What in a folder of manifests is not a Kubernetes manifest: kustomize's own files (the
kustomization, its components, and the patches, configurations and replacements it names),
Helm's chart files and values, helmfiles. They are left out of the output and never rewritten:
`kubectl apply -f -` fails on a kustomization, and a patch is not a resource to inject.

Pure decisions on paths and text; sources reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from consul_inject import yamlcodec
from consul_inject.problems import ConsulInjectError

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
# File names, as patterns, of files that configure tools instead of describing resources.
_NAMED = (
    ("kustomization.yaml", "a kustomize kustomization"),
    ("kustomization.yml", "a kustomize kustomization"),
    ("Kustomization", "a kustomize kustomization"),
    ("Chart.yaml", "a Helm chart's Chart.yaml"),
    ("Chart.lock", "a Helm chart's Chart.lock"),
    ("requirements.yaml", "a Helm chart's requirements.yaml"),
    ("values*.yaml", "Helm values"),
    ("values*.yml", "Helm values"),
    ("values*.json", "a Helm values file or schema"),
    ("helmfile*.yaml", "a helmfile"),
    ("helmfile*.yml", "a helmfile"),
    ("skaffold.yaml", "a Skaffold configuration"),
)
_KUSTOMIZE_API_RE = re.compile(r"^apiVersion:[ \t]*['\"]?kustomize\.config\.k8s\.io/", re.MULTILINE)
_KUSTOMIZE_KIND_RE = re.compile(r"^kind:[ \t]*['\"]?(Kustomization|Component)['\"]?[ \t]*(?:#.*)?\r?$",
                                re.MULTILINE)
_RESOURCE_RE = re.compile(r"^apiVersion:.*\n(?:.*\n)*?kind:|^kind:.*\n(?:.*\n)*?apiVersion:",
                          re.MULTILINE)
# kustomization fields naming files that are read by kustomize, not applied as they are.
_FILE_LISTS = {
    "patchesStrategicMerge": "a kustomize strategic-merge patch",
    "configurations": "a kustomize transformer configuration",
    "crds": "a kustomize CRD schema",
    "transformers": "a kustomize transformer",
    "generators": "a kustomize generator",
    "validators": "a kustomize validator",
}
_PATH_LISTS = {
    "patches": "a kustomize patch",
    "patchesJson6902": "a kustomize JSON 6902 patch",
    "replacements": "a kustomize replacement",
}


def not_a_manifest(path: Path, data: bytes) -> str:
    """Why the file holds no Kubernetes resources, or "" if it may hold some."""
    text = data[:65536].decode("utf-8", "replace")
    if _KUSTOMIZE_API_RE.search(text) and (kind := _KUSTOMIZE_KIND_RE.search(text)):
        return f"a kustomize {kind.group(1)}"
    if "helmfile.d" in path.parts[:-1]:
        return "a helmfile"
    for pattern, what in _NAMED:
        # A file named like a tool's that still declares resources (apiVersion and kind at the
        # top level) is a manifest after all.
        if fnmatchcase(path.name, pattern) and not _RESOURCE_RE.search(text):
            return what
    return ""


def _entries(kustomization: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(relative path, what it is) of the files a kustomization uses as other than resources."""
    for key, what in _FILE_LISTS.items():
        for item in kustomization.get(key) or []:
            if isinstance(item, str) and "\n" not in item:  # else an inline patch or config
                yield item, what
    for key, what in _PATH_LISTS.items():
        for item in kustomization.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                yield item["path"], what
    openapi = kustomization.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield openapi["path"], "a kustomize OpenAPI schema"
    for chart in kustomization.get("helmCharts") or []:
        if isinstance(chart, dict) and isinstance(chart.get("valuesFile"), str):
            yield chart["valuesFile"], "Helm values of a kustomize helmCharts entry"


def _kustomizations(walked: Iterable[Path], folders: Iterable[Path]) -> Iterator[Path]:
    seen: set[Path] = set()
    for name in KUSTOMIZATION_NAMES:
        candidates = [*(f / name for f in folders), *(p for w in walked for p in w.rglob(name))]
        for found in candidates:
            resolved = found.resolve()
            if found.is_file() and resolved not in seen:
                seen.add(resolved)
                yield found


def referenced(walked: Iterable[Path], folders: Iterable[Path]) -> dict[Path, str]:
    """Files (resolved) that the kustomizations in and under the `walked` folders, and in the
    `folders` of files given by name, use as patches, configurations and the like -> why each
    is left out. A kustomization that does not read is skipped here: kustomize reports it."""
    named: dict[Path, str] = {}
    for found in _kustomizations(walked, set(folders)):
        try:
            tree = yamlcodec.load(found.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ConsulInjectError):
            continue
        if not isinstance(tree, dict):
            continue
        for relative, what in _entries(tree):
            named.setdefault((found.parent / relative).resolve(), f"{what} named by {found}")
    return named
