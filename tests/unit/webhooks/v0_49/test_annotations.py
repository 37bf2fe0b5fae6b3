"""The v0.49 webhook's annotations table: its names, the typed reads it shares with every
version (podmeta, re-exported), and envoy-extra-args split as consul-k8s splits it."""

from __future__ import annotations

import pytest

from consul_inject import podmeta
from consul_inject.problems import TemplateError
from consul_inject.webhooks.v0_49 import annotations as ann

SHARED = ("P", "INJECT", "INJECT_STATUS", "SERVICE", "SERVICE_PORT", "UPSTREAMS",
          "KUBERNETES_SERVICE", "ORIGINAL_POD", "META_PREFIX", "LABEL_INJECT_STATUS",
          "LABEL_MANAGED_BY", "MANAGED_BY_VALUE", "INJECTED", "container_port_named", "port_value",
          "split_list", "get", "get_bool")


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


# --- names ----------------------------------------------------------------------------------


def test_known_annotation_names() -> None:
    assert ann.INJECT == "consul.hashicorp.com/connect-inject"
    assert ann.UPSTREAMS == "consul.hashicorp.com/connect-service-upstreams"
    assert ann.INJECT in ann.KNOWN
    assert ann.UPSTREAMS in ann.KNOWN
    assert ann.P + "service-tags" in ann.KNOWN
    assert ann.P + "connect-injekt" not in ann.KNOWN
    assert all(k.startswith(ann.P) for k in ann.KNOWN)


def test_shared_names_and_reads_are_podmeta_s() -> None:
    """`ann.X` is the same object whichever table defines it."""
    for name in SHARED:
        assert getattr(ann, name) is getattr(podmeta, name), name


def test_known_holds_every_annotation_of_the_table() -> None:
    table = {v for k, v in vars(ann).items() if k.isupper() and isinstance(v, str)
             and v.startswith(ann.P) and v != ann.P}
    assert table <= ann.KNOWN
    for name in (ann.SERVICE, ann.SERVICE_PORT, ann.ORIGINAL_POD, ann.KUBERNETES_SERVICE,
                 ann.TPROXY, ann.ENVOY_EXTRA_ARGS, ann.REDIRECT_TRAFFIC_CONFIG):
        assert name in ann.KNOWN, name
    assert ann.P + "connect-service-tags" in ann.KNOWN
    assert ann.P + "service-ignore" in ann.KNOWN
