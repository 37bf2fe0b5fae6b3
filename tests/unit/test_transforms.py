"""transforms: inject, uninject and reinject over one workload, against a recording webhook, so
that only the transforms' own logic is under test (which webhook call, with what, and which
outcome); tests/unit/webhooks/ test the webhook itself."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from consul_inject import transforms
from consul_inject.release import ReleaseIndex
from consul_inject.transforms import Inject, Outcome, Reinject, Uninject, Workload
from consul_inject.webhooks.base import Decision, Injection, SettingsContext
from consul_inject.workloads import Ref
from tests.conftest import StubSettings

MARK = "injected-by-fake"


@dataclass
class FakeWebhook:
    """Injects templates whose labels say `inject: "yes"`; marks them with a label."""

    version: str = "fake"
    release: str = "0.0.0"
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def settings(self, values: Mapping[str, Any], context: SettingsContext) -> StubSettings:
        return StubSettings()

    def decide(self, settings: StubSettings, meta: Mapping[str, Any], namespace: str,
               namespace_labels: Mapping[str, str]) -> Decision:
        self.calls.append(("decide", dict(meta), namespace, dict(namespace_labels)))
        wanted = (meta.get("labels") or {}).get("inject") == "yes"
        return Decision(wanted, "labelled" if wanted else "not labelled")

    def inject(self, settings: StubSettings, template: Mapping[str, Any], namespace: str, *,
               namespace_labels: Mapping[str, str],
               namespace_annotations: Mapping[str, str] | None,
               token_secret: Callable[[str], str]) -> Injection:
        self.calls.append(("inject", namespace, token_secret("svc")))
        meta = dict(template.get("metadata") or {})
        meta["labels"] = {**(meta.get("labels") or {}), MARK: "true"}
        return Injection({**template, "metadata": meta}, ("svc",), (), {}, False, ["note"])

    def is_injected(self, template: Mapping[str, Any]) -> bool:
        return MARK in ((template.get("metadata") or {}).get("labels") or {})

    def owner(self, template: Mapping[str, Any]) -> FakeWebhook | None:
        """The registry's injector_of, with this webhook the only version."""
        return self if self.is_injected(template) else None

    def uninject(self, template: Mapping[str, Any]) -> dict[str, Any]:
        self.calls.append(("uninject",))
        meta = dict(template.get("metadata") or {})
        meta["labels"] = {k: v for k, v in (meta.get("labels") or {}).items() if k != MARK}
        return {**template, "metadata": meta}

    def advice(self, resource: Mapping[str, Any], path: tuple[str, ...],
               before: Mapping[str, Any], after: Mapping[str, Any] | None) -> list[str]:
        self.calls.append(("advice", path, after is not None))
        return [f"advice ({'after' if after is not None else 'skipped'})"]


def workload(labels: dict[str, str], namespace: str = "apps") -> Workload:
    template: dict[str, Any] = {"metadata": {"labels": labels}, "spec": {"containers": []}}
    resource = {"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": template}}
    return Workload(resource, ("spec", "template"), template, Ref("Deployment", "web", namespace),
                    "t.yaml")


def index() -> ReleaseIndex:
    found = ReleaseIndex()
    found.add({"apiVersion": "v1", "kind": "Namespace",
               "metadata": {"name": "apps", "labels": {"team": "a"}}}, "default")
    found.add({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "svc",
               "namespace": "apps"}, "secrets": [{"name": "svc-token-x"}]}, "default")
    return found


# --- inject -------------------------------------------------------------------------------------


