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
    sizes = [250, 500, 2500] + ([25000] if args.full else [])
    kustomize_sizes = {250, 500} | ({2500} if args.full else set())
    rows: list[tuple[int, float, Sample, Sample, Sample | None]] = []
    mesh_rows: dict[str, Sample] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for apps in sizes:
            data = release(apps, folder)
            size_mb = data.stat().st_size / 1e6
            inject = measure([str(INJECT)], stdin=data, repeat=3 if apps <= 2500 else 1)
            helm = measure([str(HELM4), "template", "bench", str(SHARED / "chart"),
                            "--set", f"apps={apps}"], repeat=3 if apps <= 2500 else 1)
            kust = kustomize(data, folder) if apps in kustomize_sizes else None
            rows.append((apps, size_mb, inject, helm, kust))
            if apps == 2500:  # the mesh commands on 2,500 services, beside inject in the same run
                mesh_rows = {name: measure([str(INJECT), *argv], stdin=data) for name, argv in (
                    ("inject --intentions", ["inject", "--intentions"]),
                    ("intentions", ["intentions"]), ("graph", ["graph"]),
                    ("graph --format json", ["graph", "--format", "json"]))}
            print(f"measured {apps * 4:,} documents", file=sys.stderr)
        small = measure([str(INJECT)], stdin=SEED, repeat=10)
        python = measure([str(PYTHON), "-c", "pass"], repeat=10)

    print(f"{'documents':>10} {'injected':>9} {'input MB':>9} | {'consul-inject s':>15} "
          f"{'peak MB':>8} | {'helm template s':>15} | {'kustomize s':>11}")
    for apps, size_mb, inject, helm, kust in rows:
        k = f"{kust.seconds:11.2f}" if kust else f"{'-':>11}"
        print(f"{apps * 4:>10,} {apps:>9,} {size_mb:>9.1f} | {inject.seconds:15.3f} "
              f"{inject.peak_mb:8.1f} | {helm.seconds:15.3f} | {k}")
    print()
    by_apps = {r[0]: r for r in rows}
    r1 = small.seconds / python.seconds
    print(f"1. small release (seed, 6 documents): {small.seconds * 1000:.0f} ms vs python3 -c pass "
          f"{python.seconds * 1000:.0f} ms = {r1:.1f}x (target <= 1.5x): {verdict(r1 <= 1.5)}")
    _, _, inject10k, helm10k, _ = by_apps[2500]
    r2 = inject10k.seconds / helm10k.seconds
    print(f"2. 10,000 documents: consul-inject / helm template = {r2:.2f}x (target <= 0.5x): "
          f"{verdict(r2 <= 0.5)}")
    if 25000 in by_apps:
        r3 = by_apps[25000][2].seconds / inject10k.seconds
        print(f"3. growth 10,000 -> 100,000 documents: {r3:.1f}x (target <= 11x): {verdict(r3 <= 11)}")
    else:
        r3p = inject10k.seconds / by_apps[250][2].seconds
        print(f"3. growth 1,000 -> 10,000 documents: {r3p:.1f}x (100,000 only with --full; "
              "target <= 11x for 10x the documents)")
    worst = max(r[2].peak_mb - 3 * r[1] for r in rows)
    print(f"4. memory: peak RSS - 3x input is at most {worst:.1f} MB at any size (target <= 60 MB): "
          f"{verdict(worst <= 60)}")
    kust2k, inject2k = by_apps[500][4], by_apps[500][2]
    assert kust2k is not None
    r5 = kust2k.seconds / inject2k.seconds
    print(f"5. 2,000 documents: kustomize / consul-inject = {r5:.1f}x (target >= 30x): "
          f"{verdict(r5 >= 30)}")
    for name, sample in mesh_rows.items():
        r6 = sample.seconds / inject10k.seconds
        print(f"6. 2,500 services: {name} {sample.seconds:.2f} s / inject {inject10k.seconds:.2f} s "
              f"= {r6:.2f}x (target <= 2x): {verdict(r6 <= 2)}")
    if args.plot:
        plot(rows, args.plot)
    return 0


def plot(rows: list[tuple[int, float, Sample, Sample, Sample | None]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    docs = [r[0] * 4 for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(docs, [r[2].seconds for r in rows], "o-", label="consul-inject")
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
