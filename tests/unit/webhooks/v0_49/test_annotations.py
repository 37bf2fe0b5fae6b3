"""Go parsing semantics of annotation values (spec section 2 header and section 7)."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject import gocompat
from consul_inject.problems import TemplateError
from consul_inject.webhooks.v0_49 import annotations as ann

TRUE_SPELLINGS = ("1", "t", "T", "TRUE", "true", "True")
FALSE_SPELLINGS = ("0", "f", "F", "FALSE", "false", "False")

SPEC: dict[str, Any] = {
    "containers": [
        {"name": "app", "ports": [{"name": "http", "containerPort": 8080}]},
        {"name": "side", "ports": [{"name": "admin", "containerPort": 9090},
                                   {"containerPort": 7000}]},
    ]
}


# --- parse_go_bool -------------------------------------------------------------------------


@pytest.mark.parametrize("text", TRUE_SPELLINGS)
def test_parse_go_bool_true_spellings(text: str) -> None:
    assert gocompat.parse_bool(text) is True


@pytest.mark.parametrize("text", FALSE_SPELLINGS)
def test_parse_go_bool_false_spellings(text: str) -> None:
    assert gocompat.parse_bool(text) is False


def test_go_bools_table_is_exactly_the_twelve_spellings() -> None:
    assert set(gocompat.BOOLS) == set(TRUE_SPELLINGS + FALSE_SPELLINGS)


@pytest.mark.parametrize(
    "text", ["yes", "no", "", " true", "true ", "tRUE", "on", "y", "2", "TRue", "01"]
)
def test_parse_go_bool_rejects_other_text_with_go_message(text: str) -> None:
    with pytest.raises(ValueError, match="invalid syntax") as info:
        gocompat.parse_bool(text)
    assert str(info.value) == f'strconv.ParseBool: parsing "{text}": invalid syntax'


def test_get_bool_wraps_invalid_value_in_annotation_error() -> None:
    with pytest.raises(TemplateError) as info:
        ann.get_bool({ann.TPROXY: "yes"}, ann.TPROXY, True)
    assert info.value.problems[0].key == ann.TPROXY
    assert '"yes"' in str(info.value)


def test_get_bool_default_and_empty_is_default() -> None:
    assert ann.get_bool({}, ann.TPROXY, True) is True
    assert ann.get_bool({}, ann.TPROXY, False) is False
    assert ann.get_bool({ann.ENABLE_METRICS: ""}, ann.ENABLE_METRICS, True,
                        empty_is_default=True) is True
    with pytest.raises(TemplateError):
        ann.get_bool({ann.ENABLE_METRICS: ""}, ann.ENABLE_METRICS, True)


def test_get_refuses_non_string_annotation_value() -> None:
    with pytest.raises(TemplateError, match="not a string"):
        ann.get({ann.INJECT: True}, ann.INJECT)
    assert ann.get({}, ann.INJECT) is None
    assert ann.get({ann.INJECT: "true"}, ann.INJECT) == "true"


# --- parse_go_int ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0x1F", 31),
        ("0X1f", 31),
        ("0o17", 15),
        ("0O17", 15),
        ("017", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("0x_1F", 31),
        ("8080", 8080),
        ("0", 0),
        ("-12", -12),
        ("+12", 12),
        ("-0x10", -16),
        ("2147483647", 2**31 - 1),
        ("-2147483648", -(2**31)),
    ],
)
def test_parse_go_int_base_zero(text: str, value: int) -> None:
    assert gocompat.parse_int(text, 32) == value


@pytest.mark.parametrize(
    "text", ["08080", "09", "", "_1", "1_", "1__0", "0x", "0b102", "0o8", "abc", "1.5", " 1", "1 "]
)
def test_parse_go_int_invalid_syntax(text: str) -> None:
    with pytest.raises(ValueError, match="invalid syntax"):
        gocompat.parse_int(text, 32)


@pytest.mark.parametrize("text", ["2147483648", "-2147483649", "0x80000000", "99999999999"])
def test_parse_go_int_out_of_int32_range(text: str) -> None:
    with pytest.raises(ValueError, match="out of range"):
        gocompat.parse_int(text, 32)


def test_parse_go_int_wider_bit_size() -> None:
    assert gocompat.parse_int("2147483648", 64) == 2**31


# --- port_value -----------------------------------------------------------------------------


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
    assert ann.port_value(SPEC, raw) == port


@pytest.mark.parametrize("raw", ["nosuchport", "", ",8080", "08080", "http ,admin"])
def test_port_value_unresolvable(raw: str) -> None:
    with pytest.raises(ValueError, match=r"strconv\.ParseInt"):
        ann.port_value(SPEC, raw)


def test_port_value_without_containers() -> None:
    assert ann.port_value({}, "80") == 80
    with pytest.raises(ValueError, match=r"strconv\.ParseInt"):
        ann.port_value({"containers": None}, "http")


def test_container_port_named_first_match_wins() -> None:
    spec = {"containers": [{"ports": [{"name": "p", "containerPort": 1}]},
                           {"ports": [{"name": "p", "containerPort": 2}]}]}
    assert ann.container_port_named(spec, "p") == 1
    assert ann.container_port_named(spec, "q") is None


# --- split_list -----------------------------------------------------------------------------


def test_split_list_is_go_split_without_trimming() -> None:
    assert ann.split_list("a, b,,c") == ["a", " b", "", "c"]
    assert ann.split_list("") == []
    assert ann.split_list("a") == ["a"]


# --- go_quote -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("foo bar", '"foo bar"'),
        ("/tmp/consul/foo bar", '"/tmp/consul/foo bar"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nbreak", '"line\\nbreak"'),
        ("tab\there", '"tab\\there"'),
        ("cr\rhere", '"cr\\rhere"'),
        ("\x01", '"\\x01"'),
        ("\x7f", '"\\x7f"'),
        ("\x00", '"\\x00"'),
        ("\u0085", '"\\u0085"'),
        ("\u200b", '"\\u200b"'),
        ("\u00a0", '"\\u00a0"'),
        ("caf\u00e9 \u65e5\u672c", '"caf\u00e9 \u65e5\u672c"'),
        ("\U0001f600", '"\U0001f600"'),
        ("\U000e0001", '"\\U000e0001"'),
        ("", '""'),
    ],
)
def test_go_quote(text: str, quoted: str) -> None:
    assert gocompat.quote(text) == quoted


@pytest.mark.parametrize(
    ("text", "quoted"),
    [("\x07", '"\\a"'), ("\x08", '"\\b"'), ("\x0c", '"\\f"'), ("\x0b", '"\\v"')],
)
def test_go_quote_short_escapes_like_go(text: str, quoted: str) -> None:
    assert gocompat.quote(text) == quoted


# --- envoy_extra_args -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "tokens"),
    [
        ('--admin-address-path "/tmp/consul/foo bar"',
         ["--admin-address-path", '"/tmp/consul/foo bar"']),
        ("--log-level debug --disable-hot-restart",
         ["--log-level", "debug", "--disable-hot-restart"]),
        ("--x 'a b'", ["--x", '"a b"']),
        ("a\\ b", ['"a b"']),
        ("  --a\t--b\n--c  ", ["--a", "--b", "--c"]),
        ("'say \"hi\" now'", ['"say \\"hi\\" now"']),
        ("--drain-time-s 5 # trailing comment", ["--drain-time-s", "5"]),
        ("'it''s'", ["its"]),
        ("--path=/a/b", ["--path=/a/b"]),
        ("", []),
        ("   ", []),
    ],
)
def test_envoy_extra_args(value: str, tokens: list[str]) -> None:
    assert ann.envoy_extra_args(ann.ENVOY_EXTRA_ARGS, value) == tokens


def test_envoy_extra_args_token_without_space_is_not_quoted() -> None:
    # A tab is not a space: consul-k8s only re-quotes tokens that contain " ".
    assert ann.envoy_extra_args(ann.ENVOY_EXTRA_ARGS, '"a\tb"') == ["a\tb"]


@pytest.mark.parametrize("value", ['"unbalanced', "'open", '--x "a b', "trailing\\"])
def test_envoy_extra_args_unbalanced_quote(value: str) -> None:
    with pytest.raises(TemplateError) as info:
        ann.envoy_extra_args(ann.ENVOY_EXTRA_ARGS, value)
    assert info.value.problems[0].key == ann.ENVOY_EXTRA_ARGS


def test_envoy_extra_args_hash_inside_word_like_google_shlex() -> None:
    assert ann.envoy_extra_args(ann.ENVOY_EXTRA_ARGS, "--name a#b --x y") == [
        "--name", "a#b", "--x", "y"]


def test_envoy_extra_args_backslash_in_double_quotes_like_google_shlex() -> None:
    assert ann.envoy_extra_args(ann.ENVOY_EXTRA_ARGS, '"a\\xb"') == ["axb"]


# --- is_quantity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["100m", "0.5", ".5", "128Mi", "1Gi", "1Ki", "2Ti", "1Pi", "1Ei", "1k", "1M", "1G", "1T",
     "1P", "1E", "1e3", "1E3", "12e-3", "+1", "-1", "0", "250u", "10n"],
)
def test_is_quantity_accepts(value: str) -> None:
    assert gocompat.is_quantity(value)


@pytest.mark.parametrize(
    "value",
    ["", "abc", "Mi", "1ki", "1K", "1 m", " 1", "1m ", "1EiB", "1.5.5", "1e", "1mm", "1Mi1",
     "0x10", "invalid"],
)
def test_is_quantity_rejects(value: str) -> None:
    assert not gocompat.is_quantity(value)


# --- names ----------------------------------------------------------------------------------


def test_known_annotation_names() -> None:
    assert ann.INJECT == "consul.hashicorp.com/connect-inject"
    assert ann.UPSTREAMS == "consul.hashicorp.com/connect-service-upstreams"
    assert ann.INJECT in ann.KNOWN
    assert ann.UPSTREAMS in ann.KNOWN
    assert ann.P + "service-tags" in ann.KNOWN
    assert ann.P + "connect-injekt" not in ann.KNOWN
    assert all(k.startswith(ann.P) for k in ann.KNOWN)
