"""chart/consul-connect-inject says things in its own words; the facts it takes from the
consul-k8s v0.49.8 chart stay exact.

The chart renders the official chart's facts (flags and their order, ports, label keys, RBAC
rules, CRD schemas) from templates, helpers, comments and descriptions of its own. The official
templates are not in this repository, so no test here can look for text shared with them; these
check what can be checked:

- every file under templates/ opens with the chart's header: a `{{- /* ... */ -}}` comment with
  a "Renders:" line (what the file puts out) and a "When:" line (the values that make it);
- every named template is the chart's own (prefix `cci.`) and every one used is defined;
- no description in a rendered CRD, with Helm 3 or Helm 4, is longer than 200 characters (the
  official long texts are gone; the one-liners left are ours);
- with descriptions set aside, every CRD is the official chart's (the corpus render).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CORPUS, needs_shared, without_descriptions

pytestmark = pytest.mark.helm

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "chart" / "consul-connect-inject"
TEMPLATES = sorted(p for p in (CHART / "templates").iterdir() if p.is_file())
HELM = {3: REPO / ".tools" / "helm3" / "helm", 4: REPO / ".tools" / "helm4" / "helm"}
VERSIONS = [3, 4]
HEADER = re.compile(r"\A\{\{- /\*\n(?P<text>.*?)\n\*/ -\}\}\n", re.DOTALL)
DEFINE = re.compile(r'\{\{-?\s*define\s+"([^"]+)"')
USE = re.compile(r'\b(?:include|template)\s+"([^"]+)"')
LONGEST_DESCRIPTION = 200


def test_the_chart_has_templates() -> None:
    names = {p.name for p in TEMPLATES}
    assert {"_helpers.tpl", "connect-inject-deployment.yaml", "settings-configmap.yaml"} <= names
    assert len([n for n in names if n.startswith("crd-")]) == 10


@pytest.mark.parametrize("path", TEMPLATES, ids=[p.name for p in TEMPLATES])
def test_every_template_opens_with_our_header(path: Path) -> None:
    match = HEADER.match(path.read_text(encoding="utf-8"))
    assert match, f"{path.name} does not open with a {{{{- /* ... */ -}}}} header comment"
    lines = match["text"].splitlines()
    for field in ("Renders:", "When:"):
        found = [line for line in lines if line.startswith(field)]
        assert found, f"{path.name}: no {field!r} line"
        assert len(found[0]) > len(field) + 5, f"{path.name}: the {field!r} line says nothing"


def test_named_templates_are_ours_and_defined() -> None:
    texts = {p.name: p.read_text(encoding="utf-8") for p in TEMPLATES}
    defined = [name for text in texts.values() for name in DEFINE.findall(text)]
    assert defined, "no named templates"
    assert [n for n in defined if not n.startswith("cci.")] == []
    assert len(defined) == len(set(defined)), "a named template is defined twice"
    used = {(file, name) for file, text in texts.items() for name in USE.findall(text)}
    assert sorted(u for u in used if u[1] not in defined) == []


def _env(root: Path) -> dict[str, str]:
    """A private HOME and Helm folders, no plugins, no cluster."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HELM_", "XDG_")) and k != "KUBECONFIG"}
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "HELM_PLUGINS"):
        folder = root / name.lower()
        folder.mkdir()
        env[name] = str(folder)
    env["KUBECONFIG"] = str(root / "kubeconfig-absent")
    return env


def _rendered_crds(version: int, root: Path) -> dict[str, Any]:
    helm = HELM[version]
    if not (helm.is_file() and os.access(helm, os.X_OK)):
        pytest.fail(f"Helm {version} is missing at {helm}: run `python3 tools/fetch_helm.py`")
    proc = subprocess.run([str(helm), "template", "consul", str(CHART), "--namespace", "consul",
                           "--set", "global.name=consul", "--set", "controller.enabled=true"],
                          capture_output=True, text=True, env=_env(root), cwd=REPO, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    return _crds(proc.stdout)


def _crds(text: str) -> dict[str, Any]:
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all(text)
            if d and d.get("kind") == "CustomResourceDefinition"}


def _descriptions(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield where, value
            else:
                yield from _descriptions(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _descriptions(value, f"{where}[{index}]")


@pytest.mark.parametrize("version", VERSIONS)
def test_crd_descriptions_are_short(version: int, tmp_path: Path) -> None:
    crds = _rendered_crds(version, tmp_path)
    assert len(crds) == 10
    too_long = [(name, where, len(text)) for name, crd in sorted(crds.items())
                for where, text in _descriptions(crd["spec"])
                if len(text) > LONGEST_DESCRIPTION]
    assert too_long == []


@pytest.mark.parametrize("version", VERSIONS)
def test_crds_are_the_official_ones_but_for_descriptions(version: int, tmp_path: Path) -> None:
    """Same names, groups, versions, printer columns and openAPIV3Schema as the consul-k8s
    v0.49.8 chart renders them (tests/helm/test_chart.py renders the same values)."""
    needs_shared(CORPUS)
    ours = _rendered_crds(version, tmp_path)
    theirs = _crds(CORPUS.read_text(encoding="utf-8"))
    assert sorted(ours) == sorted(theirs)
    for name, crd in ours.items():
        assert without_descriptions(crd["spec"]) == without_descriptions(theirs[name]["spec"]), \
            name
