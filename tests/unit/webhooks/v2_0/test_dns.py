"""dns: the pod's dnsConfig under Consul DNS (spec 3.10), TV-87..TV-90."""

from __future__ import annotations

from consul_inject.webhooks.v2_0 import dns
from tests.unit.webhooks.v2_0.support import ZERO, out, pod, with_


def test_tv87_empty_and_one_nameserver() -> None:
    """TV-87"""
    assert dns.dns_config(dns.ResolvConf(), "consul", "default", False) == {
        "nameservers": ["127.0.0.1"]}
    assert dns.dns_config(dns.ResolvConf(("1.1.1.1",)), "consul", "default", False) == {
        "nameservers": ["127.0.0.1", "1.1.1.1"]}


def test_tv88_nameservers_searches_options() -> None:
    """TV-88"""
    resolv = dns.ResolvConf(("1.1.1.1", "2.2.2.2"), ("foo.bar", "bar.baz"), 5, 6, 3)
    assert dns.dns_config(resolv, "consul", "default", False) == {
        "nameservers": ["127.0.0.1", "1.1.1.1", "2.2.2.2"], "searches": ["foo.bar", "bar.baz"],
        "options": [{"name": "ndots", "value": "5"}, {"name": "timeout", "value": "6"},
                    {"name": "attempts", "value": "3"}]}


def test_tv89_release_search_domain_becomes_the_pods() -> None:
    """TV-89, and the kubelet's resolv.conf of the injector in its namespace."""
    resolv = dns.kubelet_resolv_conf(with_(ZERO, release_namespace="consul"))
    assert dns.dns_config(resolv, "consul", "default", False) == {
        "nameservers": ["127.0.0.1", "10.96.0.10"],
        "searches": ["default.svc.cluster.local", "svc.cluster.local", "cluster.local"],
        "options": [{"name": "ndots", "value": "5"}]}


def test_a_custom_cluster_domain_is_not_rewritten() -> None:
    resolv = dns.kubelet_resolv_conf(with_(ZERO, cluster_domain="corp.local"))
    assert dns.dns_config(resolv, "consul", "apps", True)["searches"] == [
        "consul.svc.corp.local", "svc.corp.local", "corp.local"]
    assert dns.dns_config(resolv, "consul", "apps", True)["nameservers"][0] == "::1"


def test_tv90_injection_writes_the_config() -> None:
    """TV-90's happy side: DNS on and no dnsConfig of the pod's own."""
    result = out(pod(), with_(ZERO, tproxy=True, consul_dns=True), namespace="apps")
    assert result["spec"]["dnsPolicy"] == "None"
    assert result["spec"]["dnsConfig"]["searches"][0] == "apps.svc.cluster.local"
