"""The consul-connect-inject-init container (spec 3.3, 3.4) and the iptables configuration
(3.9): TV-36..TV-51 and TV-83..TV-86."""

from __future__ import annotations

import json
from typing import Any

import pytest

from consul_inject.webhooks.v2_0.settings import Resources, Settings
from tests.unit.webhooks.v2_0.support import (
    SA_MOUNT,
    ZERO,
    P,
    app,
    container,
    env,
    out,
    pod,
    refusal,
    with_,
)

FIRST = "consul-k8s-control-plane connect-init -pod-name=${POD_NAME} -pod-namespace=${POD_NAMESPACE} \\"
RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
              "readOnlyRootFilesystem": True, "runAsNonRoot": True,
              "seccompProfile": {"type": "RuntimeDefault"}}
ROOT = {"runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False, "privileged": False,
        "capabilities": {"add": ["NET_ADMIN"]}}
CNI = {"seccompProfile": {"type": "RuntimeDefault"}, "runAsUser": 5996, "runAsGroup": 5996,
       "runAsNonRoot": True, "privileged": False, "capabilities": {"drop": ["ALL"]},
       "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False}
TPROXY = with_(ZERO, tproxy=True)


def init(template: dict[str, Any], settings: Settings = ZERO, name: str =
         "consul-connect-inject-init", **kwargs: Any) -> dict[str, Any]:
    return container(out(template, settings, **kwargs), name)


def pairs(item: dict[str, Any], start: int = 0) -> list[tuple[str, Any]]:
    return [(e["name"], e.get("value", e.get("valueFrom"))) for e in item["env"][start:]]


def redirect(template: dict[str, Any], settings: Settings = TPROXY, **kwargs: Any) -> Any:
    return json.loads(env(init(template, settings, **kwargs))["CONSUL_REDIRECT_TRAFFIC_CONFIG"])


def test_tv36_default_command_and_env() -> None:
    """TV-36"""
    item = init(pod(), with_(ZERO, addresses="10.0.0.0"))
    assert " ".join(item["command"]) == (
        f"/bin/sh -ec {FIRST}\n  -log-level=info \\\n  -log-json=false \\")
    assert pairs(item, 3) == [
        ("CONSUL_ADDRESSES", "10.0.0.0"), ("CONSUL_GRPC_PORT", "8502"),
        ("CONSUL_HTTP_PORT", "8500"), ("CONSUL_API_TIMEOUT", "0s"),
        ("CONSUL_NODE_NAME", "$(NODE_NAME)-virtual"), ("CONSUL_DUAL_STACK", "false")]
    assert [name for name, _ in pairs(item)[:3]] == ["POD_NAME", "POD_NAMESPACE", "NODE_NAME"]
    assert "imagePullPolicy" not in item


def test_tv37_auth_method() -> None:
    """TV-37"""
    settings = with_(ZERO, auth_method="an-auth-method", log_level="debug", log_json=True,
                     api_timeout="5s")
    template = pod({P + "connect-service": "web"}, app(volumeMounts=[SA_MOUNT]),
                   serviceAccountName="a-service-account-name")
    item = init(template, settings)
    assert item["command"][2] == (
        f'{FIRST}\n  -log-level=debug \\\n  -log-json=true \\\n'
        '  -service-account-name="a-service-account-name" \\\n  -service-name="web" \\')
    assert pairs(item, 6)[:1] == [("CONSUL_API_TIMEOUT", "5s")]
    assert pairs(item, 9) == [
        ("CONSUL_LOGIN_AUTH_METHOD", "an-auth-method"),
        ("CONSUL_LOGIN_BEARER_TOKEN_FILE", "/var/run/secrets/kubernetes.io/serviceaccount/token"),
        ("CONSUL_LOGIN_META", "pod=$(POD_NAMESPACE)/$(POD_NAME)")]
    assert item["volumeMounts"][1] == SA_MOUNT


@pytest.mark.parametrize(("namespace", "partition", "tail"), [
    ("default", "default", [("CONSUL_NAMESPACE", "default"), ("CONSUL_PARTITION", "default")]),
    ("non-default", "", [("CONSUL_NAMESPACE", "non-default")])])
def test_tv38_namespaces_and_partitions(namespace: str, partition: str,
                                        tail: list[tuple[str, str]]) -> None:
    """TV-38"""
    settings = with_(ZERO, enable_namespaces=True, mirroring=False,
                     destination_namespace=namespace, partition=partition)
    assert pairs(init(pod(), settings), 9) == tail


def test_tv39_auth_method_destination_namespace_default_partition() -> None:
    """TV-39: no connect-service annotation: -service-name=""."""
    settings = with_(ZERO, auth_method="auth-method", enable_namespaces=True, mirroring=False,
                     destination_namespace="non-default", partition="default")
    item = init(pod(None, app(volumeMounts=[SA_MOUNT]), serviceAccountName="web"), settings)
    assert item["command"][2].endswith(
        '  -service-account-name="web" \\\n  -service-name="" \\')
    assert pairs(item, 11) == [
        ("CONSUL_LOGIN_META", "pod=$(POD_NAMESPACE)/$(POD_NAME)"),
        ("CONSUL_LOGIN_NAMESPACE", "non-default"), ("CONSUL_LOGIN_PARTITION", "default"),
        ("CONSUL_NAMESPACE", "non-default"), ("CONSUL_PARTITION", "default")]


def test_tv40_auth_method_mirroring_non_default_partition() -> None:
    """TV-40"""
    settings = with_(ZERO, auth_method="auth-method", enable_namespaces=True, mirroring=True,
                     partition="non-default")
    item = init(pod(None, app(volumeMounts=[SA_MOUNT]), serviceAccountName="web"), settings,
                namespace="k8snamespace")
    assert pairs(item, 12) == [
        ("CONSUL_LOGIN_NAMESPACE", "default"), ("CONSUL_LOGIN_PARTITION", "non-default"),
        ("CONSUL_NAMESPACE", "k8snamespace"), ("CONSUL_PARTITION", "non-default")]


@pytest.mark.parametrize(("tproxy", "cni", "labels", "context", "redirected"), [
    (True, False, {}, ROOT, True),  # TV-41
    (True, True, {}, CNI, False),  # TV-42
    (False, False, {}, RESTRICTED, False),  # TV-43
    (False, True, {P + "transparent-proxy": "true"}, CNI, False),  # TV-44
    (True, False, {P + "transparent-proxy": "false"}, RESTRICTED, False),  # TV-47
], ids=["TV-41", "TV-42", "TV-43", "TV-44", "TV-47"])
def test_tv41_to_tv47_security_context(tproxy: bool, cni: bool, labels: dict[str, str],
                                       context: dict[str, Any], redirected: bool) -> None:
    """TV-41..TV-44, TV-47 (TV-45/46 with OpenShift: test_mutate)."""
    item = init(pod(), with_(ZERO, tproxy=tproxy, cni=cni), labels=labels)
    assert item["securityContext"] == context
    assert ("CONSUL_REDIRECT_TRAFFIC_CONFIG" in env(item)) is redirected


def test_tv48_multiport_script() -> None:
    """TV-48"""
    template = pod({P + "connect-service": "web,web-admin"})
    assert init(template, name="consul-connect-inject-init-web")["command"][2] == (
        f"{FIRST}\n  -log-level=info \\\n  -log-json=false \\\n  -multiport=true \\\n"
        '  -proxy-id-file=/consul/connect-inject/proxyid-web \\\n  -service-name="web" \\')


def test_tv49_multiport_script_with_acls() -> None:
    """TV-49"""
    settings = with_(ZERO, auth_method="m")
    template = pod({P + "connect-service": "web,web-admin"}, app(volumeMounts=[SA_MOUNT]),
                   serviceAccountName="web")
    result = out(template, settings)
    admin = container(result, "consul-connect-inject-init-web-admin")
    assert admin["command"][2] == (
        f'{FIRST}\n  -log-level=info \\\n  -log-json=false \\\n'
        '  -service-account-name="web-admin" \\\n  -service-name="web-admin" \\\n'
        '  -multiport=true \\\n  -proxy-id-file=/consul/connect-inject/proxyid-web-admin \\')
    assert env(admin)["CONSUL_LOGIN_BEARER_TOKEN_FILE"] == "/consul/serviceaccount-web-admin/token"
    assert admin["volumeMounts"][1] == {"name": "web-admin-service-account", "readOnly": True,
                                        "mountPath": "/consul/serviceaccount-web-admin"}
    web = container(result, "consul-connect-inject-init-web")
    assert env(web)["CONSUL_LOGIN_BEARER_TOKEN_FILE"] == \
        "/var/run/secrets/kubernetes.io/serviceaccount/token"


@pytest.mark.parametrize("ca", ["consul-ca-cert", ""])
def test_tv50_tls_and_custom_ports(ca: str) -> None:
    """TV-50: the CA's text travels in env (empty with system roots)."""
    settings = with_(ZERO, tls=True, ca_pem=ca, grpc_port=8503, http_port=443)
    item = init(pod(), settings)
    assert pairs(item, 3)[:3] == [("CONSUL_ADDRESSES", "1.1.1.1"), ("CONSUL_GRPC_PORT", "8503"),
                                  ("CONSUL_HTTP_PORT", "443")]
    assert pairs(item, 9)[:3] == [("CONSUL_USE_TLS", "true"), ("CONSUL_CACERT_PEM", ca),
                                  ("CONSUL_TLS_SERVER_NAME", "")]


def test_tv51_resources() -> None:
    """TV-51"""
    settings = with_(ZERO, init_resources=Resources("10m", "20m", "10Mi", "25Mi"))
    assert init(pod(), settings)["resources"] == {"limits": {"cpu": "20m", "memory": "25Mi"},
                                                  "requests": {"cpu": "10m", "memory": "10Mi"}}


def test_the_chart_default_init_resources() -> None:
    assert init(pod())["resources"] == {"limits": {"cpu": "50m", "memory": "150Mi"},
                                        "requests": {"cpu": "50m", "memory": "25Mi"}}


# --- iptables (TV-83..TV-86) ---------------------------------------------------------------------


def test_tv83_bare_minimum() -> None:
    """TV-83: key order and values as consul's iptables.Config."""
    config = redirect(pod())
    assert config == {"ConsulDNSIP": "", "ConsulDNSPort": 0, "ProxyUserID": "5995",
                      "ProxyInboundPort": 20000, "ProxyOutboundPort": 15001,
                      "ExcludeInboundPorts": None, "ExcludeOutboundPorts": None,
                      "ExcludeOutboundCIDRs": None, "ExcludeUIDs": ["5996"], "NetNS": "",
                      "IptablesProvider": None}
    assert list(config)[:3] == ["ConsulDNSIP", "ConsulDNSPort", "ProxyUserID"]


@pytest.mark.parametrize(("annotations", "inbound"), [
    ({P + "use-proxy-health-check": "true"}, ["21000"]),
    ({P + "enable-metrics": "true", P + "prometheus-scrape-port": "13373"}, ["13373"]),
    ({P + "transparent-proxy-exclude-inbound-ports": "1111,11111"}, ["1111", "11111"])])
def test_tv84_excluded_inbound_ports(annotations: dict[str, str], inbound: list[str]) -> None:
    """TV-84"""
    assert redirect(pod(annotations))["ExcludeInboundPorts"] == inbound


def test_tv84_exclusions_and_uids_in_the_webhook_order() -> None:
    """TV-84 (all at once) and the UID order the code produces (5996 first)."""
    config = redirect(pod({
        P + "enable-metrics": "true", P + "use-proxy-health-check": "true",
        P + "transparent-proxy-exclude-inbound-ports": "1",
        P + "transparent-proxy-exclude-outbound-ports": "2,3",
        P + "transparent-proxy-exclude-outbound-cidrs": "10.0.0.0/8",
        P + "transparent-proxy-exclude-uids": "4444,44444"}))
    assert config["ExcludeInboundPorts"] == ["20200", "21000", "1"]
    assert config["ExcludeOutboundPorts"] == ["2", "3"]
    assert config["ExcludeOutboundCIDRs"] == ["10.0.0.0/8"]
    assert config["ExcludeUIDs"] == ["5996", "4444", "44444"]


@pytest.mark.parametrize(("key", "value", "problem"), [
    ("transparent-proxy-exclude-outbound-ports", "", 'item "" is not valid'),
    ("transparent-proxy-exclude-inbound-ports", "8080,99999", 'item "99999" is outside 1-65535'),
    ("transparent-proxy-exclude-outbound-cidrs", "10.0.0.0/8,$(reboot)",
     'item "$(reboot)" is not an IP address or CIDR'),
    ("transparent-proxy-exclude-uids", "5996, 1000", 'item " 1000" is not valid'),
])
def test_exclusions_iptables_would_reject_are_refused(key: str, value: str, problem: str) -> None:
    """The webhook copies the items into the iptables JSON unchecked (an empty annotation is one
    empty item), so connect-init fails once the pod starts; they are refused up front."""
    found = refusal(pod({P + key: value}), TPROXY)
    assert found.key == P + key
    assert found.message == problem


def test_valid_exclusions_reach_the_iptables_config() -> None:
    config = redirect(pod({P + "transparent-proxy-exclude-outbound-ports": "8080,9090",
                           P + "transparent-proxy-exclude-outbound-cidrs": "10.0.0.0/8"}))
    assert config["ExcludeOutboundPorts"] == ["8080", "9090"]
    assert config["ExcludeOutboundCIDRs"] == ["10.0.0.0/8"]


def test_tv85_invalid_enable_metrics() -> None:
    """TV-85"""
    problem = refusal(pod({P + "enable-metrics": "invalid"}), TPROXY)
    assert problem.key == P + "enable-metrics"
    assert '"invalid" is not a boolean' in problem.message


@pytest.mark.parametrize(("labels", "ip", "port"), [
    ({}, "127.0.0.1", 8600), ({P + "consul-dns": "false"}, "", 0)])
def test_tv86_consul_dns(labels: dict[str, str], ip: str, port: int) -> None:
    """TV-86"""
    config = redirect(pod(), with_(TPROXY, consul_dns=True), labels=labels)
    assert (config["ConsulDNSIP"], config["ConsulDNSPort"]) == (ip, port)


def test_dual_stack_dns_ip() -> None:
    config = redirect(pod(), with_(TPROXY, consul_dns=True, dual_stack=True))
    assert config["ConsulDNSIP"] == "::1"
