"""Benchmark consul-inject against `helm template` and `kubectl kustomize`, all in one run.

Every figure is a ratio of two timings taken on the same machine in the same run, so the noise
of a shared 2-core box affects both sides. Timings are the best of a few runs; peak memory is
the child's own maximum resident set (os.wait4), not the benchmark's.

    python bench/run.py            # 1,000 / 2,000 / 10,000 documents; kustomize at 1,000, 2,000
    python bench/run.py --full     # also 100,000 documents, and kustomize at 10,000 (~11 min)
    python bench/run.py --plot bench/time-vs-documents.png
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
HELM4 = ROOT / ".tools" / "helm4" / "helm"
KUBECTL = ROOT / ".tools" / "helm4" / "kubectl"
INJECT = ROOT / ".venv" / "bin" / "consul-inject"
PYTHON = ROOT / ".venv" / "bin" / "python"
SEED = ROOT / "src" / "consul_inject" / "demo.yaml"

KUSTOMIZATION = """\
resources:
  - release.yaml
patches:
  - target: {kind: Deployment}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/-
        value: {name: envoy-sidecar, image: envoyproxy/envoy:v1.23.10, command: [envoy]}
"""


@dataclass
class Sample:
    seconds: float
    peak_mb: float


def measure(argv: list[str], stdin: Path | None = None, repeat: int = 3) -> Sample:
    """Best wall time and its peak RSS over `repeat` runs; stdout is discarded."""
    best = Sample(float("inf"), 0.0)
    for _ in range(repeat):
        with open(stdin or os.devnull, "rb") as source:
            start = time.perf_counter()
            proc = subprocess.Popen(argv, stdin=source, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"bench: {' '.join(argv)} failed")
        if elapsed < best.seconds:
            best = Sample(elapsed, usage.ru_maxrss / 1024)
    return best


def release(apps: int, folder: Path) -> Path:
    path = folder / f"release-{apps}.yaml"
    with path.open("wb") as out:
        subprocess.run([sys.executable, str(SHARED / "gen_release.py"), str(apps)], stdout=out,
                       check=True)
    return path


def kustomize(release_file: Path, folder: Path) -> Sample:
    work = folder / f"kustomize-{release_file.stem}"
    work.mkdir()
    (work / "release.yaml").write_bytes(release_file.read_bytes())
    (work / "kustomization.yaml").write_text(KUSTOMIZATION)
    return measure([str(KUBECTL), "kustomize", str(work)], repeat=1)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


VERSIONS: dict[str, list[str]] = {
    "0.49": [],
    "2.0": ["--consul-k8s-version", "2.0", "--cluster-dns-ip", "10.96.0.10"],
}
Row = tuple[int, float, dict[str, Sample], Sample, Sample | None]


def passthrough_seed(folder: Path) -> Path:
    """The seed release with injection turned off in each pod: nothing to inject."""
    path = folder / "passthrough.yaml"
    path.write_text(SEED.read_text().replace("connect-inject': 'true'", "connect-inject': 'false'"))
    return path


def import_times(flags: list[str], top: int = 12) -> list[str]:
    """The slowest imports (cumulative) of a small-release run, from `python -X importtime`."""
    with open(SEED, "rb") as source:
        err = subprocess.run([str(PYTHON), "-X", "importtime", "-m", "consul_inject", *flags],
                             stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             check=True).stderr.decode()
    found = [(int(m[2]), m[3].strip()) for m in re.finditer(
        r"^import time:\s+(\d+) \|\s+(\d+) \| (.*)$", err, re.M)
        if m[3].strip() and not m[3].startswith(" ")]
    total = sum(us for us, _ in found)
    lines = [f"   {us / 1000:6.1f} ms  {name}" for us, name in sorted(found, reverse=True)[:top]]
    return [f"   {total / 1000:6.1f} ms  all top-level imports", *lines]


def measure_sizes(args: argparse.Namespace, folder: Path, mesh_rows: dict[str, Sample],
                  single: dict[str, Sample]) -> list[Row]:
    sizes = [250, 500, 2500] + ([25000] if args.full else [])
    kustomize_sizes = {250, 500} | ({2500} if args.full else set())
    rows: list[Row] = []
    for apps in sizes:
        data = release(apps, folder)
        size_mb = data.stat().st_size / 1e6
        repeat = 3 if apps <= 2500 else 1
        inject = {v: measure([str(INJECT), *flags], stdin=data, repeat=repeat)
                  for v, flags in VERSIONS.items()}
        helm = measure([str(HELM4), "template", "bench", str(SHARED / "chart"),
                        "--set", f"apps={apps}"], repeat=repeat)
        kust = kustomize(data, folder) if apps in kustomize_sizes else None
        rows.append((apps, size_mb, inject, helm, kust))
        if apps == 2500:  # one process (--jobs 1), and the mesh commands, in the same run
            single.update({v: measure([str(INJECT), *flags, "--jobs", "1"], stdin=data)
                           for v, flags in VERSIONS.items()})
            mesh_rows.update({name: measure([str(INJECT), *argv], stdin=data) for name, argv in (
                ("inject --intentions", ["inject", "--intentions"]),
                ("intentions", ["intentions"]), ("graph", ["graph"]),
                ("graph --format json", ["graph", "--format", "json"]))})
        print(f"measured {apps * 4:,} documents", file=sys.stderr)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args(argv)
    for tool in (HELM4, KUBECTL, INJECT):
        if not tool.exists():
            raise SystemExit(f"bench: {tool} is missing; run `make tools` and `make demo` first")
    # Measure the package as installed: byte-compiled (see the Makefile).
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", str(ROOT / "src")], check=True)
    mesh_rows: dict[str, Sample] = {}
    single: dict[str, Sample] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = measure_sizes(args, folder, mesh_rows, single)
        quiet = passthrough_seed(folder)
        python = measure([str(PYTHON), "-c", "pass"], repeat=10)
        small = {v: measure([str(INJECT), *f], stdin=SEED, repeat=10) for v, f in VERSIONS.items()}
        still = {v: measure([str(INJECT), *f], stdin=quiet, repeat=10) for v, f in VERSIONS.items()}
    table(rows)
    targets(rows, python, small, still, mesh_rows, single=single)
    for version, flags in VERSIONS.items():
        print(f"\nimport time, small release, consul-k8s {version} (python -X importtime):")
        print("\n".join(import_times(flags)))
    if args.plot:
        plot(rows, args.plot)
    return 0


def table(rows: list[Row]) -> None:
    print(f"{'documents':>10} {'injected':>9} {'input MB':>9} | {'0.49 s':>7} {'peak MB':>8} | "
          f"{'2.0 s':>7} {'peak MB':>8} | {'helm template s':>15} | {'kustomize s':>11}")
    for apps, size_mb, inject, helm, kust in rows:
        k = f"{kust.seconds:11.2f}" if kust else f"{'-':>11}"
        cells = " | ".join(f"{inject[v].seconds:7.3f} {inject[v].peak_mb:8.1f}" for v in VERSIONS)
        print(f"{apps * 4:>10,} {apps:>9,} {size_mb:>9.1f} | {cells} | {helm.seconds:15.3f} | {k}")
    print()


def targets(rows: list[Row], python: Sample, small: dict[str, Sample], still: dict[str, Sample],
            mesh_rows: dict[str, Sample], *, single: dict[str, Sample]) -> None:
    by_apps = {r[0]: r for r in rows}
    base = python.seconds * 1000
    for v in VERSIONS:
        tag = f"[{v}]"
        r1 = small[v].seconds / python.seconds
        print(f"1. {tag} small release (seed, 6 documents, injects): {small[v].seconds * 1000:.0f} "
              f"ms vs python3 -c pass {base:.0f} ms = {r1:.1f}x (target <= 4x): {verdict(r1 <= 4)}")
        r1b = still[v].seconds / python.seconds
        print(f"1b. {tag} small release, pass-through (injects nothing): "
              f"{still[v].seconds * 1000:.0f} ms vs {base:.0f} ms = {r1b:.1f}x (target <= 2.5x): "
              f"{verdict(r1b <= 2.5)}")
        _, _, inject10k, helm10k, _ = by_apps[2500]
        r2 = inject10k[v].seconds / helm10k.seconds
        print(f"2. {tag} 10,000 documents: consul-inject {inject10k[v].seconds:.2f} s / helm "
              f"template {helm10k.seconds:.2f} s = {r2:.2f}x (target <= 1.0x): {verdict(r2 <= 1.0)}")
        print(f"   {tag} the same in one process (--jobs 1): {single[v].seconds:.2f} s = "
              f"{single[v].seconds / helm10k.seconds:.2f}x, peak {single[v].peak_mb:.1f} MB")
        if 25000 in by_apps:
            r3 = by_apps[25000][2][v].seconds / inject10k[v].seconds
            print(f"3. {tag} growth 10,000 -> 100,000 documents: {r3:.1f}x (target <= 10.5x): "
                  f"{verdict(r3 <= 10.5)}")
        else:
            r3p = inject10k[v].seconds / by_apps[250][2][v].seconds
            print(f"3. {tag} growth 1,000 -> 10,000 documents: {r3p:.1f}x (10,000 -> 100,000 only "
                  "with --full; target <= 10.5x for 10x the documents)")
        for apps, size_mb, inject, _, _ in rows:
            bound = 3 * size_mb + 60
            print(f"4. {tag} memory at {apps * 4:,} documents: peak RSS {inject[v].peak_mb:.1f} MB "
                  f"(bound 3 x {size_mb:.1f} + 60 = {bound:.1f} MB): "
                  f"{verdict(inject[v].peak_mb <= bound)}")
        kust2k, inject2k = by_apps[500][4], by_apps[500][2][v]
        assert kust2k is not None
        r5 = kust2k.seconds / inject2k.seconds
        print(f"5. {tag} 2,000 documents: kustomize {kust2k.seconds:.2f} s / consul-inject "
              f"{inject2k.seconds:.3f} s = {r5:.1f}x (target >= 30x): {verdict(r5 >= 30)}")
    inject10k049 = by_apps[2500][2]["0.49"]
    for name, sample in mesh_rows.items():
        r6 = sample.seconds / inject10k049.seconds
        print(f"6. [0.49] 2,500 services: {name} {sample.seconds:.2f} s / inject "
              f"{inject10k049.seconds:.2f} s = {r6:.2f}x (target <= 2x): {verdict(r6 <= 2)}")


def plot(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    docs = [r[0] * 4 for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for version in VERSIONS:
        ax.plot(docs, [r[2][version].seconds for r in rows], "o-",
                label=f"consul-inject (consul-k8s {version})")
    ax.plot(docs, [r[3].seconds for r in rows], "s-", label="helm template (Helm 4)")
    kust = [(r[0] * 4, r[4].seconds) for r in rows if r[4] is not None]
    ax.plot([k[0] for k in kust], [k[1] for k in kust], "^-", label="kubectl kustomize (patch)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("documents in the release")
    ax.set_ylabel("wall time, seconds (log)")
    ax.set_title("Post-rendering time against release size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"plot written to {path}")


if __name__ == "__main__":
    raise SystemExit(main())
