"""`consul-inject helm [POST-RENDERER OPTIONS] -- HELM ARGS...`: run Helm with the post-renderer
wired the way its major version needs, and show the post-renderer's report.

Helm 3 runs the post-renderer as a program (`--post-renderer <this consul-inject>`); Helm 4 runs
the shipped `postrenderer/v1` plugin, found through a private HELM_PLUGINS entry (nothing is
installed). The release namespace comes from Helm's own `-n/--namespace` (else HELM_NAMESPACE),
so users never repeat it. Helm 3 drops a successful post-renderer's stderr and Helm 4 drops it
always, so the report is read back from the log file and printed here.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from consul_inject import helm as helm_mod
from consul_inject import plugin
from consul_inject.problems import ConsulInjectError

# Helm commands that render manifests and take --post-renderer (`diff` is the helm-diff plugin).
RENDERING = ("install", "upgrade", "template", "diff")


def namespace_of(helm_args: Sequence[str], environ: dict[str, str]) -> str | None:
    """The namespace Helm will use: its -n/--namespace flag (last wins), else HELM_NAMESPACE."""
    found: str | None = None
    args = list(helm_args)
    for i, arg in enumerate(args):
        if arg in ("-n", "--namespace") and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--namespace="):
            found = arg.split("=", 1)[1]
        elif arg.startswith("-n") and len(arg) > 2 and not arg.startswith("--"):
            found = arg[2:].lstrip("=")
    return found or environ.get("HELM_NAMESPACE") or None


def kube_version_of(helm_args: Sequence[str]) -> str | None:
    """Helm's --kube-version (last wins): the post-renderer checks native sidecars against it."""
    found: str | None = None
    args = list(helm_args)
    for i, arg in enumerate(args):
        if arg == "--kube-version" and i + 1 < len(args):
            found = args[i + 1]
        elif arg.startswith("--kube-version="):
            found = arg.split("=", 1)[1]
    return found


def check_command(helm_args: Sequence[str]) -> None:
    if not helm_args or helm_args[0] not in RENDERING:
        shown = helm_args[0] if helm_args else "nothing"
        raise ConsulInjectError(f"Helm command {shown!r} renders no manifests; `consul-inject "
                                f"helm -- ...` runs {', '.join(RENDERING)}")


def helm_argv(helm: helm_mod.Helm, helm_args: Sequence[str], post_args: Sequence[str],
              environ: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """Helm's arguments with the post-renderer added, and the environment Helm needs for it."""
    check_command(helm_args)
    namespace = namespace_of(helm_args, environ)
    kube = kube_version_of(helm_args)
    args = [*post_args, *(["--namespace", namespace] if namespace else []),
            *(["--kube-version", kube] if kube else [])]
    env: dict[str, str] = {}
    if helm.major >= 4:
        renderer = plugin.NAME
        own = plugin.shipped()
        theirs = environ.get("HELM_PLUGINS") or helm.env("HELM_PLUGINS")
        env["HELM_PLUGINS"] = os.pathsep.join([str(own), *([theirs] if theirs else [])])
        env["CONSUL_INJECT_BIN"] = plugin.executable()
    else:
        renderer = plugin.executable()
    wired = [*helm_args, "--post-renderer", renderer,
             *(f"--post-renderer-args={arg}" for arg in args)]
    return wired, env


def run(post_args: Sequence[str], helm_args: Sequence[str]) -> int:
    """Run Helm; its output as Helm prints it, then the post-renderer's report. Helm's exit
    code is ours."""
    check_command(helm_args)
    helm = helm_mod.find()
    argv, env = helm_argv(helm, helm_args, post_args, dict(os.environ))
    with tempfile.TemporaryDirectory(prefix="consul-inject-helm-") as tmp:
        log = Path(tmp) / "report.log"
        env["CONSUL_INJECT_LOG"] = str(log)
        env["CONSUL_INJECT_WRAPPED"] = "1"  # we show the log: no copy on the terminal
        try:
            out = helm.run(argv, env=env)
        except helm_mod.HelmFailed as err:
            sys.stdout.buffer.write(err.stdout)
            sys.stderr.buffer.write(err.stderr)
            if helm.major >= 4:  # Helm 3 quotes the post-renderer's stderr in its own error
                _show(log)
            return err.returncode
        sys.stdout.buffer.write(out)
        sys.stdout.flush()
        _show(log)
    return 0


def _show(log: Path) -> None:
    if log.is_file():
        sys.stderr.write(log.read_text(encoding="utf-8", errors="replace"))
