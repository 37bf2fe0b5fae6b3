"""usage: the parsers' help is as wide as the terminal, found without shutil."""

from __future__ import annotations

import pytest

from consul_inject import usage


def test_the_width_is_columns_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    assert usage.HelpFormatter("prog")._width == 48  # argparse keeps two columns spare


@pytest.mark.parametrize("columns", ["", "0", "-3", "wide"])
def test_without_a_usable_columns_the_terminal_or_80(monkeypatch: pytest.MonkeyPatch,
                                                     columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    monkeypatch.setattr("os.get_terminal_size", _no_terminal)
    assert usage.HelpFormatter("prog")._width == 78


def _no_terminal(fd: int) -> None:
    raise OSError("not a terminal")


def test_help_wraps_to_the_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    parser = usage.Parser(prog="p", description="word " * 30)
    assert max(len(line) for line in parser.format_help().splitlines()) <= 40
    raw = usage.Parser(prog="p", description="one line\nanother",
                       formatter_class=usage.RawDescriptionHelpFormatter)
    assert "one line\nanother\n" in raw.format_help()
