"""reads and podconfig: annotation values read with the webhook's Go parsing; TV-30, TV-94,
TV-95, TV-98, TV-99."""

from __future__ import annotations

import pytest

from consul_inject import podmeta
from consul_inject.problems import TemplateError
from consul_inject.webhooks import common
from consul_inject.webhooks.v2_0 import podconfig, reads
from tests.unit.webhooks.v2_0.support import ZERO, P, app, pod, refusal, with_

SPEC = {"containers": [app(ports=[{"name": "http", "containerPort": 8080}])]}


@pytest.mark.parametrize(("enabled", "mirroring", "prefix", "expected"), [
    (False, False, "", ""), (False, True, "test-", ""), (True, False, "test-", "default"),
    (True, True, "", "namespace"), (True, True, "test-", "test-namespace")])
def test_tv30_consul_namespace(enabled: bool, mirroring: bool, prefix: str, expected: str) -> None:
    """TV-30"""
    assert common.consul_namespace(enabled, mirroring, prefix, "default", "namespace") == expected
    settings = with_(ZERO, enable_namespaces=enabled, mirroring=mirroring,
                     mirroring_prefix=prefix)
    resolved = podconfig.resolve(settings, {}, {"containers": [app()]}, "namespace", {})
    assert resolved.consul_namespace == expected


def test_tv94_named_default_port_not_on_the_pod() -> None:
    """TV-94: connect-service-port must resolve (the merged-metrics check reads it always)."""
    problem = refusal(pod({P + "connect-service-port": "web-port"}))
    assert problem.key == P + "connect-service-port"
    assert problem.message == "web-port is not a valid port on the pod minimal"


@pytest.mark.parametrize(("key", "value", "low", "message"), [
    (P + "service-metrics-port", "100000", 1,
     "annotation value of 100000 is not in the valid port range 1-65535"),
    (P + "prometheus-scrape-port", "22", 1024,
     "annotation value of 22 is not in the unprivileged port range 1024-65535")])
def test_tv94_port_ranges(key: str, value: str, low: int, message: str) -> None:
    """TV-94"""
    with pytest.raises(TemplateError) as info:
        reads.port({key: value}, SPEC, key, "0", low)
    assert info.value.problems[0].message == message
    assert refusal(pod({key: value})).key == key


def test_tv94_privileged_ports_allowed() -> None:
    """TV-94: 22 where 1-65535 is allowed."""
    assert reads.port({P + "service-metrics-port": "22"}, SPEC, P + "service-metrics-port",
                      "0", 1) == 22


def test_tv95_port_value() -> None:
    """TV-95"""
    with pytest.raises(ValueError, match=r'strconv\.ParseInt: parsing "": invalid syntax'):
        podmeta.port_value(SPEC, "")
    assert podmeta.port_value(SPEC, "http") == 8080
    assert podmeta.port_value(SPEC, "0x1F") == 31
    assert podmeta.port_value(SPEC, "017") == 15
    assert podmeta.port_value(SPEC, "http,9090") == 8080
    with pytest.raises(ValueError, match="invalid syntax"):
        podmeta.port_value(SPEC, "08080")


LIFECYCLE = with_(ZERO, lifecycle=True)


def test_tv98_lifecycle_errors() -> None:
    """TV-98"""
    problem = refusal(pod({P + "enable-sidecar-proxy-lifecycle": "not-a-bool"}))
    assert problem.key == P + "enable-sidecar-proxy-lifecycle"
    assert '"not-a-bool" is not a boolean' in problem.message
    key = P + "sidecar-proxy-lifecycle-shutdown-grace-period-seconds"
    problem = refusal(pod({key: "-1"}), LIFECYCLE)
    assert problem.key == key
    assert 'strconv.ParseUint: parsing "-1": invalid syntax' in problem.message
    assert refusal(pod({key: ""}), LIFECYCLE).key == key  # ParseUint("") is an error
    assert podconfig.resolve(ZERO, {"annotations": {key: "-1"}}, SPEC, "d", {})  # lifecycle off


def test_tv99_graceful_port() -> None:
    """TV-99: the default is not range-checked, the annotation is, always."""
    assert podconfig.resolve(with_(ZERO, graceful_port="3000"), {}, SPEC, "d", {}
                             ).lifecycle.graceful_port == 3000
    key = P + "sidecar-proxy-lifecycle-graceful-port"
    assert refusal(pod({key: "-1"})).message == \
        "annotation value of -1 is not in the unprivileged port range 1024-65535"
    assert refusal(pod({key: "not-int"})).message == "annotation value of not-int is not a valid integer"


def test_uint_and_atoi() -> None:
    assert reads.uint({"k": "042"}, "k", 1) == 42
    assert reads.uint({}, "k", 7) == 7
    for bad in ("", "+1", "1_0", " 1"):
        with pytest.raises(TemplateError):
            reads.uint({"k": bad}, "k", 0)
    assert reads.atoi({"k": "-3"}, "k", 9) == -3
    assert reads.atoi({"k": "x"}, "k", 9) == 0
    assert reads.atoi({}, "k", 9) == 9


def test_flag_treats_empty_as_default() -> None:
    assert reads.flag({"k": ""}, "k", True) is True
    assert reads.flag({"k": "F"}, "k", True) is False


def test_tproxy_precedence_pod_over_label_over_settings() -> None:
    key = P + "transparent-proxy"
    spec = {"containers": [app()]}
    assert podconfig.resolve(ZERO, {}, spec, "d", {key: "true"}).tproxy
    assert not podconfig.resolve(ZERO, {"annotations": {key: "false"}}, spec, "d",
                                 {key: "true"}).tproxy
    with pytest.raises(TemplateError, match="not a boolean"):
        podconfig.resolve(ZERO, {}, spec, "d", {key: "yes"})


def test_overwrite_probes_is_read_even_without_tproxy() -> None:
    problem = refusal(pod({P + "transparent-proxy-overwrite-probes": "maybe"}))
    assert problem.key == P + "transparent-proxy-overwrite-probes"


def test_consul_dns_is_not_read_without_tproxy() -> None:
    assert podconfig.resolve(ZERO, {"annotations": {P + "consul-dns": "maybe"}},
                             {"containers": [app()]}, "d", {}).dns is False


def test_consul_dns_needs_the_cluster_resolver() -> None:
    problem = refusal(pod(), with_(ZERO, tproxy=True, consul_dns=True, cluster_dns_ip=""))
    assert "--cluster-dns-ip" in problem.fix


@pytest.mark.parametrize("service", ['we"b', "a b", "$(x)", "a,"])
def test_service_names_that_would_change_the_init_script_are_refused(service: str) -> None:
    assert refusal(pod({P + "connect-service": service}), with_(ZERO, auth_method="m")).key == \
        P + "connect-service"
