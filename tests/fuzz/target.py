"""Fuzz target: the whole stdin -> stdout path of the post-renderer (`consul_inject.cli.main`
with no subcommand, in-process), fed mutated valid manifests.

Invariants checked for every input (a violation is a Finding):

- the exit code is 0 or 1: never 2 (usage), 3 (internal error) or an exception escaping main;
- exit 1: nothing on stdout; stderr is one or more lines, each `consul-inject: error: ...`;
- exit 0: empty input gives empty output, non-empty input never gives empty output; the output
  parses and has the same documents (apiVersion, kind, namespace, name; List items included) in
  the same order; when nothing was injected the output is the input, byte for byte;
- no input takes more than SLOW_SECONDS (reported, not a pass/fail timer: run.py also runs under
  RLIMIT_AS/RLIMIT_CPU, so a memory or CPU blow-up surfaces as MemoryError -> exit 3 or SIGXCPU).

Mutations (`mutate`): byte flips, YAML syntax tokens inserted at random places, random
`consul.hashicorp.com/*` annotations with hostile values, random deep nesting, anchors and aliases
(including alias bombs), duplicated, deleted and re-indented lines, CRLF, Unicode, and splices of
two seeds. Seeds are the golden inputs.
"""

from __future__ import annotations

import contextlib
import io
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from consul_inject import cli, yamlcodec
from consul_inject.webhooks.v0_49 import annotations as ann

REPO = Path(__file__).parents[2]
ARGV = ("--namespace", "apps", "--missing-service", "warn")
# The same under the consul-dataplane webhooks (Consul DNS needs the cluster resolver).
DATAPLANE_ARGV = {version: (*ARGV, "--consul-k8s-version", version, "--cluster-dns-ip",
                            "10.96.0.10") for version in ("2.0", "1.9")}
SLOW_SECONDS = 10.0
PREFIX = "consul-inject: error: "


def seeds(argv: tuple[str, ...] = ARGV) -> list[bytes]:
    """The golden inputs that the post-renderer accepts with `argv`: valid manifests of every
    workload kind, Services, Lists, CRDs, comments, CRLF, JSON."""
    found = sorted((REPO / "tests" / "golden").glob("*/input.yaml"))
    return [data for p in found if run_cli(data := p.read_bytes(), argv)[0] == 0]


@dataclass(frozen=True)
class Finding:
    kind: str  # exit-3, exit-2, exception, stdout-on-error, bad-error-line, empty-output, ...
    detail: str
    data: bytes

    def signature(self) -> str:
        """Groups findings with the same cause: the kind and the detail without numbers/quotes."""
        text = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", self.detail.splitlines()[0] if self.detail else "")
        return f"{self.kind}: {text[:160]}"


class _Stream:
    """A stand-in for sys.stdin/sys.stdout: text on top of a bytes `.buffer`."""

    def __init__(self, data: bytes = b"") -> None:
        self.buffer = io.BytesIO(data)

    def read(self) -> str:
        return self.buffer.read().decode("utf-8")

    def write(self, text: str) -> int:
        self.buffer.write(text.encode("utf-8"))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def _captured(data: bytes) -> Iterator[tuple[_Stream, io.StringIO]]:
    stdout, err = _Stream(), io.StringIO()
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = _Stream(data), stdout, err
    try:
        yield stdout, err
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved


_LOG_DIR = tempfile.mkdtemp(prefix="consul-inject-fuzz-")


