"""Input files and folders, atomic output, and JSON output: the file I/O of the command line."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from consul_inject import yamlcodec
from consul_inject.errors import InputError

EXTENSIONS = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Source:
    name: str  # as messages show it
    data: bytes
    path: Path | None  # None for stdin


def collect(paths: list[str]) -> list[Source]:
    """Read every input first (so `-o` may name an input file): files as given, folders walked
    recursively for .yaml/.yml/.json in sorted order, `-` for stdin."""
    sources: list[Source] = []
    for given in paths or ["-"]:
        if given == "-":
            sources.append(Source("<stdin>", sys.stdin.buffer.read(), None))
            continue
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in EXTENSIONS)
            if not found:
                raise InputError(f"{given}: no .yaml, .yml or .json files in this folder")
            sources.extend(_read(p) for p in found)
        else:
            sources.append(_read(path))
    return sources


def _read(path: Path) -> Source:
    try:
        return Source(str(path), path.read_bytes(), path)
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from None


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: a reader never sees a half
    file, and an error leaves the old content in place."""
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise InputError(f"{path}: cannot write: {err.strerror}") from None


def join(outputs: list[str]) -> str:
    """Concatenate several files' streams into one, with a `---` between documents."""
    parts: list[str] = []
    for text in outputs:
        if not text.strip():
            continue
        if parts:
            if not parts[-1].endswith("\n"):
                parts.append("\n")
            if not text.lstrip().startswith("---"):
                parts.append("---\n")
        parts.append(text)
    return "".join(parts)


def to_json(text: str) -> str:
    """A YAML stream as JSON: one object, or a `v1 List` when there are several."""
    try:
        docs = [d for d in yaml.load_all(text, Loader=yamlcodec.KubeLoader) if d is not None]
    except yaml.YAMLError as err:
        raise InputError(f"cannot convert the output to JSON: {err}") from None
    data = docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
