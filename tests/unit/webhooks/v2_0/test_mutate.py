"""mutate.inject: the 2.0/1.9 pod mutation in the webhook's order (spec section 3.1), test
vectors TV-09..TV-35 and TV-69/TV-70, with the OpenShift cases TV-45/46/68 given the
Namespace's annotations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from consul_inject.webhooks.v2_0 import mutate
from tests.unit.webhooks.v2_0.support import (
    SA_MOUNT,
    ZERO,
    ZERO_1_9,
    P,
    app,
    container,
    env,
    inject,
    out,
    pod,
    refusal,
    with_,
)

TPROXY = with_(ZERO, tproxy=True, overwrite_probes=True)
INJECTED_ANNOTATIONS = {P + "dual-stack", P + "connect-k8s-version", P + "consul-k8s-version",
                        P + "original-pod", P + "connect-inject-status"}
OPENSHIFT_NS = {"openshift.io/sa.scc.uid-range": "1000700000/100000"}


def names(template: dict[str, Any], key: str) -> list[str]:
    return [x["name"] for x in template["spec"].get(key) or []]


def probes(*ports: int) -> dict[str, Any]:
    return {key: {"httpGet": {"port": port, "path": "/"}} for key, port in
            zip(("livenessProbe", "readinessProbe", "startupProbe"), ports, strict=False)}


# --- patch shape (TV-09..TV-22) ----------------------------------------------------------------


def test_tv09_basic_pod() -> None:
    """TV-09: labels, annotations, the volume, the init container, the sidecar appended."""
    result = out(pod())
    assert set(result["metadata"]["labels"]) == {P + "connect-inject-status",
                                                 P + "connect-inject-managed-by"}
    assert result["metadata"]["labels"][P + "connect-inject-managed-by"] == \
        "consul-k8s-endpoints-controller"
    assert result["spec"]["volumes"] == [{"name": "consul-connect-inject-data",
                                          "emptyDir": {"medium": "Memory"}}]
    assert names(result, "initContainers") == ["consul-connect-inject-init"]
    assert names(result, "containers") == ["web", "consul-dataplane"]


def test_tv10_lifecycle_puts_the_sidecar_first() -> None:
    """TV-10"""
    result = out(pod(), with_(ZERO, lifecycle=True))
    assert names(result, "containers") == ["consul-dataplane", "web"]


def test_tv11_upstreams_add_env_to_the_app() -> None:
    """TV-11"""
    result = out(pod({P + "connect-service-upstreams": "echo:1234,db:1234"}))
    assert env(container(result, "web")) == {
        "ECHO_CONNECT_SERVICE_HOST": "127.0.0.1", "ECHO_CONNECT_SERVICE_PORT": "1234",
        "DB_CONNECT_SERVICE_HOST": "127.0.0.1", "DB_CONNECT_SERVICE_PORT": "1234"}
    assert "ECHO_CONNECT_SERVICE_HOST" not in env(container(result, "consul-dataplane"))


def test_tv12_volume_mount_annotation() -> None:
    """TV-12: named app containers get the data mount; unknown names are ignored."""
    inject_result = inject(pod({P + "connect-inject-mount-volume": "web,unknown,web_three_point_oh"},
                               app("web"), app("web_two_point_oh"), app("web_three_point_oh")))
    result = inject_result.template
    mount = {"name": "consul-connect-inject-data", "mountPath": "/consul/connect-inject"}
    assert result["spec"]["containers"][0]["volumeMounts"] == [mount]
    assert "volumeMounts" not in result["spec"]["containers"][1]
    assert result["spec"]["containers"][2]["volumeMounts"] == [mount]
    assert result["spec"]["containers"][3]["name"] == "consul-dataplane"
    assert any('"unknown"' in w for w in inject_result.warnings)


def test_tv13_empty_volume_mount_annotation() -> None:
    """TV-13"""
    result = out(pod({P + "connect-inject-mount-volume": ""}))
    assert "volumeMounts" not in result["spec"]["containers"][0]


def test_tv14_user_volumes() -> None:
    """TV-14"""
    result = out(pod({P + "consul-sidecar-user-volume": '[{"name":"bbb","csi":{"driver":"bob"}}]'}))
    assert result["spec"]["volumes"][-1] == {"name": "bbb", "csi": {"driver": "bob"}}


def test_tv15_invalid_user_volumes() -> None:
    """TV-15: error unmarshalling sidecar user volumes."""
    problem = refusal(pod({P + "consul-sidecar-user-volume": "[a]"}))
    assert problem.key == P + "consul-sidecar-user-volume"
    assert "JSON" in problem.message


def test_tv16_existing_labels_are_kept() -> None:
    """TV-16"""
    template = pod()
    template["metadata"]["labels"] = {"testLabel": "123"}
    assert out(template)["metadata"]["labels"] == {
        "testLabel": "123", P + "connect-inject-status": "injected",
        P + "connect-inject-managed-by": "consul-k8s-endpoints-controller"}


@pytest.mark.parametrize("annotations", [None, {"user": "kept"}])
def test_tv17_annotations_every_injection_adds(annotations: dict[str, str] | None) -> None:
    """TV-17"""
    result = out(pod(annotations))
    written = result["metadata"]["annotations"]
    assert written.keys() >= INJECTED_ANNOTATIONS
    assert written[P + "dual-stack"] == "false"
    assert written[P + "connect-k8s-version"] == written[P + "consul-k8s-version"] == "v2.0.3"
    assert written[P + "connect-inject-status"] == "injected"
    if annotations:
        assert written["user"] == "kept"


def test_tv18_tproxy_rewrites_the_probes() -> None:
    """TV-18"""
    result = out(pod(None, app(**probes(8080, 8081))), TPROXY)
    web = container(result, "web")
    assert web["livenessProbe"]["httpGet"]["port"] == 20300
    assert web["readinessProbe"]["httpGet"]["port"] == 20400
    assert result["metadata"]["annotations"][P + "transparent-proxy-status"] == "enabled"


def test_tv19_dns_redirection() -> None:
    """TV-19"""
    result = out(pod({P + "consul-dns": "true"}), TPROXY)
    assert result["spec"]["dnsPolicy"] == "None"
    assert result["spec"]["dnsConfig"]["nameservers"][0] == "127.0.0.1"


def test_tv20_dns_only_with_tproxy() -> None:
    """TV-20"""
    result = out(pod({P + "consul-dns": "true", P + "transparent-proxy": "false"}), TPROXY)
    assert "dnsPolicy" not in result["spec"]
    assert "dnsConfig" not in result["spec"]
    assert P + "transparent-proxy-status" not in result["metadata"]["annotations"]


def test_tv21_multiport_with_acls() -> None:
    """TV-21: web-admin's token comes from its own Secret (the ServiceAccount has none)."""
    template = pod({P + "connect-service": "web,web-admin"},
                   app("web", volumeMounts=[SA_MOUNT]), serviceAccountName="web")
    result = out(template, with_(ZERO, auth_method="an-auth-method"),
                 token_secret=lambda account: account)
    assert result["spec"]["volumes"][-1] == {"name": "web-admin-service-account",
                                             "secret": {"secretName": "web-admin"}}
    assert names(result, "initContainers") == ["consul-connect-inject-init-web",
                                               "consul-connect-inject-init-web-admin"]
    assert names(result, "containers") == ["web", "consul-dataplane-web",
                                            "consul-dataplane-web-admin"]


