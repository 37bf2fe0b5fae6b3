"""podconfig.resolve: one pod's injection settings, annotations over Namespace labels over the
injector's settings, with every value checked before a container is built."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consul_inject.problems import TemplateError
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import podconfig
from consul_inject.webhooks.v0_49.podconfig import PodConfig
from consul_inject.webhooks.v0_49.settings import Settings

DEFAULTS = Settings()
SPEC: dict[str, Any] = {"containers": [{"name": "web", "ports": [
    {"name": "http", "containerPort": 8080}, {"name": "admin", "containerPort": 9090}]}]}


def resolve(annotations: dict[str, str] | None = None, settings: Settings = DEFAULTS, *,
            labels: dict[str, str] | None = None, spec: dict[str, Any] | None = None,
            namespace: str = "apps") -> PodConfig:
    return podconfig.resolve(settings, {"annotations": annotations or {}},
                             SPEC if spec is None else spec, namespace, labels or {})


def refusal(annotations: dict[str, str], settings: Settings = DEFAULTS, **kwargs: Any,
            ) -> tuple[str, str]:
    with pytest.raises(TemplateError) as info:
        resolve(annotations, settings, **kwargs)
    (problem,) = info.value.problems
    return problem.key, problem.message


def test_defaults() -> None:
    pod = resolve()
    assert pod.services == ()
    assert pod.service_name == ""
    assert not pod.multiport
    assert pod.service_account == "default"
    assert (pod.tproxy, pod.overwrite_probes, pod.consul_dns_ip) == (True, True, "")
    assert (pod.metrics, pod.merged_metrics, pod.health_check) == (False, False, False)
    assert pod.scrape_port == DEFAULTS.prometheus_scrape_port
    assert pod.scrape_path == "/metrics"
    assert pod.concurrency == str(DEFAULTS.envoy_concurrency)
    assert pod.extra_args == ()
    assert pod.upstreams == ()
    assert pod.consul_namespace == ""
    assert (pod.exclude_inbound, pod.exclude_outbound, pod.exclude_cidrs, pod.exclude_uids) == \
        ((), (), (), ())


# --- services ----------------------------------------------------------------------------------


def test_services() -> None:
    assert resolve({ann.SERVICE: "web"}).services == ("web",)
    multi = resolve({ann.SERVICE: "web,web-admin"})
    assert multi.services == ("web", "web-admin")
    assert multi.service_name == "web,web-admin"
    assert multi.multiport


@pytest.mark.parametrize(("value", "message"), [
    ("web app", 'service name "web app" is not valid'),
    ("web,", 'service name "" is not valid'),
    ('web";reboot', 'service name "web";reboot" is not valid'),
    ("web,Admin", 'service "Admin" of a multi-port pod names containers '
                  "(consul-connect-inject-init-<service>), so it must be a DNS label of at most "
                  "36 characters"),
    ("web," + "a" * 37, f'service "{"a" * 37}" of a multi-port pod names containers '
                        "(consul-connect-inject-init-<service>), so it must be a DNS label of at "
                        "most 36 characters"),
])
def test_bad_service_names(value: str, message: str) -> None:
    assert refusal({ann.SERVICE: value}) == (ann.SERVICE, message)


def test_a_single_service_may_use_dots_and_capitals() -> None:
    assert resolve({ann.SERVICE: "Web.v2_a"}).services == ("Web.v2_a",)


def test_the_service_account_is_checked_with_acls() -> None:
    acls = DEFAULTS._replace(auth_method="consul-k8s-auth-method")
    assert resolve(settings=acls, spec={**SPEC, "serviceAccountName": "web"}).service_account \
        == "web"
    assert refusal({}, acls, spec={**SPEC, "serviceAccountName": "we b"}) == (
        "spec.serviceAccountName", '"we b" is not a valid name')
    assert resolve(spec={**SPEC, "serviceAccountName": "we b"}).service_account == "we b"


# --- redirection: annotation over Namespace label over settings -------------------------------


@pytest.mark.parametrize(("annotation", "label", "setting", "on"), [
    (None, None, True, True), (None, None, False, False),
    (None, "false", True, False), (None, "true", False, True),
    ("true", "false", False, True), ("false", "true", True, False),
])
def test_transparent_proxy_precedence(annotation: str | None, label: str | None, setting: bool,
                                      on: bool) -> None:
    annotations = {ann.TPROXY: annotation} if annotation is not None else {}
    labels = {ann.TPROXY: label} if label is not None else {}
    settings = DEFAULTS._replace(tproxy=setting)
    assert resolve(annotations, settings, labels=labels).tproxy is on


def test_a_namespace_label_that_is_not_a_boolean() -> None:
    assert refusal({}, labels={ann.TPROXY: "maybe"}) == (
        ann.TPROXY, 'label on Namespace "apps" is "maybe", not a boolean')


def test_consul_dns_needs_the_dns_service_ip() -> None:
    with_ip = DEFAULTS._replace(consul_dns_ip="10.0.0.10")
    assert resolve({ann.CONSUL_DNS: "true"}, with_ip).consul_dns_ip == "10.0.0.10"
    assert resolve({}, with_ip).consul_dns_ip == ""  # off: no IP in the pod
    key, message = refusal({ann.CONSUL_DNS: "true"})
    assert key == ann.CONSUL_DNS
    assert message.startswith("turns Consul DNS redirection on, but the Consul DNS Service IP")
    assert refusal({}, labels={ann.CONSUL_DNS: "true"})[0] == \
        f'label {ann.CONSUL_DNS} on Namespace "apps"'
    assert refusal({}, DEFAULTS._replace(consul_dns=True))[0] == \
        "values dns.enableRedirection"


# --- metrics -------------------------------------------------------------------------------------


def test_metrics_and_merging() -> None:
    merged = resolve({ann.ENABLE_METRICS: "true", ann.ENABLE_METRICS_MERGING: "true",
                      ann.SERVICE_PORT: "http"})
    assert merged.metrics
    assert merged.merged_metrics
    assert merged.service_metrics_port == 8080
    no_port = resolve({ann.ENABLE_METRICS: "true", ann.ENABLE_METRICS_MERGING: "true"})
    assert not no_port.merged_metrics  # nothing to merge without the service's port
    explicit = resolve({ann.ENABLE_METRICS: "true", ann.ENABLE_METRICS_MERGING: "true",
                        ann.SERVICE_METRICS_PORT: "9102", ann.SERVICE_METRICS_PATH: "/m"})
    assert (explicit.service_metrics_port, explicit.service_metrics_path) == (9102, "/m")
    assert resolve({ann.ENABLE_METRICS: ""}).metrics is False  # empty: the default


@pytest.mark.parametrize(("annotations", "key", "message"), [
    ({ann.PROMETHEUS_SCRAPE_PORT: "80"}, ann.PROMETHEUS_SCRAPE_PORT, "80 is outside 1024-65535"),
    ({ann.PROMETHEUS_SCRAPE_PORT: "x"}, ann.PROMETHEUS_SCRAPE_PORT, '"x" is not a valid integer'),
    ({ann.PROMETHEUS_SCRAPE_PORT: "\u0661\u0662\u0663\u0664"}, ann.PROMETHEUS_SCRAPE_PORT,
     '"\u0661\u0662\u0663\u0664" is not a valid integer'),  # digits, but not ASCII ones
    ({ann.PROMETHEUS_SCRAPE_PATH: "metrics"}, ann.PROMETHEUS_SCRAPE_PATH,
     '"metrics" is not a URL path'),
    ({ann.SERVICE_METRICS_PORT: "70000"}, ann.SERVICE_METRICS_PORT, "70000 is outside 1-65535"),
    ({ann.SERVICE_PORT: "nosuch"}, ann.SERVICE_PORT, '"nosuch" is not a port of the pod'),
    ({ann.ENABLE_METRICS: "true", ann.ENABLE_METRICS_MERGING: "true", ann.SERVICE_PORT: "http",
      ann.MERGED_METRICS_PORT: "99"}, ann.MERGED_METRICS_PORT, "99 is outside 1024-65535"),
])
def test_bad_metrics_values(annotations: dict[str, str], key: str, message: str) -> None:
    assert refusal(annotations) == (key, message)


def test_prometheus_tls() -> None:
    tls = {ann.PROMETHEUS_CA_FILE: "/certs/ca.pem", ann.PROMETHEUS_CERT_FILE: "/certs/tls.crt",
           ann.PROMETHEUS_KEY_FILE: "/certs/tls.key"}
    assert resolve(tls).prometheus_tls == (("-prometheus-ca-file", "/certs/ca.pem"),
                                           ("-prometheus-cert-file", "/certs/tls.crt"),
                                           ("-prometheus-key-file", "/certs/tls.key"))
    assert refusal({**tls, ann.PROMETHEUS_CA_FILE: "/certs/$(x)"})[1] == \
        '"/certs/$(x)" is not a plain file path'
    assert refusal({ann.PROMETHEUS_CERT_FILE: "/c", ann.PROMETHEUS_KEY_FILE: "/k"})[0] == \
        ann.PROMETHEUS_CA_FILE
    assert refusal({ann.PROMETHEUS_CA_PATH: "/certs"})[0] == ann.PROMETHEUS_CERT_FILE


# --- the sidecar ------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "concurrency"), [
    ("4", "4"), ("0", "0"), ("", "2"), ("+3", "+3"),  # passed on as written, as consul-k8s does
    (str(2**63 - 1), str(2**63 - 1)),
])
def test_envoy_concurrency(value: str, concurrency: str) -> None:
    assert resolve({ann.ENVOY_CONCURRENCY: value}).concurrency == concurrency


@pytest.mark.parametrize(("value", "message"), [
    ("two", '"two" is not a whole number'),
    ("1.5", '"1.5" is not a whole number'),
    ("-1", "invalid envoy concurrency, must be >= 0: -1"),
    (str(2**63), f'"{2**63}" is out of range'),  # strconv.ParseInt(.., 10, 64) refuses it
    ("99999999999999999999", '"99999999999999999999" is out of range'),
])
def test_bad_envoy_concurrency(value: str, message: str) -> None:
    assert refusal({ann.ENVOY_CONCURRENCY: value}) == (ann.ENVOY_CONCURRENCY, message)


def test_envoy_extra_args_from_the_annotation_over_the_settings() -> None:
    settings = DEFAULTS._replace(envoy_extra_args="--log-level debug")
    assert resolve({}, settings).extra_args == ("--log-level", "debug")
    assert resolve({ann.ENVOY_EXTRA_ARGS: "--x 'a b'"}, settings).extra_args == ("--x", '"a b"')
    assert resolve({ann.ENVOY_EXTRA_ARGS: ""}, settings).extra_args == ()  # set, if empty


def test_sidecar_resources() -> None:
    pod = resolve({ann.SIDECAR_CPU_LIMIT: "200m", ann.SIDECAR_MEMORY_REQUEST: "64Mi"})
    assert pod.sidecar_resources == {"limits": {"cpu": "200m"}, "requests": {"memory": "64Mi"}}
    assert refusal({ann.SIDECAR_CPU_LIMIT: "lots"}) == (ann.SIDECAR_CPU_LIMIT,
                                                        '"lots" is not a quantity')
    assert resolve().consul_sidecar_resources == {}  # no consul-sidecar without merged metrics


def test_health_check() -> None:
    assert resolve({ann.USE_PROXY_HEALTH_CHECK: "true"}).health_check
    assert not resolve({ann.USE_PROXY_HEALTH_CHECK: "false"}).health_check
    assert refusal({ann.USE_PROXY_HEALTH_CHECK: "yes"})[1] == '"yes" is not a boolean'


# --- redirection exclusions, volumes ------------------------------------------------------------


def test_exclusions() -> None:
    pod = resolve({ann.TPROXY_EXCLUDE_INBOUND_PORTS: "8080,9090",
                   ann.TPROXY_EXCLUDE_OUTBOUND_PORTS: "5432",
                   ann.TPROXY_EXCLUDE_OUTBOUND_CIDRS: "10.0.0.0/8,192.168.1.1",
                   ann.TPROXY_EXCLUDE_UIDS: "1000,5996"})
    assert pod.exclude_inbound == ("8080", "9090")
    assert pod.exclude_outbound == ("5432",)
    assert pod.exclude_cidrs == ("10.0.0.0/8", "192.168.1.1")
    assert pod.exclude_uids == ("1000", "5996")
    assert resolve({ann.TPROXY_EXCLUDE_OUTBOUND_PORTS: ""}).exclude_outbound == ()  # no list


@pytest.mark.parametrize(("key", "value", "message"), [
    (ann.TPROXY_EXCLUDE_INBOUND_PORTS, "8080, 9090", 'item " 9090" is not valid'),
    (ann.TPROXY_EXCLUDE_INBOUND_PORTS, "0", 'item "0" is outside 1-65535'),
    (ann.TPROXY_EXCLUDE_OUTBOUND_PORTS, "70000", 'item "70000" is outside 1-65535'),
    (ann.TPROXY_EXCLUDE_OUTBOUND_PORTS, "5432,", 'item "" is not valid'),
    (ann.TPROXY_EXCLUDE_OUTBOUND_CIDRS, "10.0.0.0/33",
     'item "10.0.0.0/33" is not an IP address or CIDR'),
    (ann.TPROXY_EXCLUDE_UIDS, "root", 'item "root" is not valid'),
    (ann.TPROXY_EXCLUDE_UIDS, "12345678901", 'item "12345678901" is not valid'),
])
def test_bad_exclusions(key: str, value: str, message: str) -> None:
    assert refusal({key: value}) == (key, message)


def test_user_volumes_are_json_lists_of_named_objects() -> None:
    pod = resolve({ann.USER_VOLUME: '[{"name": "certs", "secret": {"secretName": "c"}}]',
                   ann.USER_VOLUME_MOUNT: '[{"name": "certs", "mountPath": "/certs"}]',
                   ann.MOUNT_VOLUME: "web,side"})
    assert pod.user_volumes == ({"name": "certs", "secret": {"secretName": "c"}},)
    assert pod.user_volume_mounts == ({"name": "certs", "mountPath": "/certs"},)
    assert pod.mount_volume_containers == ("web", "side")
    assert refusal({ann.USER_VOLUME: "[{"})[1].startswith("invalid JSON")
    for bad in ('{"name": "a"}', '[{"name": ""}]', '[{"mountPath": "/x"}]', '["a"]'):
        assert refusal({ann.USER_VOLUME: bad})[1] == "is not a list of objects with a name", bad


def test_upstreams_are_parsed_with_the_settings() -> None:
    (db,) = resolve({ann.UPSTREAMS: "db:5432"}).upstreams
    assert (db.name, db.port) == ("db", 5432)
    namespaces = DEFAULTS._replace(enable_namespaces=True)
    (scoped,) = resolve({ann.UPSTREAMS: "db.team:5432"}, namespaces).upstreams
    assert (scoped.name, scoped.namespace) == ("db", "team")


# --- the Consul namespace ---------------------------------------------------------------------


@pytest.mark.parametrize(("fields", "namespace"), [
    ({}, ""),
    ({"enable_namespaces": True}, "default"),
    ({"enable_namespaces": True, "destination_namespace": "shop"}, "shop"),
    ({"enable_namespaces": True, "mirroring": True}, "apps"),
    ({"enable_namespaces": True, "mirroring": True, "mirroring_prefix": "k8s-"}, "k8s-apps"),
    ({"mirroring": True}, ""),  # mirroring needs namespaces
])
def test_consul_namespace(fields: dict[str, Any], namespace: str) -> None:
    settings = DEFAULTS._replace(**fields)
    assert podconfig.consul_namespace(settings, "apps") == namespace
    assert resolve(settings=settings).consul_namespace == namespace


def test_a_mirrored_namespace_must_be_a_namespace_name() -> None:
    mirroring = DEFAULTS._replace(enable_namespaces=True, mirroring=True)
    with pytest.raises(TemplateError, match="is not a Kubernetes namespace name"):
        podconfig.consul_namespace(mirroring, 'a";reboot;"')


@given(st.lists(st.integers(1, 65535).map(str), min_size=1, max_size=5))
def test_any_port_list_is_read_back_in_order(ports: list[str]) -> None:
    pod = resolve({ann.TPROXY_EXCLUDE_INBOUND_PORTS: ",".join(ports)})
    assert pod.exclude_inbound == tuple(ports)
