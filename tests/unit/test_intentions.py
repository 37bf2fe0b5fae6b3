"""The intentions builder: sources, merging with the release's own, and its refusals."""

from __future__ import annotations

from consul_inject import intentions, yamlcodec
from consul_inject.mesh import Fact, Scope
from consul_inject.webhooks.base import Upstream
from consul_inject.workloads import Ref
from tests.conftest import StubSettings

EXISTING = """---
# Source: app/templates/intentions.yaml
apiVersion: consul.hashicorp.com/v1alpha1
kind: ServiceIntentions
metadata:
  name: api
spec:
  destination:
    name: api
  sources:
  - name: b
    action: deny
"""


NOWHERE = Scope()


def client(name: str, *targets: str, scope: Scope = NOWHERE) -> Fact:
    ups = tuple(Upstream(f"{t}:1", "service", t, "", "", "", "", 1) for t in targets)
    return Fact(Ref("Deployment", name, "default"), f"{name}.yaml", "injected", (name,), scope,
                False, ups)


def test_one_intention_per_destination_with_sorted_sources() -> None:
    plan = intentions.plan([client("b", "api"), client("a", "api"), client("api")], [], StubSettings(),
                           "default")
    docs = [yamlcodec.load(text) for text, _ in plan.documents]
    assert [d["spec"]["sources"] for d in docs] == [[{"name": "a", "action": "allow"},
                                                     {"name": "b", "action": "allow"}]]
    assert plan.notes == []  # api is registered by the release: not external


def test_namespace_and_partition_appear_only_when_on() -> None:
    source = intentions.Source("west", "apps", "web")
    assert source.entry() == {"name": "web", "namespace": "apps", "partition": "west",
                              "action": "allow"}
    assert intentions.Source("", "", "web").entry() == {"name": "web", "action": "allow"}


def test_an_existing_deny_wins_and_missing_sources_are_merged() -> None:
    facts = [client("a", "api"), client("b", "api"), client("api")]
    plan = intentions.plan(facts, [EXISTING], StubSettings(), "default")
    (text, how), = plan.documents
    assert how == "merged"
    assert text.startswith("---\n# Source: app/templates/intentions.yaml\n")
    assert yamlcodec.load(text)["spec"]["sources"] == [{"name": "b", "action": "deny"},
                                                       {"name": "a", "action": "allow"}]
    assert any('denies "b"' in n for n in plan.notes)


def test_an_existing_intention_that_already_allows_everyone_is_kept_as_it_is() -> None:
    allowing = EXISTING.replace("action: deny", "action: allow")
    plan = intentions.plan([client("b", "api"), client("api")], [allowing], StubSettings(), "default")
    assert plan.documents == [(allowing, "kept")]
    assert plan.changed() == ""


def test_sources_that_are_not_a_list_cannot_be_merged() -> None:
    broken = EXISTING.replace("  - name: b\n    action: deny\n", "    name: b\n")
    plan = intentions.plan([client("a", "api")], [broken], StubSettings(), "default")
    assert "cannot be merged" in plan.errors[0].text()


def test_a_destination_that_is_no_kubernetes_name_is_refused() -> None:
    plan = intentions.plan([client("a", "Api_1")], [], StubSettings(), "default")
    assert "not a Kubernetes resource name" in plan.errors[0].text()


def test_workloads_in_other_namespaces_get_their_intentions_there() -> None:
    server = Fact(Ref("Deployment", "api", "backend"), "t", "injected", ("api",))
    plan = intentions.plan([client("a", "api"), server], [], StubSettings(), "default")
    assert yamlcodec.load(plan.documents[0][0])["metadata"]["namespace"] == "backend"


def test_silent_transparent_proxy_pods_are_listed() -> None:
    silent = Fact(Ref("Deployment", "worker", "apps"), "t", "injected", ("worker",), tproxy=True)
    note = intentions.silent_note([silent])
    assert note is not None
    assert 'deployment "worker" (apps)' in note
    assert intentions.silent_note([client("a", "api")]) is None
