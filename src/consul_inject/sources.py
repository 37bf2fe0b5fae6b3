"""Input files and folders, atomic output, and JSON output: the file I/O of the command line."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from typing import IO, TYPE_CHECKING

import yaml

from consul_inject import yamlcodec
from consul_inject.problems import ConsulInjectError

if TYPE_CHECKING:
    from pathlib import Path  # imported where files are read: stdin runs never need it

EXTENSIONS = (".yaml", ".yml", ".json")


class Source:
    __slots__ = ("data", "left_out", "name", "path")

    def __init__(self, name: str, data: bytes, path: Path | None, left_out: str = "") -> None:
        self.name = name  # as messages show it
        self.data = data
        self.path = path  # None for stdin
        self.left_out = left_out  # why the file holds no Kubernetes resources: it is not run

    def take(self) -> bytes:
        """The content, handed over: the Source lets go of it, so a large release is held once
        (the pipeline decodes it and drops the bytes) instead of twice."""
        data, self.data = self.data, b""
        return data


def collect(paths: list[str]) -> list[Source]:
    """Read every input first (so `-o` may name an input file): files as given, folders walked
    recursively for .yaml/.yml/.json in sorted order, `-` for stdin. Files that are not
    Kubernetes manifests (kustomize and Helm files, see `left_out`) are marked, not read as one."""
    from pathlib import Path

    from consul_inject import folders

    sources: list[Source] = []
    walked: list[Path] = []
    for given in paths or ["-"]:
        if given == "-":
            sources.append(Source("<stdin>", sys.stdin.buffer.read(), None))
            continue
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in EXTENSIONS)
            if not found:
                raise ConsulInjectError(f"{given}: no .yaml, .yml or .json files in this folder")
            walked.append(path)
            for file in found:
                hidden = any(part.startswith(".") for part in file.relative_to(path).parts)
                source = _read(file)
                source.left_out = "a hidden file or in a hidden folder" if hidden else ""
                sources.append(source)
        else:
            sources.append(_read(path))
    named = folders.referenced(walked, [s.path.parent for s in sources if s.path])
    for source in sources:
        if source.path is not None and not source.left_out:
            source.left_out = named.get(source.path.resolve()) or folders.not_a_manifest(
                source.path, source.data)
    return sources


def _read(path: Path) -> Source:
    try:
        return Source(str(path), path.read_bytes(), path)
    except OSError as err:
        raise ConsulInjectError(f"{path}: cannot read: {err.strerror}") from None


class Spool:
    """Output held in a temporary file until every input is known to be good: nothing reaches
    stdout or a target file otherwise, and a large release is never held whole in memory.

    With `beside`, the file is created next to that path so that `commit` can rename it there.
    """

    IN_MEMORY = 4 << 20  # stdout output moves from memory to a temporary file past this size

    def __init__(self, beside: str | os.PathLike[str] | None = None) -> None:
        # The file outlives any `with` block here: commit() or discard() closes it.
        self.file: IO[bytes]
        if beside is not None:
            import tempfile

            folder, name = os.path.split(os.path.abspath(beside))
            try:
                self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115
                    "w+b", dir=folder, prefix=f".{name}.", delete=False)
            except OSError as err:
                raise ConsulInjectError(f"{beside}: cannot write: {err.strerror}") from None
        else:
            self.file = io.BytesIO()
        self.size = 0
        self._last = b""
        self._separate = False

    def start_stream(self) -> None:
        """The next writes are another file's stream: separate its documents from ours."""
        self._separate = self.size > 0

    def write(self, text: str) -> None:
        if not text:
            return
        if self._separate and text.strip():
            sep = "" if self._last == b"\n" else "\n"
            if not text.lstrip().startswith("---"):
                sep += "---\n"
            self._put(sep.encode())
            self._separate = False
        self._put(text.encode("utf-8"))

    def _put(self, data: bytes) -> None:
        if not data:
            return
        if isinstance(self.file, io.BytesIO) and self.size + len(data) > self.IN_MEMORY:
            import tempfile  # only large releases pay for it

            spill = tempfile.TemporaryFile("w+b")  # noqa: SIM115 - closed by discard()
            spill.write(self.file.getvalue())
            self.file = spill
        self.file.write(data)
        self.size += len(data)
        self._last = data[-1:]

    def replace(self, text: str) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.size, self._last, self._separate = 0, b"", False
        self.write(text)

    def read(self) -> bytes:
        self.file.flush()
        self.file.seek(0)
        return self.file.read()

    def copy_to(self, target: IO[bytes]) -> None:
        self.file.flush()
        self.file.seek(0)
        while chunk := self.file.read(1 << 20):  # shutil.copyfileobj, without importing shutil
            target.write(chunk)
        target.flush()

    def same_as(self, data: bytes) -> bool:
        return self.size == len(data) and self.read() == data

    def commit(self, path: str | os.PathLike[str]) -> None:
        """Rename the spool over `path` (keeping its mode): atomic for readers."""
        self.file.flush()
        self.file.close()
        try:
            if os.path.exists(path):
                os.chmod(self.file.name, os.stat(path).st_mode & 0o7777)
            os.replace(self.file.name, path)
        except OSError as err:
            self.discard()
            raise ConsulInjectError(f"{path}: cannot write: {err.strerror}") from None

    def discard(self) -> None:
        self.file.close()
        name = getattr(self.file, "name", None)
        if isinstance(name, str):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)


def to_json(text: str) -> str:
    """A YAML stream as JSON: one object, or a `v1 List` when there are several."""
    try:
        docs = [d for d in yaml.load_all(text, Loader=yamlcodec.KubeLoader) if d is not None]
    except yaml.YAMLError as err:
        raise ConsulInjectError(f"cannot convert the output to JSON: {err}") from None
    data = docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
