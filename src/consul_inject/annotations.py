"""Names of the `consul.hashicorp.com/*` annotations and labels, and their typed parsing.

Parsing keeps the Go semantics users rely on (strconv.ParseBool spellings, base-0 integers,
named ports, untrimmed comma lists); where consul-k8s accepts garbage, the checks in `inject`
refuse it with an AnnotationError instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from consul_inject.errors import AnnotationError

P = "consul.hashicorp.com/"

INJECT = P + "connect-inject"
INJECT_STATUS = P + "connect-inject-status"
SERVICE = P + "connect-service"
SERVICE_PORT = P + "connect-service-port"
UPSTREAMS = P + "connect-service-upstreams"
SERVICE_PROTOCOL = P + "connect-service-protocol"
SYNC_PERIOD = P + "connect-sync-period"
MOUNT_VOLUME = P + "connect-inject-mount-volume"
USER_VOLUME = P + "consul-sidecar-user-volume"
USER_VOLUME_MOUNT = P + "consul-sidecar-user-volume-mount"
SIDECAR_CPU_LIMIT = P + "sidecar-proxy-cpu-limit"
SIDECAR_CPU_REQUEST = P + "sidecar-proxy-cpu-request"
SIDECAR_MEMORY_LIMIT = P + "sidecar-proxy-memory-limit"
SIDECAR_MEMORY_REQUEST = P + "sidecar-proxy-memory-request"
CONSUL_SIDECAR_CPU_LIMIT = P + "consul-sidecar-cpu-limit"
CONSUL_SIDECAR_CPU_REQUEST = P + "consul-sidecar-cpu-request"
CONSUL_SIDECAR_MEMORY_LIMIT = P + "consul-sidecar-memory-limit"
CONSUL_SIDECAR_MEMORY_REQUEST = P + "consul-sidecar-memory-request"
ENVOY_CONCURRENCY = P + "consul-envoy-proxy-concurrency"
ENVOY_EXTRA_ARGS = P + "envoy-extra-args"
TPROXY = P + "transparent-proxy"
TPROXY_OVERWRITE_PROBES = P + "transparent-proxy-overwrite-probes"
TPROXY_EXCLUDE_INBOUND_PORTS = P + "transparent-proxy-exclude-inbound-ports"
TPROXY_EXCLUDE_OUTBOUND_PORTS = P + "transparent-proxy-exclude-outbound-ports"
TPROXY_EXCLUDE_OUTBOUND_CIDRS = P + "transparent-proxy-exclude-outbound-cidrs"
TPROXY_EXCLUDE_UIDS = P + "transparent-proxy-exclude-uids"
CONSUL_DNS = P + "consul-dns"
ENABLE_METRICS = P + "enable-metrics"
ENABLE_METRICS_MERGING = P + "enable-metrics-merging"
MERGED_METRICS_PORT = P + "merged-metrics-port"
PROMETHEUS_SCRAPE_PORT = P + "prometheus-scrape-port"
PROMETHEUS_SCRAPE_PATH = P + "prometheus-scrape-path"
SERVICE_METRICS_PORT = P + "service-metrics-port"
SERVICE_METRICS_PATH = P + "service-metrics-path"
PROMETHEUS_CA_FILE = P + "prometheus-ca-file"
PROMETHEUS_CA_PATH = P + "prometheus-ca-path"
PROMETHEUS_CERT_FILE = P + "prometheus-cert-file"
PROMETHEUS_KEY_FILE = P + "prometheus-key-file"
USE_PROXY_HEALTH_CHECK = P + "use-proxy-health-check"
KUBERNETES_SERVICE = P + "kubernetes-service"
ORIGINAL_POD = P + "original-pod"
TPROXY_STATUS = P + "transparent-proxy-status"
CONSUL_NAMESPACE = P + "consul-namespace"
REDIRECT_TRAFFIC_CONFIG = P + "redirect-traffic-config"

LABEL_INJECT_STATUS = P + "connect-inject-status"
LABEL_MANAGED_BY = P + "connect-inject-managed-by"
MANAGED_BY_VALUE = "consul-k8s-endpoints-controller"
INJECTED = "injected"

# Every annotation this injector reads; anything else under the prefix draws a typo warning.
KNOWN = frozenset(
    value for name, value in globals().items() if name.isupper() and isinstance(value, str)
    and value.startswith(P) and value != P
) | {P + "service-tags", P + "connect-service-tags", P + "service-ignore"}
META_PREFIX = P + "service-meta-"
# Helm 4 adds this to every document for the post-renderer's round trip and removes it after;
# it is not part of the pod that reaches the cluster.
HELM4_FILENAME = "postrenderer.helm.sh/postrender-filename"

GO_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
            "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
BOOL_FORM = 'expected one of "true", "false", "1", "0", "t", "f" (Go strconv.ParseBool)'

_GO_INT_RE = re.compile(
    r"^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)\Z"
)
_QUANTITY_RE = re.compile(
    r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?\Z"
)
QUANTITY_FORM = 'expected a Kubernetes quantity such as "100m", "0.5", "128Mi" or "1Gi"'


def parse_go_bool(value: str) -> bool:
    """strconv.ParseBool; raises ValueError with Go's message."""
    try:
        return GO_BOOLS[value]
    except KeyError:
        raise ValueError(f'strconv.ParseBool: parsing "{value}": invalid syntax') from None


