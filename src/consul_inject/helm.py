"""Every Helm invocation of the package, on pyhelm3: finding the binary and its version, `helm env`,
`helm package`, and the commands the `consul-inject helm` wrapper runs.

Imported only by the commands that run Helm (`helm`, `plugin`, `chart package`), never by the
post-renderer: pyhelm3 and pydantic would cost every Helm render a noticeable start-up.
"""

import asyncio
import contextlib
import logging
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import pyhelm3

from consul_inject.problems import ConsulInjectError, Problem

# pyhelm3 logs every failed command as a warning; the failure reaches the user as HelmFailed.
logging.getLogger("pyhelm3").addHandler(logging.NullHandler())
logging.getLogger("pyhelm3").propagate = False

_NOT_FOUND = ("no helm binary found: put helm on PATH or set CONSUL_INJECT_HELM to its path")


class Helm(NamedTuple):
    """One Helm binary, its version known."""

    executable: str
    version: str  # "3.17.2"

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])

    def run(self, args: Sequence[str | Path], *, env: Mapping[str, str] | None = None,
            stdin: bytes | None = None) -> bytes:
        """Run `helm ARGS` (with `env` added to this process's environment); its stdout.
        A failing Helm raises HelmFailed with its exit code and stderr."""
        command = pyhelm3.Command(executable=self.executable)
        with _environment(env or {}):
            try:
                out: bytes = asyncio.run(command.run([str(a) for a in args], stdin))
            except pyhelm3.Error as err:
                raise HelmFailed(err.returncode, err.stdout, err.stderr) from None
        return out

    def env(self, name: str) -> str:
        """`helm env NAME`: where this Helm keeps its plugins, cache, ..."""
        return self.run(["env", name]).decode("utf-8").strip()


class HelmFailed(ConsulInjectError):
    """Helm ran and failed: its exit code and output, passed on to the user as they are."""

    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        text = stderr.decode("utf-8", "replace").strip() or f"helm exited with {returncode}"
        super().__init__(Problem(text.splitlines()[-1], where="helm"))


def find(executable: str | None = None) -> Helm:
    """$CONSUL_INJECT_HELM, else `helm` on PATH, with its version."""
    wanted = executable or os.environ.get("CONSUL_INJECT_HELM") or "helm"
    try:
        client = pyhelm3.Client(executable=wanted)
    except AssertionError:  # pyhelm3's executable discovery found nothing
        raise ConsulInjectError(_NOT_FOUND) from None
    except (OSError, ValueError, subprocess.CalledProcessError) as err:
        # not runnable, `helm version` failed, or a version that does not parse
        raise ConsulInjectError(f"{wanted}: cannot tell which Helm this is: {err}") from None
    version = client.version
    return Helm(wanted, f"{version.major}.{version.minor}.{version.patch}")


@contextlib.contextmanager
def _environment(extra: Mapping[str, str]) -> Iterator[None]:
    """pyhelm3 runs Helm with this process's environment: set `extra` for one call."""
    saved = {key: os.environ.get(key) for key in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
