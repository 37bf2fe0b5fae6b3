"""upstreams: the env vars the webhook derives (spec 3.6) and what the endpoints controller
would refuse (3.18), TV-91..TV-93, TV-101, TV-102."""

from __future__ import annotations

import pytest

from consul_inject.problems import TemplateError
from consul_inject.webhooks.base import Upstream
from consul_inject.webhooks.v2_0 import upstreams
from consul_inject.webhooks.v2_0.settings import Settings
from tests.unit.webhooks.v2_0.support import ZERO, ZERO_1_9, app, with_

SPEC = {"containers": [app(ports=[{"name": "q", "containerPort": 4321}])]}
NSP = with_(ZERO, enable_namespaces=True, partition="default")


def pairs(text: str, dual_stack: bool = False) -> list[tuple[str, str]]:
    return [(e["name"], e["value"]) for e in upstreams.env_vars(text, SPEC, dual_stack)]


def static(name: str, port: int) -> list[tuple[str, str]]:
    return [(f"{name}_CONNECT_SERVICE_HOST", "127.0.0.1"), (f"{name}_CONNECT_SERVICE_PORT", str(port))]


def test_tv91_datacenter_suffix_is_ignored() -> None:
    """TV-91"""
    assert pairs("static-server:7890:dc1") == static("STATIC_SERVER", 7890)


@pytest.mark.parametrize("text", ["static-server:7890, static-server2:7892 static-server3:7893",
                                  "static-server:7890\nstatic-server2:7892\nstatic-server3:7893"])
def test_tv92_separators(text: str) -> None:
    """TV-92"""
    assert pairs(text) == (static("STATIC_SERVER", 7890) + static("STATIC_SERVER2", 7892)
                           + static("STATIC_SERVER3", 7893))


def test_tv93_malformed_items_are_skipped() -> None:
    """TV-93"""
    text = "static-server7890,\nstatic-server2:7892\nstatic-server3:7893"
    assert pairs(text) == static("STATIC_SERVER2", 7892) + static("STATIC_SERVER3", 7893)


def test_env_var_names_and_ports() -> None:
    assert pairs("api.ns:1234")[0][0] == "API.NS_CONNECT_SERVICE_HOST"
    assert pairs("upstream1.svc.peer1.peer:1234")[0][0] == \
        "UPSTREAM1.SVC.PEER1.PEER_CONNECT_SERVICE_HOST"
    assert pairs("prepared_query:x:1234") == []
    assert pairs("prepared_query:q:1234") == static("PREPARED_QUERY", 4321)
    assert pairs("a:0,b:-1,c:nope") == []
    assert pairs("a:99999999999") == static("A", 2147483647)
    assert pairs("a:1\tb:2") == []  # a tab separates nothing: "1\tb" is no port
    assert pairs("a:5", dual_stack=True)[0] == ("A_CONNECT_SERVICE_HOST", "::1")


def parsed(text: str, settings: Settings = ZERO) -> list[Upstream]:
    return upstreams.parse(text, SPEC, settings)


def refused(text: str, settings: Settings = ZERO) -> str:
    with pytest.raises(TemplateError) as info:
        parsed(text, settings)
    return info.value.problems[0].message


def test_tv101_peer_without_namespaces() -> None:
    """TV-101"""
    (up,) = parsed("upstream1.svc.peer1.peer:1234")
    assert (up.name, up.peer, up.port, up.namespace) == ("upstream1", "peer1", 1234, "")
    assert "upstream structured incorrectly: upstream1.svc.peer1.peer:1234" in refused(
        "upstream1.svc.peer1.peer:1234", with_(ZERO, enable_namespaces=True))


def test_tv102_controller_errors_and_destination_port() -> None:
    """TV-102"""
    (up,) = parsed("upstream1.svc.ns1.ns.part1.ap:1234:http-route-a", NSP)
    assert (up.name, up.namespace, up.partition, up.port) == ("upstream1", "ns1", "part1", 1234)
    assert "invalid mesh gateway mode" in refused("upstream1:1234:mesh_gateway_mode=invalid")
    item = "multi-port-service.svc.default.ns.partition-k8s.ap:http-route-a"
    assert f'invalid upstream local bind port "http-route-a" in "{item}"' in refused(item, NSP)


def test_options_and_their_errors() -> None:
    (up,) = parsed("db:5432:dc2?mesh_gateway_mode=local")
    assert (up.name, up.datacenter) == ("db", "dc2")
    (up,) = parsed("db:5432:dc=dc3;local_bind_address=127.0.0.2")
    assert up.datacenter == "dc3"
    assert "unsupported option" in refused("db:5432:colour=blue")
    assert "1.9 does not read" in refused("db:5432:dc=dc3", ZERO_1_9)


def test_namespace_and_partition_pieces_only_when_enabled() -> None:
    (up,) = parsed("api.team.part:80", NSP)
    assert (up.name, up.namespace, up.partition) == ("api", "team", "part")
    (up,) = parsed("api.team.part:80")
    assert (up.name, up.namespace) == ("api.team.part", "")


def test_every_bad_item_is_named() -> None:
    with pytest.raises(TemplateError) as info:
        parsed("a,,b:1,c:0")
    assert len(info.value.problems) == 3
