"""Spool: output held back until every input is good, in memory first, then on disk."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from consul_inject import sources


def test_streams_are_separated_by_document_markers() -> None:
    spool = sources.Spool()
    spool.start_stream()
    spool.write("a: 1")
    spool.start_stream()
    spool.write("b: 2\n")
    spool.start_stream()
    spool.write("---\nc: 3\n")
    assert spool.read() == b"a: 1\n---\nb: 2\n---\nc: 3\n"


def test_large_output_moves_to_a_temporary_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources.Spool, "IN_MEMORY", 10)
    spool = sources.Spool()
    spool.write("x" * 8)
    assert isinstance(spool.file, io.BytesIO)
    spool.write("y" * 8)
    assert not isinstance(spool.file, io.BytesIO)
    assert spool.read() == b"x" * 8 + b"y" * 8
    spool.discard()


def test_commit_renames_over_the_target_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old\n")
    target.chmod(0o640)
    spool = sources.Spool(target)
    spool.write("new\n")
    spool.commit(target)
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]


def test_discard_leaves_the_target_alone(tmp_path: Path) -> None:
    target = tmp_path / "out.yaml"
    target.write_text("old\n")
    spool = sources.Spool(target)
    spool.write("new\n")
    spool.discard()
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.yaml"]
