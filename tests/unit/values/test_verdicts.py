"""Same verdict everywhere: `consul-inject validate FILE` and the post-renderer `consul-inject
-f FILE` accept the same values files and refuse the others with the same errors, for the whole
values corpus (tests/values: good, bad, seed) and for values the settings mapper or the inject
decision used to refuse on their own (namespaceSelector mistakes among them)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from consul_inject import cli
from consul_inject.problems import Problem

REPO = Path(__file__).resolve().parents[3]
VALUES = REPO / "tests" / "values"
CORPUS = sorted(VALUES.glob("*/*.yaml"))
CA = REPO / "tests" / "golden" / "script-flag-order-acl-tls-partition-namespace" / "ca.pem"
STREAM = (REPO / "tests" / "hostile" / "cases" / "values-set-deep-key" / "input.yaml").read_bytes()
PREFIX = "consul-inject: error: "


def _selector(text: str) -> dict[str, Any]:
    return {"connectInject": {"namespaceSelector": text}}


MORE: dict[str, dict[str, Any]] = {
    "selector-bogus-operator": _selector("matchExpressions: [{key: a, operator: Bogus, values: [x]}]"),
    "selector-not-a-map": _selector("[a, b]"),
    "selector-bad-yaml": _selector("matchLabels: {a: [b"),
    "selector-item-not-a-map": _selector("matchExpressions: [x]"),
    "selector-expressions-not-a-list": _selector("matchExpressions: {key: a, operator: Exists}"),
    "selector-values-not-a-list": _selector("matchExpressions: [{key: a, operator: In, values: x}]"),
    "selector-labels-not-a-map": _selector("matchLabels: [a]"),
    "selector-template": _selector("{{ .Values.selector }}"),
    "selector-good": _selector("matchLabels: {kubernetes.io/metadata.name: apps}"),
    "selector-good-expressions": _selector(
        "matchExpressions: [{key: kubernetes.io/metadata.name, operator: In, values: [apps]}]"),
    "auth-method-not-a-name": {"connectInject": {"overrideAuthMethodName": "a$(reboot)"}},
    "scrape-path-not-a-path": {"connectInject": {"metrics": {"defaultPrometheusScrapePath": "x y"}}},
    "quantity-infinite": {"connectInject": {"sidecarProxy": {"resources": {"limits": {"cpu": 1e999}}}}},
    "prefix-unsafe": {"global": {"enableConsulNamespaces": True}, "connectInject": {
        "consulNamespaces": {"mirroringK8S": True, "mirroringK8SPrefix": "a;b"}}},
    "partition-unsafe": {"global": {"enableConsulNamespaces": True,
                                    "adminPartitions": {"enabled": True, "name": "p'1"}}},
    "concurrency-text": {"connectInject": {"sidecarProxy": {"concurrency": "two"}}},
    "boolean-as-text": {"connectInject": {"transparentProxy": {"defaultEnabled": "yes"}}},
    "api-timeout-negative": {"global": {"consulAPITimeout": "-1s"}},
}


def _run(argv: list[str], stdin: bytes, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def _validate(path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    code, out, _ = _run(["validate", "--output", "json", str(path)], b"", capsys, monkeypatch)
    errors = [Problem(p["message"], key=p["path"], where=p["file"] or "", line=p["line"],
                      column=p["column"]).text()
              for p in json.loads(out)["problems"] if p["severity"] == "error"]
    return code, errors


def _post_render(path: Path, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> tuple[int, list[str]]:
    code, out, err = _run(["-n", "apps", "-f", str(path), "--consul-ca-file", str(CA),
                           "--consul-dns-ip", "10.0.0.10"], STREAM, capsys, monkeypatch)
    if code != 0:
        assert out == ""
        return code, [line.removeprefix(PREFIX) for line in err.splitlines()]
    assert "injected" in err or "skipped" in err, err
    return code, []


def _cases(tmp: Path) -> list[Path]:
    written = []
    for name, tree in MORE.items():
        path = tmp / f"{name}.yaml"
        path.write_text(json.dumps(tree), encoding="utf-8")  # JSON is YAML
        written.append(path)
    return [*CORPUS, *written]


def test_validate_and_the_post_renderer_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUL_INJECT_LOG", str(tmp_path / "last-run.log"))
    monkeypatch.delenv("CONSUL_INJECT_HELM4", raising=False)
    disagree, refused, accepted = [], 0, 0
    for path in _cases(tmp_path):
        verdicts = (_validate(path, capsys, monkeypatch), _post_render(path, capsys, monkeypatch))
        if verdicts[0] != verdicts[1]:
            disagree.append((path.name, *verdicts))
        assert verdicts[0][0] in (0, 1), (path.name, verdicts)
        refused += verdicts[0][0] == 1
        accepted += verdicts[0][0] == 0
    assert disagree == []
    assert refused >= len(list(VALUES.glob("bad/*.yaml"))) + 14
    assert accepted >= len(list(VALUES.glob("seed/*.yaml"))) + 3