def test_inject_a_workload_the_webhook_wants() -> None:
    hook = FakeWebhook()
    work = workload({"inject": "yes"})
    outcome = Inject(hook, StubSettings()).apply(work, index())
    assert outcome.status == "injected"
    assert outcome.reason == "labelled"
    assert outcome.template is not None
    assert outcome.template["metadata"]["labels"] == {"inject": "yes", MARK: "true"}
    assert outcome.injection is not None
    assert outcome.injection.template is outcome.template
    assert outcome.injected_from is work.template
    assert outcome.advice == ["advice (after)"]
    assert work.template["metadata"]["labels"] == {"inject": "yes"}  # the input is untouched
    # The namespace's labels come from the index; token Secrets are looked up in it.
    assert hook.calls == [("decide", {"labels": {"inject": "yes"}}, "apps", {"team": "a"}),
                          ("inject", "apps", "svc-token-x"),
                          ("advice", ("spec", "template"), True)]


def test_inject_skips_what_the_webhook_does_not_want_and_leaves_it_be() -> None:
    hook = FakeWebhook()
    outcome = Inject(hook, StubSettings()).apply(workload({"inject": "no"}, "other"), index())
    assert (outcome.status, outcome.reason) == ("skipped", "not labelled")
    assert outcome.template is None  # None: the resource goes out as it came in
    assert outcome.injection is None
    assert outcome.advice == ["advice (skipped)"]
    assert hook.calls[0] == ("decide", {"labels": {"inject": "no"}}, "other", {})
    assert [c[0] for c in hook.calls] == ["decide", "advice"]


# --- uninject -----------------------------------------------------------------------------------


def test_uninject_removes_an_injection() -> None:
    hook = FakeWebhook()
    outcome = Uninject(hook.owner).apply(workload({"inject": "yes", MARK: "true"}), index())
    assert outcome.status == "uninjected"
    assert outcome.template == {"metadata": {"labels": {"inject": "yes"}}, "spec": {"containers": []}}
    assert hook.calls == [("uninject",)]


def test_uninject_skips_what_is_not_injected() -> None:
    hook = FakeWebhook()
    outcome = Uninject(hook.owner).apply(workload({"inject": "yes"}), index())
    assert (outcome.status, outcome.reason, outcome.template) == ("skipped", "not injected", None)
    assert hook.calls == []


# --- reinject -----------------------------------------------------------------------------------


def test_reinject_strips_the_old_injection_then_injects_anew() -> None:
    hook = FakeWebhook()
    work = workload({"inject": "yes", MARK: "true"})
    outcome = Reinject(hook, StubSettings(), hook.owner).apply(work, index())
    assert outcome.status == "injected"
    assert outcome.injected_from == {"metadata": {"labels": {"inject": "yes"}},
                                     "spec": {"containers": []}}  # the stripped template
    assert [c[0] for c in hook.calls] == ["uninject", "decide", "inject", "advice"]
    # The webhook decides on the template without the old injection's marks.
    assert hook.calls[1][1] == {"labels": {"inject": "yes"}}


def test_reinject_of_what_should_no_longer_be_injected_comes_out_bare() -> None:
    hook = FakeWebhook()
    outcome = Reinject(hook, StubSettings(), hook.owner).apply(workload({"inject": "no", MARK: "true"}),
                                                   index())
    assert outcome.status == "skipped"
    assert outcome.template == {"metadata": {"labels": {"inject": "no"}},
                                "spec": {"containers": []}}


def test_reinject_of_a_bare_workload_is_inject() -> None:
    for labels in ({"inject": "yes"}, {"inject": "no"}):
        plain, again = FakeWebhook(), FakeWebhook()
        one = Inject(plain, StubSettings()).apply(workload(labels), index())
        two = Reinject(again, StubSettings(), again.owner).apply(workload(labels), index())
        assert (one.status, one.template, one.advice) == (two.status, two.template, two.advice)
        assert plain.calls == again.calls


# --- build --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mode", "kind"), [("inject", Inject), ("uninject", Uninject),
                                            ("reinject", Reinject)])
def test_build(mode: transforms.Mode, kind: type) -> None:
    transform = transforms.build(mode, FakeWebhook(), StubSettings())
    assert isinstance(transform, kind)
    outcome = transform.apply(workload({"inject": "yes"}), index())
    assert isinstance(outcome, Outcome)
    assert outcome.status == ("skipped" if mode == "uninject" else "injected")