@contextlib.contextmanager
def _environment() -> Iterator[None]:
    """The log goes to a private folder and Helm 4 mode is off, for this call only."""
    keys = ("CONSUL_INJECT_LOG", "CONSUL_INJECT_HELM4")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ["CONSUL_INJECT_LOG"] = os.path.join(_LOG_DIR, "last-run.log")
    os.environ.pop("CONSUL_INJECT_HELM4", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_cli(data: bytes, argv: tuple[str, ...] = ARGV) -> tuple[int | None, bytes, str, str]:
    """(exit code or None, stdout, stderr, escaped exception) of main() on `data` as stdin."""
    escaped = ""
    code: int | None = None
    with _environment(), _captured(data) as (out, err):
        try:
            code = cli.main(list(argv))
        except BaseException as exc:  # anything escaping main (even SystemExit) is a finding
            escaped = f"{type(exc).__name__}: {exc}"
    return code, out.buffer.getvalue(), err.getvalue(), escaped


def _identities(text: str) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for doc in yaml.load_all(text, Loader=yamlcodec.KubeLoader):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            out.append(("not-a-mapping", type(doc).__name__))
            continue
        raw_items = doc.get("items")
        items: list[Any] = raw_items if isinstance(raw_items, list) else []
        for res in [doc, *items]:
            if isinstance(res, dict):
                raw_meta = res.get("metadata")
                meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
                out.append((res.get("apiVersion"), res.get("kind"), meta.get("namespace"),
                            meta.get("name")))
    return out


def _last_internal_error() -> str:
    try:
        text = Path(_LOG_DIR, "last-run.log").read_text(encoding="utf-8")
    except OSError:
        return ""
    return text.strip().splitlines()[-1] if text.strip() else ""


def check(data: bytes, argv: tuple[str, ...] = ARGV) -> Finding | None:
    """Run one input; the first invariant it breaks, or None."""
    start = time.process_time()
    code, out, err, escaped = run_cli(data, argv)
    spent = time.process_time() - start
    if escaped:
        return Finding("exception", escaped, data)
    if code == 3:
        return Finding("exit-3", _last_internal_error() or err.strip(), data)
    if code not in (0, 1):
        return Finding(f"exit-{code}", err.strip()[:500], data)
    if spent > SLOW_SECONDS:
        return Finding("slow", f"{spent:.1f} s of CPU", data)
    if code == 1:
        lines = err.splitlines()
        if out:
            return Finding("stdout-on-error", out[:200].decode("utf-8", "replace"), data)
        if not lines or not err.endswith("\n"):
            return Finding("bad-error-line", repr(err[:300]), data)
        for line in lines:
            if not line.startswith(PREFIX):
                return Finding("bad-error-line", line[:300], data)
        return None
    return _check_accepted(data, out, err)


def _check_accepted(data: bytes, out: bytes, err: str) -> Finding | None:
    if not data:
        return None if out == b"" else Finding("output-from-empty", repr(out[:200]), data)
    text = data.decode("utf-8")
    try:
        given = _identities(text)
    except yaml.YAMLError as exc:
        return Finding("accepted-invalid-yaml", str(exc).splitlines()[0], data)
    if given and not out:
        return Finding("empty-output", "documents in, nothing out", data)
    try:
        produced = _identities(out.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return Finding("output-not-yaml", str(exc).splitlines()[0], data)
    if produced != given:
        return Finding("documents-changed", f"{given[:5]} -> {produced[:5]}", data)
    if re.search(r"^consul-inject: 0 injected\b", err, re.MULTILINE) and out != data:
        return Finding("passthrough-not-byte-identical", "nothing injected but output differs", data)
    return None


# ------------------------------------------------------------------ mutations

TOKENS = [
    "&a ", "*a", "<<: *a\n", "? ", "- ", ": ", "{", "}", "[", "]", ",", "!!set ", "!!binary ",
    "!!python/object:os.system ", "!!omap ", "!custom ", "!<tag:example.com,2000:x> ", "%YAML 1.1\n",
    "---\n", "...\n", "--- |\n", "\t", '"', "'", "|", ">-\n", "#", "\ufeff", "\r\n", "\r", "\x00",
    "\x85", "\u2028", "\ud7ff", "\U0001f600", "$(reboot)", "`id`", "\\", "~", "null", "0x1F",
    "0644", "1e3", ".nan", "yes", "\n  ", "\n- x\n", "kind: List\n", "kind: Pod\n",
    "apiVersion: v1\n", "items: []\n", "metadata: {name: x}\n",
]
ANNOTATION_KEYS = sorted(k for k in ann.KNOWN if k != ann.P)
ANNOTATION_VALUES = [
    '"true"', '"false"', '""', "true", "42", "[a, b]", "{a: b}", "~", '"web"', '"web,web-admin"',
    '"8080"', '"8080,9090"', '"db:1234"', '"db:1234,cache:2345:dc2"', '"prepared_query:q:1234"',
    '"db.ns.ap:1234"', '"db.svc.ns.ns.p.peer:1234"', '"$(reboot)"', "'\";reboot;\"'",
    '"fe80::1%eth0"', '"10.0.0.0/8"', '"1000,1001"', '"/metrics"', '"/certs/ca.pem"', '"100m"',
    '"128Mi"', '"-1"', '"--log-level debug"', "'[{\"name\": \"v\", \"emptyDir\": {}}]'",
    '"\\u0000"', '"web\\nweb"', '"' + "x" * 10_000 + '"', '"' + "9," * 2000 + '9"',
]


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def m_flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    pos = rng.randrange(len(data))
    return data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1:]


def m_token(rng: random.Random, text: str) -> str:
    pos = rng.randrange(len(text) + 1)
    return text[:pos] + rng.choice(TOKENS) + text[pos:]


def m_annotation(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    spots = [i for i, line in enumerate(lines) if line.strip().startswith("annotations:")]
    key, value = rng.choice(ANNOTATION_KEYS), rng.choice(ANNOTATION_VALUES)
    if not spots:
        return text
    i = rng.choice(spots)
    indent = len(lines[i]) - len(lines[i].lstrip()) + 2
    if lines[i].strip() != "annotations:":  # flow style: annotations: {...}
        return text.replace(lines[i], lines[i].replace("{", f"{{{key}: {value}, ", 1), 1)
    lines.insert(i + 1, " " * indent + f"{key}: {value}\n")
    return "".join(lines)


def m_nest(rng: random.Random, text: str) -> str:
    depth = rng.choice([5, 50, 150, 199, 201, 300, 1200])
    opener, closer = rng.choice([("[", "]"), ("{a: ", "}")])
    lines = _lines(text)
    spots = [i for i, line in enumerate(lines) if re.match(r"^\s*[A-Za-z]+: \S", line)]
    if not spots:
        return text
    i = rng.choice(spots)
    key, _, value = lines[i].rstrip("\r\n").partition(": ")
    lines[i] = f"{key}: {opener * depth}{value}{closer * depth}\n"
    return "".join(lines)


def m_anchor(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    spots = [i for i, line in enumerate(lines) if re.match(r"^\s*[A-Za-z][\w.-]*:(\s|$)", line)]
    if len(spots) < 2:
        return text
    a, b = sorted(rng.sample(spots, 2))
    if rng.random() < 0.3:  # an alias bomb on a new top-level key
        levels = rng.choice([3, 6, 9])
        bomb = "lol:\n  b0: &b0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"  b{j}: &b{j} [{', '.join([f'*b{j - 1}'] * 10)}]\n" for j in range(1, levels))
        return text.rstrip("\n") + "\n" + bomb if "lol:" not in text else text
    key_a = lines[a].split(":", 1)
    lines[a] = f"{key_a[0]}: &anc{a}{key_a[1]}" if key_a[1].strip() else f"{key_a[0]}: &anc{a}\n"
    key_b = lines[b].split(":", 1)[0]
    lines[b] = f"{key_b}: *anc{a}\n"
    return "".join(lines)


def m_lines(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = rng.randrange(len(lines))
    op = rng.randrange(5)
    if op == 0:
        lines.insert(i, lines[i])  # duplicate (duplicate keys)
    elif op == 1:
        del lines[i]
    elif op == 2:
        lines[i] = " " * rng.choice([1, 2, 3]) + lines[i]
    elif op == 3:
        lines[i] = lines[i].lstrip(" ")
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def m_crlf(rng: random.Random, text: str) -> str:
    return text.replace("\n", "\r\n") if rng.random() < 0.5 else "\ufeff" + text


def m_unicode(rng: random.Random, text: str) -> str:
    pos = rng.randrange(len(text) + 1)
    ch = chr(rng.choice([0xE9, 0x2028, 0x85, 0xFEFF, 0x1F600, 0x200B, 0x3000, 0xA0, 0x7F, 0x1B]))
    return text[:pos] + ch + text[pos:]


def m_splice(rng: random.Random, text: str, other: str) -> str:
    a, b = rng.randrange(len(text) + 1), rng.randrange(len(other) + 1)
    return text[:a] + other[b:]


TEXT_MUTATORS: list[Callable[[random.Random, str], str]] = [
    m_token, m_annotation, m_annotation, m_nest, m_anchor, m_lines, m_lines, m_crlf, m_unicode]


def mutate(rng: random.Random, corpus: list[bytes]) -> bytes:
    """One fuzz input: a seed with 1 to 4 mutations (mostly one or two)."""
    data = rng.choice(corpus)
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        roll = rng.random()
        if roll < 0.12:
            data = m_flip(rng, data)
            continue
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            data = m_flip(rng, data)
            continue
        if roll < 0.18:
            text = m_splice(rng, text, rng.choice(corpus).decode("utf-8", "replace"))
        else:
            text = rng.choice(TEXT_MUTATORS)(rng, text)
        data = text.encode("utf-8", "surrogatepass")
    return data


# Known bugs (reported, with reproducers in tests/hostile/cases/): a fuzz run lists them, the
# smoke test tolerates them; anything else fails it.
KNOWN = {
    # By design (README, SECURITY.md): kinds injection never reads pass through unparsed, so
    # invalid YAML in them is left for Helm and kubectl to report.
    "accepted-invalid-yaml": "documents of kinds injection never reads are not parsed",
    "output-not-yaml": "documents of kinds injection never reads are not parsed",
}


def known(finding: Finding) -> str | None:
    signature = finding.signature()
    return next((why for prefix, why in KNOWN.items() if signature.startswith(prefix)), None)
