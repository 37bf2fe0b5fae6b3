"""uninject: remove from a pod template exactly what injection added, restoring from
original-pod what injection changed; without original-pod, remove only what is surely ours."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import containers as c
from consul_inject.webhooks.v0_49 import mutate, uninject
from consul_inject.webhooks.v0_49.settings import Settings

DEFAULTS = Settings()


def template(annotations: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    app = {"name": "web", "image": "example/web:1",
           "ports": [{"name": "http", "containerPort": 8080}],
           "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}}}
    return {"metadata": {"labels": {"app": "web"},
                         "annotations": {ann.INJECT: "true", **(annotations or {})}},
            "spec": {"containers": [app], **spec}}


def injected(data: dict[str, Any], settings: Settings = DEFAULTS) -> dict[str, Any]:
    return mutate.inject(settings, data, "apps", {}).template


def test_is_injected() -> None:
    assert not uninject.is_injected(template())
    assert uninject.is_injected(injected(template()))
    assert not uninject.is_injected({"metadata": {"annotations": {ann.INJECT_STATUS: "no"}}})
    assert not uninject.is_injected({})
    assert not uninject.is_injected({"metadata": None})


@pytest.mark.parametrize("extra", [
    {},
    {ann.TPROXY: "false"},
    {ann.ENABLE_METRICS: "true", ann.ENABLE_METRICS_MERGING: "true"},
    {ann.UPSTREAMS: "db:5432,cache:6379"},
    {ann.MOUNT_VOLUME: "web"},
    {ann.USER_VOLUME: '[{"name": "certs", "emptyDir": {}}]'},
    {ann.SERVICE_PORT: "8080", ann.USE_PROXY_HEALTH_CHECK: "true"},
])
def test_uninject_of_inject_is_the_template(extra: dict[str, str]) -> None:
    source = template(extra, volumes=[{"name": "data", "emptyDir": {}}])
    assert uninject.uninject(injected(source)) == source


@pytest.mark.parametrize("cni", [False, True])
def test_uninject_of_inject_with_the_redirect_config(cni: bool) -> None:
    source = template()
    assert uninject.uninject(injected(source, DEFAULTS._replace(cni=cni))) == source


def test_a_multi_port_injection_with_acls_is_removed() -> None:
    acls = DEFAULTS._replace(auth_method="consul-k8s-auth-method")
    source = template({ann.SERVICE: "web,admin", ann.SERVICE_PORT: "8080,9090",
                       ann.TPROXY: "false"}, serviceAccountName="web")
    source["spec"]["containers"][0]["ports"].append({"containerPort": 9090})
    out = injected(source, acls)
    assert {v["name"] for v in out["spec"]["volumes"]} == {c.DATA_VOLUME, "admin-service-account"}
    assert uninject.uninject(out) == source


def test_null_and_missing_collections_come_back_as_they_were() -> None:
    source = template()
    source["metadata"]["annotations"] = None
    source["spec"]["volumes"] = None
    del source["metadata"]["labels"]
    source["spec"]["initContainers"] = None
    forced = DEFAULTS._replace(require_annotation=False)
    assert uninject.uninject(injected(source, forced)) == source


def test_the_user_s_own_consul_annotations_and_look_alike_names_stay() -> None:
    """Names injection would add, when the user had them before, are the user's."""
    source = template({ann.SERVICE_PORT: "http", "prometheus.io/scrape": "false"},
                      initContainers=[{"name": c.INIT + "-legacy", "image": "mine"}])
    source["spec"]["containers"][0]["env"] = [{"name": "DB_CONNECT_SERVICE_HOST", "value": "x"}]
    source["metadata"]["annotations"][ann.UPSTREAMS] = "db:5432"  # the user's env name again
    out = injected(source)
    assert [e["name"] for e in out["spec"]["containers"][0]["env"]] == [
        "DB_CONNECT_SERVICE_HOST", "DB_CONNECT_SERVICE_HOST", "DB_CONNECT_SERVICE_PORT"]
    back = uninject.uninject(out)
    assert back == source
    assert back["spec"]["initContainers"] == [{"name": c.INIT + "-legacy", "image": "mine"}]
    assert back["spec"]["containers"][0]["env"] == [{"name": "DB_CONNECT_SERVICE_HOST",
                                                      "value": "x"}]
    assert back["metadata"]["annotations"]["prometheus.io/scrape"] == "false"


def test_without_original_pod_only_what_is_surely_injection_s_goes() -> None:
    out = injected(template({ann.ENABLE_METRICS: "true"}))
    del out["metadata"]["annotations"][ann.ORIGINAL_POD]
    back = uninject.uninject(out)
    annotations = back["metadata"]["annotations"]
    assert ann.INJECT_STATUS not in annotations
    assert ann.TPROXY_STATUS not in annotations
    # A user may have set these: without the original, they are kept.
    assert annotations[ann.SERVICE_PORT] == "http"
    assert annotations["prometheus.io/scrape"] == "true"
    assert [x["name"] for x in back["spec"]["containers"]] == ["web"]
    assert "initContainers" not in back["spec"]
    assert back["metadata"]["labels"] == {"app": "web"}


