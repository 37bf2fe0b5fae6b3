"""Helpers shared by every test suite: plain functions (`from tests.conftest import ...`) and the
fixtures built on them.

- reading streams: `load_all` (every document, as Kubernetes reads YAML), `load_docs` (the same
  without empty documents), `yaml_docs` (PyYAML's safe loader: independent of the code under test,
  for output of real Helm binaries);
- the pipeline: `settings_for` (chart defaults plus `--set` items), `run_pipeline`, `run_ok`;
- the command line in-process: `cli_main`, and the `cli` fixture (private log, no Helm 4 mode);
- programs: `venv_bin`, `consul_inject`, `tool`, `helm`, and `HelmEnv` (`make_helm_env`, the
  `helm_env` fixture) for `helm template` with a private HOME and the post-renderer.

Modules beyond yamlcodec are imported inside the functions that need them: a module broken while
it is being edited fails the tests that use it, not the collection of every suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from consul_inject import yamlcodec

if TYPE_CHECKING:
    from consul_inject import pipeline
    from consul_inject.transforms import Mode

REPO = Path(__file__).resolve().parents[1]
TOOLS = REPO / ".tools"
GOLDEN = REPO / "tests" / "golden"
EXAMPLES = REPO / "examples"
PLUGINS = REPO / "plugin"
# Facts from outside the repository (the official Consul chart's values and renders), in a
# `shared` folder beside the checkout when there is one: tests of them call `needs_shared`.
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "consul-chart-v0.49.8-rendered.yaml"
OFFICIAL_VALUES = SHARED / "corpus" / "consul-chart-v0.49.8-values.yaml"
HELM = {3: TOOLS / "helm3" / "helm", 4: TOOLS / "helm4" / "helm"}
HELM_VERSIONS = (3, 4)
KUBECTL = TOOLS / "helm4" / "kubectl"
HELM_TIMEOUT = 120  # seconds; a safety net against a hang, never what a test decides on


def needs_shared(path: Path) -> Path:
    """`path` under the shared folder, for a test that needs it: skipped with a one-line reason
    in a bare clone, failed when CI is set (CI always has the folder, so it never skips)."""
    if not path.exists():
        message = f"{path} is absent: the shared folder beside the checkout is not there"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# --- reading streams -----------------------------------------------------------------------------


def _text(data: str | bytes) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


def load_all(text: str | bytes) -> list[Any]:
    """Every document of a stream (None for an empty one), read as Kubernetes reads YAML."""
    return list(yaml.load_all(_text(text), Loader=yamlcodec.KubeLoader))


def load_docs(text: str | bytes) -> list[Any]:
    """The documents of a stream that hold something, read as Kubernetes reads YAML."""
    return [d for d in load_all(text) if d is not None]


def yaml_docs(text: str | bytes) -> list[Any]:
    """The documents that hold something, read by PyYAML's safe loader: for checking what real
    programs (Helm, kubectl) print with a reader that is not the code under test."""
    return [d for d in yaml.safe_load_all(text) if d is not None]


def without_descriptions(node: Any) -> Any:
    """A schema (or a CRD) without its `description` texts: what stays is the API."""
    if isinstance(node, dict):
        return {k: without_descriptions(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [without_descriptions(v) for v in node]
    return node


@dataclass(frozen=True)
class StubSettings:
    """The settings fields the version-independent code reads (webhooks.base.Settings), for
    tests of that code without a webhook version."""

    consul_k8s_version: str = "test"
    enabled: bool = True
    missing_service: str = "error"
    create_service_account_secrets: bool = False
    workload_kinds: tuple[tuple[str, str], ...] = ()
    intentions: bool = False
    partition: str = ""
    enable_namespaces: bool = False
    mirroring: bool = False
    mirroring_prefix: str = ""
    destination_namespace: str = "default"


# --- the pipeline --------------------------------------------------------------------------------


def settings_for(*sets: str) -> Any:
    """The consul-k8s 0.49 settings for the chart's defaults plus `--set` items, unchecked (as
    `--set` merges them), mapped as the post-renderer maps them."""
    from consul_inject.values import strvals
    from consul_inject.webhooks.v0_49 import settings

    return settings.from_values(strvals.resolve([], list(sets)))


def default_settings() -> Any:
    """The v0.49 injector with every binary default (no chart values at all)."""
    from consul_inject.webhooks.v0_49.settings import Settings

    return Settings()


def run_pipeline(data: str | bytes, settings: Any = None, *, namespace: str = "default",
                 mode: Mode = "inject") -> pipeline.Result:
    """pipeline.run on a whole stream; `settings` defaults to `default_settings()`."""
    from consul_inject import pipeline

    raw = data.encode("utf-8") if isinstance(data, str) else data
    return pipeline.run(raw, default_settings() if settings is None else settings,
                        pipeline.Options(namespace=namespace, transform=mode))


def run_ok(data: str | bytes, settings: Any = None, *, namespace: str = "default",
           mode: Mode = "inject") -> pipeline.Result:
    """run_pipeline, asserting that the run reported no error."""
    result = run_pipeline(data, settings, namespace=namespace, mode=mode)
    shown = _text(data)[:3000]
    assert result.ok, (mode, namespace, [p.text() for p in result.report.errors], shown)
    return result


# --- the command line, in-process ----------------------------------------------------------------


def cli_main(capture: pytest.CaptureFixture[bytes], *argv: str | Path) -> tuple[int, bytes, str]:
    """`consul-inject ARGV` in this process: (exit code, stdout bytes, stderr text)."""
    from consul_inject import cli

    code = cli.main([str(a) for a in argv])
    captured = capture.readouterr()
    return code, captured.out, captured.err.decode("utf-8")


def private_cli_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No Helm 4 mode (which would also write to /dev/tty), and the log file under `folder`,
    never in the real home."""
    monkeypatch.delenv("CONSUL_INJECT_HELM4", raising=False)
    monkeypatch.setenv("CONSUL_INJECT_LOG", str(folder / "log" / "last-run.log"))


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    private_cli_environment(monkeypatch, tmp_path)