def test_tv22_probe_ports_with_lifecycle_skip_the_sidecar() -> None:
    """TV-22: the app moves to containers[1] but keeps index 0 for its probe ports."""
    settings = with_(TPROXY, lifecycle=True)
    result = out(pod(None, app(**probes(8080, 8081, 8082))), settings)
    web = result["spec"]["containers"][1]
    assert web["name"] == "web"
    assert [web[k]["httpGet"]["port"] for k in ("livenessProbe", "readinessProbe",
                                                "startupProbe")] == [20300, 20400, 20500]
    init_env = result["spec"]["initContainers"][0]["env"]
    assert init_env[9]["name"] == "CONSUL_REDIRECT_TRAFFIC_CONFIG"
    assert json.loads(init_env[9]["value"])["ExcludeInboundPorts"] == ["20300", "20400", "20500"]


# --- default annotations (TV-23..TV-28) --------------------------------------------------------


def defaults(template: dict[str, Any], settings: Any = ZERO) -> dict[str, Any]:
    annotations = dict((template.get("metadata") or {}).get("annotations") or {})
    mutate._default_annotations(settings, template, annotations, template.get("spec") or {})
    return annotations


def _meaning(original: str) -> Any:
    """original-pod by meaning: Go writes `containers: null` for a pod without containers."""
    data = json.loads(original)
    if data["spec"].get("containers") is None:
        data["spec"].pop("containers", None)
    return data


