"""chart/consul-connect-inject: values.yaml generated from the schema (and current), Chart.yaml,
the settings ConfigMap contract, and packaging (with a stand-in helm; tests/helm runs the real
ones)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from consul_inject import chart, cli, commands, pipeline, release, values, yamlcodec
from consul_inject.problems import ConsulInjectError
from consul_inject.values import schema as schema_mod
from consul_inject.webhooks.v0_49.settings import Settings

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "chart" / "consul-connect-inject"


def test_values_yaml_is_current() -> None:
    """Regenerate with: python -m consul_inject.chart values > chart/consul-connect-inject/values.yaml"""
    assert (CHART / "values.yaml").read_text(encoding="utf-8") == chart.render_values_yaml()


def test_values_yaml_holds_the_schema_defaults() -> None:
    loaded = yamlcodec.load((CHART / "values.yaml").read_text(encoding="utf-8"))
    assert loaded == chart.defaults()
    assert loaded["connectInject"]["enabled"] is True
    assert loaded["connectInject"]["webhook"] == {"enabled": False}
    assert loaded["consulInject"] == {
        "consulK8sVersion": "0.49", "missingService": "error", "createServiceAccountSecrets": False,
        "clusterDNSIP": None, "clusterDomain": "cluster.local", "workloadKinds": {},
        "intentions": {"enabled": False}}
    assert loaded["controller"]["enabled"] is False
    assert loaded["global"]["imageEnvoy"] == "envoyproxy/envoy:v1.23.10"


def test_values_yaml_validates_and_has_a_comment_per_key() -> None:
    path = CHART / "values.yaml"
    assert values.validate_files([str(path)]) == []
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line.startswith("  ") and stripped and not stripped.startswith(("#", "-")) \
                and ":" in stripped and lines[index - 1].strip() == "":
            pytest.fail(f"line {index + 1} follows a blank line without a comment: {line}")
    assert any(line.startswith("  # What the API server does with a pod when the webhook cannot")
               for line in lines)


def test_chart_metadata() -> None:
    meta = yaml.safe_load((CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert (meta["apiVersion"], meta["name"], meta["version"], meta["appVersion"]) == \
        ("v2", "consul-connect-inject", "0.1.0", "0.49.8")


def test_render_with_overrides_keeps_comments_and_open_keys() -> None:
    text = chart.render_values_yaml({"connectInject": {"default": True},
                                     "server": {"replicas": 5}})
    loaded = yamlcodec.load(text)
    assert loaded["connectInject"]["default"] is True
    assert loaded["server"] == {"replicas": 5}
    assert "# With true, inject every pod that has no consul.hashicorp.com/connect-inject" in text


# --- the settings ConfigMap ----------------------------------------------------------------


def _configmap(values_text: str, label: str = "true", name: str = "rel-consul-inject-settings",
               ) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {"consul-inject.io/settings": label}},
            "data": {"values.yaml": values_text}}


def test_settings_found_in_stream() -> None:
    resources = [{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}},
                 _configmap("connectInject:\n  default: true\n")]
    assert release.settings_values(resources) == {"connectInject": {"default": True}}


@pytest.mark.parametrize("resource", [
    _configmap("connectInject: {}\n", label="false"),
    {**_configmap("a: 1\n"), "apiVersion": "example.com/v1"},
    {**_configmap("a: 1\n"), "kind": "Secret"},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "plain"}},
])
def test_settings_ignores_other_resources(resource: dict[str, Any]) -> None:
    assert release.settings_values([resource]) is None


def test_settings_must_agree() -> None:
    same = [_configmap("a: 1\n"), _configmap("a: 1\n", name="other")]
    assert release.settings_values(same) == {"a": 1}
    with pytest.raises(ConsulInjectError, match="hold different consul-inject settings"):
        release.settings_values([_configmap("a: 1\n"), _configmap("a: 2\n", name="b")])


@pytest.mark.parametrize(("text", "message"), [
    ("a: [\n", "is not valid YAML"),
    ("- 1\n", "must be a map of values"),
])
def test_settings_bad_configmap(text: str, message: str) -> None:
    with pytest.raises(ConsulInjectError, match=message):
        release.settings_values([_configmap(text)])


def test_settings_without_data_key() -> None:
    resource = _configmap("")
    resource["data"] = {}
    with pytest.raises(ConsulInjectError, match=r"no data\.values\.yaml"):
        release.settings_values([resource])


# --- packaging with a stand-in helm ----------------------------------------------------------


@pytest.fixture
def fake_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A helm that tells its version, copies the chart's values.yaml aside and writes an
    empty .tgz."""
    script = tmp_path / "helm"
    record = tmp_path / "record"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = version ]; then printf v3.17.2; exit 0; fi\n'
        f'cp "$2/values.yaml" "{record}.values.yaml"\n'
        f'echo "$@" > "{record}.args"\n'
        ': > "$4/consul-connect-inject-0.1.0.tgz"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("CONSUL_INJECT_HELM", str(script))
    return record


