"""binding.bind: what the endpoints controller registers for an injected pod, checked against
the release (which Service, multi-port Services and accounts, the ACL login name, upstream
ports). StubSettings and Injection are built here directly: the rules are every version's."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject import binding, podmeta, release
from consul_inject.problems import TemplateError
from consul_inject.release import ReleaseIndex
from consul_inject.webhooks.base import Binding, Injection, Upstream
from tests.conftest import StubSettings

NS = "apps"


def pod(labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
        ports: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "x"}
    container["ports"] = [{"name": "http", "containerPort": 8080}] if ports is None else ports
    return {"metadata": {"labels": {"app": "web"} if labels is None else labels,
                         "annotations": annotations or {}},
            "spec": {"containers": [container], **spec}}


def svc(name: str, selector: dict[str, str] | None = None, *, ports: Any = None,
        ignored: bool = False, namespace: str = NS) -> dict[str, Any]:
    labels = {release.IGNORE_LABEL: "true"} if ignored else {}
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"selector": {"app": "web"} if selector is None else selector,
                     "ports": [{"port": 80, "targetPort": 8080}] if ports is None else ports}}


def account(name: str, *secrets: str, automount: bool | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": "v1", "kind": "ServiceAccount",
                           "metadata": {"name": name, "namespace": NS},
                           "secrets": [{"name": s} for s in secrets]}
    if automount is not None:
        doc["automountServiceAccountToken"] = automount
    return doc


def index_of(*docs: dict[str, Any]) -> ReleaseIndex:
    index = ReleaseIndex()
    for doc in docs:
        index.add(doc, NS)
    return index


def upstream(raw: str, port: int) -> Upstream:
    name = raw.split(":", maxsplit=1)[0]
    return Upstream(raw, "service", name, "", "", "", "", port)


def injection(template: dict[str, Any], services: tuple[str, ...] = (), *,
              upstreams: tuple[Upstream, ...] = (), acl_login: bool = False,
              sidecar: dict[int, str] | None = None) -> Injection:
    return Injection(template, services, upstreams,
                     {20000: "its public listener", 19000: "the Envoy admin port"}
                     if sidecar is None else sidecar, acl_login)


def bind(template: dict[str, Any], index: ReleaseIndex, services: tuple[str, ...] = (),
         settings: StubSettings | None = None, **kwargs: Any) -> Binding:
    return binding.bind(settings or StubSettings(), template, injection(template, services, **kwargs),
                        NS, index, workload="web-deploy")


def refusal(template: dict[str, Any], index: ReleaseIndex, services: tuple[str, ...] = (),
            **kwargs: Any) -> tuple[str, str, str]:
    with pytest.raises(TemplateError) as info:
        bind(template, index, services, **kwargs)
    (problem,) = info.value.problems
    return problem.key, problem.message, problem.fix


# --- one service ----------------------------------------------------------------------------------


def test_the_one_selecting_service_names_the_consul_service() -> None:
    found = bind(pod(), index_of(svc("web-svc")))
    assert found == Binding.of(("web-svc",))


def test_the_connect_service_annotation_names_it_instead() -> None:
    found = bind(pod(annotations={podmeta.SERVICE: "frontend"}), index_of(svc("web-svc")))
    assert found.consul_services == ("frontend",)
    assert found.missing == found.warnings == []


def test_no_selecting_service_is_missing_with_a_service_to_add() -> None:
    found = bind(pod(labels={"app": "web", podmeta.P + "x": "y"}),
                 index_of(svc("other", {"app": "db"}), svc("web", namespace="elsewhere")))
    assert found.consul_services == ()
    (missing,) = found.missing
    assert missing == (
        'no Service in namespace "apps" selects the pod (Consul needs one to register it); add '
        "a Service, e.g. {apiVersion: v1, kind: Service, metadata: {name: web-deploy}, spec: "
        "{selector: {app: web}, ports: [{name: http, port: 8080, targetPort: http}]}}")


def test_the_missing_service_hint_takes_the_annotation_or_the_account() -> None:
    annotated = bind(pod(annotations={podmeta.SERVICE: "front"}), ReleaseIndex())
    assert "metadata: {name: front}" in annotated.missing[0]
    named = bind(pod(serviceAccountName="front-sa", ports=[]), ReleaseIndex())
    assert "metadata: {name: front-sa}" in named.missing[0]
    # no container port to target
    assert "ports: [{port: 80, targetPort: <the app's port>}]" in named.missing[0]


# An argo-cd chart's repo server as Helm renders it: chart and version labels on the pod.
ARGOCD_LABELS = {
    "app.kubernetes.io/name": "argocd-repo-server", "app.kubernetes.io/instance": "argocd",
    "app.kubernetes.io/component": "repo-server", "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/part-of": "argocd", "app.kubernetes.io/version": "v3.1.1",
    "helm.sh/chart": "argo-cd-10.1.1",
}
ARGOCD_PORTS: list[dict[str, Any]] = [
    {"name": "repo-server", "containerPort": 8081, "protocol": "TCP"},
    {"name": "metrics", "containerPort": 8084, "protocol": "TCP"}]


def test_the_hint_selects_by_the_workload_s_own_selector() -> None:
    template = pod(labels=ARGOCD_LABELS, ports=ARGOCD_PORTS)
    selector = {"app.kubernetes.io/name": "argocd-repo-server",
                "app.kubernetes.io/instance": "argocd"}
    found = binding.bind(StubSettings(), template, injection(template), NS, ReleaseIndex(),
                         workload="argocd-repo-server", selector=selector)
    assert found.missing[0].endswith(
        "spec: {selector: {app.kubernetes.io/name: argocd-repo-server, app.kubernetes.io/instance: "
        "argocd}, ports: [{name: repo-server, port: 8081, targetPort: repo-server}, "
        "{name: metrics, port: 8084, targetPort: metrics}]}}")


def test_without_a_selector_the_hint_drops_labels_that_change_every_upgrade() -> None:
    labels = {**ARGOCD_LABELS, "pod-template-hash": "7d9f8c6b5"}
    hint = bind(pod(labels=labels, ports=ARGOCD_PORTS[:1]), ReleaseIndex()).missing[0]
    assert ("selector: {app.kubernetes.io/name: argocd-repo-server, app.kubernetes.io/instance: "
            "argocd, app.kubernetes.io/component: repo-server, app.kubernetes.io/part-of: argocd}"
            ) in hint
    for unstable in ("helm.sh/chart", "app.kubernetes.io/version", "managed-by", "pod-template"):
        assert unstable not in hint
    # A selector that does not select the pod (a broken workload) is not copied.
    broken = binding.bind(StubSettings(), pod(), injection(pod()), NS, ReleaseIndex(),
                          workload="web", selector={"app": "other"})
    assert "selector: {app: web}" in broken.missing[0]


def test_the_hint_names_every_port_of_a_service_with_several() -> None:
    ports: list[dict[str, Any]] = [{"containerPort": 9080}, {"name": "grpc", "containerPort": 9090},
                                   {"containerPort": 5353, "protocol": "UDP"}]
    hint = bind(pod(ports=ports), ReleaseIndex()).missing[0]
    assert ("ports: [{name: port-9080, port: 9080, targetPort: 9080}, {name: grpc, port: 9090, "
            "targetPort: grpc}, {name: port-5353, port: 5353, targetPort: 5353, protocol: UDP}]"
            ) in hint


@pytest.mark.parametrize(("port", "owner"), [(20000, "its public listener"),
                                             (19000, "the Envoy admin port")])
def test_a_container_port_the_sidecar_listens_on_is_refused(port: int, owner: str) -> None:
    template = pod(ports=[{"name": "http", "containerPort": 8080},
                          {"name": "admin", "containerPort": port}])
    key, message, fix = refusal(template, index_of(svc("web")))
    assert key == "spec.containers[0].ports"
    assert message == (f'container "app" port {port} is a port the injected sidecar listens on '
                       f"({owner}); the app or Envoy could not bind it")
    assert fix == "give the container a port the sidecar does not use"


def test_container_ports_are_checked_against_the_injection_s_own_ports() -> None:
    """Only Injection.sidecar_ports decides: another version's ports are its own."""
    template = pod(ports=[{"name": "http", "containerPort": 20000}])
    index = index_of(svc("web"))
    other = {21000: "its public listener"}
    assert bind(template, index, sidecar=other).consul_services == ("web",)
    _, message, _ = refusal(pod(ports=[{"name": "x", "containerPort": 21000}]), index,
                            sidecar=other)
    assert "port 21000 is a port the injected sidecar listens on (its public listener)" in message