@pytest.mark.parametrize(("settings", "expected"), [
    (ZERO, '{"metadata":{},"spec":{"containers":null},"status":{}}'),
    (ZERO_1_9, '{"metadata":{"creationTimestamp":null},"spec":{"containers":null},"status":{}}')])
def test_tv23_empty_pod(settings: Any, expected: str) -> None:
    """TV-23: only original-pod and the two version annotations."""
    written = defaults({}, settings)
    assert set(written) == {P + "original-pod", P + "connect-k8s-version", P + "consul-k8s-version"}
    assert _meaning(written[P + "original-pod"]) == _meaning(expected)
    assert written[P + "consul-k8s-version"] == "v" + settings.variant.release


def test_tv24_no_ports_no_service_port() -> None:
    """TV-24"""
    assert P + "connect-service-port" not in defaults(pod())


def test_tv25_named_port() -> None:
    """TV-25"""
    template = pod(None, app(ports=[{"name": "http", "containerPort": 8080}]))
    assert defaults(template)[P + "connect-service-port"] == "http"


MULTI_NAMED = [{"name": n, "containerPort": p} for n, p in
               (("http", 8080), ("metrics", 9090), ("admin", 9292))]
MULTI_UNNAMED = [{"containerPort": p} for p in (8080, 9090, 9292)]


@pytest.mark.parametrize(("ports", "v2", "v1_9"), [
    (MULTI_NAMED, "http,metrics,admin", "http"),
    ([{"containerPort": 8080}], "8080", "8080"),
    (MULTI_UNNAMED, "8080,9090,9292", "8080")])
def test_tv26_tv27_service_port_lists_every_port_in_2_0_the_first_in_1_9(
        ports: list[dict[str, Any]], v2: str, v1_9: str) -> None:
    """TV-26, TV-27"""
    template = pod(None, app(ports=ports), app("second", ports=[{"containerPort": 1}]))
    assert defaults(template)[P + "connect-service-port"] == v2
    assert defaults(template, ZERO_1_9)[P + "connect-service-port"] == v1_9


def test_tv28_annotated_name_is_kept_and_in_original_pod() -> None:
    """TV-28"""
    written = defaults(pod({P + "connect-service": "foo"}))
    assert written[P + "connect-service"] == "foo"
    assert json.loads(written[P + "original-pod"])["metadata"]["annotations"] == {
        P + "connect-service": "foo"}


def test_a_given_service_port_is_kept() -> None:
    template = pod({P + "connect-service-port": "9999"},
                   app(ports=[{"name": "http", "containerPort": 8080}]))
    assert defaults(template)[P + "connect-service-port"] == "9999"


# --- Prometheus, probes, multi-port, access logs (TV-29..TV-35) ------------------------------


def test_tv29_prometheus_annotations() -> None:
    """TV-29"""
    on = out(pod(), with_(ZERO, metrics=True))["metadata"]["annotations"]
    assert {k: on[k] for k in on if k.startswith("prometheus.io/")} == {
        "prometheus.io/scrape": "true", "prometheus.io/port": "20200",
        "prometheus.io/path": "/metrics"}
    off = out(pod())["metadata"]["annotations"]
    assert not [k for k in off if k.startswith("prometheus.io/")]


def test_tv31_no_tproxy_no_probe_rewrite() -> None:
    """TV-31"""
    result = out(pod(None, app(**probes(8079, 8080))), with_(ZERO, overwrite_probes=True))
    assert container(result, "web")["readinessProbe"]["httpGet"]["port"] == 8080


