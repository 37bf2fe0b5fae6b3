"""Inject, uninject and reinject: one interface over a workload, each returning its outcome.

The pipeline builds one transform per run and applies it to every workload; nothing below it
branches on which command is running. Transforms only decide and mutate (through the webhook
version); the release checks and the report are the caller's.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, NamedTuple, Protocol

from consul_inject import webhooks
from consul_inject.release import ReleaseIndex
from consul_inject.webhooks.base import Injection, Webhook
from consul_inject.workloads import Ref

Status = Literal["injected", "skipped", "uninjected"]
Mode = Literal["inject", "uninject", "reinject"]


class Workload(NamedTuple):
    """A resource with a pod template, as found in the stream."""

    resource: dict[str, Any]
    path: tuple[str, ...]  # from the resource to its pod template; () for a Pod
    template: dict[str, Any]
    ref: Ref
    where: str  # the template or file it came from, for messages


class Outcome(NamedTuple):
    workload: Workload
    status: Status
    reason: str = ""
    template: dict[str, Any] | None = None  # the new pod template; None: leave the resource be
    injection: Injection | None = None  # set when injected
    injected_from: dict[str, Any] | None = None  # the template injection started from
    advice: Sequence[str] = ()  # warnings about the workload


class Transform(Protocol):
    def apply(self, workload: Workload, index: ReleaseIndex) -> Outcome: ...


class Inject:
    """What the webhook would do to the pod; already injected templates are skipped."""

    def __init__(self, webhook: Webhook[Any], settings: Any) -> None:
        self.webhook = webhook
        self.settings = settings

    def apply(self, workload: Workload, index: ReleaseIndex) -> Outcome:
        return self.inject(workload, workload.template, index, stripped=False)

    def inject(self, workload: Workload, template: dict[str, Any], index: ReleaseIndex, *,
               stripped: bool) -> Outcome:
        """Inject `template` (the workload's, or it with an old injection removed)."""
        namespace = workload.ref.namespace
        labels = index.labels_of(namespace)
        decision = self.webhook.decide(self.settings, template.get("metadata") or {}, namespace,
                                       labels)
        if not decision.inject:
            advice = self.webhook.advice(workload.resource, workload.path, workload.template, None)
            # reinject: a template that should no longer be injected comes out bare
            return Outcome(workload, "skipped", decision.reason, template if stripped else None,
                           advice=advice)
        injection = self.webhook.inject(
            self.settings, template, namespace, namespace_labels=labels,
            namespace_annotations=index.annotations_of(namespace),
            token_secret=lambda account: index.secret_for(namespace, account))
        advice = self.webhook.advice(workload.resource, workload.path, workload.template,
                                     injection.template)
        return Outcome(workload, "injected", decision.reason, injection.template, injection,
                       template, advice)


Owner = Callable[[Mapping[str, Any]], "Webhook[Any] | None"]  # the version that injected it


class Uninject:
    """Remove an injection, whichever version made it; workloads that are not injected are
    skipped."""

    def __init__(self, injector_of: Owner = webhooks.injector_of) -> None:
        self.injector_of = injector_of

    def apply(self, workload: Workload, index: ReleaseIndex) -> Outcome:
        owner = self.injector_of(workload.template)
        if owner is None:
            return Outcome(workload, "skipped", "not injected")
        return Outcome(workload, "uninjected", template=owner.uninject(workload.template))


class Reinject:
    """Remove an existing injection (of any version), then inject anew with the current
    settings: the way to move injected manifests from one consul-k8s version to another."""

    def __init__(self, webhook: Webhook[Any], settings: Any,
                 injector_of: Owner = webhooks.injector_of) -> None:
        self.injector = Inject(webhook, settings)
        self.injector_of = injector_of

    def apply(self, workload: Workload, index: ReleaseIndex) -> Outcome:
        owner = self.injector_of(workload.template)
        if owner is None:
            return self.injector.apply(workload, index)
        bare = owner.uninject(workload.template)
        return self.injector.inject(workload, bare, index, stripped=True)


def build(mode: Mode, webhook: Webhook[Any], settings: Any) -> Transform:
    if mode == "uninject":
        return Uninject()
    if mode == "reinject":
        return Reinject(webhook, settings)
    return Inject(webhook, settings)
