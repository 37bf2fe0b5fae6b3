"""`python -m consul_inject` is the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_python_m_runs_the_command_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "CONSUL_INJECT_LOG": str(tmp_path / "log")}
    shown = subprocess.run([sys.executable, "-m", "consul_inject", "--help"], capture_output=True,
                           text=True, env=env, check=False, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: consul-inject")
    refused = subprocess.run([sys.executable, "-m", "consul_inject", "--bogus"],
                             capture_output=True, text=True, env=env, check=False, timeout=60)
    assert refused.returncode == 2
    passed = subprocess.run([sys.executable, "-m", "consul_inject"], input="kind: A\n",
                            capture_output=True, text=True, env=env, check=False, timeout=60)
    assert (passed.returncode, passed.stdout) == (0, "kind: A\n")