def test_tv32_probe_ports_per_container() -> None:
    """TV-32"""
    result = out(pod(None, app("a", **probes(1, 2, 3)), app("b", **probes(4, 5, 6))), TPROXY)
    for name, idx in (("a", 0), ("b", 1)):
        item = container(result, name)
        assert [item[k]["httpGet"]["port"] for k in ("livenessProbe", "readinessProbe",
                                                     "startupProbe")] == [
            20300 + idx, 20400 + idx, 20500 + idx]


def test_tv33_the_consul_dataplane_container_is_skipped() -> None:
    """TV-33: a container named consul-dataplane keeps its probes and does not count."""
    containers = [{"name": "consul-dataplane", **probes(9, 9, 9)}, {"name": "a", **probes(1)}]
    mutate._rewrite_probes(containers)
    assert containers[0]["livenessProbe"]["httpGet"]["port"] == 9
    assert containers[1]["livenessProbe"]["httpGet"]["port"] == 20300


@pytest.mark.parametrize(("annotations", "what"), [
    ({}, "transparent proxy"),
    ({P + "transparent-proxy": "false", P + "enable-metrics": "true"}, "metrics"),
    ({P + "transparent-proxy": "false", P + "enable-metrics-merging": "true"}, "metrics merging")])
@pytest.mark.parametrize(("settings", "words"), [(TPROXY, "multi protocol multi port"),
                                                 (with_(ZERO_1_9, tproxy=True), "multi port")])
def test_tv34_multiport_refusals(annotations: dict[str, str], what: str, settings: Any,
                                 words: str) -> None:
    """TV-34 (and section 7 item 2: 1.9's words)."""
    template = pod({P + "connect-service": "web,web-admin", **annotations})
    problem = refusal(template, settings)
    assert problem.message == f"{words} services are not compatible with {what}"


@pytest.mark.parametrize(("logs", "annotations", "volume"), [
    ("", {}, False),
    ("stdout", {P + "consul-sidecar-access-log-enabled": "true"}, False),
    ("/var/log/access-log.txt", {P + "consul-sidecar-access-log-enabled": "true",
                                 P + "consul-sidecar-access-log-path": "/var/log/access-log.txt"},
     True)])
def test_tv35_access_logs(logs: str, annotations: dict[str, str], volume: bool) -> None:
    """TV-35: Consul's proxy-defaults access logs, given as --access-logs."""
    result = out(pod(), with_(ZERO, access_logs=logs))
    written = result["metadata"]["annotations"]
    assert {k: v for k, v in written.items() if "access-log" in k} == annotations
    has_volume = {"name": "envoy-access-logs", "emptyDir": {}} in result["spec"]["volumes"]
    assert has_volume is volume
    mounts = container(result, "consul-dataplane")["volumeMounts"]
    assert ({"name": "envoy-access-logs", "mountPath": "/var/log"} in mounts) is volume


# --- UIDs (TV-69, TV-70) and OpenShift (TV-45, TV-46, TV-68) ------------------------------------


def test_tv69_pod_uid_5995_is_refused() -> None:
    """TV-69"""
    problem = refusal(pod(None, securityContext={"runAsUser": 5995}))
    assert problem.message == "pod's security context cannot have the same UID as " \
        "consul-dataplane: 5995"


def test_tv70_container_uid_5995_is_refused_unless_it_is_the_dataplane_image() -> None:
    """TV-70"""
    template = pod(None, app("app", securityContext={"runAsUser": 5995}))
    problem = refusal(template)
    assert problem.key == 'container "app"'
    assert 'has runAsUser set to the same UID "5995" as consul-dataplane which is not allowed' \
        in problem.message
    template["spec"]["containers"][0]["image"] = ZERO.image_dataplane
    assert out(template)


def test_openshift_without_namespace_annotations_is_refused() -> None:
    """What the pipeline does today: the Namespace's UID range is not passed to inject."""
    problem = refusal(pod(), with_(ZERO, openshift=True))
    assert problem.key == "global.openshift.enabled"


def test_tv45_openshift_cni_init_container_uses_the_last_uid() -> None:
    """TV-45"""
    settings = with_(TPROXY, openshift=True, cni=True)
    result = out(pod(), settings, namespace_annotations=OPENSHIFT_NS)
    context = container(result, "consul-connect-inject-init")["securityContext"]
    assert context["runAsUser"] == context["runAsGroup"] == 1000799999
    config = json.loads(result["metadata"]["annotations"][P + "redirect-traffic-config"])
    assert config["ProxyUserID"] == "1000799998"
    assert config["ExcludeUIDs"] == ["1000799999"]


