"""The one expected failure: bad input. Everything else is a bug (exit 3)."""

from __future__ import annotations


class InputError(Exception):
    """Input that cannot be processed; the message is one line shaped
    `<where>: <what is wrong>; <what is accepted>` and the process exits 1."""


class AnnotationError(InputError):
    """A pod-template annotation (or field) with a bad value; `where` is added by the caller."""

    def __init__(self, key: str, problem: str, accepted: str = "") -> None:
        self.key = key
        self.problem = problem
        self.accepted = accepted
        super().__init__(self.text())

    def text(self) -> str:
        tail = f"; {self.accepted}" if self.accepted else ""
        return f"{self.key}: {self.problem}{tail}"


class AnnotationErrors(InputError):
    """Several independent problems found in one pass (each item of a list annotation)."""

    def __init__(self, errors: list[AnnotationError]) -> None:
        self.errors = errors
        super().__init__("; ".join(e.text() for e in errors))


class ValuesError(InputError):
    """A chart value with a bad type or content, named by its dotted key path."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"values: {key}: {problem}")
