"""checks: the release's policy over what binding finds (missing objects are errors or
warnings, accounts to create enter the index) and what concerns the whole release (pods whose
init container runs privileged)."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject import checks, release
from consul_inject.release import ReleaseIndex
from consul_inject.transforms import Outcome, Workload
from consul_inject.webhooks.base import Injection
from consul_inject.workloads import Ref
from tests.conftest import StubSettings

NS = "apps"
REF = Ref("Deployment", "web", NS)


def template(labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"labels": labels or {"app": "web"}, "annotations": {}},
            "spec": {"containers": [{"name": "app", "ports": [{"containerPort": 8080}]}], **spec}}


def outcome(source: dict[str, Any], injected: dict[str, Any] | None = None,
            services: tuple[str, ...] = ()) -> Outcome:
    injected = injected or source
    work = Workload({"kind": "Deployment", "spec": {"template": source}}, ("spec", "template"),
                    source, REF, "t.yaml")
    return Outcome(work, "injected", "", injected, Injection(injected, services, (), {}, False),
                   source)


def service(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}}


def test_a_bound_pod_has_no_findings() -> None:
    index = ReleaseIndex()
    index.add(service("web"), NS)
    found = checks.check_injected(outcome(template()), StubSettings(), index)
    assert found.binding.consul_services == ("web",)
    assert (found.errors, found.warnings, found.created) == ([], [], [])


def test_a_missing_service_is_an_error_that_says_how_to_allow_it() -> None:
    found = checks.check_injected(outcome(template()), StubSettings(), ReleaseIndex())
    (error,) = found.errors
    assert error.startswith('no Service in namespace "apps" selects the pod')
    assert error.endswith("(if it is deployed apart from this release, pass "
                          "--missing-service=warn)")
    assert found.warnings == []


def test_with_missing_service_warn_it_is_a_warning() -> None:
    found = checks.check_injected(outcome(template()), StubSettings(missing_service="warn"),
                                  ReleaseIndex())
    assert found.errors == []
    (warning,) = found.warnings
    assert warning.startswith('no Service in namespace "apps" selects the pod')
    assert "--missing-service" not in warning


def test_the_source_template_is_what_is_bound() -> None:
    """Binding reads the template injection started from (its labels and ports), not the
    injected one."""
    index = ReleaseIndex()
    index.add(service("web"), NS)
    injected = template(labels={"app": "changed"})
    found = checks.check_injected(outcome(template(), injected), StubSettings(), index)
    assert found.binding.consul_services == ("web",)


def test_accounts_to_create_and_recording_them() -> None:
    index = ReleaseIndex()
    index.add(service("web"), NS)
    index.add(service("web-admin"), NS)
    source = template(serviceAccountName="web")
    source["metadata"]["annotations"] = {"consul.hashicorp.com/connect-service": "web,web-admin",
                                         "consul.hashicorp.com/connect-service-port": "8080,8080"}
    found = checks.check_injected(outcome(source, services=("web", "web-admin")),
                                  StubSettings(create_service_account_secrets=True), index)
    assert found.errors == []
    assert len(found.created) == 4
    refs = checks.record_created(found.created, index, NS)
    assert refs == [Ref("ServiceAccount", "web", NS), Ref("Secret", "web", NS),
                    Ref("ServiceAccount", "web-admin", NS), Ref("Secret", "web-admin", NS)]
    assert (NS, "web-admin") in index.accounts
    assert (NS, "web-admin") in index.token_secrets
    again = checks.check_injected(outcome(source, services=("web", "web-admin")),
                                  StubSettings(create_service_account_secrets=True), index)
    assert again.created == []  # the next pod of the same services finds them


def test_record_created_of_nothing() -> None:
    index = ReleaseIndex()
    assert checks.record_created([], index, NS) == []
    assert index.is_empty()
    assert checks.record_created(release.account_documents("a", "other"), index, NS)[0] == \
        Ref("ServiceAccount", "a", "other")


ROOT = {"runAsUser": 0, "capabilities": {"add": ["NET_ADMIN"]}, "privileged": False}


@pytest.mark.parametrize(("inits", "how"), [
    ([], None),
    ([{"name": "copy"}], None),
    ([{"name": "init", "securityContext": {"privileged": False}}], None),
    ([{"name": "copy"}, {"name": "init", "securityContext": {"privileged": True}}], "privileged"),
    ([{"name": "init", "securityContext": ROOT}], "root"),
    ([{"name": "init", "securityContext": {**ROOT, "capabilities": {"drop": ["ALL"]}}}], None),
    (["junk", {"name": "init", "securityContext": None}], None),
])
def test_runs_privileged(inits: list[Any], how: str | None) -> None:
    injected = template(initContainers=inits)
    assert checks.runs_privileged(outcome(template(), injected)) == how


def test_runs_privileged_without_a_template() -> None:
    skipped = Outcome(outcome(template()).workload, "skipped")
    assert checks.runs_privileged(skipped) is None


def test_privileged_note() -> None:
    assert checks.privileged_note([]) is None
    one = checks.privileged_note(['deployment "a"'])
    assert one is not None
    assert one.startswith('1 injected pod(s) (deployment "a") run consul-connect-inject-init '
                          "privileged")
    assert "connectInject.cni.enabled=true" in one
    root = checks.privileged_note(['deployment "a"'], "root")
    assert root is not None
    assert "as root with NET_ADMIN (not privileged) to set up transparent proxy" in root
    many = checks.privileged_note([f'pod "{n}"' for n in "abcde"])
    assert many is not None
    assert many.startswith('5 injected pod(s) (pod "a", pod "b", pod "c" and others) run')