def test_tv46_openshift_without_cni_runs_privileged_root() -> None:
    """TV-46"""
    settings = with_(TPROXY, openshift=True)
    result = out(pod(), settings, namespace_annotations=OPENSHIFT_NS)
    init = container(result, "consul-connect-inject-init")
    assert init["securityContext"] == {"capabilities": {"add": ["NET_ADMIN"]}, "privileged": True,
                                       "runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False}
    config = json.loads(env(init)["CONSUL_REDIRECT_TRAFFIC_CONFIG"])
    assert (config["ProxyUserID"], config["ExcludeUIDs"]) == ("1000799998", ["1000799999"])


@pytest.mark.parametrize("tproxy", [False, True])
def test_tv68_openshift_dataplane_uid(tproxy: bool) -> None:
    """TV-68 (OpenShift part): the second-to-last UID, with and without transparent proxy;
    an app on 5995 is no collision there."""
    settings = with_(ZERO, openshift=True, tproxy=tproxy)
    template = pod(None, app(securityContext={"runAsUser": 5995}))
    result = out(template, settings, namespace_annotations=OPENSHIFT_NS)
    context = container(result, "consul-dataplane")["securityContext"]
    assert context["runAsUser"] == context["runAsGroup"] == 1000799998


def test_openshift_uid_range_errors() -> None:
    problem = refusal(pod(), with_(ZERO, openshift=True), namespace_annotations={})
    assert "invalid range format" in problem.message


# --- refusals of the pod itself ------------------------------------------------------------------


def test_tv90_pod_with_its_own_dns_config_is_refused_when_dns_applies() -> None:
    """TV-90 through the whole mutation."""
    template = pod(None, dnsConfig={"nameservers": ["1.1.1.1"]})
    problem = refusal(template, with_(TPROXY, consul_dns=True))
    assert problem.message == ("DNS redirection to Consul is not supported with an already "
                               "defined DNSConfig on the pod")
    assert out(template, TPROXY)["spec"]["dnsConfig"] == {"nameservers": ["1.1.1.1"]}


def test_acls_with_automount_off_and_no_token_mount_is_refused() -> None:
    """unable to find service account token volumeMount: offline the mount comes later, from
    Kubernetes, unless the pod turns it off."""
    settings = with_(ZERO, auth_method="m")
    problem = refusal(pod(None, automountServiceAccountToken=False), settings)
    assert problem.key == "spec.automountServiceAccountToken"
    assert out(pod(None, app(volumeMounts=[SA_MOUNT]), automountServiceAccountToken=False),
               settings)
    assert out(pod(), settings)


def test_host_network_with_tproxy_is_refused() -> None:
    assert refusal(pod(None, hostNetwork=True), TPROXY).key == "spec.hostNetwork"
    assert out(pod(None, hostNetwork=True), with_(TPROXY, cni=True))


def test_native_sidecar_below_kubernetes_1_29_is_refused() -> None:
    problem = refusal(pod(), with_(ZERO, native_sidecar=True, kube_version=(1, 28)))
    assert problem.key == P + "enable-consul-dataplane-as-sidecar"
    result = inject(pod(), with_(ZERO, native_sidecar=True))
    assert any("1.29" in w for w in result.warnings)


def test_multi_port_service_names_keep_container_names_within_63_characters() -> None:
    """consul-connect-inject-init-<service> is a container name (a DNS label of at most 63
    characters): a 36-character service is the longest that fits."""
    longest = "a" * 36
    injected = out(pod({P + "connect-service": f"web,{longest}", P + "connect-service-port":
                        "8080,9090", P + "transparent-proxy": "false"},
                       app(ports=[{"containerPort": 8080}, {"containerPort": 9090}])), ZERO)
    names = [c["name"] for key in ("initContainers", "containers")
             for c in injected["spec"][key]]
    assert max(map(len, names)) == 63
    problem = refusal(pod({P + "connect-service": "web," + "a" * 37,
                           P + "transparent-proxy": "false"}), ZERO)
    assert problem.key == P + "connect-service"
    assert "at most 36 characters" in problem.message