def test_two_selecting_services_are_refused() -> None:
    key, message, fix = refusal(pod(), index_of(svc("a"), svc("b"), svc("c", ignored=True)))
    assert key == "Services"
    assert message.startswith('"a", "b" all select this pod, so Consul would register it once')
    assert podmeta.KUBERNETES_SERVICE in fix


def test_the_kubernetes_service_annotation_picks_one() -> None:
    index = index_of(svc("a"), svc("b"))
    found = bind(pod(annotations={podmeta.KUBERNETES_SERVICE: "b"}), index)
    assert found.consul_services == ("b",)
    wrong = bind(pod(annotations={podmeta.KUBERNETES_SERVICE: "zz"}), index)
    assert wrong.consul_services == ()
    assert wrong.missing == [f'{podmeta.KUBERNETES_SERVICE} names Service "zz", but no Service '
                             'of that name in namespace "apps" selects the pod; point it at one '
                             "that does, or fix that Service's selector"]


def test_the_kubernetes_service_annotation_may_not_name_an_ignored_service() -> None:
    key, message, _ = refusal(pod(annotations={podmeta.KUBERNETES_SERVICE: "a"}),
                              index_of(svc("a", ignored=True)))
    assert key == podmeta.KUBERNETES_SERVICE
    assert f"labelled {release.IGNORE_LABEL}, so Consul never registers the pod" in message