def test_package_bakes_values(fake_helm: Path, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("connectInject:\n  default: true\n", encoding="utf-8")
    dest = tmp_path / "out"
    code = commands.cmd_chart_package([str(mine)], ["controller.enabled=true"], str(dest))
    assert code == 0
    assert capsys.readouterr().out.strip() == str(dest / "consul-connect-inject-0.1.0.tgz")
    baked = yamlcodec.load(Path(f"{fake_helm}.values.yaml").read_text(encoding="utf-8"))
    assert baked["connectInject"]["default"] is True
    assert baked["controller"]["enabled"] is True
    assert baked["connectInject"]["replicas"] == 2
    assert Path(f"{fake_helm}.args").read_text(encoding="utf-8").startswith("package ")


def test_package_without_values_keeps_the_file(fake_helm: Path, tmp_path: Path) -> None:
    chart.package([], [], str(tmp_path / "out"))
    assert Path(f"{fake_helm}.values.yaml").read_bytes() == (CHART / "values.yaml").read_bytes()


def test_package_refuses_bad_values(fake_helm: Path, tmp_path: Path, cli_env: None,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["chart", "package", "--set", "connectInject.defualt=true",
                     "--set", "controller.replicas=x", "-d", str(tmp_path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        'consul-inject: error: --set connectInject.defualt=true: connectInject.defualt: unknown '
        'key "defualt" in connectInject; did you mean "default"?',
        "consul-inject: error: --set controller.replicas=x: controller.replicas: expected a whole "
        'number, got the string "x"']
    with pytest.raises(ConsulInjectError, match=r"--set connectInject.defualt=true: .*did you mean"):
        chart.package([], ["connectInject.defualt=true"], str(tmp_path))
    assert not Path(f"{fake_helm}.args").exists()


def test_package_reads_checks_and_merges_the_values_once(
        fake_helm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text("connectInject:\n  default: true\n", encoding="utf-8")
    calls: list[tuple[object, ...]] = []
    load = values.load

    def counting(*args: Any, **kwargs: Any) -> values.Checked:
        calls.append(args)
        return load(*args, **kwargs)

    monkeypatch.setattr(values, "load", counting)
    assert commands.cmd_chart_package([str(mine)], ["controller.enabled=true"],
                                      str(tmp_path / "out")) == 0
    assert calls == [([str(mine)], ["controller.enabled=true"])]


def test_package_without_helm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONSUL_INJECT_HELM", str(tmp_path / "nope"))
    with pytest.raises(ConsulInjectError, match="no helm binary found"):
        chart.package([], [], str(tmp_path))


def test_chart_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONSUL_INJECT_CHART_DIR", str(CHART))
    assert chart.chart_dir() == CHART
    monkeypatch.setenv("CONSUL_INJECT_CHART_DIR", str(tmp_path))
    assert chart.chart_dir().resolve() == CHART.resolve()  # falls back to the package's copy
    assert os.environ["CONSUL_INJECT_CHART_DIR"] == str(tmp_path)


def test_module_main_prints_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert chart.main(["values"]) == 0
    assert capsys.readouterr().out == chart.render_values_yaml()
    assert chart.main([]) == 2


def test_settings_from_raw_stream() -> None:
    """The pipeline finds the ConfigMap in its index pass, also inside a v1 List."""
    def found_by(text: str) -> object:
        seen: list[object] = []

        def configure(found: object) -> Settings:
            seen.append(found)
            return Settings()

        pipeline.run_release(text.encode(), configure, pipeline.Options())
        (value,) = seen
        return value

    text = ("---\n# Source: app/templates/a.yaml\napiVersion: v1\nkind: Service\nmetadata:\n"
            "  name: a\n---\n# Source: app/charts/consul-connect-inject/templates/s.yaml\n"
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n  labels:\n"
            '    consul-inject.io/settings: "true"\ndata:\n  values.yaml: |\n'
            "    connectInject:\n      default: true\n")
    assert found_by(text) == {"connectInject": {"default": True}}
    assert found_by("apiVersion: v1\nkind: Service\n") is None
    listed = ("apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n"
              "    metadata:\n      labels: {consul-inject.io/settings: 'true'}\n"
              "    data: {values.yaml: 'a: 1'}\n")
    assert found_by(listed) == {"a": 1}


def test_every_values_entry_has_a_comment() -> None:
    """Each key of values.yaml (a map given whole as a default counts as one) carries the
    description of its schema key as a comment."""
    entries = list(chart._entries(schema_mod.load(), chart.defaults(), 0))
    assert len(entries) > 200
    assert [e.lines[0] for e in entries if not e.comments] == []
    text = chart.render_values_yaml()
    for entry in entries:
        assert "\n".join(f"{entry.indent}# {c}".rstrip() for c in entry.comments) in text
