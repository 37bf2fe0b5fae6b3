"""webhooks.base: the shapes a webhook version and the version-independent code exchange."""

from __future__ import annotations

import pytest

from consul_inject.webhooks.base import (
    Binding,
    Decision,
    SettingsContext,
    Upstream,
)


def test_decisions_and_upstreams_are_values() -> None:
    decision = Decision(True, "annotated")
    with pytest.raises(AttributeError):
        decision.inject = False  # type: ignore[misc]
    assert decision == Decision(True, "annotated")
    upstream = Upstream("db:5432", "service", "db", "", "", "", "", 5432)
    assert upstream.env_name == ""
    assert hash(upstream) == hash(Upstream("db:5432", "service", "db", "", "", "", "", 5432))


def test_bindings_do_not_share_their_lists() -> None:
    first, second = Binding.of(), Binding.of()
    first.warnings.append("w")
    first.missing.append("m")
    first.to_create.append({})
    assert (second.warnings, second.missing, second.to_create) == ([], [], [])


def test_settings_context_defaults() -> None:
    context = SettingsContext()
    assert (context.release, context.ca_cert, context.dns_ip) == ("consul", None, None)
    assert dict(context.environ) == {}
    with pytest.raises(TypeError):  # one shared default: it must not be writable
        context.environ["X"] = "1"  # type: ignore[index]
