"""podmeta: the annotation and label names every consul-k8s version shares, and the typed reads
of annotation values with the Go semantics of the webhook and the endpoints controller (Go
booleans, base-0 integers, named container ports, untrimmed comma lists)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from consul_inject import podmeta
from consul_inject.problems import TemplateError

TPROXY = podmeta.P + "transparent-proxy"
METRICS = podmeta.P + "enable-metrics"

SPEC: dict[str, Any] = {
    "containers": [
        {"name": "app", "ports": [{"name": "http", "containerPort": 8080}]},
        {"name": "side", "ports": [{"name": "admin", "containerPort": 9090},
                                   {"containerPort": 7000}]},
    ]
}


# --- get, get_bool ----------------------------------------------------------------------------


def test_get_bool_wraps_invalid_value_in_annotation_error() -> None:
    with pytest.raises(TemplateError) as info:
        podmeta.get_bool({TPROXY: "yes"}, TPROXY, True)
    assert info.value.problems[0].key == TPROXY
    assert '"yes"' in str(info.value)


def test_get_bool_default_and_empty_is_default() -> None:
    assert podmeta.get_bool({}, TPROXY, True) is True
    assert podmeta.get_bool({}, TPROXY, False) is False
    assert podmeta.get_bool({METRICS: ""}, METRICS, True, empty_is_default=True) is True
    with pytest.raises(TemplateError):
        podmeta.get_bool({METRICS: ""}, METRICS, True)


def test_get_refuses_non_string_annotation_value() -> None:
    with pytest.raises(TemplateError, match="not a string"):
        podmeta.get({podmeta.INJECT: True}, podmeta.INJECT)
    assert podmeta.get({}, podmeta.INJECT) is None
    assert podmeta.get({podmeta.INJECT: "true"}, podmeta.INJECT) == "true"


@pytest.mark.parametrize("value", ["1", "t", "T", "TRUE", "true", "True"])
def test_get_bool_reads_every_go_true(value: str) -> None:
    assert podmeta.get_bool({TPROXY: value}, TPROXY, False) is True


def test_get_bool_error_names_the_annotation_and_the_accepted_form() -> None:
    with pytest.raises(TemplateError) as info:
        podmeta.get_bool({TPROXY: "on"}, TPROXY, True)
    (problem,) = info.value.problems
    assert (problem.key, problem.message) == (TPROXY, '"on" is not a boolean')
    assert "strconv.ParseBool" in problem.fix


def test_get_bool_refuses_a_value_that_is_not_a_string() -> None:
    with pytest.raises(TemplateError, match="is a bool, not a string"):
        podmeta.get_bool({TPROXY: True}, TPROXY, False)


# --- port_value, container_port_named ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "port"),
    [
        ("http", 8080),  # named port of the first container
        ("admin", 9090),  # named port of another container
        ("8080", 8080),
        ("1234", 1234),
        ("0x10", 16),
        ("017", 15),
        ("http,admin", 8080),  # only the first comma item counts
        ("admin,http", 9090),
        ("9000,9001", 9000),
    ],
)
def test_port_value(raw: str, port: int) -> None:
    assert podmeta.port_value(SPEC, raw) == port


@pytest.mark.parametrize("raw", ["nosuchport", "", ",8080", "08080", "http ,admin"])
def test_port_value_unresolvable(raw: str) -> None:
    with pytest.raises(ValueError, match=r"strconv\.ParseInt"):
        podmeta.port_value(SPEC, raw)


def test_port_value_without_containers() -> None:
    assert podmeta.port_value({}, "80") == 80
    with pytest.raises(ValueError, match=r"strconv\.ParseInt"):
        podmeta.port_value({"containers": None}, "http")


def test_container_port_named_first_match_wins() -> None:
    spec = {"containers": [{"ports": [{"name": "p", "containerPort": 1}]},
                           {"ports": [{"name": "p", "containerPort": 2}]}]}
    assert podmeta.container_port_named(spec, "p") == 1
    assert podmeta.container_port_named(spec, "q") is None


def test_container_port_named_skips_ports_without_a_number() -> None:
    spec = {"containers": [{"ports": [{"name": "p", "containerPort": "80"}]},
                           {"ports": [{"name": "p", "containerPort": 81}]}]}
    assert podmeta.container_port_named(spec, "p") == 81


@given(st.integers(1, 65535))
def test_port_value_of_a_number_is_the_number(port: int) -> None:
    assert podmeta.port_value(SPEC, str(port)) == port
    assert podmeta.port_value(SPEC, f"{port},http") == port


# --- split_list -------------------------------------------------------------------------------


def test_split_list_is_go_split_without_trimming() -> None:
    assert podmeta.split_list("a, b,,c") == ["a", " b", "", "c"]
    assert podmeta.split_list("") == []
    assert podmeta.split_list("a") == ["a"]


@given(st.lists(st.text(st.characters(exclude_characters=","), max_size=5), min_size=1))
def test_split_list_undoes_a_comma_join(items: list[str]) -> None:
    assume(items != [""])  # "" is no list at all, not one empty item
    assert podmeta.split_list(",".join(items)) == items


# --- names ------------------------------------------------------------------------------------


def test_shared_names() -> None:
    """The contract with the endpoints controller and the markers of an injection."""
    assert podmeta.P == "consul.hashicorp.com/"
    assert podmeta.INJECT == "consul.hashicorp.com/connect-inject"
    assert podmeta.INJECT_STATUS == podmeta.LABEL_INJECT_STATUS == \
        "consul.hashicorp.com/connect-inject-status"
    assert podmeta.SERVICE == "consul.hashicorp.com/connect-service"
    assert podmeta.SERVICE_PORT == "consul.hashicorp.com/connect-service-port"
    assert podmeta.UPSTREAMS == "consul.hashicorp.com/connect-service-upstreams"
    assert podmeta.KUBERNETES_SERVICE == "consul.hashicorp.com/kubernetes-service"
    assert podmeta.ORIGINAL_POD == "consul.hashicorp.com/original-pod"
    assert podmeta.META_PREFIX == "consul.hashicorp.com/service-meta-"
    assert podmeta.LABEL_MANAGED_BY == "consul.hashicorp.com/connect-inject-managed-by"
    assert podmeta.MANAGED_BY_VALUE == "consul-k8s-endpoints-controller"
    assert podmeta.INJECTED == "injected"
