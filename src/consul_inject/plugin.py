"""The Helm 4 post-renderer plugin that ships in the package: where it is, and installing it
into Helm 4's plugin folder so that `--post-renderer consul-inject` finds it."""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
import tempfile
from importlib import resources
from pathlib import Path

from consul_inject.helm import Helm
from consul_inject.problems import ConsulInjectError

NAME = "consul-inject"
BIN_FILE = "consul-inject.bin"  # the consul-inject the launcher runs, written on install


def shipped() -> Path:
    """The folder holding the shipped plugin: `HELM_PLUGINS=<it> helm ... --post-renderer
    consul-inject` uses it without installing anything."""
    return Path(str(resources.files("consul_inject").joinpath("data", "plugin")))


def executable() -> str:
    """This consul-inject, as a program Helm can run: the console script beside the running
    interpreter, else the one on PATH."""
    beside = Path(sys.executable).parent / NAME
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(NAME)
    if found:
        return found
    raise ConsulInjectError(f"cannot find the {NAME} command of this installation (looked in "
                            f"{beside.parent} and on PATH)")


def plugins_dir(helm: Helm) -> Path:
    """Where this Helm 4 loads plugins from (`helm env HELM_PLUGINS`, which honours
    $HELM_PLUGINS); the first folder of a list."""
    if helm.major < 4:
        raise ConsulInjectError(
            f"{helm.executable} is Helm v{helm.version}: the {NAME} plugin is a Helm 4 "
            "postrenderer/v1 plugin (Helm 3 runs the post-renderer as a program: "
            f"--post-renderer {NAME}); nothing installed")
    return Path(helm.env("HELM_PLUGINS").split(os.pathsep)[0])


def install(helm: Helm) -> tuple[str, Path]:
    """Install or update the plugin, its launcher pinned to this consul-inject. Returns what
    was done ("installed", "updated" or "up to date") and where."""
    target = plugins_dir(helm) / NAME
    with tempfile.TemporaryDirectory(prefix="consul-inject-plugin-") as tmp:
        staged = Path(tmp) / NAME
        shutil.copytree(shipped() / NAME, staged)
        (staged / BIN_FILE).write_text(executable() + "\n", encoding="utf-8")
        if target.is_dir() and _same_tree(staged, target):
            return "up to date", target
        action = "updated" if target.exists() else "installed"
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        elif target.exists() or target.is_symlink():
            target.unlink()
        shutil.copytree(staged, target)
    return action, target


def _same_tree(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    return all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)
