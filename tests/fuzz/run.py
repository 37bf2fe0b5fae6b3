"""Fuzz the post-renderer's whole stdin -> stdout path: `python -m tests.fuzz.run [-n N] [--seed S]`.

Runs N mutated inputs (default 20,000) with a fixed seed, so a run is reproducible, under
RLIMIT_AS and RLIMIT_CPU. Prints the count run, the exit codes seen and every finding grouped by
cause, with the smallest reproducer of each (written to --save DIR if given). Exits 1 when a
finding is not one of the known bugs in target.KNOWN.
"""

from __future__ import annotations

import argparse
import collections
import random
import resource
import sys
import time
from pathlib import Path

from tests.fuzz import target

MEMORY_LIMIT = 3 << 30
CPU_LIMIT = 3600


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__)
    parser.add_argument("-n", "--count", type=int, default=20_000, help="inputs to run (default 20000)")
    parser.add_argument("--seed", type=int, default=20_240_7, help="random seed (default fixed)")
    parser.add_argument("--save", type=Path, help="write one reproducer per finding here")
    args = parser.parse_args(argv)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT))

    rng = random.Random(args.seed)
    corpus = target.seeds()
    codes: collections.Counter[str] = collections.Counter()
    groups: dict[str, list[target.Finding]] = collections.defaultdict(list)
    start = time.monotonic()
    for i in range(args.count):
        data = target.mutate(rng, corpus)
        finding = target.check(data)
        if finding is None:
            codes["ok"] += 1
        else:
            codes[finding.kind] += 1
            groups[finding.signature()].append(finding)
        if (i + 1) % 5000 == 0:
            print(f"  {i + 1:,} inputs, {len(groups)} distinct findings", file=sys.stderr)
    elapsed = time.monotonic() - start

    print(f"consul-inject fuzz: {args.count:,} inputs (seed {args.seed}, {len(corpus)} seeds) in "
          f"{elapsed:.0f} s; outcomes: {dict(codes.most_common())}")
    new = 0
    for signature, found in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        smallest = min(found, key=lambda f: len(f.data))
        why = target.known(smallest)
        new += why is None
        label = f"known bug: {why}" if why else "NEW"
        print(f"- {len(found):5d} x {signature}  [{label}]")
        print(f"          smallest reproducer ({len(smallest.data)} bytes): {smallest.data[:300]!r}")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            name = "".join(ch if ch.isalnum() else "-" for ch in signature)[:80]
            (args.save / f"{name}.yaml").write_bytes(smallest.data)
    print(f"{len(groups)} distinct findings, {new} new")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
