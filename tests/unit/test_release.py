"""release: the index of a whole release (Services, ServiceAccounts, token Secrets, Namespaces),
the documents created for multi-port services, and the chart's settings ConfigMap."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consul_inject import release
from consul_inject.problems import ConsulInjectError
from consul_inject.release import KubeService, ReleaseIndex


def service(name: str, selector: dict[str, Any] | None, namespace: str | None = None,
            **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(extra.pop("meta", {}))
    spec: dict[str, Any] = {"ports": extra.pop("ports", [{"port": 80, "targetPort": 8080}])}
    if selector is not None:
        spec["selector"] = selector
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec, **extra}


def index_of(*docs: dict[str, Any], namespace: str = "apps") -> ReleaseIndex:
    index = ReleaseIndex()
    for doc in docs:
        index.add(doc, namespace)
    return index


# --- Services -----------------------------------------------------------------------------------


def test_a_service_is_indexed_by_name_and_selector() -> None:
    index = index_of(service("web", {"app": "web", "tier": 1}))
    (svc,) = index.services
    assert svc == KubeService("web", "apps", {"app": "web", "tier": "1"}, ((80, 8080),), False)
    assert index.by_name == {("apps", "web"): svc}
    assert index.selecting("apps", {"app": "web", "tier": "1", "extra": "x"}) == [svc]
    assert index.selecting("apps", {"app": "web"}) == []  # tier is missing
    assert index.selecting("other", {"app": "web", "tier": "1"}) == []  # another namespace


def test_service_ports_default_the_target_to_the_port() -> None:
    ports = [{"port": 80}, {"port": 443, "targetPort": "https"}, "junk", {"targetPort": 1}]
    (svc,) = index_of(service("web", {"app": "web"}, ports=ports)).services
    assert svc.ports == ((80, 80), (443, "https"), (None, 1))


@pytest.mark.parametrize("selector", [None, {}, "app=web", ["app"]])
def test_a_service_without_a_selector_selects_nothing(selector: Any) -> None:
    """A Service without a selector gets its endpoints elsewhere: no pod is its."""
    doc = service("web", None)
    doc["spec"]["selector"] = selector
    index = index_of(doc)
    assert [s.name for s in index.services] == ["web"]
    assert index.selecting("apps", {"app": "web"}) == []
    assert not index.services[0].selects({"app": "web"})


@pytest.mark.parametrize(("value", "ignored"), [
    ("true", True), ("1", True), ("T", True), ("True", True),
    ("false", False), ("yes", False), ("", False),
])
def test_the_ignore_label_reads_as_a_go_boolean(value: str, ignored: bool) -> None:
    doc = service("web", {"app": "web"}, meta={"labels": {release.IGNORE_LABEL: value}})
    assert index_of(doc).services[0].ignored is ignored


def test_services_come_back_in_stream_order_and_the_first_name_wins() -> None:
    docs = [service("b", {"app": "web"}), service("a", {"tier": "front"}),
            service("c", {"app": "web", "tier": "front"}), service("b", {"app": "other"})]
    index = index_of(*docs)
    assert [s.name for s in index.selecting("apps", {"tier": "front", "app": "web"})] == \
        ["b", "a", "c"]
    assert index.by_name["apps", "b"].selector == {"app": "web"}


@pytest.mark.parametrize("doc", [
    {"apiVersion": "apps/v1", "kind": "Service", "metadata": {"name": "web"}},  # not the core
    {"apiVersion": "v1", "kind": "Service", "metadata": "web"},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": 5}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "w", "namespace": ["a", "b"]}},
    {"apiVersion": "v1", "kind": "Service"},
    {"kind": "Service", "metadata": {"name": "web"}},
])
def test_what_is_not_a_core_object_with_a_name_is_not_indexed(doc: dict[str, Any]) -> None:
    index = index_of(doc)
    assert index.is_empty()


def test_the_default_namespace_applies_to_objects_without_one() -> None:
    index = index_of(service("web", {"app": "web"}), service("db", {"app": "db"}, "data"),
                     namespace="team")
    assert sorted(index.by_name) == [("data", "db"), ("team", "web")]


def test_the_same_service_rendered_twice_is_two_in_stream_order() -> None:
    """Found by the property below: equal Services were ordered by the first one's place."""
    index = index_of(service("b", {"tier": "a"}), service("a", {"tier": "a"}),
                     service("b", {"tier": "a"}))
    assert [s.name for s in index.selecting("apps", {"tier": "a"})] == ["b", "a", "b"]


LABELS = st.dictionaries(st.sampled_from(["app", "tier", "version"]),
                         st.sampled_from(["a", "b"]), max_size=3)


@given(st.lists(st.tuples(st.sampled_from(["s1", "s2", "s3"]), st.sampled_from(["ns1", "ns2"]),
                          LABELS), max_size=8),
       st.sampled_from(["ns1", "ns2"]), LABELS)
