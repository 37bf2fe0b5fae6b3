"""The official chart's `fail` rules that read keys outside the closed sections (clients,
peering, mesh gateways, external servers, HCP), per consul-k8s version. Each rule is a pure
function of the values; they are evaluated with the official chart's defaults of that version,
so they predict what the chart itself would do with values as a user wrote them.

Rules that only read `global`, `connectInject` and `controller` live in the schema (its top-level
`allOf`), so Helm enforces them for our chart too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from consul_inject.problems import Problem
from consul_inject.values.tree import Path, dotted, value_at

Rule = Callable[[Mapping[str, Any]], Iterator[Problem]]
SAME = " (the chart fails the same way)"
_HCP_HOST = re.compile(r".+\.hashicorp\.cloud\Z")
_CLOUD_SECRETS = ("resourceId", "clientId", "clientSecret")


def fail(path: Path, message: str) -> Problem:
    return Problem(message + SAME, key=dotted(path), path=path)


def switch(values: Mapping[str, Any], key: str, default: Any) -> bool:
    """A component switch as the chart reads it: "-" (or unset, when that is the default)
    follows global.enabled; anything else by Go template truthiness."""
    value = value_at(values, key)
    if value is None:
        value = default
    if value == "-":
        inherited = value_at(values, "global.enabled")
        return True if inherited is None else bool(inherited)
    return bool(value)


def _peering(values: Mapping[str, Any], inject_default: bool) -> Iterator[Problem]:
    if value_at(values, "global.peering.enabled") is True \
            and not switch(values, "connectInject.enabled", inject_default):
        yield fail(("global", "peering", "enabled"), "setting global.peering.enabled to true "
                   "requires connectInject.enabled to be true")


def _external_hosts(values: Mapping[str, Any]) -> Iterator[Problem]:
    if value_at(values, "externalServers.enabled") is True \
            and not value_at(values, "externalServers.hosts"):
        yield fail(("externalServers", "hosts"),
                   "externalServers.hosts must be set if externalServers.enabled is true")


def rules_0_49(values: Mapping[str, Any]) -> Iterator[Problem]:
    """consul-k8s 0.49.8: injection needs client agents with gRPC."""
    yield from _peering(values, False)
    inject = switch(values, "connectInject.enabled", False)
    if inject and not switch(values, "client.enabled", "-"):
        yield fail(("client", "enabled"),
                   "clients must be enabled for connect injection: consul-k8s 0.49 sidecars "
                   "register through the Consul client agent on their node")
    if inject and value_at(values, "client.grpc") is False:
        yield fail(("client", "grpc"),
                   "client.grpc must be true for connect injection: Envoy sidecars get their "
                   "configuration over the client agent's gRPC port")
    yield from _external_hosts(values)


def rules_dataplane(values: Mapping[str, Any]) -> Iterator[Problem]:
    """consul-k8s 1.9.11 and 2.0.3: peering needs TLS and mesh gateways; the server watch can
    only be skipped for external servers."""
    yield from _peering(values, True)
    if value_at(values, "global.peering.enabled") is True:
        if not value_at(values, "global.tls.enabled"):
            yield fail(("global", "peering", "enabled"), "setting global.peering.enabled to true "
                       "requires global.tls.enabled to be true")
        if not value_at(values, "meshGateway.enabled"):
            yield fail(("global", "peering", "enabled"), "setting global.peering.enabled to true "
                       "requires meshGateway.enabled to be true")
    if not switch(values, "connectInject.enabled", True):
        return  # the checks below live inside the injector Deployment's template
    yield from _external_hosts(values)
    if value_at(values, "externalServers.skipServerWatch") is True \
            and not value_at(values, "externalServers.enabled"):
        yield fail(("externalServers", "skipServerWatch"),
                   "externalServers.enabled must be set if externalServers.skipServerWatch is true")


def rules_1_9(values: Mapping[str, Any]) -> Iterator[Problem]:
    """consul-k8s 1.9.11 adds HCP linking (global.cloud), gone again in 2.0."""
    yield from rules_dataplane(values)
    if value_at(values, "global.cloud.enabled") is not True:
        return
    if not all(value_at(values, f"global.cloud.{name}.secretName") for name in _CLOUD_SECRETS):
        yield fail(("global", "cloud", "enabled"),
                   "When global.cloud.enabled is true, global.cloud.resourceId.secretName, "
                   "global.cloud.clientId.secretName, and global.cloud.clientSecret.secretName "
                   "must also be set.")
    hosts = value_at(values, "externalServers.hosts")
    if isinstance(hosts, list) and hosts and isinstance(hosts[0], str) \
            and _HCP_HOST.match(hosts[0]):
        yield fail(("externalServers", "hosts", 0),
                   "global.cloud.enabled cannot be used with an HCP Consul Dedicated server in "
                   "externalServers.hosts[0] (a host ending in hashicorp.cloud)")


RULES: dict[str, Rule] = {"0.49": rules_0_49, "1.9": rules_1_9, "2.0": rules_dataplane}


def chart_rules(values: Mapping[str, Any], version: str) -> Iterator[Problem]:
    """The official chart's `fail` rules of `version` that read keys outside our sections."""
    yield from RULES[version](values)
