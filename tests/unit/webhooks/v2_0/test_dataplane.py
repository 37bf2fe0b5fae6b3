"""The consul-dataplane sidecar (spec 3.5): arguments, env, mounts, probes, resources and the
security context, TV-52..TV-82."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject.webhooks.v2_0.settings import Resources, Settings
from tests.unit.webhooks.v2_0.support import (
    SA_MOUNT,
    ZERO,
    P,
    app,
    container,
    out,
    pod,
    refusal,
    with_,
)

DEFAULT_ARGS = ("-addresses 1.1.1.1 -envoy-admin-bind-address=127.0.0.1 "
                "-consul-dns-bind-addr=127.0.0.1 -xds-bind-addr=127.0.0.1 -grpc-port=8502 "
                "-proxy-service-id-path=/consul/connect-inject/proxyid -log-level=info "
                "-log-json=false -envoy-concurrency=0 -graceful-addr=127.0.0.1 -tls-disabled "
                "-graceful-port=20600 -telemetry-prom-scrape-path=/metrics")
TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"
ACLS = with_(ZERO, auth_method="test-auth-method")
SECURE = {"runAsUser": 5995, "runAsGroup": 5995, "runAsNonRoot": True,
          "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
          "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def sidecar(annotations: dict[str, str] | None = None, settings: Settings = ZERO,
            name: str = "consul-dataplane", **kwargs: Any) -> dict[str, Any]:
    template = pod(annotations, app(volumeMounts=[SA_MOUNT]), serviceAccountName="web")
    return container(out(template, settings, **kwargs), name)


def joined(annotations: dict[str, str] | None = None, settings: Settings = ZERO,
           **kwargs: Any) -> str:
    return " ".join(sidecar(annotations, settings, **kwargs)["args"])


def test_tv52_default() -> None:
    """TV-52"""
    item = sidecar()
    assert " ".join(item["args"]) == DEFAULT_ARGS
    assert [e["name"] for e in item["env"]] == [
        "TMPDIR", "NODE_NAME", "DP_SERVICE_NODE_NAME", "POD_NAME", "POD_NAMESPACE", "POD_UID",
        "DP_CREDENTIAL_LOGIN_META", "DP_CREDENTIAL_LOGIN_META1", "DP_CREDENTIAL_LOGIN_META2",
        "HOST_IP"]
    assert item["readinessProbe"] == {"tcpSocket": {"port": 20000}, "initialDelaySeconds": 1}
    assert "startupProbe" not in item
    assert "livenessProbe" not in item
    assert "command" not in item
    assert item["image"] == ZERO.image_dataplane


def test_tv53_grpc_port() -> None:
    """TV-53"""
    assert "-grpc-port=8602" in sidecar(settings=with_(ZERO, grpc_port=8602))["args"]


def test_tv54_acls() -> None:
    """TV-54"""
    item = sidecar(settings=ACLS)
    assert (f"-graceful-addr=127.0.0.1 -credential-type=login -login-auth-method=test-auth-method "
            f"-login-bearer-token-path={TOKEN} -tls-disabled ") in " ".join(item["args"])
    assert item["volumeMounts"] == [{"name": "consul-connect-inject-data",
                                     "mountPath": "/consul/connect-inject"}, SA_MOUNT]


def test_without_acls_no_token_mount() -> None:
    assert len(sidecar()["volumeMounts"]) == 1


@pytest.mark.parametrize(("changes", "expected"), [
    ({"mirroring": True}, "-login-namespace=default -service-namespace=k8snamespace -tls-disabled"),
    ({"mirroring": False, "destination_namespace": "test-ns"},
     "-login-namespace=test-ns -service-namespace=test-ns -tls-disabled")])
def test_tv55_acls_and_namespaces(changes: dict[str, Any], expected: str) -> None:
    """TV-55"""
    settings = with_(ACLS, enable_namespaces=True, **changes)
    assert expected in joined(settings=settings, namespace="k8snamespace")


def test_tv56_partitions() -> None:
    """TV-56"""
    assert "-login-partition=test-part -service-partition=test-part" in joined(
        settings=with_(ACLS, partition="test-part"))
    args = sidecar(settings=with_(ZERO, partition="partition-1"))["args"]
    assert "-service-partition=partition-1" in args
    assert not [a for a in args if a.startswith("-login")]


@pytest.mark.parametrize(("ca", "expected"), [
    ("pem", "-tls-server-name=server.dc1.consul -ca-certs=/consul/connect-inject/consul-ca.pem "
     "-graceful-port=20600"),
    ("", "-graceful-addr=127.0.0.1 -tls-server-name=server.dc1.consul -graceful-port=20600")])
def test_tv57_tls(ca: str, expected: str) -> None:
    """TV-57"""
    args = joined(settings=with_(ZERO, tls=True, ca_pem=ca, tls_server_name="server.dc1.consul"))
    assert expected in args
    assert "-tls-disabled" not in args


def test_tls_without_server_name() -> None:
    args = sidecar(settings=with_(ZERO, tls=True, ca_pem="pem"))["args"]
    assert not [a for a in args if a.startswith("-tls-server-name")]


@pytest.mark.parametrize(("changes", "expected"), [
    ({"mirroring": True, "mirroring_prefix": "foo-"}, "-service-namespace=foo-k8snamespace"),
    ({"mirroring": False, "destination_namespace": "consul-namespace"},
     "-service-namespace=consul-namespace")])
def test_tv58_namespaces(changes: dict[str, Any], expected: str) -> None:
    """TV-58"""
    assert expected in sidecar(settings=with_(ZERO, enable_namespaces=True, **changes),
                               namespace="k8snamespace")["args"]


def test_tv59_skip_server_watch() -> None:
    """TV-59"""
    assert "-graceful-addr=127.0.0.1 -server-watch-disabled=true -tls-disabled" in joined(
        settings=with_(ZERO, skip_server_watch=True))


def test_tv60_scrape_path_and_logging() -> None:
    """TV-60"""
    assert "-telemetry-prom-scrape-path=/scrape-path" in sidecar(
        settings=with_(ZERO, prometheus_scrape_path="/scrape-path"))["args"]
    assert "-log-level=debug -log-json=true" in joined(
        settings=with_(ZERO, log_level="debug", log_json=True))


def test_tv61_concurrency() -> None:
    """TV-61"""
    assert "-envoy-concurrency=42" in sidecar({P + "consul-envoy-proxy-concurrency": "42"})["args"]
    assert "-envoy-concurrency=42" in sidecar({P + "consul-envoy-proxy-concurrency": "042"})["args"]
    for bad in ("-42", "not-int", ""):
        problem = refusal(pod({P + "consul-envoy-proxy-concurrency": bad}))
        assert problem.key == P + "consul-envoy-proxy-concurrency"
        assert f'strconv.ParseUint: parsing "{bad}": invalid syntax' in problem.message


@pytest.mark.parametrize(("tproxy", "dns", "present"), [
    ({}, {}, True), ({"tproxy": False}, {}, False), ({}, {"consul_dns": False}, False)])
@pytest.mark.parametrize("where", ["settings", "labels", "pod"])
def test_tv62_dns_proxy(tproxy: dict[str, bool], dns: dict[str, bool], present: bool,
                        where: str) -> None:
    """TV-62: the DNS port iff transparent proxy and Consul DNS, each from the settings, the
    Namespace labels or the pod."""
    values = {"tproxy": True, "consul_dns": True, **tproxy, **dns}
    keys = {"tproxy": P + "transparent-proxy", "consul_dns": P + "consul-dns"}
    text = {k: str(v).lower() for k, v in values.items()}
    if where == "settings":
        item = sidecar(settings=with_(ZERO, **values))
    elif where == "labels":
        item = sidecar(labels={keys[k]: v for k, v in text.items()})
    else:
        item = sidecar({keys[k]: v for k, v in text.items()})
    assert ("-consul-dns-bind-port=8600" in item["args"]) is present


def test_tv63_proxy_health_check() -> None:
    """TV-63"""
    item = sidecar({P + "use-proxy-health-check": "true"})
    assert item["readinessProbe"] == {"httpGet": {"port": 21000, "path": "/ready"},
                                      "initialDelaySeconds": 1}
    assert "-envoy-ready-bind-port=21000" in item["args"]
    assert item["env"][-1] == {"name": "DP_ENVOY_READY_BIND_ADDRESS",
                               "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
    assert item["ports"] == [{"name": "proxy-health-0", "containerPort": 21000}]
    assert "startupProbe" not in item
    assert "livenessProbe" not in item


def test_an_invalid_proxy_health_check_is_false() -> None:
    assert "ports" not in sidecar({P + "use-proxy-health-check": "maybe"})


@pytest.mark.parametrize(("annotations", "startup", "liveness"), [
    ({}, 11, 22),
    ({P + "sidecar-proxy-startup-failure-seconds": "111",
      P + "sidecar-proxy-liveness-failure-seconds": "222"}, 111, 222)])
def test_tv64_startup_and_liveness(annotations: dict[str, str], startup: int,
                                   liveness: int) -> None:
    """TV-64"""
    settings = with_(ZERO, startup_failure_seconds=11, liveness_failure_seconds=22)
    item = sidecar({P + "use-proxy-health-check": "true", **annotations}, settings)
    handler = {"httpGet": {"port": 21000, "path": "/ready"}}
    assert item["startupProbe"] == {**handler, "periodSeconds": 1, "failureThreshold": startup}
    assert item["livenessProbe"] == {**handler, "periodSeconds": 1, "failureThreshold": liveness}


def test_invalid_failure_seconds_disable_the_probe() -> None:
    settings = with_(ZERO, startup_failure_seconds=11)
    assert "startupProbe" not in sidecar({P + "sidecar-proxy-startup-failure-seconds": "x"},
                                         settings)


MULTI = {P + "connect-service": "web,web-admin", P + "use-proxy-health-check": "true"}


def test_tv65_multiport_proxy_health_check() -> None:
    """TV-65"""
    item = sidecar(MULTI, name="consul-dataplane-web-admin")
    assert "-envoy-ready-bind-port=21001" in item["args"]
    assert item["readinessProbe"]["httpGet"]["port"] == 21001
    assert item["ports"] == [{"name": "proxy-health-1", "containerPort": 21001}]


def test_tv66_multiport() -> None:
    """TV-66"""
    item = sidecar({P + "connect-service": "web,web-admin"}, name="consul-dataplane-web-admin")
    assert " ".join(item["args"]) == (
        "-addresses 1.1.1.1 -envoy-admin-bind-address=127.0.0.1 -consul-dns-bind-addr=127.0.0.1 "
        "-xds-bind-addr=127.0.0.1 -grpc-port=8502 "
        "-proxy-service-id-path=/consul/connect-inject/proxyid-web-admin -log-level=info "
        "-log-json=false -envoy-concurrency=0 -graceful-addr=127.0.0.1 -tls-disabled "
        "-envoy-admin-bind-port=19001 -graceful-port=20601 -telemetry-prom-scrape-path=/metrics "
        "-- --base-id 1")
    assert item["readinessProbe"] == {"tcpSocket": {"port": 20001}, "initialDelaySeconds": 1}


def test_tv67_multiport_acls() -> None:
    """TV-67"""
    admin = sidecar({P + "connect-service": "web,web-admin"}, ACLS,
                    name="consul-dataplane-web-admin")
    assert "-login-bearer-token-path=/consul/serviceaccount-web-admin/token" in admin["args"]
    assert admin["volumeMounts"][1] == {"name": "web-admin-service-account", "readOnly": True,
                                        "mountPath": "/consul/serviceaccount-web-admin"}
    web = sidecar({P + "connect-service": "web,web-admin"}, ACLS, name="consul-dataplane-web")
    assert f"-login-bearer-token-path={TOKEN}" in web["args"]
    assert web["volumeMounts"][1] == SA_MOUNT


@pytest.mark.parametrize("tproxy", [False, True])
def test_tv68_security_context(tproxy: bool) -> None:
    """TV-68 (OpenShift: test_mutate)"""
    assert sidecar(settings=with_(ZERO, tproxy=tproxy))["securityContext"] == SECURE


@pytest.mark.parametrize(("value", "tokens"), [
    ("--log-level debug", ["--log-level", "debug"]),
    ('--log-level debug --admin-address-path "/tmp/consul/foo bar"',
     ["--log-level", "debug", "--admin-address-path", '"/tmp/consul/foo bar"']),
])
@pytest.mark.parametrize("where", ["flag", "annotation"])
def test_tv71_envoy_extra_args(value: str, tokens: list[str], where: str) -> None:
    """TV-71: after `--`; the annotation beats the flag."""
    if where == "flag":
        item = sidecar(settings=with_(ZERO, envoy_extra_args=value))
    else:
        item = sidecar({P + "envoy-extra-args": value},
                       with_(ZERO, envoy_extra_args="this should be overwritten"))
    args = item["args"]
    assert args[args.index("--") + 1:] == tokens


def test_tv71_an_empty_annotation_replaces_the_flag() -> None:
    item = sidecar({P + "envoy-extra-args": ""}, with_(ZERO, envoy_extra_args="--x y"))
    assert "--" not in item["args"]


def test_tv72_user_volume_mounts() -> None:
    """TV-72"""
    value = ('[{"name": "tls-cert", "mountPath": "/custom/path"}, '
             '{"name": "tls-ca", "mountPath": "/custom/path2"}]')
    item = sidecar({P + "consul-sidecar-user-volume-mount": value})
    assert [m["name"] for m in item["volumeMounts"]] == [
        "consul-connect-inject-data", "tls-cert", "tls-ca"]
    problem = refusal(pod({P + "consul-sidecar-user-volume-mount": "[abcdefg]"}))
    assert problem.key == P + "consul-sidecar-user-volume-mount"
    assert "JSON" in problem.message


def test_tv73_resources() -> None:
    """TV-73"""
    assert sidecar()["resources"] == {}
    zero = Resources("0", "0", "0", "0")
    expected = {"limits": {"cpu": "0", "memory": "0"}, "requests": {"cpu": "0", "memory": "0"}}
    assert sidecar(settings=with_(ZERO, sidecar_resources=zero))["resources"] == expected
    annotations = {P + f"sidecar-proxy-{k}": "0" for k in (
        "cpu-limit", "cpu-request", "memory-limit", "memory-request")}
    assert sidecar(annotations)["resources"] == expected
    assert sidecar({P + "sidecar-proxy-cpu-limit": "0.5"})["resources"] == {
        "limits": {"cpu": "500m"}}
    problem = refusal(pod({P + "sidecar-proxy-cpu-request": "invalid"}))
    assert problem.message.startswith(
        'parsing annotation consul.hashicorp.com/sidecar-proxy-cpu-request:"invalid": quantities '
        "must match the regular expression")


MERGING = with_(ZERO, metrics=True, metrics_merging=True, prometheus_scrape_path="/scrape-path")


def test_tv74_merged_metrics() -> None:
    """TV-74"""
    item = sidecar({P + "connect-service-port": "1234"}, MERGING)
    assert ("-telemetry-prom-scrape-path=/scrape-path -telemetry-prom-merge-port=20100 "
            "-telemetry-prom-service-metrics-url=http://127.0.0.1:1234/metrics") in " ".join(
        item["args"])
    assert item["ports"] == [{"name": "prometheus", "containerPort": 20200, "protocol": "TCP"}]


def test_tv75_port_overrides() -> None:
    """TV-75"""
    item = sidecar({P + "connect-service-port": "1234"},
                   with_(MERGING, prometheus_scrape_port="6789", merged_metrics_port="20123"))
    assert "-telemetry-prom-merge-port=20123" in item["args"]
    assert item["ports"] == [{"name": "prometheus", "containerPort": 6789, "protocol": "TCP"}]


TLS = {P + "prometheus-ca-file": "/certs/ca.crt", P + "prometheus-ca-path": "/certs/ca",
       P + "prometheus-cert-file": "/certs/server.crt", P + "prometheus-key-file": "/certs/key.pem"}


def test_tv76_merged_metrics_tls() -> None:
    """TV-76"""
    item = sidecar({P + "connect-service-port": "1234", **TLS}, MERGING)
    assert ("-telemetry-prom-ca-certs-file=/certs/ca.crt -telemetry-prom-ca-certs-path=/certs/ca "
            "-telemetry-prom-cert-file=/certs/server.crt -telemetry-prom-key-file=/certs/key.pem"
            ) in " ".join(item["args"])


@pytest.mark.parametrize(("missing", "message"), [
    ((P + "prometheus-ca-file", P + "prometheus-ca-path"),
     'must set one of "consul.hashicorp.com/prometheus-ca-file" or '
     '"consul.hashicorp.com/prometheus-ca-path" when providing prometheus TLS config'),
    ((P + "prometheus-cert-file",),
     'must set "consul.hashicorp.com/prometheus-cert-file" when providing prometheus TLS config'),
    ((P + "prometheus-key-file",),
     'must set "consul.hashicorp.com/prometheus-key-file" when providing prometheus TLS config')])
def test_tv77_merged_metrics_tls_errors(missing: tuple[str, ...], message: str) -> None:
    """TV-77; without merging the TLS annotations are not read."""
    annotations = {P + "connect-service-port": "1234",
                   **{k: v for k, v in TLS.items() if k not in missing}}
    assert refusal(pod(annotations), MERGING).message == message
    assert sidecar(annotations)


LIFECYCLE = with_(ZERO, lifecycle=True, drain_listeners=True, shutdown_grace=10, startup_grace=10,
                  graceful_port="20307", graceful_shutdown_path="/exit",
                  graceful_startup_path="/start")


def test_tv78_lifecycle_defaults() -> None:
    """TV-78"""
    assert ("-graceful-port=20307 -shutdown-drain-listeners -shutdown-grace-period-seconds=10 "
            "-graceful-shutdown-path=/exit -startup-grace-period-seconds=10 "
            "-graceful-startup-path=/start") in joined(settings=LIFECYCLE)


def test_tv79_lifecycle_annotations() -> None:
    """TV-79"""
    annotations = {
        P + "enable-sidecar-proxy-lifecycle-shutdown-drain-listeners": "false",
        P + "sidecar-proxy-lifecycle-shutdown-grace-period-seconds": "15",
        P + "sidecar-proxy-lifecycle-startup-grace-period-seconds": "15",
        P + "sidecar-proxy-lifecycle-graceful-port": "20317",
        P + "sidecar-proxy-lifecycle-graceful-shutdown-path": "/foo",
        P + "sidecar-proxy-lifecycle-graceful-startup-path": "/bar"}
    assert ("-graceful-port=20317 -shutdown-grace-period-seconds=15 -graceful-shutdown-path=/foo "
            "-startup-grace-period-seconds=15 -graceful-startup-path=/bar") in joined(
        annotations, LIFECYCLE)


@pytest.mark.parametrize(("annotations", "settings"), [
    ({}, with_(LIFECYCLE, lifecycle=False)),
    ({P + "enable-sidecar-proxy-lifecycle": "false"}, LIFECYCLE)])
def test_tv80_lifecycle_off(annotations: dict[str, str], settings: Settings) -> None:
    """TV-80"""
    args = sidecar(annotations, settings)["args"]
    assert [a for a in args if ("graceful" in a or "shutdown" in a)
            and not a.startswith("-graceful-addr")] == ["-graceful-port=20307"]


def test_tv81_native_sidecar() -> None:
    """TV-81"""
    settings = with_(ZERO, native_sidecar=True, probe_initial_delay=0, probe_period=0,
                     probe_timeout=5, probe_failure_threshold=3)
    result = out(pod(), settings)
    assert [c["name"] for c in result["spec"]["initContainers"]] == [
        "consul-connect-inject-init", "consul-dataplane"]
    assert [c["name"] for c in result["spec"]["containers"]] == ["web"]
    item = container(result, "consul-dataplane")
    assert item["restartPolicy"] == "Always"
    command = ["/usr/local/bin/consul-dataplane", "-check-proxy-health"]
    assert item["startupProbe"] == {"exec": {"command": command}, "timeoutSeconds": 5,
                                    "failureThreshold": 3}
    custom = sidecar({P + "sidecar-probe-check-timeout-seconds": "10",
                      P + "sidecar-probe-failure-threshold": "6"}, settings)
    assert (custom["startupProbe"]["timeoutSeconds"], custom["startupProbe"]["failureThreshold"]
            ) == (10, 6)
    off = sidecar()
    assert "restartPolicy" not in off
    assert "startupProbe" not in off


def test_native_sidecar_with_lifecycle_leaves_containers_alone() -> None:
    result = out(pod(), with_(LIFECYCLE, native_sidecar=True))
    assert [c["name"] for c in result["spec"]["containers"]] == ["web"]
    assert container(result, "consul-dataplane")["startupProbe"]["initialDelaySeconds"] == 1


@pytest.mark.parametrize(("key", "default"), [
    ("sidecar-probe-period-seconds", 5), ("sidecar-probe-failure-threshold", 3),
    ("sidecar-probe-check-timeout-seconds", 7)])
@pytest.mark.parametrize(("value", "expected"), [(None, "default"), ("10", 10), ("0", 0),
                                                 ("invalid", 0)])
def test_tv82_native_probe_fields(key: str, default: int, value: str | None,
                                  expected: int | str) -> None:
    """TV-82: invalid or 0 is 0 (the field is then omitted)."""
    field = {"sidecar-probe-period-seconds": ("probe_period", "periodSeconds"),
             "sidecar-probe-failure-threshold": ("probe_failure_threshold", "failureThreshold"),
             "sidecar-probe-check-timeout-seconds": ("probe_timeout", "timeoutSeconds")}[key]
    settings = with_(ZERO, native_sidecar=True, **{field[0]: default})
    item = sidecar(None if value is None else {P + key: value}, settings)
    want = default if expected == "default" else expected
    assert item["startupProbe"].get(field[1], 0) == want


def test_dual_stack_addresses() -> None:
    args = sidecar({P + "connect-service-port": "1234"},
                   with_(MERGING, dual_stack=True))["args"]
    for flag in ("-envoy-admin-bind-address", "-consul-dns-bind-addr", "-xds-bind-addr",
                 "-graceful-addr"):
        assert f"{flag}=::1" in args
    assert "-telemetry-prom-service-metrics-url=http://[::1]:1234/metrics" in args
