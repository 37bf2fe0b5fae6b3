"""What the user must fix, and the one exception that carries it.

Every refusal (a bad annotation, a bad value, unreadable input) is a `Problem`: where it is, what
is wrong and what would be accepted. `ConsulInjectError` carries one or more of them and means
"bad input, exit 1"; any other exception is a bug (exit 3).
"""

from collections.abc import Iterable
from typing import Literal, NamedTuple

Severity = Literal["error", "warning"]


class Problem(NamedTuple):
    """One problem, printed as `<where>: <key>: <what is wrong>; <what is accepted>`."""

    message: str  # what is wrong
    fix: str = ""  # what is accepted, or how to fix it
    key: str = ""  # the annotation, field or dotted values key it is about
    where: str = ""  # a file, a template and resource, or a --set flag
    line: int | None = None  # 1-based, when `where` is a file
    column: int | None = None
    severity: Severity = "error"
    path: tuple[str | int, ...] = ()  # the values key path, for problems in values

    def location(self) -> str:
        if self.line:
            return f"{self.where}:{self.line}:{self.column or 1}"
        return self.where

    def text(self) -> str:
        """The problem as one line (without the `consul-inject: error:` prefix)."""
        what = f"{self.message}; {self.fix}" if self.fix else self.message
        parts = [self.location(), self.key, "" if self.severity == "error" else self.severity, what]
        return ": ".join(part for part in parts if part)

    def at(self, where: str) -> "Problem":
        """The same problem, placed (a template problem gains its file and resource)."""
        return self._replace(where=f"{where}: {self.where}" if self.where else where)


class ConsulInjectError(Exception):
    """Bad input: the problems that stopped the run (exit 1). A plain message is one problem."""

    def __init__(self, problems: str | Problem | Iterable[Problem]) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(p.text() for p in self.problems))


class TemplateError(ConsulInjectError):
    """A problem in a pod template (an annotation, a label or a field), found while deciding or
    injecting; the pipeline places it at its file and resource."""

    def __init__(self, key: str, message: str, fix: str = "") -> None:
        super().__init__(Problem(message, fix, key))

    @classmethod
    def of(cls, errors: "list[TemplateError]") -> "TemplateError":
        """Several independent problems found in one pass (each bad item of a list)."""
        combined = cls.__new__(cls)
        ConsulInjectError.__init__(combined, [p for e in errors for p in e.problems])
        return combined
