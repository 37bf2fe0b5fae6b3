"""containers: the containers consul-k8s v0.49.8 adds (copy-consul-bin, the init container and
its script, the Envoy sidecar, the consul-sidecar), and the ports they bind. The script's shell
safety is tested in test_script_safety.py; here each container's shape and its switches."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import containers as c
from consul_inject.webhooks.v0_49 import podconfig
from consul_inject.webhooks.v0_49.podconfig import PodConfig
from consul_inject.webhooks.v0_49.settings import Settings

DEFAULTS = Settings()
ACLS = DEFAULTS._replace(auth_method="consul-k8s-auth-method")
SPEC: dict[str, Any] = {"serviceAccountName": "web", "containers": [{"name": "web", "ports": [
    {"name": "http", "containerPort": 8080}, {"name": "admin", "containerPort": 9090}]}]}
MULTI = {ann.SERVICE: "web,admin", ann.SERVICE_PORT: "8080,9090", ann.TPROXY: "false"}
# The order Kubernetes serialises a Container's fields in.
K8S_ORDER = ["name", "image", "command", "ports", "env", "resources", "volumeMounts",
             "securityContext"]


def pod(annotations: dict[str, str] | None = None, settings: Settings = DEFAULTS) -> PodConfig:
    return podconfig.resolve(settings, {"annotations": annotations or {}}, SPEC, "apps", {})


def in_k8s_order(container: dict[str, Any]) -> bool:
    keys = list(container)
    return keys == sorted(keys, key=K8S_ORDER.index)


# --- copy-consul-bin --------------------------------------------------------------------------


def test_copy_consul_bin() -> None:
    container = c.copy_consul_bin(DEFAULTS)
    assert container["name"] == c.COPY_BIN
    assert container["image"] == DEFAULTS.image_consul
    assert container["command"] == ["/bin/sh", "-ec", f"cp /bin/consul {c.DATA_PATH}/consul"]
    assert container["volumeMounts"] == [c.data_mount()]
    assert container["securityContext"]["runAsUser"] == c.INIT_UID
    assert container["resources"] == DEFAULTS.init_resources.as_k8s()
    assert in_k8s_order(container)
    assert "securityContext" not in c.copy_consul_bin(DEFAULTS._replace(openshift=True))


# --- the init container -----------------------------------------------------------------------


def test_connect_init_of_a_single_service_pod() -> None:
    container = c.connect_init(DEFAULTS, pod(), 0, "", None)
    assert container["name"] == c.INIT
    assert container["image"] == DEFAULTS.image_consul_k8s
    assert container["command"][:2] == ["/bin/sh", "-ec"]
    assert [e["name"] for e in container["env"]] == ["HOST_IP", "POD_IP", "POD_NAME",
                                                     "POD_NAMESPACE"]
    assert container["volumeMounts"] == [c.data_mount()]
    assert in_k8s_order(container)


@pytest.mark.parametrize(("annotations", "cni", "context"), [
    ({}, False, {"capabilities": {"add": ["NET_ADMIN"]}, "privileged": True, "runAsUser": 0,
                 "runAsGroup": 0, "runAsNonRoot": False}),
    ({}, True, {"capabilities": {"drop": ["ALL"]}, "privileged": False, "runAsUser": c.INIT_UID,
                "runAsGroup": c.INIT_UID, "runAsNonRoot": True}),
    ({ann.TPROXY: "false"}, False, None),
])
def test_connect_init_privileges(annotations: dict[str, str], cni: bool,
                                 context: dict[str, Any] | None) -> None:
    """Root with NET_ADMIN to set up the redirect itself; unprivileged when the CNI plugin does;
    no security context without transparent proxy."""
    settings = DEFAULTS._replace(cni=cni)
    container = c.connect_init(settings, pod(annotations, settings), 0, "", None)
    assert container.get("securityContext") == context


def test_connect_init_with_acls_mounts_the_token() -> None:
    token = {"name": "kube-api-access", "mountPath": c.SA_TOKEN_DIR, "readOnly": True}
    container = c.connect_init(ACLS, pod(settings=ACLS), 0, "", token)
    assert container["volumeMounts"] == [c.data_mount(), token]
    assert container["volumeMounts"][1] is not token  # a copy, not the app container's mount
    assert c.connect_init(DEFAULTS, pod(), 0, "", token)["volumeMounts"] == [c.data_mount()]


def test_multi_port_init_containers() -> None:
    config = pod(MULTI, ACLS)
    first = c.connect_init(ACLS, config, 0, "web", None)
    second = c.connect_init(ACLS, config, 1, "admin", None)
    assert (first["name"], second["name"]) == (f"{c.INIT}-web", f"{c.INIT}-admin")
    assert first["volumeMounts"] == [c.data_mount()]  # "web" is the pod's ServiceAccount
    assert second["volumeMounts"][1] == {"name": "admin-service-account", "readOnly": True,
                                         "mountPath": "/consul/serviceaccount-admin"}
    assert "-multiport=true" in second["command"][2]


def test_tokens() -> None:
    single, multi = pod(), pod(MULTI)
    assert not c.uses_own_token(single, "web")
    assert not c.uses_own_token(multi, "web")  # the pod runs as its first service
    assert c.uses_own_token(multi, "admin")
    assert c.bearer_token_file(single, "") == f"{c.SA_TOKEN_DIR}/token"
    assert c.bearer_token_file(multi, "admin") == "/consul/serviceaccount-admin/token"


def test_init_script_switches() -> None:
    plain = c.init_script(DEFAULTS, pod(), 0, "")
    assert "consul-k8s-control-plane connect-init" in plain
    assert "redirect-traffic" in plain
    no_tproxy = c.init_script(DEFAULTS, pod({ann.TPROXY: "false"}), 0, "")
    assert "redirect-traffic" not in no_tproxy
    cni = DEFAULTS._replace(cni=True)
    assert "redirect-traffic" not in c.init_script(cni, pod(settings=cni), 0, "")
    acl = c.init_script(ACLS, pod(settings=ACLS), 0, "")
    assert "-acl-auth-method=" in acl
    assert "-acl-auth-method=" not in plain
    second = c.init_script(DEFAULTS, pod(MULTI), 1, "admin")
    for part in ('-service-name="admin"', "-proxy-id-file=/consul/connect-inject/proxyid-admin",
                 "-admin-bind=127.0.0.1:19001",
                 "-bootstrap > /consul/connect-inject/envoy-bootstrap-admin.yaml"):
        assert part in second, part
    assert "-admin-bind=" not in plain  # a single-service pod keeps the default admin port


def test_equal_scripts_are_rendered_once() -> None:
    c._render.cache_clear()
    first = c.init_script(DEFAULTS, pod(), 0, "")
    second = c.init_script(DEFAULTS, pod(), 0, "")
    assert first is second
    assert c._render.cache_info().hits == 1


# --- the Envoy sidecar ------------------------------------------------------------------------


def test_envoy_sidecar_of_a_single_service_pod() -> None:
    container = c.envoy_sidecar(DEFAULTS, pod(), 0, "")
    assert container["name"] == c.ENVOY
    assert container["image"] == DEFAULTS.image_envoy
    assert container["command"] == ["envoy", "--config-path", f"{c.DATA_PATH}/envoy-bootstrap.yaml",
                                    "--concurrency", "2"]
    assert "ports" not in container
    assert container["env"] == [{"name": "HOST_IP",
                                 "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}}]
    assert container["volumeMounts"] == [c.data_mount()]
    assert container["securityContext"]["runAsUser"] == c.ENVOY_UID
    assert in_k8s_order(container)


def test_envoy_sidecar_options() -> None:
    config = pod({**MULTI, ann.USE_PROXY_HEALTH_CHECK: "true", ann.ENVOY_CONCURRENCY: "4",
                  ann.ENVOY_EXTRA_ARGS: "--log-level debug",
                  ann.USER_VOLUME_MOUNT: '[{"name": "certs", "mountPath": "/certs"}]'})
    container = c.envoy_sidecar(DEFAULTS, config, 1, "admin")
    assert container["name"] == f"{c.ENVOY}-admin"
    assert container["command"] == [
        "envoy", "--config-path", f"{c.DATA_PATH}/envoy-bootstrap-admin.yaml", "--base-id", "1",
        "--concurrency", "4", "--log-level", "debug"]
    assert container["ports"] == [{"name": "proxy-health-1", "containerPort": 21001}]
    assert container["volumeMounts"] == [c.data_mount(), {"name": "certs", "mountPath": "/certs"}]
    assert in_k8s_order(container)


def test_envoy_runs_as_its_uid_except_on_openshift_without_transparent_proxy() -> None:
    openshift = DEFAULTS._replace(openshift=True)
    assert c.envoy_security_context(DEFAULTS, pod({ann.TPROXY: "false"}))
    assert c.envoy_security_context(openshift, pod(settings=openshift))
    assert not c.envoy_security_context(openshift, pod({ann.TPROXY: "false"}, openshift))
    assert "securityContext" not in c.envoy_sidecar(openshift, pod({ann.TPROXY: "false"},
                                                                   openshift), 0, "")


# --- consul-sidecar and ports -----------------------------------------------------------------


def test_consul_sidecar_merges_metrics() -> None:
    config = pod({ann.ENABLE_METRICS: "true", ann.ENABLE_METRICS_MERGING: "true",
                  ann.SERVICE_PORT: "http", ann.SERVICE_METRICS_PATH: "/stats"})
    container = c.consul_sidecar(DEFAULTS, config)
    assert container["name"] == c.CONSUL_SIDECAR
    assert container["command"] == [
        "consul-k8s-control-plane", "consul-sidecar", "-enable-service-registration=false",
        "-enable-metrics-merging=true", "-merged-metrics-port=20100",
        "-service-metrics-port=8080", "-service-metrics-path=/stats", "-log-level=info",
        "-log-json=false"]
    assert container["resources"] == config.consul_sidecar_resources != {}
    assert in_k8s_order(container)


def test_sidecar_ports() -> None:
    """Only what this pod's injection binds: the transparent proxy's, metrics' and health
    check's listeners when they are on."""
    everything = pod()._replace(tproxy=True, overwrite_probes=True, metrics=True,
                                     merged_metrics=True, health_check=True)
    one = c.sidecar_ports(everything, 1, 2)
    assert set(one) == {15001, 20100, 20200, 19000, 20000, 21000, 20300, 20400, 20500, 20301,
                        20401, 20501}
    assert one[19000] == "Envoy admin port 19000"
    two = c.sidecar_ports(everything, 2, 1)
    assert {19001, 20001, 21001} <= set(two)
    assert 20301 not in two
    bare = everything._replace(tproxy=False, metrics=False, merged_metrics=False,
                               health_check=False)
    assert set(c.sidecar_ports(bare, 1, 2)) == {19000, 20000}
