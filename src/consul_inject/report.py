"""What happened to each workload, as stderr text or JSON, and where the user sees it: stderr,
the terminal under Helm 4 (which drops a post-renderer's stderr), and the log file. Never
prints YAML."""

import json
import os
import sys
from typing import Any, NamedTuple

from consul_inject.problems import Problem
from consul_inject.workloads import Ref


def printable(text: str, limit: int = 1000) -> str:
    """One line of printable text: control characters escaped, very long input shortened."""
    if len(text) <= limit and text.isprintable():  # nearly every line: no walk character by character
        return text
    out = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)
    if len(out) > limit:
        out = out[: limit // 2] + f"...({len(out) - limit} characters)..." + out[-limit // 2 :]
    return out


class Entry(NamedTuple):
    ref: Ref
    template: str  # where the resource came from: `# Source:` template, file, or stdin
    outcome: str  # "injected" | "skipped"
    reason: str = ""
    services: tuple[str, ...] = ()
    upstreams: tuple[str, ...] = ()


class Report:
    __slots__ = ("documents", "entries", "errors", "left_out", "notes", "warnings")

    def __init__(self, *, entries: list[Entry] | None = None, warnings: list[str] | None = None,
                 errors: list[Problem] | None = None, notes: list[str] | None = None,
                 documents: int = 0, left_out: str = "") -> None:
        self.entries = entries if entries is not None else []
        self.warnings = warnings if warnings is not None else []
        self.errors = errors if errors is not None else []
        self.notes = notes if notes is not None else []  # advice; --strict leaves these alone
        self.documents = documents
        self.left_out = left_out  # a file that holds no Kubernetes resources: why, and its fate

    def warn(self, where: str, ref: Ref | None, message: str) -> None:
        subject = f"{where}: {ref}: " if ref is not None else f"{where}: "
        self.warnings.append(printable(subject + message))

    def count(self, outcome: str) -> int:
        return sum(1 for e in self.entries if e.outcome == outcome)

    def summary(self) -> str:
        docs = "document" if self.documents == 1 else "documents"
        extra = "".join(f", {self.count(x)} {x}" for x in ("uninjected", "created") if self.count(x))
        return (f"{self.count('injected')} injected, {self.count('skipped')} skipped{extra}, "
                f"{self.documents} {docs}")

    def text(self) -> str:
        if self.left_out:
            return f"left out: {printable(self.left_out)}\n"
        lines = [f"warning: {w}" for w in self.warnings] + [f"note: {n}" for n in self.notes]
        lines += [self._entry_line(e) for e in self.entries]
        lines.append(f"consul-inject: {self.summary()}")
        # Names come from the input: no raw escape sequence or carriage return reaches a terminal.
        return "".join(printable(line) + "\n" for line in lines)

    @staticmethod
    def _entry_line(e: Entry) -> str:
        line = f"{e.ref} {e.outcome}"
        if e.outcome in ("skipped", "created") and e.reason:
            line += f": {e.reason}"
        if e.outcome == "injected":
            details = []
            if e.ref.namespace:
                details.append(f"namespace {e.ref.namespace}")
            if e.services:
                details.append("as " + ", ".join(e.services))
            if e.upstreams:
                # Only the first service's proxy of a multi-port pod gets upstreams.
                first = f" (on {e.services[0]})" if len(e.services) > 1 else ""
                details.append(f"upstreams{first} " + ", ".join(e.upstreams))
            if details:
                line += f" ({'; '.join(details)})"
        return line

    def as_json(self) -> str:
        data: dict[str, Any] = {
            "workloads": [
                {
                    "kind": e.ref.kind, "name": e.ref.name, "namespace": e.ref.namespace,
                    "template": e.template, "outcome": e.outcome, "reason": e.reason,
                    "services": list(e.services), "upstreams": list(e.upstreams),
                }
                for e in self.entries
            ],
            "warnings": self.warnings,
            "notes": self.notes,
            "errors": [p.text() for p in self.errors],
            "documents": self.documents,
        }
        if self.left_out:
            data["left_out"] = self.left_out
        return json.dumps(data, indent=2) + "\n"


def log_path() -> str:
    """$CONSUL_INJECT_LOG, else $XDG_STATE_HOME/consul-inject/last-run.log. (os.path, not
    pathlib: a Helm render from stdin never imports pathlib, 3 ms with what it imports.)"""
    explicit = os.environ.get("CONSUL_INJECT_LOG")
    if explicit:
        return explicit
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                             "state")
    return os.path.join(state, "consul-inject", "last-run.log")


def under_helm4() -> bool:
    """Set by the plugin's launcher; HELM_PLUGIN_NAME alone would also match Helm 3 plugins
    (helm-diff) that run `helm template --post-renderer consul-inject`."""
    return os.environ.get("CONSUL_INJECT_HELM4") == "1"


def write_log(text: str) -> None:
    try:
        path = log_path()
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w", encoding="utf-8") as log:
            log.write(text)
    except OSError:
        pass


def tell_user(text: str) -> None:
    """Errors reach stderr; under Helm 4 (which drops stderr) also the terminal, unless the
    `consul-inject helm` wrapper runs Helm and shows the log itself."""
    sys.stderr.write(text)
    if under_helm4() and os.environ.get("CONSUL_INJECT_WRAPPED") != "1":
        try:
            with open("/dev/tty", "w", encoding="utf-8") as tty:
                tty.write(text)
        except OSError:
            pass


def fail(text: str) -> None:
    """An error message to the user, and to the log file."""
    tell_user(text)
    write_log(text)