@dataclass(frozen=True)
class Cli:
    capture: pytest.CaptureFixture[bytes]

    def __call__(self, *argv: str | Path) -> tuple[int, bytes, str]:
        return cli_main(self.capture, *argv)


@pytest.fixture
def cli(capsysbinary: pytest.CaptureFixture[bytes], cli_env: None) -> Cli:
    """Run the command line in-process, in a private environment (see `cli_main`)."""
    return Cli(capsysbinary)


# --- programs ------------------------------------------------------------------------------------


def venv_bin() -> Path:
    """The bin folder of the virtualenv running the tests (else <repo>/.venv/bin), which holds
    the consul-inject console script."""
    for candidate in (Path(sys.executable).parent, REPO / ".venv" / "bin"):
        if (candidate / "consul-inject").is_file():
            return candidate
    pytest.fail(f"consul-inject is not installed in {Path(sys.executable).parent}: run `make "
                "test` (it creates the virtualenv) or `pip install -e '.[dev]'`")


def consul_inject() -> Path:
    """The consul-inject console script."""
    return venv_bin() / "consul-inject"


def tool(path: Path, what: str) -> Path:
    """An executable from .tools/; missing is a failure, not a skip (CI installs them)."""
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{what} is missing at {path}: run `python3 tools/fetch_helm.py` (CI "
                    "installs it there; these tests do not skip)")
    return path


def helm(version: int) -> Path:
    return tool(HELM[version], f"Helm {version}")


