"""The consul-k8s 2.0 (v2.0.3) and 1.9 (v1.9.11) connect-inject webhook: no client agents; each
pod gets a `consul-connect-inject-init` init container and a `consul-dataplane` sidecar that
talk to the Consul servers directly. 1.9 differs in a few outputs (`settings.Variant`).

| module        | what of the webhook lives there                                          |
|---------------|--------------------------------------------------------------------------|
| `annotations` | the annotation names beyond those every version shares                   |
| `settings`    | chart values -> the injector's flags and environment; the two variants   |
| `decide`      | the webhook's gates and `shouldInject`                                   |
| `reads`       | annotation values read with the webhook's Go parsing                     |
| `metrics`     | Prometheus metrics and metrics merging                                   |
| `upstreams`   | the upstreams annotation: env vars, and what the controller registers    |
| `podconfig`   | one pod's settings: annotations over Namespace labels over settings      |
| `containers`  | the init container, its command, the iptables configuration              |
| `dataplane`   | the consul-dataplane sidecar                                             |
| `dns`         | Consul DNS: the pod's dnsConfig from a resolv.conf                       |
| `openshift`   | OpenShift's UIDs and GIDs from the Namespace's ranges                    |
| `mutate`      | the pod mutation, in the webhook's order                                 |
| `uninject`    | its inverse                                                              |
| `advice`      | warnings about workloads the webhook would inject or skip silently       |
"""

# No `from __future__ import annotations` here: it would bind the name `annotations` on the
# package and shadow the `annotations` module of this version.

from collections.abc import Callable, Mapping
from typing import Any

from consul_inject.webhooks.base import Decision, Injection, SettingsContext
from consul_inject.webhooks.v2_0 import advice, decide, settings
from consul_inject.webhooks.v2_0.settings import V1_9, V2_0, Settings, Variant


class Webhook:
    def __init__(self, variant: Variant) -> None:
        self.variant = variant
        self.version = variant.version
        self.release = variant.release

    def settings(self, values: Mapping[str, Any], context: SettingsContext) -> Settings:
        return settings.from_values(values, context, self.variant)

    def decide(self, settings: Settings, meta: Mapping[str, Any], namespace: str,
               namespace_labels: Mapping[str, str]) -> Decision:
        return decide.decide(settings, meta, namespace, namespace_labels)

    def inject(self, settings: Settings, template: Mapping[str, Any], namespace: str, *,
               namespace_labels: Mapping[str, str],
               namespace_annotations: Mapping[str, str] | None,
               token_secret: Callable[[str], str]) -> Injection:
        from consul_inject.webhooks.v2_0 import mutate  # a release that injects nothing skips it

        return mutate.inject(settings, template, namespace, namespace_labels, token_secret,
                             namespace_annotations=namespace_annotations)

    def is_injected(self, template: Mapping[str, Any]) -> bool:
        from consul_inject.webhooks.v2_0 import uninject

        return uninject.is_injected(template)

    def uninject(self, template: Mapping[str, Any]) -> dict[str, Any]:
        from consul_inject.webhooks.v2_0 import uninject

        return uninject.uninject(template)

    def advice(self, resource: Mapping[str, Any], path: tuple[str, ...],
               before: Mapping[str, Any], after: Mapping[str, Any] | None) -> list[str]:
        return advice.advice(resource, path, before, after, self.version)


WEBHOOK = Webhook(V2_0)
WEBHOOK_1_9 = Webhook(V1_9)
