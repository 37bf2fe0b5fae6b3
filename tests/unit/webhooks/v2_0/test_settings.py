"""settings.from_values: the chart's values as the 2.0/1.9 injector's flags and environment
(spec section 4)."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject.problems import ConsulInjectError
from consul_inject.values import strvals
from consul_inject.webhooks.base import SettingsContext
from consul_inject.webhooks.v2_0.settings import V1_9, V2_0, Resources, Settings, from_values

PEM = "-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n"


def made(*sets: str, variant: Any = V2_0, **context: Any) -> Settings:
    version = f"consulInject.consulK8sVersion={variant.version}"
    return from_values(strvals.resolve([], [*sets], [version]), SettingsContext(**context),
                       variant)


def test_chart_defaults() -> None:
    s = made()
    assert (s.addresses, s.grpc_port, s.http_port) == ("consul-consul-server.consul.svc", 8502,
                                                       8500)
    assert (s.tproxy, s.overwrite_probes, s.consul_dns, s.lifecycle, s.native_sidecar) == (
        True, True, True, True, False)
    assert (s.envoy_concurrency, s.shutdown_grace, s.graceful_port) == (2, 30, "20600")
    assert s.init_resources == Resources("50m", "50m", "25Mi", "150Mi")
    assert s.require_annotation
    assert s.image_dataplane == "hashicorp/consul-dataplane:2.0.3"
    assert made(variant=V1_9).image_consul_k8s == "hashicorp/consul-k8s-control-plane:1.9.11"


def test_dns_follows_transparent_proxy() -> None:
    assert not made("connectInject.transparentProxy.defaultEnabled=false").consul_dns
    assert not made("dns.enableRedirection=false").consul_dns
    assert made("connectInject.transparentProxy.defaultEnabled=false", "dns.enabled=true",
                "dns.enableRedirection=true").consul_dns


def test_addresses_follow_the_fullname_and_release_namespace() -> None:
    assert made("global.name=consul", release_namespace="infra").addresses == \
        "consul-server.infra.svc"
    assert made(release="hc").addresses == "hc-consul-server.consul.svc"


def test_acls_auth_method() -> None:
    assert made("global.acls.manageSystemACLs=true", "global.name=consul").auth_method == \
        "consul-k8s-auth-method"
    assert made("global.acls.manageSystemACLs=true").auth_method == \
        "consul-consul-k8s-auth-method"
    assert made("connectInject.overrideAuthMethodName=mine").auth_method == "mine"


def test_tls_needs_the_ca_and_takes_its_text() -> None:
    with pytest.raises(ConsulInjectError, match="--consul-ca-file"):
        made("global.tls.enabled=true")
    s = made("global.tls.enabled=true", ca_cert=PEM)
    assert (s.tls, s.http_port, s.ca_pem, s.tls_server_name) == (True, 8501, PEM, "")
    with pytest.raises(ConsulInjectError, match="not PEM"):
        made("global.tls.enabled=true", ca_cert="nope")


def test_external_servers() -> None:
    s = made("externalServers.enabled=true", "externalServers.hosts={consul.example.com}",
             "externalServers.httpsPort=443", "externalServers.grpcPort=8503",
             "externalServers.skipServerWatch=true", "global.tls.enabled=true",
             "externalServers.useSystemRoots=true", "externalServers.tlsServerName=srv")
    assert (s.addresses, s.http_port, s.grpc_port) == ("consul.example.com", 443, 8503)
    assert (s.ca_pem, s.tls_server_name, s.skip_server_watch) == ("", "srv", True)
    # External servers without TLS still use httpsPort.
    assert made("externalServers.enabled=true", "externalServers.hosts={h}").http_port == 8501


def test_1_9_cloud_tls_server_name() -> None:
    sets = ("global.tls.enabled=true", "global.cloud.enabled=true",
            *(f"global.cloud.{k}.secretName=s" for k in ("resourceId", "clientId",
                                                          "clientSecret")))
    assert made(*sets, variant=V1_9, ca_cert=PEM).tls_server_name == "server.dc1.consul"


def test_namespaces_mirror_by_default_and_partitions() -> None:
    s = made("global.enableConsulNamespaces=true", "global.adminPartitions.enabled=true")
    assert (s.enable_namespaces, s.mirroring, s.partition) == (True, True, "default")


def test_native_sidecar_probe_flags_only_when_enabled() -> None:
    prefix = "connectInject.dataplaneAsSidecarInitContainer."
    off = made(prefix + "probeCheckTimeoutSeconds=9")
    assert (off.native_sidecar, off.probe_timeout) == (False, 5)
    on = made(prefix + "defaultEnabled=true", prefix + "probeCheckTimeoutSeconds=9")
    assert (on.native_sidecar, on.probe_timeout) == (True, 9)


def test_api_timeout_is_go_formatted() -> None:
    assert made("global.consulAPITimeout=90s").api_timeout == "1m30s"


def test_access_logs_setting() -> None:
    assert made(access_logs="stdout").access_logs == "stdout"
    assert made(access_logs="/var/log/a.txt").access_logs == "/var/log/a.txt"
    with pytest.raises(ConsulInjectError, match="access logs"):
        made(access_logs="relative/path")


def test_sidecar_resources_and_log_level() -> None:
    s = made("connectInject.sidecarProxy.resources.limits.cpu=0.5", "global.logLevel=debug")
    assert s.sidecar_resources.as_k8s() == {"limits": {"cpu": "500m"}}
    assert s.log_level == "debug"


def test_an_empty_allow_list_injects_nothing() -> None:
    assert from_values({"connectInject": {"k8sAllowNamespaces": []}},
                       SettingsContext()).allow_namespaces == ()
    assert from_values({}, SettingsContext()).allow_namespaces == ("*",)

