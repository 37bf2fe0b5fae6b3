"""`consul-inject intentions` and `graph` at the command line: SVG through Graphviz or a hint,
and the post-renderer never loading them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli

MESH = Path(__file__).resolve().parents[1] / "mesh"
SEED = MESH / "seed" / "input.yaml"


def test_svg_without_graphviz_says_how_to_get_it(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot here
    code, out, err = cli("graph", SEED, "--format", "svg")
    assert code == 1
    assert out == b""
    assert "install Graphviz" in err
    assert "--format dot" in err


def test_svg_runs_dot_from_path(cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake = tmp_path / "dot"  # stands in for Graphviz: echoes what it was given
    fake.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write('<svg>' + "
                    "str(sys.argv[1:]) + sys.stdin.read()[:14] + '</svg>')\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, err = cli("graph", SEED, "--format", "svg")
    assert code == 0, err
    assert out == b"<svg>['-Tsvg']digraph mesh {</svg>"


def test_a_failing_dot_is_an_error(cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                   tmp_path: Path) -> None:
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\necho 'syntax error' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = cli("graph", SEED, "--format", "svg")
    assert code == 1
    assert "syntax error" in err


def test_output_file_and_quiet_report(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "i.yaml"
    code, out, err = cli("intentions", SEED, "-o", target, "--report", "none")
    assert (code, out, err) == (0, b"", "")
    assert "name: static-server" in target.read_text()


def test_a_release_without_upstreams_says_so(cli: Cli, tmp_path: Path) -> None:
    lone = tmp_path / "lone.yaml"
    lone.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    code, out, err = cli("intentions", lone)
    assert code == 0, err
    assert out == b"# consul-inject: no intentions: no upstreams declared\n"


def test_a_bad_namespace_is_refused(cli: Cli) -> None:
    code, _, err = cli("graph", SEED, "-n", "Not_A_Namespace")
    assert code == 1
    assert "not a Kubernetes namespace name" in err


def test_the_post_renderer_loads_neither_command() -> None:
    code = ("import io, sys; from consul_inject import cli; "
            "sys.stdin = io.TextIOWrapper(io.BytesIO(b'apiVersion: v1\\nkind: Service\\n"
            "metadata: {name: a}\\n')); rc = cli.main(['-n', 'apps']); "
            "print(rc, sorted(m for m in ('consul_inject.meshcommands', 'consul_inject.graph', "
            "'consul_inject.intentions', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"CONSUL_INJECT_LOG": "/dev/null", "PATH": ""})
    assert out.stdout.strip().endswith("0 []"), out
