"""Release-level rules over the outcomes of a run: what only a view of the whole release shows.

`binding` says what each injected pod will register and what the release lacks for it; the
rules here apply the release's policy to that (objects kept elsewhere, accounts to create) and
sum up what concerns the whole release. Plain functions: they read outcomes and return findings.
"""

from typing import Any, NamedTuple

from consul_inject import binding, workloads
from consul_inject.release import ReleaseIndex
from consul_inject.transforms import Outcome
from consul_inject.webhooks.base import Binding, Settings
from consul_inject.workloads import Ref


class Findings(NamedTuple):
    """One injected workload's release-level result."""

    binding: Binding
    errors: list[str]
    warnings: list[str]  # in the order the report lists them
    created: list[dict[str, Any]]


def check_injected(outcome: Outcome, settings: Settings, index: ReleaseIndex) -> Findings:
    """Bind an injected workload to the release and apply the missing-object policy. Raises
    TemplateError for what no policy can excuse (two Services selecting one pod, ...)."""
    assert outcome.injection is not None
    assert outcome.injected_from is not None
    ref = outcome.workload.ref
    workload = outcome.workload
    bound = binding.bind(settings, outcome.injected_from, outcome.injection, ref.namespace,
                         index, workload=ref.name,
                         selector=workloads.pod_selector(workload.resource, workload.path))
    errors: list[str] = []
    warnings: list[str] = []
    for problem in bound.missing:
        if settings.missing_service == "warn":
            warnings.append(problem)
        else:
            errors.append(f"{problem} (if it is deployed apart from this release, pass "
                          "--missing-service=warn)")
    return Findings(bound, errors, warnings, bound.to_create)


def record_created(created: list[dict[str, Any]], index: ReleaseIndex, namespace: str) -> list[Ref]:
    """Add the accounts and Secrets created for a pod to the index, so the next pod of the same
    service finds them; returns how the report names them."""
    refs = []
    for document in created:
        index.add(document, namespace)
        refs.append(workloads.ref_of(document, namespace))
    return refs


def runs_privileged(outcome: Outcome) -> str | None:
    """How the injected pod's init container rewrites iptables for transparent proxy without
    CNI: "privileged" (0.49, OpenShift), "root" (1.9/2.0: root with NET_ADMIN), or None."""
    spec = (outcome.template or {}).get("spec") or {}
    contexts = [c.get("securityContext") or {} for c in spec.get("initContainers") or []
                if isinstance(c, dict)]
    if any(isinstance(x, dict) and x.get("privileged") for x in contexts):
        return "privileged"
    if any(isinstance(x, dict) and x.get("runAsUser") == 0
           and "NET_ADMIN" in ((x.get("capabilities") or {}).get("add") or []) for x in contexts):
        return "root"
    return None


def privileged_note(refs: list[str], how: str = "privileged") -> str | None:
    if not refs:
        return None
    shown = ", ".join(refs[:3]) + (" and others" if len(refs) > 3 else "")
    what = "privileged, as root with NET_ADMIN," if how == "privileged" else \
        "as root with NET_ADMIN (not privileged)"
    return (f"{len(refs)} injected pod(s) ({shown}) run consul-connect-inject-init {what} to set up "
            "transparent proxy; connectInject.cni.enabled=true (the consul-cni plugin) sets up the "
            "redirect on the node instead")
