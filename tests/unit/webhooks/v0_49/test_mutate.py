"""mutate.inject: one pod template mutated as the consul-k8s v0.49.8 webhook mutates a pod (the
containers, volumes, annotations and labels it adds, probes, the checks it refuses on, and the
256 KiB annotation limit of the API server). Whole outputs are pinned by tests/golden; this
checks each rule on its own."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consul_inject import workloads
from consul_inject.problems import TemplateError
from consul_inject.webhooks import common
from consul_inject.webhooks.base import Injection
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import containers as c
from consul_inject.webhooks.v0_49 import mutate
from consul_inject.webhooks.v0_49.settings import Settings

DEFAULTS = Settings()
LIMIT = 256 * 1024


def template(annotations: dict[str, str] | None = None, *containers: dict[str, Any],
             **spec: Any) -> dict[str, Any]:
    app = {"name": "web", "image": "example/web:1",
           "ports": [{"name": "http", "containerPort": 8080}],
           "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}}}
    return {"metadata": {"labels": {"app": "web"},
                         "annotations": {ann.INJECT: "true", **(annotations or {})}},
            "spec": {"containers": list(containers) or [app], **spec}}


def inject(data: dict[str, Any], settings: Settings = DEFAULTS, **kwargs: Any) -> Injection:
    return mutate.inject(settings, data, "apps", {}, **kwargs)


def names(spec: dict[str, Any], key: str) -> list[str]:
    return [x["name"] for x in spec.get(key) or []]


def refusal(data: dict[str, Any], settings: Settings = DEFAULTS) -> tuple[str, str, str]:
    with pytest.raises(TemplateError) as info:
        inject(data, settings)
    (problem,) = info.value.problems
    return problem.key, problem.message, problem.fix


def annotations_size(out: dict[str, Any]) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in out["metadata"]["annotations"].items()
               if k != workloads.HELM4_FILENAME)


# --- what injection adds --------------------------------------------------------------------------


def test_a_single_service_pod() -> None:
    source = template()
    before = copy.deepcopy(source)
    found = inject(source)
    assert source == before  # pure: the input is not touched
    out = found.template
    spec = out["spec"]
    assert names(spec, "containers") == ["web", c.ENVOY]
    assert names(spec, "initContainers") == [c.COPY_BIN, c.INIT]
    assert spec["volumes"] == [{"name": c.DATA_VOLUME, "emptyDir": {}}]
    annotations = out["metadata"]["annotations"]
    assert annotations[ann.INJECT_STATUS] == ann.INJECTED
    assert annotations[ann.TPROXY_STATUS] == "enabled"
    assert annotations[ann.SERVICE_PORT] == "http"  # defaultAnnotations: the first port's name
    assert out["metadata"]["labels"] == {"app": "web", ann.LABEL_INJECT_STATUS: ann.INJECTED,
                                         ann.LABEL_MANAGED_BY: ann.MANAGED_BY_VALUE}
    assert found.services == ()  # named after its Service, which binding finds
    assert found.upstreams == ()
    assert found.acl_login is False
    assert found.warnings == []
    assert found.sidecar_ports[20000] == "Envoy public listener 20000"


def test_original_pod_is_the_template_before_injection() -> None:
    source = template({workloads.HELM4_FILENAME: "web/templates/d.yaml"})
    out = inject(source).template
    original = json.loads(out["metadata"]["annotations"][ann.ORIGINAL_POD])
    expected_meta = copy.deepcopy(source["metadata"])
    del expected_meta["annotations"][workloads.HELM4_FILENAME]  # Helm 4 removes it later
    assert original == {"metadata": expected_meta, "spec": source["spec"], "status": {}}
    assert "<" not in common.original_pod({"metadata": {"annotations": {"a": "<b>"}}})


@pytest.mark.parametrize(("ports", "default"), [
    ([{"name": "http", "containerPort": 8080}], "http"),
    ([{"containerPort": 9090}, {"name": "b", "containerPort": 1}], "9090"),
    ([], None),
])
def test_the_service_port_defaults_to_the_first_container_s_first_port(
        ports: list[dict[str, Any]], default: str | None) -> None:
    out = inject(template({}, {"name": "web", "image": "x", "ports": ports})).template
    assert out["metadata"]["annotations"].get(ann.SERVICE_PORT) == default
    kept = inject(template({ann.SERVICE_PORT: "7000"}, {"name": "web", "ports": ports})).template
    assert kept["metadata"]["annotations"][ann.SERVICE_PORT] == "7000"


def test_http_probes_point_at_envoy_with_transparent_proxy() -> None:
    second = {"name": "side", "image": "y",
              "livenessProbe": {"httpGet": {"port": 9000}},
              "startupProbe": {"httpGet": {"port": 9001}},
              "readinessProbe": {"tcpSocket": {"port": 9002}}}
    first = template()["spec"]["containers"][0]
    spec = inject(template({}, first, second)).template["spec"]
    assert spec["containers"][0]["readinessProbe"]["httpGet"]["port"] == 20400
    assert spec["containers"][1]["livenessProbe"]["httpGet"]["port"] == 20301
    assert spec["containers"][1]["startupProbe"]["httpGet"]["port"] == 20501
    assert spec["containers"][1]["readinessProbe"] == {"tcpSocket": {"port": 9002}}
    for off in ({ann.TPROXY: "false"}, {ann.TPROXY_OVERWRITE_PROBES: "false"}):
        kept = inject(template(off)).template["spec"]["containers"][0]
        assert kept["readinessProbe"]["httpGet"]["port"] == "http", off


def test_redirect_traffic_config_only_with_cni() -> None:
    plain = inject(template()).template["metadata"]["annotations"]
    assert ann.REDIRECT_TRAFFIC_CONFIG not in plain
    cni = DEFAULTS._replace(cni=True)
    config = json.loads(inject(template(), cni).template["metadata"]["annotations"][
        ann.REDIRECT_TRAFFIC_CONFIG])
    assert config["ProxyUserID"] == str(c.ENVOY_UID)
    assert config["ProxyInboundPort"] == 20000
    assert config["ExcludeInboundPorts"] == ["20400"]  # the rewritten probe
    assert config["ExcludeUIDs"] == [str(c.INIT_UID)]
    no_tproxy = inject(template({ann.TPROXY: "false"}), cni).template["metadata"]["annotations"]
    assert ann.REDIRECT_TRAFFIC_CONFIG not in no_tproxy


def test_metrics_annotations() -> None:
    out = inject(template({ann.ENABLE_METRICS: "true"})).template["metadata"]["annotations"]
    assert out["prometheus.io/scrape"] == "true"
    assert out["prometheus.io/port"] == DEFAULTS.prometheus_scrape_port
    assert out["prometheus.io/path"] == "/metrics"
    merged = inject(template({ann.ENABLE_METRICS: "true", ann.ENABLE_METRICS_MERGING: "true"}))
    assert names(merged.template["spec"], "containers") == ["web", c.ENVOY, c.CONSUL_SIDECAR]


def test_upstreams_become_env_vars_of_the_user_s_containers() -> None:
    """Added before the webhook adds its own containers: the app's containers and init
    containers get them, the injected ones do not."""
    found = inject(template({ann.UPSTREAMS: "db:5432"},
                            {"name": "web", "image": "x", "env": [{"name": "A", "value": "1"}]},
                            initContainers=[{"name": "migrate", "image": "m"}]))
    assert [u.name for u in found.upstreams] == ["db"]
    spec = found.template["spec"]
    wanted = {"DB_CONNECT_SERVICE_HOST": "127.0.0.1", "DB_CONNECT_SERVICE_PORT": "5432"}
    for container in [*spec["initContainers"], *spec["containers"]]:
        env = {e["name"]: e.get("value") for e in container.get("env") or []}
        user = container["name"] in ("web", "migrate")
        assert ({k: env.get(k) for k in wanted} == wanted) is user, container["name"]
    assert spec["containers"][0]["env"][0] == {"name": "A", "value": "1"}  # kept first


def test_mount_volume_names_containers() -> None:
    found = inject(template({ann.MOUNT_VOLUME: "web,nosuch"}))
    assert found.template["spec"]["containers"][0]["volumeMounts"] == [c.data_mount()]
    assert found.warnings == [f'{ann.MOUNT_VOLUME}: no container named "nosuch"; ignored']


def test_a_multi_port_pod_gets_an_init_container_and_a_sidecar_per_service() -> None:
    source = template({ann.SERVICE: "web,admin", ann.SERVICE_PORT: "8080,9090",
                       ann.TPROXY: "false"},
                      {"name": "web", "ports": [{"containerPort": 8080}, {"containerPort": 9090}]},
                      serviceAccountName="web")
    found = inject(source)
    spec = found.template["spec"]
    assert found.services == ("web", "admin")
    assert names(spec, "containers") == ["web", f"{c.ENVOY}-web", f"{c.ENVOY}-admin"]
    assert names(spec, "initContainers") == [c.COPY_BIN, f"{c.INIT}-web", f"{c.INIT}-admin"]


def test_multi_port_with_acls_mounts_each_service_s_token() -> None:
    acls = DEFAULTS._replace(auth_method="consul-k8s-auth-method")
    source = template({ann.SERVICE: "web,admin", ann.SERVICE_PORT: "8080,9090",
                       ann.TPROXY: "false"},
                      {"name": "web", "ports": [{"containerPort": 8080}, {"containerPort": 9090}]},
                      serviceAccountName="web")
    found = inject(source, acls, token_secret=lambda account: f"{account}-token-xyz")
    assert found.acl_login is True
    secrets = {v["name"]: v["secret"]["secretName"] for v in found.template["spec"]["volumes"]
               if "secret" in v}
    assert secrets == {"admin-service-account": "admin-token-xyz"}  # the first uses the pod's


# --- what it refuses -------------------------------------------------------------------------------


@pytest.mark.parametrize(("extra", "what"), [
    ({}, "transparent proxy"),  # on by default
    ({ann.TPROXY: "false", ann.ENABLE_METRICS: "true"}, "metrics"),
    ({ann.TPROXY: "false", ann.ENABLE_METRICS_MERGING: "true"}, "metrics merging"),
])
def test_multi_port_is_incompatible_with(extra: dict[str, str], what: str) -> None:
    source = template({ann.SERVICE: "web,admin", ann.SERVICE_PORT: "8080,9090", **extra},
                      {"name": "web", "ports": [{"containerPort": 8080}, {"containerPort": 9090}]},
                      serviceAccountName="web")
    key, message, _ = refusal(source)
    assert (key, message) == (ann.SERVICE, f"multi port services are not compatible with {what}")


def test_the_envoy_uid_is_reserved_for_envoy() -> None:
    key, message, _ = refusal(template(securityContext={"runAsUser": c.ENVOY_UID}))
    assert (key, message) == ("pod securityContext", f"runAsUser is {c.ENVOY_UID}, the uid Envoy "
                                                     "runs as; the pod cannot share it")
    app = {"name": "web", "image": "x", "securityContext": {"runAsUser": c.ENVOY_UID}}
    assert refusal(template({}, app))[0] == 'container "web"'
    envoy_image = {"name": "proxy", "image": DEFAULTS.image_envoy,
                   "securityContext": {"runAsUser": c.ENVOY_UID}}
    assert names(inject(template({}, envoy_image)).template["spec"], "containers")[0] == "proxy"


def test_acls_need_a_token_to_log_in_with() -> None:
    acls = DEFAULTS._replace(auth_method="consul-k8s-auth-method")
    key, message, _ = refusal(template(automountServiceAccountToken=False), acls)
    assert key == "spec.automountServiceAccountToken"
    assert "no ServiceAccount token for the ACL login" in message
    mounted = {"name": "web", "image": "x",
               "volumeMounts": [{"name": "token", "mountPath": c.SA_TOKEN_DIR}]}
    assert inject(template({}, mounted, automountServiceAccountToken=False), acls).acl_login
    assert inject(template(automountServiceAccountToken=False)).template  # no ACLs: no login


@pytest.mark.parametrize(("source", "key"), [
    (template(volumes=[{"name": c.DATA_VOLUME, "emptyDir": {}}]), f'volume "{c.DATA_VOLUME}"'),
    (template({}, {"name": c.ENVOY, "image": "mine"}), f'container "{c.ENVOY}"'),
    (template(initContainers=[{"name": c.COPY_BIN, "image": "mine"}]),
     f'container "{c.COPY_BIN}"'),
    (template({ann.USER_VOLUME: '[{"name": "data", "emptyDir": {}}]'},
              volumes=[{"name": "data", "emptyDir": {}}]), 'volume "data"'),
])
def test_names_injection_adds_may_not_be_in_the_pod_already(source: dict[str, Any],
                                                            key: str) -> None:
    """Kubernetes refuses two volumes or two containers of one name (init containers count)."""
    found, message, fix = refusal(source)
    what = key.split(maxsplit=1)[0]
    assert (found, message) == (key, f"is already in the pod, and injection adds a {what} of "
                                     "that name; Kubernetes refuses two")
    assert fix == f"rename the pod's {what}"


def test_the_pod_s_own_duplicates_are_not_injection_s_business() -> None:
    source = template(volumes=[{"name": "x", "emptyDir": {}}, {"name": "x", "emptyDir": {}}])
    assert [v["name"] for v in inject(source).template["spec"]["volumes"]] == [
        "x", "x", c.DATA_VOLUME]


# --- the API server's annotation limit ----------------------------------------------------------


TAGS = ann.P + "service-tags"


def big(size: int, extra: str = "") -> dict[str, Any]:
    return template({TAGS: "x" * size + extra})


def at_the_limit() -> tuple[int, str]:
    """(x count, extra text) of a service-tags value whose injected pod's annotations total
    exactly 262144 bytes. An "x" counts twice (the value and its copy in original-pod); a "<"
    counts 7 times (once, and as \\u003c in the copy), which settles the parity."""
    base = annotations_size(inject(big(0)).template)
    odd = (LIMIT - base) % 2
    return (LIMIT - base - 7 * odd) // 2, "<" * odd


def test_annotations_of_exactly_256_kib_after_injection_are_accepted() -> None:
    size, extra = at_the_limit()
    found = inject(big(size, extra))
    assert annotations_size(found.template) == LIMIT
    assert found.template["metadata"]["annotations"][TAGS] == "x" * size + extra


def test_one_byte_more_is_refused_naming_the_annotation_and_the_sizes() -> None:
    size, extra = at_the_limit()
    key, message, fix = refusal(big(size + 1, extra))
    own = len(TAGS) + size + 1 + len(extra)
    assert key == TAGS
    assert message == (f"the pod's annotations after injection: {LIMIT + 2} bytes, over the "
                       f"262144 bytes (256 KiB) Kubernetes accepts; this one is {own} bytes, and "
                       f"injection copies it into {ann.ORIGINAL_POD}")
    assert fix == "shorten it; once injected, each annotation counts about twice"


def test_sizes_are_bytes_not_characters() -> None:
    size, _ = at_the_limit()
    chars = size // 2 + 10
    assert inject(big(chars)).template  # as ASCII it fits
    assert refusal(template({TAGS: "\u00e9" * chars}))[0] == TAGS  # two bytes each


def test_the_largest_annotation_of_the_user_s_is_named() -> None:
    source = template({TAGS: "x" * 70_000, ann.P + "service-meta-a": "y" * 80_000})
    assert refusal(source)[0] == ann.P + "service-meta-a"


def test_a_large_pod_template_is_named_as_original_pod() -> None:
    """When what makes the copy large is the template itself (a long env value), no annotation of
    the user's is to blame: original-pod is named."""
    app = {"name": "web", "image": "x", "env": [{"name": "BLOB", "value": "b" * LIMIT}]}
    key, message, fix = refusal(template({}, app))
    assert key == ann.ORIGINAL_POD
    assert "this one, the pod template as JSON, is" in message
    assert fix.startswith("make the pod template smaller")


