"""wrapper: what `consul-inject helm` reads from Helm's own arguments for the post-renderer."""

from __future__ import annotations

import pytest

from consul_inject import wrapper


@pytest.mark.parametrize(("args", "found"), [
    (["install", "web", "./chart", "-n", "apps"], "apps"),
    (["install", "web", "./chart", "--namespace=apps"], "apps"),
    (["install", "web", "./chart", "-napps"], "apps"),
    (["install", "web", "./chart", "-n", "one", "--namespace", "two"], "two"),
    (["install", "web", "./chart"], None),
])
def test_namespace_of(args: list[str], found: str | None) -> None:
    assert wrapper.namespace_of(args, {}) == found


def test_namespace_of_falls_back_to_helm_namespace() -> None:
    assert wrapper.namespace_of(["template", "web", "."], {"HELM_NAMESPACE": "env"}) == "env"


@pytest.mark.parametrize(("args", "found"), [
    (["template", "web", ".", "--kube-version", "1.28"], "1.28"),
    (["template", "web", ".", "--kube-version=v1.30.2"], "v1.30.2"),
    (["template", "web", "."], None),
])
def test_kube_version_of(args: list[str], found: str | None) -> None:
    assert wrapper.kube_version_of(args) == found
