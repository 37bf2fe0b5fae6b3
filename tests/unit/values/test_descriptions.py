"""The schema's descriptions: every key has one, and each is consul-inject's own text.

values.yaml of the consul-connect-inject chart is generated from these descriptions, so they
must not be the official Consul chart's comments. The measurement, for each consul-k8s version's
schema (0.49 and the 1.9 and 2.0 overlays over it): no description may open with the same 60
characters as a comment of that version's official values.yaml (v0.49.8, v1.9.11, v2.0.3) (each comment block
joined into one line, `#` and surrounding whitespace stripped, runs of spaces made one; also
each paragraph of a block on its own), nor open with a whole short comment; and no description's
first 60 characters may occur inside such a comment, nor any comment's first 60 characters
inside a description. The official file is not part of the repository: the test skips without
it, except under CI, where it fails.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consul_inject.values import schema as schema_mod

REPO = Path(__file__).resolve().parents[3]
SCHEMA = REPO / "src" / "consul_inject" / "data" / "values.schema.json"
CORPUS = REPO.parent / "shared" / "corpus"
OFFICIAL = CORPUS / "consul-chart-v0.49.8-values.yaml"
RELEASES = {"0.49": "0.49.8", "1.9": "1.9.11", "2.0": "2.0.3"}
WIDTH = 60  # characters compared
SHORTEST = 12  # a shorter comment ("# Example:") is no sentence of anyone's
ANNOTATION = re.compile(r"^@[a-z]+:")  # helm-docs hints such as "@type: string"


def _normal(text: str) -> str:
    return " ".join(text.split())


def _described(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, schema node) of every property, also those of list items and map values;
    the rules under allOf are constraints, not keys."""
    if not isinstance(node, dict):
        return
    for key, sub in node.get("properties", {}).items():
        path = f"{where}.{key}" if where else key
        yield path, sub
        yield from _described(sub, path)
    for keyword in ("items", "additionalProperties"):
        if isinstance(node.get(keyword), dict):
            yield from _described(node[keyword], f"{where}[{keyword}]")


def _descriptions(version: str = "0.49") -> dict[str, str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8")) if version == "0.49" \
        else schema_mod.load(version)
    return {path: _normal(sub.get("description") or "") for path, sub in _described(schema)}


def _official_comments(official: Path = OFFICIAL) -> list[str]:
    """Each comment block of the official values.yaml as one line, and each of its paragraphs."""
    if not official.is_file():
        reason = f"{official} is absent: the official chart's values.yaml is not in the repository"
        if "CI" in os.environ:
            pytest.fail(reason)
        pytest.skip(reason)
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in official.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped.startswith("#"):
            current = None
            continue
        text = stripped.lstrip("#").strip()
        if ANNOTATION.match(text):
            continue
        if current is None:
            current = []
            blocks.append(current)
        current.append(text)
    comments: list[str] = []
    for block in blocks:
        comments.append(_normal(" ".join(block)))
        paragraph: list[str] = []
        for text in [*block, ""]:
            if text:
                paragraph.append(text)
            elif paragraph:
                comments.append(_normal(" ".join(paragraph)))
                paragraph = []
    return sorted({c for c in comments if len(c) >= SHORTEST})


def _shared(description: str, comment: str) -> bool:
    if description[:WIDTH] == comment[:WIDTH]:
        return True
    if len(comment) < WIDTH and description.startswith(comment):
        return True
    if len(description) >= WIDTH and description[:WIDTH] in comment:
        return True
    return len(comment) >= WIDTH and comment[:WIDTH] in description


def _copied(descriptions: dict[str, str], comments: list[str]) -> dict[str, str]:
    """Path -> the official comment a description shares its words with."""
    found: dict[str, str] = {}
    for path, description in descriptions.items():
        for comment in comments:
            if description and _shared(description, comment):
                found[path] = comment[:WIDTH]
                break
    return found


@pytest.mark.parametrize("version", list(RELEASES))
def test_every_property_has_a_description(version: str) -> None:
    descriptions = _descriptions(version)
    assert len(descriptions) > 200
    assert [path for path, text in descriptions.items() if not text] == []


@pytest.mark.parametrize("version", list(RELEASES))
def test_no_description_is_an_official_comment(version: str) -> None:
    comments = _official_comments(CORPUS / f"consul-chart-v{RELEASES[version]}-values.yaml")
    assert len(comments) > 300, "the official values.yaml has fewer comments than expected"
    copied = _copied(_descriptions(version), comments)
    assert copied == {}, (
        f"{len(copied)} descriptions open with, or contain, the official chart's words "
        "(write them anew):\n" + "\n".join(f"  {p}: {c!r}" for p, c in sorted(copied.items())))


def test_the_measurement_finds_a_copy() -> None:
    """The comparison itself: a copied comment is found, at the start or inside; fresh words
    are not."""
    comments = ["The number of deployment replicas.",
                "If true, the injector will inject the Connect sidecar into all pods by default. "
                "Otherwise, pods must specify the injection annotation."]
    found = _copied({"a": "The number of deployment replicas. Default 2.",
                     "b": comments[1], "c": "Note: " + comments[1],
                     "d": "Inject every pod that has no connect-inject annotation."}, comments)
    assert sorted(found) == ["a", "b", "c"]