@pytest.mark.parametrize("original", ["not json", "[1, 2]", '"text"', ""])
def test_an_unreadable_original_pod_is_no_original(original: str) -> None:
    out = injected(template())
    out["metadata"]["annotations"][ann.ORIGINAL_POD] = original
    back = uninject.uninject(out)
    assert back["metadata"]["annotations"][ann.SERVICE_PORT] == "http"
    assert ann.ORIGINAL_POD not in back["metadata"]["annotations"]
    assert [x["name"] for x in back["spec"]["containers"]] == ["web"]


def test_probe_ports_are_restored_from_the_original() -> None:
    out = injected(template())
    assert out["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] == 20400
    back = uninject.uninject(out)
    assert back["spec"]["containers"][0]["readinessProbe"]["httpGet"]["port"] == "http"


def test_uninject_does_not_touch_its_input() -> None:
    out = injected(template({ann.UPSTREAMS: "db:5432"}))
    before = copy.deepcopy(out)
    uninject.uninject(out)
    assert out == before


def test_a_template_that_was_never_injected_is_unchanged() -> None:
    source = template(volumes=[{"name": "x", "emptyDir": {}}])
    assert uninject.uninject(source) == source


def test_injected_names() -> None:
    for name in (c.COPY_BIN, c.INIT, c.INIT + "-web", c.ENVOY, c.ENVOY + "-admin",
                 c.CONSUL_SIDECAR):
        assert uninject.ADDED.container(name)
    assert not uninject.ADDED.container("web")
    assert not uninject.ADDED.container("consul-dataplane")


def test_user_volume_names() -> None:
    names = uninject.ADDED.volumes
    assert names({ann.USER_VOLUME: '[{"name": "a"}, {"x": 1}, "b"]'}) == {"a"}
    assert names({ann.USER_VOLUME: "{"}) == set()
    assert names({ann.USER_VOLUME: '{"name": "a"}'}) == set()
    assert names({}) == set()
    assert names({ann.SERVICE: "web,admin"}) == {"web-service-account", "admin-service-account"}


# --- the round trip as a property -------------------------------------------------------------

NAMES = st.from_regex(r"\A[a-z][a-z0-9]{0,6}\Z").filter(
    lambda n: not n.startswith(("envoy", "consul", "copy")))
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)


@st.composite
def templates(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    apps: list[dict[str, Any]] = []
    for i, name in enumerate(names):
        app: dict[str, Any] = {"name": name, "image": draw(TEXT)}
        if draw(st.booleans()):
            app["ports"] = [{"name": f"p{i}", "containerPort": 2000 + i}]
        if draw(st.booleans()):
            app["env"] = [{"name": "GREETING", "value": draw(TEXT)}]
        if draw(st.booleans()):
            app["livenessProbe"] = {"httpGet": {"path": "/", "port": draw(
                st.sampled_from([8080, "http", "p0"]))}}
        apps.append(app)
    annotations: dict[str, str] = {ann.INJECT: "true"}
    annotations.update(draw(st.dictionaries(st.sampled_from(["note", "example.com/a"]), TEXT,
                                            max_size=2)))
    for key, values in ((ann.TPROXY, ["true", "false"]),
                        (ann.ENABLE_METRICS, ["true", "false"]),
                        (ann.UPSTREAMS, ["db:5432", "db:5432,cache:6379"]),
                        (ann.MOUNT_VOLUME, [names[0]])):
        if draw(st.booleans()):
            annotations[key] = draw(st.sampled_from(values))
    spec: dict[str, Any] = {"containers": apps}
    if draw(st.booleans()):
        spec["volumes"] = draw(st.sampled_from([None, [], [{"name": "data", "emptyDir": {}}]]))
    if draw(st.booleans()):
        spec["initContainers"] = [{"name": "migrate", "image": "m"}]
    meta: dict[str, Any] = {"labels": {"app": names[0]}, "annotations": annotations}
    return {"metadata": meta, "spec": spec}


@settings(max_examples=80, deadline=None)
@given(templates(), st.booleans())
def test_uninject_undoes_inject(source: dict[str, Any], cni: bool) -> None:
    out = injected(source, DEFAULTS._replace(cni=cni))
    assert uninject.is_injected(out)
    back = uninject.uninject(out)
    assert back == source
    assert not uninject.is_injected(back)
    assert json.loads(out["metadata"]["annotations"][ann.ORIGINAL_POD])["spec"] == source["spec"]