def test_the_helm4_filename_annotation_is_not_counted() -> None:
    """Helm 4 adds it for the post-renderer and removes it before anything reaches the API."""
    size, extra = at_the_limit()
    marked = big(size, extra)
    marked["metadata"]["annotations"][workloads.HELM4_FILENAME] = "f" * 1000
    assert inject(marked).template


# --- invariants -----------------------------------------------------------------------------------

CONTAINER_NAMES = st.lists(st.from_regex(r"\A[a-z][a-z0-9]{0,6}\Z").filter(
    lambda n: not n.startswith(("envoy", "consul"))), min_size=1, max_size=3, unique=True)


@settings(max_examples=60, deadline=None)
@given(CONTAINER_NAMES, st.lists(st.integers(1024, 14999), max_size=2, unique=True),
       st.booleans(), st.dictionaries(st.sampled_from(["note", "example.com/x"]),
                                      st.text(max_size=10), max_size=2))
def test_injection_keeps_the_user_s_pod(container_names: list[str], ports: list[int],
                                        tproxy: bool, user: dict[str, str]) -> None:
    """The app containers come first, in order, changed only where injection may change them;
    the user's annotations and labels stay; original-pod reads back as the input."""
    apps = [{"name": n, "image": "x", "ports": [{"containerPort": p} for p in ports]}
            for n in container_names]
    source = template({**user, ann.TPROXY: str(tproxy).lower()}, *apps)
    out = inject(source).template
    spec = out["spec"]
    assert names(spec, "containers")[:len(apps)] == container_names
    for before, after in zip(apps, spec["containers"], strict=False):
        assert {k: v for k, v in after.items() if k not in ("env", "volumeMounts")} == before
    assert names(spec, "containers")[len(apps)] == c.ENVOY
    annotations = out["metadata"]["annotations"]
    assert all(annotations[k] == v for k, v in source["metadata"]["annotations"].items())
    assert out["metadata"]["labels"]["app"] == "web"
    assert json.loads(annotations[ann.ORIGINAL_POD]) == {
        "metadata": source["metadata"], "spec": source["spec"], "status": {}}
