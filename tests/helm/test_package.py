"""The package as a user installs it: the built wheel in a fresh virtualenv, run from outside the
checkout with real Helm 3 and Helm 4: the post-renderer, the Helm 4 plugin from the package
(`plugin path`, `plugin install`), the `helm` wrapper, `chart package`, `demo` and `schema`.

An editable install inside the checkout would find the chart and the plugin beside the sources;
only a wheel shows that they ship. PATH holds no consul-inject here, so the plugin's launcher
must find the one of its own installation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, HELM, REPO, yaml_docs

pytestmark = pytest.mark.helm

INSTALL_TIMEOUT = 600  # building and installing the wheel; a safety net, not a measurement


@dataclass(frozen=True)
class Installed:
    venv: Path
    home: Path  # a private HOME, outside the checkout, also the working folder

    @property
    def program(self) -> Path:
        return self.venv / "bin" / "consul-inject"

    def env(self, **extra: str) -> dict[str, str]:
        env = {"HOME": str(self.home), "PATH": "/usr/bin:/bin",
               "XDG_CONFIG_HOME": str(self.home / ".config"),
               "XDG_CACHE_HOME": str(self.home / ".cache"),
               "XDG_DATA_HOME": str(self.home / ".local" / "share"),
               "CONSUL_INJECT_LOG": str(self.home / "last-run.log")}
        env.update(extra)
        return env

    def run(self, argv: Sequence[str | Path], **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                              cwd=self.home, env=self.env(**extra), timeout=180, check=False)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(dist), str(REPO)],
        capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False, cwd=root)
    assert build.returncode == 0, build.stderr
    (wheel,) = dist.glob("consul_inject-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(wheel)],
        capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False, cwd=root)
    assert pip.returncode == 0, pip.stderr
    home = root / "home"
    home.mkdir()
    shutil.copytree(EXAMPLES / "static-server", home / "static-server")
    return Installed(venv, home)


def _injected(stdout: str) -> list[str]:
    """Names of the workloads whose pods carry the injected marker."""
    names = []
    for doc in yaml_docs(stdout):
        template = (doc.get("spec") or {}).get("template") or {}
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        if annotations.get("consul.hashicorp.com/connect-inject-status") == "injected":
            names.append(doc["metadata"]["name"])
    return names


def test_the_installed_package_is_not_the_checkout(installed: Installed) -> None:
    out = installed.run([installed.venv / "bin" / "python", "-c",
                         "import consul_inject; print(consul_inject.__file__)"])
    assert out.returncode == 0, out.stderr
    assert str(installed.venv) in out.stdout
    assert str(REPO) not in out.stdout


def test_demo_and_schema(installed: Installed) -> None:
    demo = installed.run([installed.program, "demo"])
    assert demo.returncode == 0, demo.stderr
    assert _injected(demo.stdout) == ["static-server", "static-client"]
    schema = installed.run([installed.program, "schema"])
    assert json.loads(schema.stdout)["$schema"].startswith("http://json-schema.org/draft-07")


def test_the_dataplane_version_from_the_wheel(installed: Installed) -> None:
    """The 1.9/2.0 schemas (overlay files) and engine ship in the wheel: a 2.0 values key
    validates, a 0.49 one names its version, and Helm 4 injects consul-dataplane."""
    values = installed.home / "v2.yaml"
    values.write_text('global:\n  imageConsulDataplane: "hashicorp/consul-dataplane:2.0.3"\n')
    ok = installed.run([installed.program, "validate", "--consul-k8s-version", "2.0", values])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    values.write_text('global:\n  imageEnvoy: "envoyproxy/envoy:v1.23.10"\n')
    old = installed.run([installed.program, "validate", "--consul-k8s-version", "2.0", values])
    assert old.returncode == 1
    assert "is a consul-k8s 0.49 value" in old.stdout + old.stderr
    plugins = installed.run([installed.program, "plugin", "path"]).stdout.strip()
    out = installed.run([HELM[4], "template", "web", "static-server", "--namespace", "apps",
                         "--post-renderer", "consul-inject",
                         "--post-renderer-args=--namespace=apps",
                         "--post-renderer-args=--consul-k8s-version=2.0",
                         "--post-renderer-args=--cluster-dns-ip=10.96.0.10"],
                        HELM_PLUGINS=plugins)
    assert out.returncode == 0, out.stderr
    assert "image: hashicorp/consul-dataplane:2.0.3" in out.stdout


def test_plugin_path_is_the_shipped_plugin(installed: Installed) -> None:
    out = installed.run([installed.program, "plugin", "path"])
    assert out.returncode == 0, out.stderr
    folder = Path(out.stdout.strip())
    assert folder.is_relative_to(installed.venv)
    assert (folder / "consul-inject" / "plugin.yaml").is_file()


def test_chart_package_from_the_wheel(installed: Installed) -> None:
    out = installed.run([installed.program, "chart", "package", "-d", "out",
                         "--set", "controller.enabled=true"], CONSUL_INJECT_HELM=str(HELM[4]))
    assert out.returncode == 0, out.stderr
    tgz = installed.home / out.stdout.strip()
    assert tgz.is_file()
    rendered = installed.run([HELM[3], "template", "rel", tgz, "--namespace", "consul"])
    assert rendered.returncode == 0, rendered.stderr
    kinds = {d["kind"] for d in yaml_docs(rendered.stdout)}
    assert {"Deployment", "ConfigMap", "CustomResourceDefinition"} <= kinds


def test_helm3_runs_the_installed_program(installed: Installed) -> None:
    out = installed.run([HELM[3], "template", "web", "static-server", "--namespace", "apps",
                         "--post-renderer", installed.program,
                         "--post-renderer-args=--namespace=apps"])
    assert out.returncode == 0, out.stderr
    assert _injected(out.stdout) == ["static-server"]
    # Helm 3 drops a successful post-renderer's stderr: the report is in the log file.
    assert 'deployment "static-server" injected' in (installed.home / "last-run.log").read_text()


def test_helm4_runs_the_plugin_where_the_package_is(installed: Installed) -> None:
    plugins = installed.run([installed.program, "plugin", "path"]).stdout.strip()
    out = installed.run([HELM[4], "template", "web", "static-server", "--namespace", "apps",
                         "--post-renderer", "consul-inject",
                         "--post-renderer-args=--namespace=apps"], HELM_PLUGINS=plugins)
    assert out.returncode == 0, out.stderr
    assert _injected(out.stdout) == ["static-server"]


def test_plugin_install_is_idempotent_and_pinned(installed: Installed) -> None:
    plugins = installed.home / "plugins"
    first = installed.run([installed.program, "plugin", "install"],
                          CONSUL_INJECT_HELM=str(HELM[4]), HELM_PLUGINS=str(plugins))
    assert first.returncode == 0, first.stderr
    assert "plugin installed" in first.stdout
    again = installed.run([installed.program, "plugin", "install"],
                          CONSUL_INJECT_HELM=str(HELM[4]), HELM_PLUGINS=str(plugins))
    assert "plugin up to date" in again.stdout
    pinned = (plugins / "consul-inject" / "consul-inject.bin").read_text().strip()
    assert pinned == str(installed.program)
    out = installed.run([HELM[4], "template", "web", "static-server", "--namespace", "apps",
                         "--post-renderer", "consul-inject",
                         "--post-renderer-args=--namespace=apps"], HELM_PLUGINS=str(plugins))
    assert out.returncode == 0, out.stderr
    assert _injected(out.stdout) == ["static-server"]


def test_plugin_install_refuses_helm3(installed: Installed) -> None:
    out = installed.run([installed.program, "plugin", "install"],
                        CONSUL_INJECT_HELM=str(HELM[3]),
                        HELM_PLUGINS=str(installed.home / "plugins3"))
    assert out.returncode == 1
    assert "is Helm v3.17.2" in out.stderr
    assert "nothing installed" in out.stderr
    assert not (installed.home / "plugins3").exists()


@pytest.mark.parametrize("version", [3, 4])
def test_the_wrapper_wires_each_helm(installed: Installed, version: int) -> None:
    out = installed.run([installed.program, "helm", "--set", "connectInject.default=true", "--",
                         "template", "web", "static-server", "-n", "apps"],
                        CONSUL_INJECT_HELM=str(HELM[version]))
    assert out.returncode == 0, out.stderr
    # The namespace came from Helm's -n; the report reached the wrapper's stderr.
    assert _injected(out.stdout) == ["static-server"]
    assert 'deployment "static-server" injected (namespace apps' in out.stderr


@pytest.mark.parametrize("version", [3, 4])
def test_the_wrapper_shows_the_refusal_and_helms_exit_code(installed: Installed,
                                                           version: int) -> None:
    out = installed.run([installed.program, "helm", "--set", "connectInject.default=maybe", "--",
                         "template", "web", "static-server", "--namespace=apps"],
                        CONSUL_INJECT_HELM=str(HELM[version]))
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.count('connectInject.default: expected true or false') == 1, out.stderr


def test_the_wrapper_takes_the_namespace_from_helm_namespace(installed: Installed) -> None:
    out = installed.run([installed.program, "helm", "--", "template", "web", "static-server"],
                        CONSUL_INJECT_HELM=str(HELM[3]), HELM_NAMESPACE="shop")
    assert out.returncode == 0, out.stderr
    assert "(namespace shop" in out.stderr


def test_the_post_renderer_never_loads_pyhelm3(installed: Installed) -> None:
    code = ("import io, sys; from consul_inject import cli; "
            "sys.stdin = io.TextIOWrapper(io.BytesIO(b'')); cli.main([]); "
            "print('pyhelm3' in sys.modules)")
    out = installed.run([installed.venv / "bin" / "python", "-c", code])
    assert out.stdout.strip().endswith("False"), out


def test_pip_metadata_names_the_four_libraries(installed: Installed) -> None:
    out = installed.run([installed.venv / "bin" / "python", "-c",
                         "from importlib.metadata import requires; "
                         "print('\\n'.join(requires('consul-inject')))"])
    names = {line.split(">")[0].split("<")[0].split("=")[0].strip().lower()
             for line in out.stdout.splitlines() if "extra ==" not in line}
    assert {"jinja2", "pyyaml", "jsonschema", "pyhelm3"} <= names
