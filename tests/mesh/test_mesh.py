"""Golden cases of `consul-inject intentions` and `consul-inject graph`: tests/mesh/<case>/ holds

- input.yaml: a rendered release; args (optional): extra arguments, one per line;
- intentions.yaml + intentions.report (a run that succeeds) or intentions.stderr (one that
  fails with exit 1);
- graph.mmd, graph.dot, graph.json and graph.report.

Every generated ServiceIntentions is validated against the CRD that controller.enabled installs,
and `inject --intentions` must append exactly what `intentions` prints. The README's Mermaid
block is the tool's graph of examples/multiport-web. `UPDATE_GOLDEN=1 pytest tests/mesh`
rewrites the expected files.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]
import pytest
import yaml

from tests.conftest import Cli, load_all

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CASES = sorted(p for p in HERE.iterdir() if (p / "input.yaml").is_file())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
CRD = REPO / "src/consul_inject/data/chart/consul-connect-inject/templates/crd-serviceintentions.yaml"
GRAPHS = {"mermaid": "graph.mmd", "dot": "graph.dot", "json": "graph.json"}


def _args(case: Path) -> list[str]:
    args = case / "args"
    return [a for a in args.read_text().splitlines() if a] if args.exists() else []


def _run(cli: Cli, case: Path, *argv: str) -> tuple[int, str, str]:
    code, out, err = cli(*argv, case / "input.yaml", *_args(case))
    return code, out.decode("utf-8"), err.replace(str(case / "input.yaml"), "input.yaml")


def _check(case: Path, name: str, actual: str) -> None:
    path = case / name
    if UPDATE:
        path.write_text(actual)
    else:
        assert actual == path.read_text(), f"{case.name}/{name}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_intentions(case: Path, cli: Cli) -> None:
    code, out, err = _run(cli, case, "intentions")
    if UPDATE:
        for name in ("intentions.yaml", "intentions.report", "intentions.stderr"):
            (case / name).unlink(missing_ok=True)
    if code == 0 and not (case / "intentions.stderr").exists():
        _check(case, "intentions.yaml", out)
        _check(case, "intentions.report", err)
    else:
        assert code == 1, err
        assert out == ""
        _check(case, "intentions.stderr", err)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("form", sorted(GRAPHS))
def test_graph(case: Path, form: str, cli: Cli) -> None:
    code, out, err = _run(cli, case, "graph", "--format", form)
    assert code == 0, err
    _check(case, GRAPHS[form], out)
    _check(case, "graph.report", err)


def crd_schema() -> dict[str, Any]:
    """The CRD's openAPIV3Schema, read from our chart's template (its Helm lines left out)."""
    text = re.sub(r"\{\{-? */\*.*?\*/ *-?\}\}", "", CRD.read_text(), flags=re.DOTALL)
    text = "".join(line for line in text.splitlines(keepends=True) if "{{" not in line)
    crd = yaml.safe_load(text)
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def _intentions(text: str) -> list[dict[str, Any]]:
    return [d for d in load_all(text) if isinstance(d, dict) and d.get("kind") ==
            "ServiceIntentions"]


def test_every_generated_intention_validates_against_the_crd() -> None:
    schema = crd_schema()
    assert schema["properties"]["spec"]["properties"]["sources"]["type"] == "array"
    checked = 0
    for case in CASES:
        if (case / "intentions.yaml").exists():
            for doc in _intentions((case / "intentions.yaml").read_text()):
                jsonschema.validate(doc, schema)
                checked += 1
    assert checked >= 8


def test_the_crd_schema_catches_a_wrong_shape() -> None:
    bad = {"apiVersion": "consul.hashicorp.com/v1alpha1", "kind": "ServiceIntentions",
           "metadata": {"name": "web"}, "spec": {"sources": {"name": "a"}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, crd_schema())


@pytest.mark.parametrize("case", [c for c in CASES if (c / "intentions.yaml").exists()],
                         ids=lambda c: c.name)
def test_inject_intentions_appends_what_intentions_prints(case: Path, cli: Cli,
                                                          tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    code, _, err = _run(cli, case, "inject", "--intentions", "-o", str(target))
    assert code == 0, err
    injected = _intentions(target.read_text())
    printed = _intentions((case / "intentions.yaml").read_text())
    names = {(d["metadata"]["name"], d["metadata"].get("namespace")) for d in printed}
    kept = [d for d in _intentions((case / "input.yaml").read_text())
            if (d["metadata"]["name"], d["metadata"].get("namespace")) not in names]
    key = repr
    assert sorted(map(key, injected)) == sorted(map(key, kept + printed))
    generated = [d for d in injected if d["metadata"].get("labels")]
    assert all(d["metadata"]["labels"] == {"consul-inject.io/generated": "intentions"}
               for d in generated)


def test_inject_without_intentions_appends_none(cli: Cli, tmp_path: Path) -> None:
    case = HERE / "seed"
    target = tmp_path / "out.yaml"
    code, _, err = _run(cli, case, "inject", "-o", str(target))
    assert code == 0, err
    assert _intentions(target.read_text()) == []


def test_values_key_turns_intentions_on(cli: Cli, tmp_path: Path) -> None:
    case = HERE / "seed"
    target = tmp_path / "out.yaml"
    code, _, err = _run(cli, case, "inject", "--set", "consulInject.intentions.enabled=true",
                        "-o", str(target))
    assert code == 0, err
    assert [d["metadata"]["name"] for d in _intentions(target.read_text())] == ["static-server"]


def readme_mermaid() -> str:
    text = (REPO / "README.md").read_text()
    found = re.search(r"<!-- graph: examples/multiport-web -->\n```mermaid\n(.*?)```", text,
                      re.DOTALL)
    assert found, "README.md has no Mermaid block marked <!-- graph: examples/multiport-web -->"
    return found.group(1)


def test_the_readme_graph_is_the_tools_output(cli: Cli) -> None:
    case = HERE / "multiport-web"
    code, out, err = _run(cli, case, "graph")
    assert code == 0, err
    assert readme_mermaid() == out


def test_the_docs_svg_is_graphviz_output() -> None:
    svg = html.unescape((REPO / "docs" / "multiport-web.svg").read_text())
    assert "Generated by graphviz" in svg
    assert all(f">{name}</text>" in svg for name in ("static-client", "web", "web-admin"))


def test_multiport_web_input_is_the_example_rendered() -> None:
    """The stored input is `helm template` of examples/multiport-web (when Helm 4 is here)."""
    helm = REPO / ".tools" / "helm4" / "helm"
    if not helm.exists():
        pytest.skip("Helm 4 is not installed (make tools)")
    rendered = subprocess.run([str(helm), "template", "multiport-web",
                               str(REPO / "examples" / "multiport-web"), "--namespace", "apps"],
                              capture_output=True, text=True, check=True).stdout
    assert load_all(rendered) == load_all((HERE / "multiport-web" / "input.yaml").read_text())
