"""`connect-service-upstreams`: every form of spec 4.4 and the env vars of spec 3.6."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject.problems import TemplateError
from consul_inject.webhooks.base import Upstream
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import upstreams

SPEC: dict[str, Any] = {
    "containers": [
        {"name": "app", "ports": [{"name": "http", "containerPort": 8080}]},
        {"name": "db-client", "ports": [{"name": "dbport", "containerPort": 5432},
                                        {"name": "q", "containerPort": 7000}]},
    ]
}

Row = tuple[str, str, str, str, str, str, int]


def parse(value: str, *, namespaces: bool = False, partitions: bool = False) -> list[Upstream]:
    return upstreams.parse(value, SPEC, namespaces=namespaces, partitions=partitions)


def rows(items: list[Upstream]) -> list[Row]:
    return [(u.kind, u.name, u.namespace, u.partition, u.peer, u.datacenter, u.port)
            for u in items]


def parse_error(value: str, *, namespaces: bool = False, partitions: bool = False) -> str:
    with pytest.raises(TemplateError) as info:
        parse(value, namespaces=namespaces, partitions=partitions)
    assert info.value.problems[0].key == ann.UPSTREAMS
    return str(info.value)


def env_names(value: str, *, namespaces: bool = False) -> list[tuple[str, str]]:
    env = upstreams.env_vars(parse(value, namespaces=namespaces), SPEC)
    return [(e["name"], e["value"]) for e in env]


# --- forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "namespaces", "partitions", "expected"),
    [
        ("svc:1234", False, False, ("service", "svc", "", "", "", "", 1234)),
        ("svc:1234:dc1", False, False, ("service", "svc", "", "", "", "dc1", 1234)),
        ("svc.ns:1234", True, False, ("service", "svc", "ns", "", "", "", 1234)),
        ("svc.ns.part:1234", True, False, ("service", "svc", "ns", "part", "", "", 1234)),
        ("svc.ns.part:1234", False, True, ("service", "svc", "ns", "part", "", "", 1234)),
        ("svc.ns:1234:dc2", True, False, ("service", "svc", "ns", "", "", "dc2", 1234)),
        # namespaces off: the whole head (dots included) is the service name
        ("svc.ns:1234", False, False, ("service", "svc.ns", "", "", "", "", 1234)),
        ("prepared_query:myquery:1234", False, False,
         ("prepared_query", "myquery", "", "", "", "", 1234)),
        ("prepared_query:myquery:1234", True, False,
         ("prepared_query", "myquery", "", "", "", "", 1234)),
        # labeled forms
        ("name.svc:1234", False, False, ("service", "name", "", "", "", "", 1234)),
        ("name.svc:1234", True, False, ("service", "name", "", "", "", "", 1234)),
        ("name.svc.ns1.ns:1234", True, False, ("service", "name", "ns1", "", "", "", 1234)),
        ("name.svc.ns1.ns.peer1.peer:1234", True, False,
         ("service", "name", "ns1", "", "peer1", "", 1234)),
        ("name.svc.ns1.ns.ap1.ap:1234", True, False,
         ("service", "name", "ns1", "ap1", "", "", 1234)),
        ("name.svc.ns1.ns.ap1.ap:1234", False, True,
         ("service", "name", "ns1", "ap1", "", "", 1234)),
        ("name.svc.ns1.ns.dc1.dc:1234", True, False,
         ("service", "name", "ns1", "", "", "dc1", 1234)),
        ("name.svc.peer1.peer:1234", False, False,
         ("service", "name", "", "", "peer1", "", 1234)),
        ("name.svc.dc1.dc:1234", False, False, ("service", "name", "", "", "", "dc1", 1234)),
        # ports: named (any container), base-0 numbers, surrounding spaces trimmed
        ("db:dbport", False, False, ("service", "db", "", "", "", "", 5432)),
        ("web:http", False, False, ("service", "web", "", "", "", "", 8080)),
        ("svc:0x10", False, False, ("service", "svc", "", "", "", "", 16)),
        ("svc:017", False, False, ("service", "svc", "", "", "", "", 15)),
        (" svc : 1234 ", False, False, ("service", "svc", "", "", "", "", 1234)),
    ],
)
def test_forms(value: str, namespaces: bool, partitions: bool, expected: Row) -> None:
    assert rows(parse(value, namespaces=namespaces, partitions=partitions)) == [expected]


def test_several_items_keep_order_and_raw_text() -> None:
    items = parse("a:1, b:2:dc1,prepared_query:q:3")
    assert rows(items) == [("service", "a", "", "", "", "", 1),
                           ("service", "b", "", "", "", "dc1", 2),
                           ("prepared_query", "q", "", "", "", "", 3)]
    assert [u.raw for u in items] == ["a:1", " b:2:dc1", "prepared_query:q:3"]


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "namespaces", "partitions"),
    [
        ("name.svc.ap1.ap:1234", False, False),  # .ap needs namespaces or partitions
        ("name.svc.ns1.ns:1234", False, False),  # .ns needs namespaces or partitions
        ("name.svc.x:1234", False, False),  # 3 pieces
        ("name.svc.x:1234", True, False),
        ("name.svc.a.b.c:1234", False, False),  # 5 pieces
        ("name.svc.a.b.c:1234", True, False),
        ("name.svc.ns1.ns.peer1.peer:1234", False, False),  # 6 pieces without namespaces
        ("name.svc.a.b.c.d.e:1234", True, False),  # 7 pieces
        ("name.svc.peer1.peer:1234", True, False),  # 4 pieces must be .ns with namespaces
        ("name.svc.dc1.dc:1234", True, False),
        ("name.svc.ns1.ns.x.zone:1234", True, False),  # unknown label
        ("name.svc.x.zone:1234", False, False),
        (".svc:1234", False, False),  # empty name
    ],
)
def test_labeled_structure_errors(value: str, namespaces: bool, partitions: bool) -> None:
    message = parse_error(value, namespaces=namespaces, partitions=partitions)
    assert f'item "{value}"' in message


def test_labeled_with_datacenter_suffix_refused() -> None:
    assert "DATACENTER" in parse_error("name.svc:1234:dc1")


@pytest.mark.parametrize("value", ["svc", "svc.ns", "prepared_query"])
def test_missing_port(value: str) -> None:
    assert "has no port" in parse_error(value)


@pytest.mark.parametrize("value", ["a:1,", ",a:1", "a:1,,b:2", "a:1, ,b:2"])
def test_empty_item(value: str) -> None:
    assert "is empty" in parse_error(value)


@pytest.mark.parametrize("value", ["svc:", "svc:notaport", "svc:08080", "svc:2147483648",
                                   "prepared_query:q:nope"])
def test_port_that_does_not_resolve(value: str) -> None:
    assert "neither a number nor a named container port" in parse_error(value)


@pytest.mark.parametrize("value", ["svc:0", "svc:-1", "svc:65536", "svc:70000"])
def test_port_out_of_range(value: str) -> None:
    assert "outside 1-65535" in parse_error(value)


@pytest.mark.parametrize("value", ["prepared_query:1234", "prepared_query::1234",
                                   "prepared_query:bad name:1234"])
def test_prepared_query_shape(value: str) -> None:
    assert "prepared_query:NAME:PORT" in parse_error(value)


@pytest.mark.parametrize("value", ['bad"name:1234', "$(id):1234", "a b:1234", "svc:1234:d c",
                                   "svc:1234:dc1:extra"])
def test_names_that_could_break_out_are_refused(value: str) -> None:
    parse_error(value)


def test_bad_namespace_part_with_namespaces() -> None:
    assert "invalid name part" in parse_error("svc.n$s:1234", namespaces=True)


def test_error_lists_accepted_forms() -> None:
    assert upstreams.FORMS in parse_error("svc")


# --- env vars (spec 3.6) --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "namespaces", "expected"),
    [
        ("svc:1234", False, [("SVC_CONNECT_SERVICE_HOST", "127.0.0.1"),
                             ("SVC_CONNECT_SERVICE_PORT", "1234")]),
        ("my-svc:1234", False, [("MY_SVC_CONNECT_SERVICE_HOST", "127.0.0.1"),
                                ("MY_SVC_CONNECT_SERVICE_PORT", "1234")]),
        ("api.ns:1234", False, [("API.NS_CONNECT_SERVICE_HOST", "127.0.0.1"),
                                ("API.NS_CONNECT_SERVICE_PORT", "1234")]),
        ("api.ns:1234", True, [("API.NS_CONNECT_SERVICE_HOST", "127.0.0.1"),
                               ("API.NS_CONNECT_SERVICE_PORT", "1234")]),
        ("upstream1.svc:1234", False, [("UPSTREAM1.SVC_CONNECT_SERVICE_HOST", "127.0.0.1"),
                                       ("UPSTREAM1.SVC_CONNECT_SERVICE_PORT", "1234")]),
        ("my-api.svc.my-ns.ns:99", True, [
            ("MY_API.SVC.MY_NS.NS_CONNECT_SERVICE_HOST", "127.0.0.1"),
            ("MY_API.SVC.MY_NS.NS_CONNECT_SERVICE_PORT", "99")]),
        ("svc:1234:dc1", False, [("SVC_CONNECT_SERVICE_HOST", "127.0.0.1"),
                                 ("SVC_CONNECT_SERVICE_PORT", "1234")]),
        ("db:dbport", False, [("DB_CONNECT_SERVICE_HOST", "127.0.0.1"),
                              ("DB_CONNECT_SERVICE_PORT", "5432")]),
        ("svc:0x10", False, [("SVC_CONNECT_SERVICE_HOST", "127.0.0.1"),
                             ("SVC_CONNECT_SERVICE_PORT", "16")]),
        (" my-svc :1234", False, [("MY_SVC_CONNECT_SERVICE_HOST", "127.0.0.1"),
                                  ("MY_SVC_CONNECT_SERVICE_PORT", "1234")]),
        ("a:1,b:2", False, [("A_CONNECT_SERVICE_HOST", "127.0.0.1"),
                            ("A_CONNECT_SERVICE_PORT", "1"),
                            ("B_CONNECT_SERVICE_HOST", "127.0.0.1"),
                            ("B_CONNECT_SERVICE_PORT", "2")]),
        # prepared_query reads the query name as the port: nothing unless a port has that name
        ("prepared_query:myquery:1234", False, []),
        ("prepared_query:q:1234", False, [("PREPARED_QUERY_CONNECT_SERVICE_HOST", "127.0.0.1"),
                                          ("PREPARED_QUERY_CONNECT_SERVICE_PORT", "7000")]),
    ],
)
def test_env_vars(value: str, namespaces: bool, expected: list[tuple[str, str]]) -> None:
    assert env_names(value, namespaces=namespaces) == expected


def test_env_vars_prepared_query_numeric_name() -> None:
    assert env_names("prepared_query:1234:5678") == [
        ("PREPARED_QUERY_CONNECT_SERVICE_HOST", "127.0.0.1"),
        ("PREPARED_QUERY_CONNECT_SERVICE_PORT", "1234")]


def test_env_vars_empty() -> None:
    assert upstreams.env_vars([], SPEC) == []


def test_env_name_field() -> None:
    (item,) = parse("web-api.svc.peer-1.peer:80")
    assert item.env_name == "WEB_API.SVC.PEER_1.PEER"
