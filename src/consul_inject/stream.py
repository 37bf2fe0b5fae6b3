"""Split a multi-document YAML stream into documents that keep their original text, and join it back.

Boundaries follow the YAML rules a real parser applies: a line that starts with `---` followed by
whitespace or the line end opens a document, a `...` line closes one, and directives, comments and
blank lines before a document belong to it. Nothing here decides anything about injection.
"""

import re
from collections.abc import Iterator
from typing import NamedTuple

from consul_inject.problems import ConsulInjectError

BOM = "\ufeff"
_SOURCE_RE = re.compile(r"^# Source: (\S.*?)\s*$")


def _is_marker(line: str, marker: str) -> bool:
    return line.startswith(marker) and (len(line) == 3 or line[3] in " \t\r\n")


def is_document_start(line: str) -> bool:
    return _is_marker(line, "---")


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _is_prelude(line: str) -> bool:
    """Lines that may stand before a document's content without starting it."""
    return _is_blank_or_comment(line) or line.startswith("%")


class Segment(NamedTuple):
    """One stretch of the stream: a document with its leading comments, or trailing text."""

    text: str
    line: int  # 1-based line of the segment's first line in the whole stream
    is_document: bool

    @property
    def crlf(self) -> bool:
        return "\r\n" in self.text

    def template(self) -> str | None:
        """The Helm 3 `# Source:` template named before the content, if any."""
        for line in self.text.split("\n"):
            if _is_marker(line, "---") or _is_prelude(line):
                match = _SOURCE_RE.match(line.rstrip("\r"))
                if match:
                    return match.group(1)
                continue
            break
        return None

    def split_for_rewrite(self) -> tuple[str, str]:
        """(prefix, trailing): text to keep around a re-serialised body.

        The prefix holds the leading comments and a bare `---` line; the trailing part holds the
        column-0 comments and `...` lines after the content. Blank lines at the end are dropped, as
        they could belong to a keep-chomped block scalar.
        """
        lines = self.text.split("\n")
        prefix: list[str] = []
        for line in lines:
            bare = line.rstrip("\r")
            if _is_marker(bare, "---"):
                rest = bare[3:].strip()
                if rest and not rest.startswith("#"):
                    prefix.append("---")
                    break
                prefix.append(bare)
                continue
            if _is_prelude(bare):
                prefix.append(bare)
                continue
            break
        trailing: list[str] = []
        for line in reversed(lines):
            bare = line.rstrip("\r")
            if bare.startswith("#") or _is_marker(bare, "..."):
                trailing.insert(0, bare)
            elif bare.strip() or trailing:
                break
        head = "".join(p + "\n" for p in prefix)
        tail = "".join(t + "\n" for t in trailing)
        return head, tail


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        col = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        raise ConsulInjectError(
            f"{source}:{line}:{col}: input is not UTF-8 (byte 0x{data[err.start]:02x}); "
            "Kubernetes manifests must be UTF-8 text"
        ) from None


# Lines Helm (and kubectl) print on stderr, found at column 0 when a stream was captured with
# `2>&1`. No Kubernetes document has such a line: its top-level keys are lower-case words
# (apiVersion, kind, ...) and everything nested is indented.
_TOOL_OUTPUT_RE = re.compile(
    r"^(?:(?P<go>[A-Za-z0-9_.-]+\.go:[0-9]+: )|(?P<helm>WARNING: )|(?P<api>Warning: )"
    r"|(?P<error>Error: )|(?P<klog>[IWEF][0-9]{4} [0-9:.]{8,15} +[0-9]+ [A-Za-z0-9_.-]+\.go:[0-9]+\] ))"
    r".*$", re.MULTILINE)
_TOOL_OUTPUT_MARKS = (".go:", "WARNING: ", "Warning: ", "Error: ")  # in every shape above
_TOOL_OUTPUT_WHAT = {
    "go": "a warning or debug line Helm prints on stderr (from its Go source file)",
    "helm": "a warning Helm prints on stderr (a deprecated chart, a missing dependency, ...)",
    "api": "a warning kubectl or Helm passes on from the API server on stderr",
    "error": "an error Helm or kubectl printed on stderr: the render itself may have failed",
    "klog": "a log line kubectl prints on stderr",
}


def check_tool_output(text: str, source: str) -> None:
    """Refuse a stream holding a line of Helm's or kubectl's own stderr: captured with `2>&1`,
    it is either invalid YAML or, worse, a document of its own that passes unnoticed."""
    # A substring scan is far cheaper than the expression at every line: most streams stop here.
    if not any(mark in text for mark in _TOOL_OUTPUT_MARKS):
        return
    match = _TOOL_OUTPUT_RE.search(text)
    if match is None:
        return
    line = text.count("\n", 0, match.start()) + 1
    shown = match.group(0).rstrip("\r")
    shown = shown if len(shown) <= 120 else shown[:117] + "..."
    what = _TOOL_OUTPUT_WHAT[str(match.lastgroup)]
    raise ConsulInjectError(
        f"{source}:{line}: {shown!r} is not YAML but {what}; the manifests were captured "
        "together with stderr (2>&1): redirect only stdout (helm template ... > rendered.yaml), "
        "or run consul-inject as Helm's --post-renderer, which receives the manifests alone")


