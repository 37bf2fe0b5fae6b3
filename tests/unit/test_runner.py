"""runner: the settings of each input (the chart's settings ConfigMap under -f and --set), and
delivery only when every input is good. tests/unit/test_cli.py runs it through the command
line; these are its rules on their own."""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pytest

from consul_inject import cli, runner, sources
from consul_inject.problems import ConsulInjectError
from tests.conftest import Cli, private_cli_environment

SERVICE = b"apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n"


def args(*argv: str) -> argparse.Namespace:
    return cli._inject_parser().parse_args([*argv, "input.yaml"])


@pytest.fixture(autouse=True)
def _private(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    private_cli_environment(monkeypatch, tmp_path)


# --- Configure ------------------------------------------------------------------------------------


def test_flags_become_values() -> None:
    configure = runner.Configure(args("--missing-service", "warn",
                                      "--create-service-account-secrets", "--set", "a.b=1"))
    assert configure.sets == ["a.b=1", "consulInject.missingService=warn",
                              "consulInject.createServiceAccountSecrets=true"]
    settings = configure(None)
    assert settings.missing_service == "warn"
    assert settings.create_service_account_secrets is True


def test_settings_are_made_once_per_distinct_config_map() -> None:
    configure = runner.Configure(args())
    none = configure(None)
    assert configure(None) is none
    found = {"connectInject": {"default": True}}
    from_map = configure(found)
    assert configure({"connectInject": {"default": True}}) is from_map
    assert from_map is not none
    assert from_map.require_annotation is False
    assert none.require_annotation is True


def test_set_wins_over_the_config_map() -> None:
    configure = runner.Configure(args("--set", "connectInject.default=false"))
    assert configure({"connectInject": {"default": True}}).require_annotation is True


def test_the_command_line_s_facts_reach_the_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    context = runner.Configure(args("--release", "mesh", "--consul-ca-file", str(ca),
                                    "--consul-dns-ip", "10.0.0.10"))._context()
    assert (context.release, context.dns_ip) == ("mesh", "10.0.0.10")
    assert context.ca_cert == ca.read_text()


def test_an_unreadable_ca_file_is_bad_input(tmp_path: Path) -> None:
    configure = runner.Configure(args("--consul-ca-file", str(tmp_path / "missing.pem")))
    with pytest.raises(ConsulInjectError, match=r"missing\.pem: cannot read CA file"):
        configure._context()


# --- process ----------------------------------------------------------------------------------------


def test_in_place_needs_files() -> None:
    with pytest.raises(ConsulInjectError, match="--in-place needs files or folders, not stdin"):
        runner.process(args("--in-place"), [sources.Source("<stdin>", SERVICE, None)], "inject")


def test_nothing_is_written_when_any_input_is_bad(tmp_path: Path,
                                                  capsysbinary: pytest.CaptureFixture[bytes]
                                                  ) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_bytes(SERVICE)
    bad.write_bytes(b"apiVersion: apps/v1\nkind: Deployment\nmetadata: [x\n")
    out = tmp_path / "out.yaml"
    code = runner.process(args("-o", str(out)), sources.collect([str(good), str(bad)]), "inject")
    assert code == 1
    assert not out.exists()
    captured = capsysbinary.readouterr()
    assert captured.out == b""
    err = captured.err.decode()
    assert "invalid YAML" in err
    assert err.endswith("consul-inject: 1 error(s) in 2 files; nothing written\n")


def test_several_inputs_get_a_report_each_and_a_total(tmp_path: Path,
                                                      capsysbinary: pytest.CaptureFixture[bytes]
                                                      ) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_bytes(SERVICE)
    second.write_bytes(SERVICE)
    code = runner.process(args(), sources.collect([str(first), str(second)]), "inject")
    assert code == 0
    captured = capsysbinary.readouterr()
    assert captured.out == SERVICE + b"---\n" + SERVICE
    err = captured.err.decode()
    assert err.count("==> ") == 2
    assert err.endswith("consul-inject: 2 files: 0 injected, 0 skipped, 2 documents, "
                        "0 errors\n")


def test_helm4_never_gets_an_empty_output(monkeypatch: pytest.MonkeyPatch,
                                          capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    monkeypatch.setenv("CONSUL_INJECT_HELM4", "1")
    empty = [sources.Source("<stdin>", b"", None)]
    assert runner.process(args("--report", "none"), empty, "inject") == 0
    assert capsysbinary.readouterr().out == b"# consul-inject: no documents\n"
    monkeypatch.delenv("CONSUL_INJECT_HELM4")
    assert runner.process(args("--report", "none"), [sources.Source("<stdin>", b"", None)],
                          "inject") == 0
    assert capsysbinary.readouterr().out == b""  # Helm 3 (and everyone else): empty is empty


# --- a folder is one release (issue 12 items 1, 2) ------------------------------------------------

PODINFO_DEPLOYMENT = b"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: podinfo
  template:
    metadata:
      labels:
        app.kubernetes.io/name: podinfo
      annotations:
        consul.hashicorp.com/connect-inject: "true"
    spec:
      serviceAccountName: podinfo
      containers:
        - name: podinfod
          image: ghcr.io/stefanprodan/podinfo:6.5.4
          ports:
            - name: http
              containerPort: 9898
"""
PODINFO_SERVICE = b"""apiVersion: v1
kind: Service
metadata:
  name: podinfo
spec:
  selector:
    app.kubernetes.io/name: podinfo
  ports:
    - name: http
      port: 9898
      targetPort: http
"""
PODINFO_ACCOUNT = b"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: podinfo\n"
KUSTOMIZATION = b"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
  - serviceaccount.yaml
patches:
  - path: patch-replicas.yaml
"""
PATCH = b"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  replicas: 3
"""


def base(root: Path) -> Path:
    """A kustomize base as fixture folders have them: one file per resource."""
    folder = root / "bases" / "podinfo"
    folder.mkdir(parents=True)
    for name, data in (("deployment.yaml", PODINFO_DEPLOYMENT), ("service.yaml", PODINFO_SERVICE),
                       ("serviceaccount.yaml", PODINFO_ACCOUNT), ("kustomization.yaml", KUSTOMIZATION),
                       ("patch-replicas.yaml", PATCH)):
        (folder / name).write_bytes(data)
    return folder


def test_a_service_in_another_file_registers_the_pod(tmp_path: Path,
                                                     capsysbinary: pytest.CaptureFixture[bytes]
                                                     ) -> None:
    folder = base(tmp_path)
    code = runner.process(args("-n", "apps"), sources.collect([str(folder)]), "inject")
    captured = capsysbinary.readouterr()
    err = captured.err.decode()
    assert code == 0, err
    assert 'deployment "podinfo" injected (namespace apps; as podinfo)' in err
    out = captured.out.decode()
    assert out.count("kind: Deployment") == 1  # the patch is not in the output
    assert "Kustomization" not in out
    assert "replicas: 3" not in out
    assert f"==> {folder / 'kustomization.yaml'}\nleft out: a kustomize Kustomization, not a " \
           "Kubernetes manifest; not in the output\n" in err
    assert f"left out: a kustomize patch named by {folder / 'kustomization.yaml'}" in err
    assert err.endswith("consul-inject: 5 files (2 left out): 1 injected, 0 skipped, "
                        "3 documents, 0 errors\n")


def test_in_place_on_a_base_rewrites_only_the_workload(tmp_path: Path,
                                                       capsysbinary: pytest.CaptureFixture[bytes]
                                                       ) -> None:
    folder = base(tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    code = runner.process(args("--in-place", "-n", "apps"), sources.collect([str(folder)]),
                          "inject")
    assert code == 0, capsysbinary.readouterr().err
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert sorted(after) == sorted(before)
    assert [name for name in sorted(after) if after[name] != before[name]] == ["deployment.yaml"]
    assert b"envoy-sidecar" in after["deployment.yaml"]
    assert b"left as it is" in capsysbinary.readouterr().err


def test_a_second_service_in_another_file_is_seen_even_with_missing_service_warn(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    folder = base(tmp_path)
    (folder / "service-canary.yaml").write_bytes(PODINFO_SERVICE.replace(
        b"name: podinfo\nspec", b"name: podinfo-canary\nspec"))
    code = runner.process(args("--missing-service=warn"), sources.collect([str(folder)]),
                          "inject")
    assert code == 1
    assert b'"podinfo-canary", "podinfo" all select this pod' in capsysbinary.readouterr().err


def test_the_settings_config_map_of_another_file_applies_to_every_file(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    folder = base(tmp_path)
    (folder / "deployment.yaml").write_bytes(PODINFO_DEPLOYMENT.replace(
        b'        consul.hashicorp.com/connect-inject: "true"\n', b"        team: web\n"))
    (folder / "consul-settings.yaml").write_bytes(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: consul-inject-settings\n  labels:\n"
        b'    consul-inject.io/settings: "true"\ndata:\n  values.yaml: |\n    connectInject:\n'
        b"      default: true\n")
    code = runner.process(args(), sources.collect([str(folder)]), "inject")
    err = capsysbinary.readouterr().err
    assert code == 0, err
    assert b'deployment "podinfo" injected' in err


def test_only_stdin_is_never_left_out(monkeypatch: pytest.MonkeyPatch,
                                      capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    """A stream is passed through byte for byte, a kustomization in it included."""
    stream_ = [sources.Source("<stdin>", KUSTOMIZATION, None)]
    assert runner.process(args(), stream_, "inject") == 0
    assert capsysbinary.readouterr().out == KUSTOMIZATION


def test_values_warnings_reach_the_report_once_and_strict_refuses_them(cli: Cli,
                                                                       tmp_path: Path) -> None:
    """What the chart accepts but ignores is a warning in the report, not a refusal; --strict
    makes it one."""
    manifest = tmp_path / "a.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    prefix = "connectInject.consulNamespaces.mirroringK8SPrefix=test-"
    code, _, stderr = cli("inject", manifest, manifest, "--set", prefix)
    assert code == 0, stderr
    assert stderr.count("mirroringK8SPrefix is only used with mirroringK8S: true") == 1
    code, out, stderr = cli("inject", manifest, "--strict", "--set", prefix)
    assert (code, out) == (1, b"")
    assert "--strict: --set " + prefix in stderr


def _client(name: str) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata:\n"
            f"      labels: {{app: {name}}}\n      annotations:\n"
            "        consul.hashicorp.com/connect-inject: \"true\"\n"
            "        consul.hashicorp.com/connect-service-upstreams: \"api:9090\"\n"
            f"    spec:\n      serviceAccountName: {name}\n"
            f"      containers: [{{name: app, image: app:1, ports: [{{containerPort: 8080}}]}}]\n"
            f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\n"
            f"spec: {{selector: {{app: {name}}}, ports: [{{port: 80, targetPort: 8080}}]}}\n")


def test_intentions_over_several_files_are_planned_for_the_whole_release(
        cli: Cli, tmp_path: Path) -> None:
    """Two files whose workloads call one destination: one ServiceIntentions with both
    sources after the stream, not one per file."""
    for name in ("web", "batch"):
        (tmp_path / f"{name}.yaml").write_text(_client(name))
    code, out, stderr = cli("inject", tmp_path / "web.yaml", tmp_path / "batch.yaml",
                            "--intentions", "--missing-service", "warn")
    assert code == 0, stderr
    assert out.count(b"kind: ServiceIntentions") == 1
    tail = out.split(b"kind: ServiceIntentions", 1)[1]
    assert b"name: batch" in tail
    assert b"name: web" in tail
    code, _, stderr = cli("inject", tmp_path / "web.yaml", tmp_path / "batch.yaml", "--in-place",
                          "--intentions", "--missing-service", "warn")
    assert code == 1
    assert "a file of their own: consul-inject intentions" in stderr
    assert b"ServiceIntentions" not in (tmp_path / "web.yaml").read_bytes()


def test_values_of_another_version_end_in_a_hint(cli: Cli, tmp_path: Path) -> None:
    values = tmp_path / "consul-2.0.yaml"
    values.write_text("global:\n  imageConsulDataplane: a\n  imagePullPolicy: IfNotPresent\n"
                      "  dualStack:\n    enabled: false\n")
    manifest = tmp_path / "a.yaml"
    manifest.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    code, _, stderr = cli("inject", manifest, "-f", values)
    assert code == 1
    assert stderr.splitlines()[-1].startswith("consul-inject: hint: 3 keys belong to other "
                                              "consul-k8s versions")
    assert "pass --consul-k8s-version 2.0" in stderr
