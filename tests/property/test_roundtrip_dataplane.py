"""Round trips of the consul-k8s 2.0/1.9 injection on whole streams:

- uninject of every 2.0/1.9 golden output gives its input back byte for byte;
- --reinject moves an injection between versions: 0.49 -> 2.0 equals injecting the bare stream
  under 2.0, and 2.0 -> 0.49 equals injecting it under 0.49;
- the official chart renders (v2.0.3, v1.9.11) pass through byte for byte, and the chart's
  hand-injected telemetry collector is left alone by inject, uninject and reinject.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import GOLDEN, SHARED, Cli, load_all, needs_shared

HERE = Path(__file__).parent
CASES = sorted(p for p in GOLDEN.glob("v*-*") if (p / "expected.yaml").is_file()
               and p.name.startswith(("v2-", "v1.9-")))
DATAPLANE = {"2.0": ("--consul-k8s-version", "2.0"), "1.9": ("--consul-k8s-version", "1.9")}
COMMON = ("--set", "global.name=consul", "--cluster-dns-ip", "10.96.0.10", "--missing-service",
          "warn")
BARE = GOLDEN / "v2-probes-index" / "input.yaml"


def without_created(text: str) -> str:
    """The stream without the documents consul-inject created (ServiceAccount Secrets)."""
    parts = text.split("---\n")
    return "---\n".join(p for p in parts if not p.startswith("# Source: consul-inject/"))


def run(cli: Cli, tmp_path: Path, source: Path | str, *args: str) -> str:
    if isinstance(source, str):
        path = tmp_path / f"in-{len(list(tmp_path.iterdir()))}.yaml"
        path.write_text(source)
        source = path
    out = tmp_path / f"out-{len(list(tmp_path.iterdir()))}.yaml"
    code, _, stderr = cli(*args[:1], source, "-o", out, *args[1:])
    assert code == 0, stderr
    return out.read_text()


def test_there_are_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_uninject_of_every_golden_output_is_its_input(case: Path, tmp_path: Path, cli: Cli) -> None:
    restored = run(cli, tmp_path, case / "expected.yaml", "uninject")
    assert without_created(restored) == (case / "input.yaml").read_text()


@pytest.mark.parametrize("version", ["2.0", "1.9"])
def test_reinject_from_0_49_to_dataplane_and_back(version: str, tmp_path: Path, cli: Cli) -> None:
    under_0_49 = run(cli, tmp_path, BARE, "inject", *COMMON)
    under_new = run(cli, tmp_path, BARE, "inject", *DATAPLANE[version], *COMMON)
    assert "envoy-sidecar" in under_0_49
    assert "consul-dataplane" in under_new
    moved = run(cli, tmp_path, under_0_49, "inject", "--reinject", *DATAPLANE[version], *COMMON)
    assert load_all(moved) == load_all(under_new)
    back = run(cli, tmp_path, under_new, "inject", "--reinject", *COMMON)
    assert load_all(back) == load_all(under_0_49)
    assert run(cli, tmp_path, moved, "uninject") == BARE.read_text()


@pytest.mark.parametrize(("release", "version"), [("2.0.3", "2.0"), ("1.9.11", "1.9")])
def test_the_official_chart_render_passes_through(release: str, version: str, tmp_path: Path,
                                                  cli: Cli) -> None:
    path = needs_shared(SHARED / "corpus" / f"consul-chart-v{release}-rendered.yaml")
    for args in (("inject", *DATAPLANE[version], "--namespace", "consul",
                  "--set", "global.name=consul"), ("uninject",),
                 ("inject", "--reinject", *DATAPLANE[version], "--namespace", "consul",
                  "--set", "global.name=consul")):
        assert run(cli, tmp_path, path, *args) == path.read_text(), args


@pytest.mark.parametrize("args", [
    ("inject", *DATAPLANE["2.0"], *COMMON), ("uninject",),
    ("inject", "--reinject", *DATAPLANE["2.0"], *COMMON), ("inject", *COMMON)])
def test_the_hand_injected_telemetry_collector_is_left_alone(args: tuple[str, ...],
                                                             tmp_path: Path, cli: Cli) -> None:
    """The chart renders its telemetry collector already injected (connect-inject "false",
    status injected, a version annotation, no original-pod): it is not ours to change."""
    path = HERE / "data" / "telemetry-collector-2.0.3.yaml"
    assert run(cli, tmp_path, path, *args, "--namespace", "consul") == path.read_text()


def test_a_sidecar_put_first_keeps_the_app_containers_text(tmp_path: Path, cli: Cli) -> None:
    """Lifecycle (the 2.0 default) prepends consul-dataplane: the app container's lines,
    indented sequences included, stay as written."""
    text = (GOLDEN / "v2-defaults" / "input.yaml").read_text()
    injected = run(cli, tmp_path, GOLDEN / "v2-defaults" / "input.yaml", "inject",
                   *DATAPLANE["2.0"], *COMMON)
    start = text.index("        - name: static-server")
    app = text[start:text.index("          readinessProbe:", start)]  # the probes are rewritten
    assert "            - -listen=:8080\n" in app
    assert app in injected
