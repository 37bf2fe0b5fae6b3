"""The consul-k8s v0.49.8 connect-inject webhook: consul client agents on every node, an Envoy
sidecar and an init container that registers the pod's services through the agent.

| module        | what of the webhook lives there                                          |
|---------------|--------------------------------------------------------------------------|
| `annotations` | the `consul.hashicorp.com/*` annotation and label names, typed reads     |
| `settings`    | chart values -> the injector's flags and their binary defaults           |
| `decide`      | the webhook's gates and `shouldInject`                                   |
| `podconfig`   | one pod's settings: annotations over namespace labels over settings      |
| `upstreams`   | the upstreams annotation                                                 |
| `containers`  | the containers and the init script (`templates/connect-init.sh.j2`)      |
| `mutate`      | the pod mutation                                                         |
| `uninject`    | its inverse                                                              |
| `advice`      | warnings about workloads the webhook would inject or skip silently       |
"""

# No `from __future__ import annotations` here: it would bind the name `annotations` on the
# package and shadow the `annotations` module of this version.

from collections.abc import Callable, Mapping
from typing import Any

from consul_inject.webhooks.base import Decision, Injection, SettingsContext
from consul_inject.webhooks.v0_49 import advice, decide, settings
from consul_inject.webhooks.v0_49.settings import Settings


class Webhook:
    version = "0.49"
    release = "0.49.8"

    def settings(self, values: Mapping[str, Any], context: SettingsContext) -> Settings:
        return settings.from_values(values, release=context.release, ca_cert=context.ca_cert,
                                    dns_ip=context.dns_ip, environ=context.environ)

    def decide(self, settings: Settings, meta: Mapping[str, Any], namespace: str,
               namespace_labels: Mapping[str, str]) -> Decision:
        return decide.decide(settings, meta, namespace, namespace_labels)

    def inject(self, settings: Settings, template: Mapping[str, Any], namespace: str, *,
               namespace_labels: Mapping[str, str],
               namespace_annotations: Mapping[str, str] | None,
               token_secret: Callable[[str], str]) -> Injection:
        from consul_inject.webhooks.v0_49 import mutate  # a release that injects nothing skips it

        return mutate.inject(settings, template, namespace, namespace_labels, token_secret)

    def is_injected(self, template: Mapping[str, Any]) -> bool:
        from consul_inject.webhooks.v0_49 import uninject

        return uninject.is_injected(template)

    def uninject(self, template: Mapping[str, Any]) -> dict[str, Any]:
        from consul_inject.webhooks.v0_49 import uninject

        return uninject.uninject(template)

    def advice(self, resource: Mapping[str, Any], path: tuple[str, ...],
               before: Mapping[str, Any], after: Mapping[str, Any] | None) -> list[str]:
        return advice.advice(resource, path, before, after)


WEBHOOK = Webhook()
