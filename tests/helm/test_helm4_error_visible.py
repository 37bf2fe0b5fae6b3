"""Helm 4 throws away a post-renderer's stderr; the reason for a failure must still reach the user.

`script` gives Helm a pseudo-terminal, as an interactive shell or a CI runner with a TTY would;
the message must appear there and in the log file.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import helm, make_helm_env

pytestmark = pytest.mark.helm

BAD_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations:
        consul.hashicorp.com/connect-inject: "yes"
    spec:
      containers:
        - name: web
          image: example/web:1
"""


@pytest.fixture
def broken_chart(tmp_path: Path) -> Path:
    chart = tmp_path / "broken"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: broken\nversion: 0.1.0\n")
    (chart / "templates" / "deploy.yaml").write_text(BAD_DEPLOYMENT)
    return chart


def test_helm4_failure_reason_reaches_terminal_and_log(broken_chart: Path, tmp_path: Path) -> None:
    script = shutil.which("script")
    assert script, "util-linux `script` is needed to give Helm a terminal"
    env = make_helm_env(tmp_path / "env")
    command = shlex.join([str(helm(4)), "template", "web", str(broken_chart),
                          "--post-renderer", "consul-inject"])
    result = subprocess.run([script, "-qec", command, "/dev/null"], env=env.for_helm(4),
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    terminal = result.stdout
    assert 'exited with error' in terminal  # Helm's own message: it knows nothing more
    expected = 'consul.hashicorp.com/connect-inject: "yes" is not a boolean'
    assert expected in terminal, terminal
    assert expected in env.read_log()
    assert "templates/deploy.yaml" in env.read_log()