@pytest.mark.parametrize(("names", "start"), [
    (("a",), 'Service "a" selects this pod but is labelled'),
    (("a", "b"), 'Services "a", "b" select this pod but all are labelled'),
])
def test_only_ignored_services_selecting_is_refused(names: tuple[str, ...], start: str) -> None:
    key, message, _ = refusal(pod(), index_of(*(svc(n, ignored=True) for n in names)))
    assert key == "Services"
    assert message.startswith(start)


@pytest.mark.parametrize(("ports", "warned"), [
    ([{"port": 80, "targetPort": 8080}], []),
    ([{"port": 80, "targetPort": "http"}], []),
    ([{"port": 80}], ["80"]),  # no targetPort: the port itself, which no container exposes
    ([{"port": 80, "targetPort": 9999}, {"port": 81, "targetPort": "admin"}], ["9999", "admin"]),
])
def test_service_ports_that_no_container_exposes_are_warned(ports: list[dict[str, Any]],
                                                            warned: list[str]) -> None:
    found = bind(pod(), index_of(svc("web", ports=ports)))
    assert len(found.warnings) == len(warned)
    for warning, target in zip(found.warnings, warned, strict=True):
        assert f'targets "{target}", which no container of the pod exposes' in warning


# --- ACL login ------------------------------------------------------------------------------------


def test_acl_login_needs_a_service_account_named_after_the_service() -> None:
    index = index_of(svc("web"))
    assert bind(pod(serviceAccountName="web"), index, acl_login=True).consul_services == ("web",)
    key, message, fix = refusal(pod(), index, acl_login=True)
    assert key == "spec.serviceAccountName"
    assert message.startswith('is not set (the pod runs as "default")')
    assert fix.endswith("(web)")
    key, message, _ = refusal(pod(serviceAccountName="other"), index, acl_login=True)
    assert message == ('is "other", but with ACLs it must equal the Consul service name "web"')
    assert bind(pod(), index).consul_services == ("web",)  # without ACLs: no such rule


def test_acl_login_needs_a_token() -> None:
    index = index_of(svc("web"), account("web", automount=False))
    key, message, _ = refusal(pod(serviceAccountName="web"), index, acl_login=True)
    assert key == "spec.serviceAccountName"
    assert "automountServiceAccountToken: false" in message
    found = bind(pod(serviceAccountName="web", automountServiceAccountToken=True), index,
                 acl_login=True)
    assert found.consul_services == ("web",)


# --- upstream ports -------------------------------------------------------------------------------


def test_upstream_ports_must_be_unique_and_free() -> None:
    index = index_of(svc("web"))
    ok = bind(pod(), index, upstreams=(upstream("db:5432", 5432), upstream("api:9090", 9090)))
    assert ok.consul_services == ("web",)
    key, message, _ = refusal(pod(), index, upstreams=(upstream("db:5432", 5432),
                                                       upstream(" db2:5432", 5432)))
    assert (key, message) == (podmeta.UPSTREAMS,
                              'items "db:5432" and "db2:5432" both bind local port 5432')
    _, message, _ = refusal(pod(), index, upstreams=(upstream("db:8080", 8080),))
    assert message == 'item "db:8080" binds local port 8080, which container "app" uses'
    _, message, _ = refusal(pod(), index, upstreams=(upstream("db:19000", 19000),))
    assert message.endswith("which the sidecar uses as the Envoy admin port")


# --- multi-port pods ------------------------------------------------------------------------------

SERVICES = ("web", "web-admin")


def multi(**spec: Any) -> dict[str, Any]:
    return pod(annotations={podmeta.SERVICE: "web,web-admin", podmeta.SERVICE_PORT: "8080,admin"},
               ports=[{"containerPort": 8080}, {"name": "admin", "containerPort": 9090}],
               **{"serviceAccountName": "web", **spec})


