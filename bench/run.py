"""Time consul-inject against `helm template` of the same release, in one run, and print ratios.

Usage: python bench/run.py [APPS]   (default 2500 apps = 10,000 documents, 2,500 injected)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench"
HELM4 = ROOT / ".tools" / "helm4" / "helm"
INJECT = ROOT / ".venv" / "bin" / "consul-inject"


def timed(argv: list[str], stdin: Path | None = None, repeat: int = 3) -> float:
    """Best wall time of `repeat` runs (stdout discarded)."""
    best = float("inf")
    for _ in range(repeat):
        with open(stdin or os.devnull, "rb") as source:
            start = time.perf_counter()
            subprocess.run(argv, stdin=source, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, check=True)
            best = min(best, time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    apps = int(args[0]) if args else 2500
    with tempfile.TemporaryDirectory() as tmp:
        release = Path(tmp) / "release.yaml"
        with release.open("wb") as out:
            subprocess.run([sys.executable, str(SHARED / "gen_release.py"), str(apps)],
                           stdout=out, check=True)
        size = release.stat().st_size
        helm = timed([str(HELM4), "template", "bench", str(SHARED / "chart"),
                      "--set", f"apps={apps}"])
        inject = timed([str(INJECT)], stdin=release)
        python = timed([sys.executable, "-c", "pass"])
    print(f"input: {apps * 4} documents, {apps} injected, {size / 1e6:.1f} MB")
    print(f"helm template (Helm 4):   {helm:7.3f} s")
    print(f"consul-inject:            {inject:7.3f} s")
    print(f"python3 -c pass:          {python:7.3f} s")
    print(f"ratio consul-inject / helm template: {inject / helm:.2f} (target <= 0.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
