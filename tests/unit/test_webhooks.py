"""webhooks: the registry of consul-k8s webhook versions; every version behind base.Webhook."""

from __future__ import annotations

import inspect
from importlib import import_module
from typing import Any

import pytest

from consul_inject import webhooks
from consul_inject.webhooks import base


def test_the_default_version_is_0_49() -> None:
    assert webhooks.DEFAULT == "0.49"
    hook = webhooks.get()
    assert hook is webhooks.get("0.49")
    assert (hook.version, hook.release) == ("0.49", "0.49.8")


def test_an_unknown_version_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown consul-k8s version '1\.0'; expected one of "
                                         r"0\.49, 1\.9, 2\.0"):
        webhooks.get("1.0")


@pytest.mark.parametrize("version", sorted(webhooks.VERSIONS))
def test_every_version_is_its_package_s_webhook(version: str) -> None:
    """Registered under the version it says it is, as a package named after it."""
    package, name = webhooks.VERSIONS[version]
    hook: base.Webhook[Any] = webhooks.get(version)
    assert hook is getattr(import_module(package), name)
    assert hook.version == version
    # 1.9 is the 2.0 package's variant: its differences are data, not a second engine
    expected = "2.0" if version == "1.9" else version
    assert package == f"consul_inject.webhooks.v{expected.replace('.', '_')}"
    assert hook.release.startswith(version + ".")


PROTOCOL_METHODS = sorted(name for name, value in vars(base.Webhook).items()
                          if inspect.isfunction(value) and not name.startswith("_"))


@pytest.mark.parametrize("version", sorted(webhooks.VERSIONS))
@pytest.mark.parametrize("method", PROTOCOL_METHODS)
def test_every_version_has_the_interface_s_methods_and_parameters(version: str,
                                                                  method: str) -> None:
    """mypy checks the types; this checks the names and kinds a caller passes by keyword."""
    wanted = inspect.signature(getattr(base.Webhook, method))
    found = inspect.signature(getattr(type(webhooks.get(version)), method))
    assert [(p.name, p.kind) for p in found.parameters.values()] == \
        [(p.name, p.kind) for p in wanted.parameters.values()]


def test_the_interface_is_what_the_pipeline_calls() -> None:
    assert PROTOCOL_METHODS == ["advice", "decide", "inject", "is_injected", "settings",
                                "uninject"]


@pytest.mark.parametrize("version", sorted(webhooks.VERSIONS))
def test_the_release_table_matches_each_version(version: str) -> None:
    """--help and --version read RELEASES without importing every version."""
    assert webhooks.RELEASES[version] == webhooks.get(version).release


def test_injector_of_names_the_version_that_injected_a_template() -> None:
    template = {"metadata": {"annotations": {}}, "spec": {"containers": [{"name": "app"}]}}
    assert webhooks.injector_of(template) is None
    old = webhooks.get("0.49")
    new = webhooks.get("2.0")
    marked = {"metadata": {"annotations": {"consul.hashicorp.com/connect-inject-status":
                                           "injected"}}}
    assert webhooks.injector_of(marked) is old
    versioned = {"metadata": {"annotations": {
        "consul.hashicorp.com/connect-inject-status": "injected",
        "consul.hashicorp.com/consul-k8s-version": "v2.0.3"}}}
    assert webhooks.injector_of(versioned) in (new, webhooks.get("1.9"))
