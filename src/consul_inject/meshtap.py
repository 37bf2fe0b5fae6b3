"""Between the pipeline and the output when the release's intentions are made (`inject
--intentions`): the stream's own ServiceIntentions are kept back while it flows, then written
after it, merged with the generated ones, so none is replaced by a second of the same name.

Light on purpose: the post-renderer imports it; the intentions module loads only when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from consul_inject import passes, pipeline, stream

KIND = "ServiceIntentions"


class Tap:
    """A sink: passes every piece through to `write` but the ServiceIntentions documents, which
    it holds while `settings()` asks for intentions (settings are known before any document is
    written: they may come from the stream's settings ConfigMap)."""

    def __init__(self, write: Callable[[str], object], settings: Callable[[], Any]) -> None:
        self.write = write
        self.settings = settings
        self.held: list[str] = []
        self.ends_line = True

    def enabled(self) -> bool:
        return bool(getattr(self.settings(), "intentions", False))

    def __call__(self, piece: str) -> None:
        if KIND in piece and self.enabled() and passes.sniff_kind(piece) == KIND:
            self.held.append(piece)
            return
        if piece:
            self.write(piece)
            self.ends_line = piece.endswith("\n")

    def finish(self, result: pipeline.Result, default_namespace: str) -> None:
        """Write the held and generated intentions after the stream; their notes and errors
        join the run's report."""
        if not self.enabled() or result.report.errors:
            for piece in self.held:  # as they came (nothing is written on errors anyway)
                self._append(piece)
            return
        from consul_inject import intentions  # loads only when intentions are made

        plan = intentions.plan(result.facts, self.held, self.settings(), default_namespace)
        result.report.errors.extend(plan.errors)
        result.report.notes.extend(plan.notes)
        for text, _ in plan.documents:
            self._append(text)

    def _append(self, text: str) -> None:
        """A document after the stream's last one: on a line of its own, after a `---`."""
        if not self.ends_line:
            self.write("\n")
        if not any(stream.is_document_start(line) for line in text.split("\n")):
            text = "---\n" + text
        self.write(text)
        self.ends_line = text.endswith("\n")