def multi_release(*extra: dict[str, Any]) -> ReleaseIndex:
    return index_of(svc("web"), svc("web-admin", ports=[{"port": 80, "targetPort": 9090}]),
                    account("web", "web-token"), account("web-admin", "admin-token"), *extra)


def test_a_complete_multi_port_pod() -> None:
    found = bind(multi(), multi_release(), SERVICES)
    assert found == Binding.of(SERVICES)


@pytest.mark.parametrize(("ports", "message"), [
    ("8080", '"8080" lists 1 port(s) for 2 services'),
    ("8080,admin,1", '"8080,admin,1" lists 3 port(s) for 2 services'),
    ("8080,", 'item "" for service "web-admin" is empty or has spaces'),
    ("8080, admin", 'item " admin" for service "web-admin" is empty or has spaces'),
    ("8080,7777", 'item "7777" for service "web-admin" is not a port of the pod'),
    ("8080,nosuch", 'item "nosuch" for service "web-admin" is not a port of the pod'),
])
def test_multi_port_ports_are_one_per_service_and_the_pod_s(ports: str, message: str) -> None:
    template = multi()
    template["metadata"]["annotations"][podmeta.SERVICE_PORT] = ports
    key, found, _ = refusal(template, multi_release(), SERVICES)
    assert (key, found) == (podmeta.SERVICE_PORT, message)


@pytest.mark.parametrize(("account_name", "message"), [
    (None, 'is not set, but a multi-port pod must run as its first service, "web"'),
    ("web-admin", 'is "web-admin", but a multi-port pod must run as its first service, "web"'),
])
def test_a_multi_port_pod_runs_as_its_first_service(account_name: str | None,
                                                    message: str) -> None:
    template = multi(serviceAccountName=account_name)
    assert refusal(template, multi_release(), SERVICES)[:2] == ("spec.serviceAccountName",
                                                                message)


def test_each_service_needs_its_service_selecting_the_pod() -> None:
    found = bind(multi(), index_of(svc("web"), account("web", "t"), account("web-admin", "t2")),
                 SERVICES)
    (missing,) = found.missing
    assert missing.startswith('service "web-admin" needs a Service named "web-admin" selecting '
                              "the pod")
    assert "targetPort: admin" in missing
    _, message, _ = refusal(multi(), index_of(svc("web"), svc("web-admin", {"app": "other"})),
                            SERVICES)
    assert message.startswith('Service "web-admin" exists but its selector')
    _, message, _ = refusal(multi(), index_of(svc("web"), svc("web-admin", ignored=True)),
                            SERVICES)
    assert message == f'Service "web-admin" is labelled {release.IGNORE_LABEL}, so Consul never ' \
        "registers it"


def test_another_service_selecting_a_multi_port_pod_is_refused() -> None:
    key, message, _ = refusal(multi(), multi_release(svc("extra")), SERVICES)
    assert key == podmeta.SERVICE
    assert message.startswith('Service "extra" also selects this multi-port pod')
    assert bind(multi(), multi_release(svc("extra", ignored=True)), SERVICES).consul_services \
        == SERVICES


def test_multi_port_accounts_and_secrets_are_missing_or_created() -> None:
    index = index_of(svc("web"), svc("web-admin", ports=[{"port": 80, "targetPort": 9090}]),
                     account("web", "web-token"), account("web-admin"))
    found = bind(multi(), index, SERVICES)
    assert found.missing == [
        f'service "web-admin" needs a {release.TOKEN_TYPE} Secret "web-admin" annotated '
        f"{release.SA_NAME_ANNOTATION}: web-admin (Kubernetes 1.24+); add it to the release, or "
        "pass --create-service-account-secrets"]
    created = bind(multi(), index, SERVICES, StubSettings(create_service_account_secrets=True))
    assert created.missing == []
    assert created.to_create == [d for d in release.account_documents("web-admin", NS)
                                 if d["kind"] == "Secret"]
    bare = index_of(svc("web"), svc("web-admin", ports=[{"port": 80, "targetPort": 9090}]))
    everything = bind(multi(), bare, SERVICES, StubSettings(create_service_account_secrets=True))
    assert [(d["kind"], d["metadata"]["name"]) for d in everything.to_create] == [
        ("ServiceAccount", "web"), ("Secret", "web"),
        ("ServiceAccount", "web-admin"), ("Secret", "web-admin")]


def test_a_token_secret_of_the_service_s_name_is_enough() -> None:
    index = multi_release(
        {"apiVersion": "v1", "kind": "Secret", "type": release.TOKEN_TYPE,
         "metadata": {"name": "web-admin", "namespace": NS}})
    index.accounts[NS, "web-admin"] = []
    assert bind(multi(), index, SERVICES).missing == []