def parse_go_int(text: str, bits: int = 32) -> int:
    """strconv.ParseInt(text, 0, bits): base prefixes, leading-0 octal, `_` between digits."""
    if not _GO_INT_RE.match(text):
        raise ValueError(f'strconv.ParseInt: parsing "{text}": invalid syntax')
    clean = text.replace("_", "")
    sign = -1 if clean.startswith("-") else 1
    digits = clean.lstrip("+-")
    if digits[:2].lower() in ("0x", "0o", "0b"):
        value = int(digits[2:], {"x": 16, "o": 8, "b": 2}[digits[1].lower()])
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits[1:], 8)
    else:
        value = int(digits)
    value *= sign
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        raise ValueError(f'strconv.ParseInt: parsing "{text}": value out of range')
    return value


def container_port_named(spec: Mapping[str, Any], name: str) -> int | None:
    for container in spec.get("containers") or []:
        for port in container.get("ports") or []:
            if port.get("name") == name and isinstance(port.get("containerPort"), int):
                return int(port["containerPort"])
    return None


def port_value(spec: Mapping[str, Any], raw: str) -> int:
    """consul-k8s portValue: a container port name (any container), else a base-0 integer."""
    text = raw.split(",", 1)[0]
    named = container_port_named(spec, text)
    if named is not None:
        return named
    return parse_go_int(text, 32)


def split_list(value: str) -> list[str]:
    """Go strings.Split(value, ","); an empty annotation is no list at all."""
    return value.split(",") if value != "" else []


def is_quantity(value: str) -> bool:
    return bool(_QUANTITY_RE.match(value))


_GO_SHORT_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r",
                     "\t": "\\t", "\v": "\\v", "\\": "\\\\", '"': '\\"'}


def go_quote(text: str) -> str:
    """Go strconv.Quote: short escapes, then \\x, \\u or \\U for what Go does not print."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in _GO_SHORT_ESCAPES:
            out.append(_GO_SHORT_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif code < 0x80:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def go_shlex(text: str) -> list[str]:
    """Split like github.com/google/shlex, which consul-k8s uses for envoy extra args.

    Unlike POSIX shells and Python's shlex: `#` starts a comment only at the start of a word, and
    inside double quotes a backslash escapes any character (it is dropped).
    """
    words: list[str] = []
    word: list[str] = []
    in_word = False
    state = "start"
    for ch in text:
        if state == "comment":
            state = "start" if ch == "\n" else "comment"
        elif state in ("escape", "dquote_escape"):
            word.append(ch)
            state = "word" if state == "escape" else "dquote"
        elif state == "dquote" and ch != '"':
            if ch == "\\":
                state = "dquote_escape"
            else:
                word.append(ch)
        elif state == "squote" and ch != "'":
            word.append(ch)
        elif state in ("dquote", "squote"):
            state = "word"  # the closing quote
        elif ch in " \t\r\n":
            if in_word:
                words.append("".join(word))
            word, in_word, state = [], False, "start"
        elif state == "start" and ch == "#":
            state = "comment"
        else:
            in_word = True
            state = {'"': "dquote", "'": "squote", "\\": "escape"}.get(ch, "word")
            if state == "word":
                word.append(ch)
    if state in ("escape", "dquote_escape"):
        raise ValueError("EOF found after escape character")
    if state in ("dquote", "squote"):
        raise ValueError("EOF found when expecting closing quote")
    if in_word:
        words.append("".join(word))
    return words


def envoy_extra_args(key: str, value: str) -> list[str]:
    """Split like google/shlex, then re-quote tokens with spaces as consul-k8s does."""
    try:
        tokens = go_shlex(value)
    except ValueError as err:
        raise AnnotationError(
            key, f"cannot split {value!r} into arguments: {err}",
            "expected shell-like words, for example --log-level debug",
        ) from None
    return [go_quote(t) if " " in t else t for t in tokens]


def get(annotations: Mapping[str, Any], key: str) -> str | None:
    value = annotations.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise AnnotationError(
            key, f"value {value!r} is a {type(value).__name__}, not a string",
            'annotation values must be quoted strings, for example "true" or "8080"',
        )
    return value


def get_bool(annotations: Mapping[str, Any], key: str, default: bool, *, empty_is_default: bool
             = False) -> bool:
    value = get(annotations, key)
    if value is None or (empty_is_default and value == ""):
        return default
    try:
        return parse_go_bool(value)
    except ValueError:
        raise AnnotationError(key, f'"{value}" is not a boolean', BOOL_FORM) from None