@dataclass(frozen=True)
class HelmEnv:
    """Environment variables for Helm and consul-inject children: a private HOME, XDG and Helm
    folders under `root`, no kubeconfig, CONSUL_INJECT_LOG under `root`, the virtualenv first on
    PATH. Helm 4 finds the consul-inject plugin in plugin/; Helm 3 must not see it (it refuses a
    plugin.yaml with apiVersion and then loads no plugins at all): it gets an empty folder."""

    root: Path
    base: Mapping[str, str]

    @property
    def log(self) -> Path:
        return Path(self.base["CONSUL_INJECT_LOG"])

    def read_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else "<no log file>"

    def with_vars(self, **extra: str) -> HelmEnv:
        return replace(self, base={**self.base, **extra})

    def for_helm(self, version: int) -> dict[str, str]:
        env = dict(self.base)
        env["HELM_PLUGINS"] = str(PLUGINS) if version == 4 else str(self.root / "helm3-plugins")
        return env

    def run(self, argv: Sequence[str | Path], *, stdin: bytes = b"", cwd: Path = REPO,
            env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        """Any program; a new session has no controlling terminal, so nothing a child writes to
        /dev/tty lands in the terminal running pytest."""
        return subprocess.run([str(a) for a in argv], input=stdin, capture_output=True,
                              env=dict(self.base if env is None else env), cwd=cwd,
                              timeout=HELM_TIMEOUT, check=False, start_new_session=True)

    def helm(self, version: int, *args: str | Path) -> subprocess.CompletedProcess[bytes]:
        return self.run([helm(version), *args], env=self.for_helm(version))

    def template(self, version: int, chart: Path, *args: str | Path, release: str = "rel",
                 namespace: str = "apps", post: bool = True) -> subprocess.CompletedProcess[bytes]:
        """`helm template RELEASE CHART --namespace NAMESPACE`, through the post-renderer unless
        `post` is false: the executable for Helm 3, the plugin for Helm 4."""
        argv: list[str | Path] = ["template", release, chart, "--namespace", namespace]
        if post:
            renderer = str(consul_inject()) if version == 3 else "consul-inject"
            argv += ["--post-renderer", renderer, f"--post-renderer-args=--namespace={namespace}"]
        return self.helm(version, *argv, *args)

    def render(self, version: int, chart: Path, *args: str | Path, release: str = "rel",
               namespace: str = "apps", post: bool = True) -> str:
        """The output of a `template` run that must succeed."""
        proc = self.template(version, chart, *args, release=release, namespace=namespace,
                             post=post)
        assert proc.returncode == 0, (
            f"helm {version} template {chart.name} failed ({proc.returncode}):\n"
            f"{proc.stderr.decode(errors='replace')}\nlog: {self.read_log()}")
        return proc.stdout.decode()


def make_helm_env(root: Path) -> HelmEnv:
    home = root / "home"
    dirs = {
        "HOME": home,
        "XDG_CONFIG_HOME": home / ".config",
        "XDG_CACHE_HOME": home / ".cache",
        "XDG_DATA_HOME": home / ".local" / "share",
        "XDG_STATE_HOME": home / ".local" / "state",
        "HELM_CONFIG_HOME": home / ".config" / "helm",
        "HELM_CACHE_HOME": home / ".cache" / "helm",
        "HELM_DATA_HOME": home / ".local" / "share" / "helm",
    }
    for folder in [*dirs.values(), root / "helm3-plugins"]:
        folder.mkdir(parents=True, exist_ok=True)
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("HELM_", "CONSUL_INJECT_", "XDG_", "ARGOCD_"))
            and k != "KUBECONFIG"}
    base.update({k: str(v) for k, v in dirs.items()})
    base["KUBECONFIG"] = str(root / "kubeconfig-absent")
    base["CONSUL_INJECT_LOG"] = str(root / "consul-inject.log")
    base["PATH"] = os.pathsep.join([str(venv_bin()), base.get("PATH", os.defpath)])
    return HelmEnv(root, base)


@pytest.fixture
def helm_env(tmp_path: Path) -> HelmEnv:
    return make_helm_env(tmp_path / "env")
