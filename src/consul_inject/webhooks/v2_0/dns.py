"""Consul DNS of one pod (spec section 3.10): the webhook points the pod's resolver at
consul-dataplane's DNS proxy first, then at the resolvers of the injector pod's own
/etc/resolv.conf. Offline, that file is the one the kubelet writes for a pod in the release
namespace (`kubelet_resolv_conf`); `dns_config` is the webhook's rule for any such file."""

from typing import Any, NamedTuple

from consul_inject.webhooks.v2_0.settings import Settings


class ResolvConf(NamedTuple):
    """What the webhook's resolv.conf reader keeps: nameservers, the search list and three
    options (other options are dropped), with its defaults."""

    nameservers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    ndots: int = 1
    timeout: int = 5
    attempts: int = 2


def kubelet_resolv_conf(settings: Settings) -> ResolvConf:
    """The resolv.conf the kubelet gives the injector pod (dnsPolicy ClusterFirst)."""
    domain = settings.cluster_domain
    return ResolvConf((settings.cluster_dns_ip,),
                      (f"{settings.release_namespace}.svc.{domain}", f"svc.{domain}", domain),
                      ndots=5)


def dns_config(resolv: ResolvConf, release_namespace: str, namespace: str,
               dual_stack: bool) -> dict[str, Any]:
    """spec.dnsConfig: the local DNS proxy, then `resolv`; the injector's own namespace in the
    search list becomes the pod's (only with the literal cluster.local, as in the webhook);
    options only where they differ from the reader's defaults."""
    own = f"{release_namespace}.svc.cluster.local"
    out: dict[str, Any] = {"nameservers": ["::1" if dual_stack else "127.0.0.1",
                                           *resolv.nameservers]}
    if resolv.searches:
        out["searches"] = [f"{namespace}.svc.cluster.local" if s == own else s
                           for s in resolv.searches]
    options = [{"name": name, "value": str(value)} for name, value, default in (
        ("ndots", resolv.ndots, 1), ("timeout", resolv.timeout, 5),
        ("attempts", resolv.attempts, 2)) if value != default]
    if options:
        out["options"] = options
    return out