def _lines(text: str) -> Iterator[str]:
    start = 0
    length = len(text)
    while start < length:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


_MARKER_RE = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)
_CONTENT_RE = re.compile(r"^(?![ \t]*(?:#|\r?$))(?!%)", re.MULTILINE)


def line_starts(text: str, prefix: str) -> Iterator[int]:
    """Where the lines of `text` that begin with `prefix` start (str.find: a multi-line regular
    expression tried at every line of a 4 MB release takes seven times as long)."""
    if text.startswith(prefix):
        yield 0
    at = text.find("\n" + prefix)
    while at != -1:
        yield at + 1
        at = text.find("\n" + prefix, at + 1)


def _marker_starts(body: str) -> list[int]:
    """Where `---` and `...` marker lines start, as _MARKER_RE finds them."""
    return sorted(i for marker in ("---", "...") for i in line_starts(body, marker)
                  if body[i + 3:i + 4] in ("", " ", "\t", "\r", "\n"))


def split(text: str) -> tuple[str, list[Segment]]:
    """Return (bom, segments); "".join of the segments' text after the BOM is the input."""
    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom) :]
    starts = _marker_starts(body)
    if all(body.startswith("---", i) for i in starts):
        return bom, _split_on_starts(body, starts)
    return bom, _split_lines(body)


def _split_on_starts(body: str, starts: list[int]) -> list[Segment]:
    """The common case, `---` markers only, with regular expressions instead of a line loop: each
    marker opens a document; what stands before the first one is its prelude when it holds only
    comments, blank lines and directives, else a bare document of its own."""
    if not body:
        return []
    if not starts or (starts[0] > 0 and _CONTENT_RE.search(body, 0, starts[0])):
        bounds = [0, *starts]  # a bare document first
    else:
        bounds = [0, *starts[1:]]
    segments: list[Segment] = []
    line = 1
    for i, start in enumerate(bounds):
        end = bounds[i + 1] if i + 1 < len(bounds) else len(body)
        chunk = body[start:end]
        explicit = chunk.startswith("---")
        has_content = explicit or _CONTENT_RE.search(chunk) is not None
        segments.append(Segment(chunk, line, has_content))
        line += chunk.count("\n")
    return segments


def _split_lines(body: str) -> list[Segment]:
    """Any stream, `...` end markers included: a line-by-line walk."""
    segments: list[Segment] = []
    current: list[str] = []
    current_line = 1
    line_no = 1
    explicit = False  # current segment opened with a `---` marker
    after_end = False  # a `...` closed the previous document

    def flush(next_line: int) -> None:
        nonlocal current, current_line
        if current:
            has_content = explicit or not all(_is_prelude(x) for x in current)
            segments.append(Segment("".join(current), current_line, has_content))
        current = []
        current_line = next_line

    for line in _lines(body):
        if _is_marker(line, "---"):
            only_prelude = all(_is_prelude(x) for x in current)
            if current and not (only_prelude and not explicit):
                flush(line_no)
            elif not current:
                current_line = line_no
            current.append(line)
            explicit = True
            after_end = False
        elif after_end and not current and segments and _is_marker(line, "..."):
            # Another `...` right after one: no new document, parsers skip it.
            last = segments[-1]
            segments[-1] = Segment(last.text + line, last.line, last.is_document)
        elif after_end and not _is_prelude(line):
            # A bare document after `...` (no `---`): a new document starts here.
            flush(line_no)
            explicit = False
            after_end = False
            current.append(line)
        else:
            if not current:
                current_line = line_no
            current.append(line)
            if _is_marker(line, "..."):
                flush(line_no + 1)
                explicit = False
                after_end = True
        line_no += 1
    flush(line_no)
    _merge_preludes(segments)
    return segments


def _merge_preludes(segments: list[Segment]) -> None:
    """Comments and directives that stand alone before a document become part of it."""
    i = 0
    while i < len(segments) - 1:
        seg = segments[i]
        if not seg.is_document and not seg.text.rstrip().endswith("..."):
            nxt = segments[i + 1]
            segments[i + 1] = Segment(seg.text + nxt.text, seg.line, nxt.is_document)
            del segments[i]
            continue
        i += 1


def join(bom: str, texts: list[str]) -> str:
    """The inverse of split."""
    return bom + "".join(texts)
