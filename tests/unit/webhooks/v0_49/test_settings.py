"""Injector settings from chart values, as the consul-k8s v0.49.8 chart turns values into flags.

Bad values are refused by `consul_inject.values` (so `validate` reports them too); `from_values`
checks a tree that `values.load` did not return, so it never maps them. What only the command
line can make wrong (a CA file, a DNS IP, the release name) the mapper refuses itself."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject import gocompat, values
from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.webhooks.common import selector_matches
from consul_inject.webhooks.v0_49.settings import Resources, Settings, from_values

PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "CzBVep/E6Q4zWH2ix+wRNluApcrvFDleg6jN8hc8YYar0PUaP2SJrtP4HUJnjLHW\n"
    "+yBFao+02f4jSG2St9wBJktwlbrfBClOc5i94gcsUXabwOUKL1R5nsPoDTJXfKHG\n"
    "6xA1Wn+kye4TOF2Cp8zxFjtgharP9Bk+Y4it0vccQWaLsNX6H0RpjrPY/SJHbJG2\n"
    "2wAlSm+Uud4DKE1yl7zhBitQdZq/5AkuU3idwucMMVZ7oMXqDzRZfqPI7RI3XIGm\n"
    "q9D1Gj9kia7T+B1C\n"
    "-----END CERTIFICATE-----\n"
)


def nested(path: str, value: Any) -> dict[str, Any]:
    """`nested("a.b.c", 1)` -> {"a": {"b": {"c": 1}}}."""
    tree: Any = value
    for part in reversed(path.split(".")):
        tree = {part: tree}
    assert isinstance(tree, dict)
    return tree


def values_error(vals: dict[str, Any], **kwargs: Any) -> Problem:
    """What the mapper refuses for a fact of the command line."""
    assert [p for p in values.validate_values(vals) if p.severity == "error"] == []
    with pytest.raises(ConsulInjectError) as info:
        from_values(vals, **kwargs)
    (problem,) = info.value.problems
    return problem


def refused(vals: dict[str, Any]) -> Problem:
    """The values check refuses `vals` (validate reports it); settings are never made of them."""
    (problem,) = [p for p in values.validate_values(vals) if p.severity == "error"]
    with pytest.raises(ConsulInjectError) as info:
        from_values(vals)
    assert info.value.problems == [problem]
    return problem


# --- chart defaults -------------------------------------------------------------------------


def test_defaults_are_the_v0_49_8_chart_defaults() -> None:
    s = from_values({})
    assert s.enabled is True
    assert s.require_annotation is True
    assert s.allow_namespaces == ("*",)
    assert s.deny_namespaces == ()
    assert s.image_consul == "hashicorp/consul:1.13.9"
    assert s.image_envoy == "envoyproxy/envoy:v1.23.10"
    assert s.image_consul_k8s == "hashicorp/consul-k8s-control-plane:0.49.8"
    assert s.init_resources == Resources(cpu_request="50m", cpu_limit="50m",
                                         memory_request="25Mi", memory_limit="150Mi")
    assert s.consul_sidecar_resources == Resources(cpu_request="20m", cpu_limit="20m",
                                                   memory_request="25Mi", memory_limit="50Mi")
    assert s.sidecar_resources == Resources()
    assert s.envoy_concurrency == 2
    assert s.consul_api_timeout == "5s"
    assert s.auth_method == ""
    assert s.acls is False
    assert s.consul_ca_cert == ""
    assert s.partition == ""
    assert s.enable_namespaces is False
    assert s.destination_namespace == "default"
    assert s.tproxy is True
    assert s.overwrite_probes is True
    assert s.cni is False
    assert s.consul_dns is False
    assert s.metrics is False
    assert s.metrics_merging is False
    assert s.merged_metrics_port == "20100"
    assert s.prometheus_scrape_port == "20200"
    assert s.prometheus_scrape_path == "/metrics"
    assert s.log_level == "info"
    assert s.log_json is False
    # consul.fullname is "<release>-consul" (the chart does not shorten "consul-consul").
    assert s.resource_prefix == "consul-consul"
    assert s.consul_app_name == "consul"


@pytest.mark.parametrize(
    ("namespace", "selected"),
    [("kube-system", False), ("local-path-storage", False), ("openebs", False),
     ("default", True), ("apps", True)],
)
def test_default_namespace_selector_excludes_system_namespaces(namespace: str,
                                                               selected: bool) -> None:
    selector = from_values({}).namespace_selector
    assert selector_matches(selector, {"kubernetes.io/metadata.name": namespace}) is selected


def test_settings_dataclass_defaults_equal_chart_defaults() -> None:
    assert Settings() == from_values({})


def test_resources_as_k8s_only_set_keys() -> None:
    assert Resources().as_k8s() == {}
    assert Resources("50m", "50m", "25Mi", "150Mi").as_k8s() == {
        "limits": {"cpu": "50m", "memory": "150Mi"},
        "requests": {"cpu": "50m", "memory": "25Mi"}}
    assert Resources(memory_limit="1Gi").as_k8s() == {"limits": {"memory": "1Gi"}}


# --- individual values ----------------------------------------------------------------------


@pytest.mark.parametrize(("default", "require"), [(True, False), (False, True)])
def test_connect_inject_default_flips_require_annotation(default: Any, require: bool) -> None:
    assert from_values(nested("connectInject.default", default)).require_annotation is require


def test_connect_inject_default_as_a_string_is_refused() -> None:
    err = refused(nested("connectInject.default", "true"))
    assert err.message == 'is the string "true", not a boolean; write true or false without quotes'


def test_images_from_values() -> None:
    s = from_values({"global": {"image": "c:1", "imageK8S": "k:1", "imageEnvoy": "e:1"}})
    assert (s.image_consul, s.image_consul_k8s, s.image_envoy) == ("c:1", "k:1", "e:1")
    s = from_values({"global": {"image": "c:1", "imageK8S": "k:1"},
                     "connectInject": {"imageConsul": "c:2", "image": "k:2"}})
    assert (s.image_consul, s.image_consul_k8s) == ("c:2", "k:2")


def test_connect_inject_image_envoy_is_refused() -> None:
    err = refused(nested("connectInject.imageEnvoy", "envoy:1"))
    assert err.key == "connectInject.imageEnvoy"
    assert "global.imageEnvoy" in err.text()


@pytest.mark.parametrize(
    ("vals", "release", "method"),
    [
        # spec 3.8: consul.fullname is <release>-<name>, so release "consul" doubles the name
        ({}, "consul", "consul-consul-k8s-auth-method"),
        ({"global": {"name": "foo"}}, "consul", "foo-k8s-auth-method"),
        ({}, "rel", "rel-consul-k8s-auth-method"),
        ({}, "my-consul", "my-consul-consul-k8s-auth-method"),
        ({"fullnameOverride": "full"}, "rel", "full-k8s-auth-method"),
        ({"nameOverride": "mesh"}, "rel", "rel-mesh-k8s-auth-method"),
    ],
)
def test_manage_system_acls_auth_method(vals: dict[str, Any], release: str, method: str) -> None:
    merged = {**vals, "global": {**vals.get("global", {}), "acls": {"manageSystemACLs": True}}}
    s = from_values(merged, release=release)
    assert s.auth_method == method
    assert s.acls is True


def test_no_acls_no_auth_method() -> None:
    assert from_values(nested("global.acls.manageSystemACLs", False)).auth_method == ""


@pytest.mark.parametrize("manage", [True, False])
def test_override_auth_method_name_wins(manage: bool) -> None:
    s = from_values({"global": {"acls": {"manageSystemACLs": manage}},
                     "connectInject": {"overrideAuthMethodName": "custom-method"}})
    assert s.auth_method == "custom-method"


def test_override_auth_method_name_must_be_script_safe() -> None:
    err = refused(nested("connectInject.overrideAuthMethodName", 'x"; rm -rf /'))
    assert err.key == "connectInject.overrideAuthMethodName"


def test_a_release_name_that_makes_the_auth_method_unsafe_is_refused() -> None:
    err = values_error(nested("global.acls.manageSystemACLs", True), release="r$(reboot)")
    assert err.text() == ("--release: 'r$(reboot)' makes the ACL auth method name "
                          "'r$(reboot)-consul-k8s-auth-method', which is not a name; use letters, "
                          "digits, '-', '.' and '_' only")
    assert from_values({}, release="r$(reboot)").auth_method == ""  # no ACLs: not in the script


def test_resource_prefix_is_consul_fullname() -> None:
    assert from_values({}, release="rel").resource_prefix == "rel-consul"
    assert from_values({}, release="consul").resource_prefix == "consul-consul"
    assert from_values({"fullnameOverride": "f", "global": {"name": "g"}}).resource_prefix == "f"
    assert from_values({}, release="r" * 70).resource_prefix == "r" * 63
    assert from_values({}, release="x" * 62).resource_prefix == "x" * 62  # "-consul" cut at "-"
    assert from_values({"global": {"name": "g"}}, release="rel").resource_prefix == "g"


@pytest.mark.parametrize(
    ("default_enabled", "global_metrics", "expected"),
    [("-", True, True), ("-", False, False), (None, True, True), (None, False, False),
     (False, True, False), (True, False, True)],
)
def test_metrics_default_enabled_dash_follows_global(default_enabled: Any, global_metrics: bool,
                                                     expected: bool) -> None:
    vals: dict[str, Any] = {"global": {"metrics": {"enabled": global_metrics}}}
    if default_enabled is not None:
        vals["connectInject"] = {"metrics": {"defaultEnabled": default_enabled}}
    assert from_values(vals).metrics is expected


@pytest.mark.parametrize(
    ("timeout", "formatted"),
    [("5s", "5s"), ("1m", "1m0s"), ("90s", "1m30s"), ("500ms", "500ms"), ("1h", "1h0m0s"),
     ("1h30m", "1h30m0s"), ("1.5s", "1.5s"), ("2m3s", "2m3s"), ("1m30.5s", "1m30.5s"),
     ("61m", "1h1m0s")],
)
def test_consul_api_timeout_is_go_duration_string(timeout: str, formatted: str) -> None:
    assert from_values(nested("global.consulAPITimeout", timeout)).consul_api_timeout == formatted


@pytest.mark.parametrize("timeout", ["abc", "5", "", "1x", "s"])  # a zero one is a warning (values/rules.py)
def test_consul_api_timeout_invalid(timeout: str) -> None:
    err = refused(nested("global.consulAPITimeout", timeout))
    assert err.key == "global.consulAPITimeout"


def test_consul_api_timeout_negative() -> None:
    problems = values.validate_values(nested("global.consulAPITimeout", "-1s"))
    assert [p.key for p in problems] == ["global.consulAPITimeout"] * 2
    with pytest.raises(ConsulInjectError):
        from_values(nested("global.consulAPITimeout", "-1s"))


def test_go_duration_and_format() -> None:
    assert gocompat.parse_duration("1m30s") == 90 * 10**9
    assert gocompat.parse_duration("1.5h") == 5400 * 10**9
    assert gocompat.parse_duration("1us") == 1000
    assert gocompat.format_duration(1000) == "1\u00b5s"
    assert gocompat.format_duration(1_500_000) == "1.5ms"
    assert gocompat.format_duration(0) == "0s"
    with pytest.raises(ValueError, match="invalid duration"):
        gocompat.parse_duration("1d")


def test_mirroring_needs_namespaces() -> None:
    err = refused(nested("connectInject.consulNamespaces.mirroringK8S", True))
    assert err.key == "connectInject.consulNamespaces.mirroringK8S"
    s = from_values({"global": {"enableConsulNamespaces": True},
                     "connectInject": {"consulNamespaces": {"mirroringK8S": True,
                                                            "mirroringK8SPrefix": "k8s-"}}})
    assert (s.mirroring, s.mirroring_prefix, s.enable_namespaces) == (True, "k8s-", True)


def test_admin_partitions_need_namespaces() -> None:
    err = refused(nested("global.adminPartitions.enabled", True))
    assert err.key == "global.adminPartitions.enabled"
    s = from_values({"global": {"enableConsulNamespaces": True,
                                "adminPartitions": {"enabled": True}}})
    assert s.partition == "default"
    s = from_values({"global": {"enableConsulNamespaces": True,
                                "adminPartitions": {"enabled": True, "name": "p1"}}})
    assert s.partition == "p1"


def test_partition_name_disabled_is_ignored() -> None:
    assert from_values(nested("global.adminPartitions.name", "p1")).partition == ""


@pytest.mark.parametrize("name", ["system", "universal", "operator", "root"])
def test_reserved_destination_namespace_is_refused(name: str) -> None:
    err = refused({"global": {"enableConsulNamespaces": True},
                        "connectInject": {"consulNamespaces": {
                            "consulDestinationNamespace": name}}})
    assert err.key == "connectInject.consulNamespaces.consulDestinationNamespace"
    assert name in err.text()


def test_destination_namespace_from_values() -> None:
    s = from_values({"global": {"enableConsulNamespaces": True},
                     "connectInject": {"consulNamespaces": {"consulDestinationNamespace": "apps"}}})
    assert s.destination_namespace == "apps"


def test_tls_without_ca_cert_raises() -> None:
    err = values_error(nested("global.tls.enabled", True))
    assert err.key == "global.tls.enabled"


def test_tls_with_pem_ca_cert() -> None:
    s = from_values(nested("global.tls.enabled", True), ca_cert=PEM)
    assert s.consul_ca_cert == PEM


def test_tls_ca_cert_crlf_is_normalised() -> None:
    s = from_values(nested("global.tls.enabled", True), ca_cert=PEM.replace("\n", "\r\n"))
    assert s.consul_ca_cert == PEM


@pytest.mark.parametrize("ca", ["garbage", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
                                PEM.replace("CzBV", "Cz$V"),
                                PEM + "EOF\n"])
def test_tls_with_non_pem_ca_cert_raises(ca: str) -> None:
    err = values_error(nested("global.tls.enabled", True), ca_cert=ca)
    assert err.key == "global.tls.enabled"


def test_tls_off_ignores_ca_cert() -> None:
    assert from_values({}, ca_cert=PEM).consul_ca_cert == ""


@pytest.mark.parametrize("key", ["connectInject.k8sAllowNamespaces",
                                 "connectInject.k8sDenyNamespaces"])
@pytest.mark.parametrize("value", ["*", "a,b", {"a": 1}, [1, 2]])
def test_namespace_lists_must_be_lists_of_strings(key: str, value: Any) -> None:
    problems = [p for p in values.validate_values(nested(key, value)) if p.severity == "error"]
    assert problems
    assert all(p.key.startswith(key) for p in problems)
    with pytest.raises(ConsulInjectError, match=key.replace(".", r"\.")):
        from_values(nested(key, value))


def test_namespace_lists_from_values() -> None:
    s = from_values({"connectInject": {"k8sAllowNamespaces": ["a", "b"],
                                       "k8sDenyNamespaces": ["c"]}})
    assert s.allow_namespaces == ("a", "b")
    assert s.deny_namespaces == ("c",)
    assert from_values(nested("connectInject.k8sAllowNamespaces", [])).allow_namespaces == ()


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (4, 4), ("3", 3)])
def test_envoy_concurrency(value: Any, expected: int) -> None:
    s = from_values(nested("connectInject.sidecarProxy.concurrency", value))
    assert s.envoy_concurrency == expected


@pytest.mark.parametrize("value", [-1, "x", True, 1.5])
def test_envoy_concurrency_invalid(value: Any) -> None:
    err = refused(nested("connectInject.sidecarProxy.concurrency", value))
    assert err.key == "connectInject.sidecarProxy.concurrency"


def test_resources_from_values_and_bad_quantity() -> None:
    s = from_values(nested("connectInject.initContainer.resources",
                           {"requests": {"cpu": "100m"}, "limits": {"memory": "1Gi"}}))
    assert s.init_resources == Resources("100m", "50m", "25Mi", "1Gi")
    s = from_values(nested("connectInject.sidecarProxy.resources", {"limits": {"cpu": 1}}))
    assert s.sidecar_resources == Resources(cpu_limit="1")
    err = refused(nested("connectInject.sidecarProxy.resources.limits.cpu", "lots"))
    assert err.key == "connectInject.sidecarProxy.resources.limits.cpu"


@pytest.mark.parametrize("value", ["yes", "maybe", "on"])
def test_boolean_values_reject_non_booleans(value: Any) -> None:
    err = refused(nested("connectInject.transparentProxy.defaultEnabled", value))
    assert err.key == "connectInject.transparentProxy.defaultEnabled"


def test_transparent_proxy_and_cni_values() -> None:
    s = from_values({"connectInject": {"transparentProxy": {"defaultEnabled": False,
                                                            "defaultOverwriteProbes": False},
                                       "cni": {"enabled": True}}})
    assert (s.tproxy, s.overwrite_probes, s.cni) == (False, False, True)


def test_log_level_connect_inject_over_global() -> None:
    assert from_values(nested("global.logLevel", "debug")).log_level == "debug"
    assert from_values({"global": {"logLevel": "debug"},
                        "connectInject": {"logLevel": "warn"}}).log_level == "warn"


def test_metrics_ports_validated() -> None:
    s = from_values(nested("connectInject.metrics.defaultPrometheusScrapePort", 20300))
    assert s.prometheus_scrape_port == "20300"
    err = refused(nested("connectInject.metrics.defaultPrometheusScrapePort", 80))
    assert err.key == "connectInject.metrics.defaultPrometheusScrapePort"


def test_consul_dns_needs_valid_ip() -> None:
    vals = {"dns": {"enabled": True, "enableRedirection": True}}
    s = from_values(vals, dns_ip="10.0.0.10")
    assert (s.consul_dns, s.consul_dns_ip) == (True, "10.0.0.10")
    # The injector reads <RESOURCE_PREFIX>_DNS_SERVICE_HOST; the prefix is consul.fullname.
    s = from_values(vals, environ={"CONSUL_CONSUL_DNS_SERVICE_HOST": "10.0.0.11"})
    assert s.consul_dns_ip == "10.0.0.11"
    s = from_values({**vals, "global": {"name": "mesh-dns"}},
                    environ={"MESH_DNS_DNS_SERVICE_HOST": "10.0.0.12"})
    assert s.consul_dns_ip == "10.0.0.12"
    err = values_error(vals, dns_ip="not-an-ip")
    assert err.key == "dns.clusterIP"


def test_connect_inject_enabled_false() -> None:
    assert from_values(nested("connectInject.enabled", False)).enabled is False
    assert from_values(nested("global.enabled", False)).enabled is True
    assert from_values({"global": {"enabled": False},
                        "connectInject": {"enabled": "-"}}).enabled is False


@pytest.mark.parametrize(("vals", "key"), [
    (nested("global.logLevel", "verbose"), "global.logLevel"),
    (nested("connectInject.logLevel", "INFO"), "connectInject.logLevel"),
    (nested("consulInject.missingService", "ignore"), "consulInject.missingService"),
    (nested("connectInject.metrics.defaultPrometheusScrapePath", "metrics"),
     "connectInject.metrics.defaultPrometheusScrapePath"),
    (nested("connectInject.metrics.defaultMergedMetricsPort", "20100"),
     "connectInject.metrics.defaultMergedMetricsPort"),
    ({"global": {"enableConsulNamespaces": True, "adminPartitions": {"enabled": True,
                                                                     "name": "p;1"}}},
     "global.adminPartitions.name"),
    ({"global": {"enableConsulNamespaces": True}, "connectInject": {"consulNamespaces": {
        "mirroringK8S": True, "mirroringK8SPrefix": "pre-$(x)"}}},
     "connectInject.consulNamespaces.mirroringK8SPrefix"),
])
def test_other_values_the_mapper_used_to_refuse(vals: dict[str, Any], key: str) -> None:
    assert refused(vals).key == key


def test_checked_values_are_mapped_without_a_second_check() -> None:
    loaded = values.load([], ["connectInject.default=true"])
    assert from_values(loaded).require_annotation is False