def test_selecting_is_the_services_that_select_the_labels_in_stream_order(
        services: list[tuple[str, str, dict[str, str]]], namespace: str,
        labels: dict[str, str]) -> None:
    """The selector index finds exactly what a scan of every Service would, in the same order."""
    index = index_of(*(service(name, selector, ns) for name, ns, selector in services))
    expected = [s for s in index.services if s.namespace == namespace and s.selects(labels)]
    assert index.selecting(namespace, labels) == expected


# --- accounts, Secrets, Namespaces -------------------------------------------------------------


def test_service_accounts_and_their_secrets() -> None:
    index = index_of(
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "web"},
         "secrets": [{"name": "web-token-abc"}, {"name": 5}, "junk", {"name": "web-token-2"}]},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "quiet"},
         "automountServiceAccountToken": False},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "null"},
         "automountServiceAccountToken": None},
    )
    assert index.accounts == {("apps", "web"): ["web-token-abc", "web-token-2"],
                              ("apps", "quiet"): [], ("apps", "null"): []}
    assert index.no_automount == {("apps", "quiet")}
    assert index.secret_for("apps", "web") == "web-token-abc"
    assert index.secret_for("apps", "quiet") == "quiet"  # no Secret listed: named after it
    assert index.secret_for("other", "web") == "web"


def test_only_token_secrets_are_indexed() -> None:
    index = index_of(
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "t"}, "type": release.TOKEN_TYPE},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "o"}, "type": "Opaque"},
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "n"}},
    )
    assert index.token_secrets == {("apps", "t")}


def test_namespace_labels() -> None:
    index = index_of({"apiVersion": "v1", "kind": "Namespace",
                      "metadata": {"name": "team", "labels": {"env": "prod", "n": 1}}},
                     {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bare"}})
    assert index.labels_of("team") == {"env": "prod", "n": "1"}
    assert index.labels_of("bare") == {}
    assert index.labels_of("unknown") == {}


def test_account_documents_are_what_kubernetes_1_24_needs() -> None:
    account, secret = release.account_documents("web-admin", "apps")
    assert account == {"apiVersion": "v1", "kind": "ServiceAccount",
                       "metadata": {"name": "web-admin", "namespace": "apps"}}
    assert secret == {"apiVersion": "v1", "kind": "Secret",
                      "metadata": {"name": "web-admin", "namespace": "apps",
                                   "annotations": {release.SA_NAME_ANNOTATION: "web-admin"}},
                      "type": release.TOKEN_TYPE}
    assert account["metadata"] is not secret["metadata"]
    index = index_of(account, secret)
    assert index.accounts == {("apps", "web-admin"): []}
    assert index.token_secrets == {("apps", "web-admin")}


# --- the chart's settings ConfigMap ---------------------------------------------------------------


def settings_map(text: Any, name: str = "consul-consul-inject-settings",
                 label: Any = "true") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "labels": {release.SETTINGS_LABEL: label}},
            "data": {release.SETTINGS_KEY: text}}


def test_settings_values_from_the_labelled_config_map() -> None:
    docs = [service("web", {"app": "web"}),
            settings_map("connectInject:\n  default: true\n"),
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "other"},
             "data": {release.SETTINGS_KEY: "ignored: true"}}]
    assert release.settings_values(docs) == {"connectInject": {"default": True}}


@pytest.mark.parametrize("docs", [
    [],
    [service("web", {"app": "web"})],
    [settings_map("a: 1", label="false")],
    [settings_map("a: 1", label=None)],
    [{**settings_map("a: 1"), "apiVersion": "example.com/v1"}],
])
def test_no_settings_config_map(docs: list[dict[str, Any]]) -> None:
    assert release.settings_values(docs) is None


def test_an_empty_settings_document_is_no_values() -> None:
    assert release.settings_values([settings_map("")]) == {}
    assert release.settings_values([settings_map("# nothing\n")]) == {}


@pytest.mark.parametrize(("doc", "message"), [
    (settings_map(None), 'has label consul-inject.io/settings: "true" but no data.values.yaml'),
    ({**settings_map("a: 1"), "data": None}, "but no data.values.yaml"),
    (settings_map("a: [1"), "data.values.yaml is not valid YAML"),
    (settings_map("- a\n- b\n"), "data.values.yaml must be a map of values"),
])
def test_a_bad_settings_config_map_is_refused_by_name(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(ConsulInjectError) as info:
        release.settings_values([doc])
    text = str(info.value)
    assert text.startswith('configmap "consul-consul-inject-settings": ')
    assert message in text


def test_settings_config_maps_must_agree() -> None:
    same = [settings_map("a: 1", "one"), settings_map("a: 1\n", "two")]
    assert release.settings_values(same) == {"a": 1}
    with pytest.raises(ConsulInjectError, match='configmap "one" and configmap "two" hold '
                                                "different consul-inject settings"):
        release.settings_values([settings_map("a: 1", "one"), settings_map("a: 2", "two")])
