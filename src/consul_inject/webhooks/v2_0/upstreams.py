"""`consul.hashicorp.com/connect-service-upstreams` under consul-k8s 2.0/1.9 (spec 3.6, 3.18).

Two readers read the annotation differently, and both matter: the webhook derives the
`<NAME>_CONNECT_SERVICE_HOST/_PORT` env vars (items split on `,`, space and newline; malformed
ones skipped), and the endpoints controller registers the proxy's upstreams (items split on `,`
and trimmed; a malformed one leaves the pod unregistered, seen only in the controller's log).
Here the controller's errors are refused up front, naming the item.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from consul_inject import podmeta
from consul_inject.problems import TemplateError
from consul_inject.webhooks.base import Upstream
from consul_inject.webhooks.v2_0.settings import Settings

FORMS = ("expected NAME[.NAMESPACE[.PARTITION]]:PORT[:DATACENTER][?OPTIONS], "
         "prepared_query:NAME:PORT or NAME.svc[.NS.ns][.X.peer|.X.ap|.X.dc]:PORT[:DEST-PORT]")
_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?\Z")
_SEPARATORS = re.compile(r"[, \n]+")
_OPTIONS = {
    "destination_port": "port", "destination-port": "port", "destinationPort": "port",
    "port": "port", "local_bind_address": "address", "local-bind-address": "address",
    "localBindAddress": "address", "mesh_gateway_mode": "mode", "mesh-gateway-mode": "mode",
    "meshGatewayMode": "mode", "datacenter": "dc", "dc": "dc",
}


def _fail(item: str, problem: str, accepted: str = FORMS) -> TemplateError:
    return TemplateError(podmeta.UPSTREAMS, f'item "{item}" {problem}', accepted)


def _go_port(spec: Mapping[str, Any], text: str) -> int:
    """PortValue with the error ignored, as the webhook's env-var code uses it: a number that
    overflows int32 comes back clamped."""
    try:
        return podmeta.port_value(spec, text)
    except ValueError:
        if re.match(r"^\+?[0-9_]+\Z", text.split(",", 1)[0]):
            return 2**31 - 1
        return 0


def env_vars(text: str, spec: Mapping[str, Any], dual_stack: bool) -> list[dict[str, str]]:
    """The env vars the webhook appends to every user container, in annotation order."""
    host = "::1" if dual_stack else "127.0.0.1"
    env: list[dict[str, str]] = []
    for item in _SEPARATORS.split(text):
        parts = item.split(":", 2)
        if len(parts) < 2:
            continue
        port = _go_port(spec, parts[1].strip())
        if port > 0:
            name = parts[0].strip().replace("-", "_").upper()
            env.append({"name": f"{name}_CONNECT_SERVICE_HOST", "value": host})
            env.append({"name": f"{name}_CONNECT_SERVICE_PORT", "value": str(port)})
    return env


def parse(text: str, spec: Mapping[str, Any], settings: Settings) -> list[Upstream]:
    """The upstreams the endpoints controller registers, or TemplateError for each item it
    would reject."""
    out: list[Upstream] = []
    errors: list[TemplateError] = []
    for item in text.split(","):
        try:
            out.append(_item(item.strip(), spec, settings))
        except TemplateError as err:
            errors.append(err)
    if errors:
        raise errors[0] if len(errors) == 1 else TemplateError.of(errors)
    return out


def _bind_port(spec: Mapping[str, Any], item: str, text: str) -> int:
    try:
        port = podmeta.port_value(spec, text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise _fail(item, f'has an invalid local bind port "{text}" (the endpoints controller: '
                    f'invalid upstream local bind port "{text}" in "{item}")')
    return port


def _options(item: str, text: str, settings: Settings) -> dict[str, str]:
    if settings.variant.version == "1.9":
        raise _fail(item, f'has options "{text}", which consul-k8s 1.9 does not read',
                    "expected NAME[.NAMESPACE[.PARTITION]]:PORT[:DATACENTER] under 1.9")
    from urllib.parse import parse_qsl  # 2 ms with ipaddress: only upstreams with options

    found: dict[str, str] = {}
    for key, value in parse_qsl(text.replace(";", "&"), keep_blank_values=True):
        if key not in _OPTIONS:
            raise _fail(item, f'has an unsupported option "{key}"')
        found[_OPTIONS[key]] = value
    if found.get("mode", "none") not in ("none", "local", "remote", ""):
        raise _fail(item, f'has an invalid mesh gateway mode "{found["mode"]}"',
                    "expected mesh_gateway_mode=none, local or remote")
    return found


def _item(item: str, spec: Mapping[str, Any], settings: Settings) -> Upstream:
    parts = item.split(":", 2)
    if len(parts) < 2:
        raise _fail(item, "is empty (a stray comma?)" if not item else "has no port")
    head, extra = parts[0].strip(), parts[2].strip() if len(parts) == 3 else ""
    if head == "prepared_query":
        if len(parts) < 3 or not _NAME_RE.match(parts[1].strip()):
            raise _fail(item, "is not prepared_query:NAME:PORT")
        port = _bind_port(spec, item, parts[2].strip())
        return Upstream(item, "prepared_query", parts[1].strip(), "", "", "", "", port)
    port = _bind_port(spec, item, parts[1].strip())
    nsp = settings.enable_namespaces or bool(settings.partition)
    pieces = head.split(".")
    dc = ""
    if len(pieces) > 1 and pieces[1] == "svc":
        name, ns, partition, peer, dc = _labeled(item, pieces, nsp)
        if extra and "=" in extra:
            dc = _options(item, extra, settings).get("dc", dc)
        elif extra and settings.variant.version == "1.9":
            raise _fail(item, "has a third part, which consul-k8s 1.9 does not read in the "
                        "labeled form")
    else:
        name, ns, partition = (([*head.split(".", 2), "", ""])[:3] if nsp else (head, "", ""))
        peer = ""
        if "?" in extra:
            dc, query = extra.split("?", 1)
            dc = _options(item, query, settings).get("dc", dc)
        elif "=" in extra:
            dc = _options(item, extra, settings).get("dc", "")
        else:
            dc = extra
    for part in (name, ns, partition, peer, dc):
        if part and not _NAME_RE.match(part):
            raise _fail(item, f'has an invalid name part "{part}"')
    if not name:
        raise _fail(item, "has no service name")
    return Upstream(item, "service", name, ns, partition, peer, dc, port,
                    head.replace("-", "_").upper())


def _labeled(item: str, pieces: list[str], nsp: bool) -> tuple[str, str, str, str, str]:
    """`name.svc[.ns.ns][.x.peer|.x.ap|.x.dc]` with the controller's piece-count rules."""
    counts, labels = ((2, 4, 6), ("peer", "ap", "dc")) if nsp else ((2, 4), ("peer", "dc"))
    if len(pieces) not in counts or (nsp and len(pieces) >= 4 and pieces[3] != "ns"):
        raise _fail(item, "is structured incorrectly (the endpoints controller: upstream "
                    f"structured incorrectly: {item})",
                    "expected NAME.svc[.NS.ns[.X.peer|.X.ap|.X.dc]]:PORT" if nsp else
                    "expected NAME.svc[.X.peer|.X.dc]:PORT (.ns and .ap need Consul namespaces "
                    "or partitions)")
    ns = pieces[2] if nsp and len(pieces) >= 4 else ""
    tail = pieces[4:] if nsp else pieces[2:]
    peer = partition = dc = ""
    if tail:
        value, label = tail
        if label not in labels:
            raise _fail(item, f'has unknown label ".{label}" (allowed here: '
                        + ", ".join("." + x for x in labels) + ")")
        peer, partition, dc = (value if label == x else "" for x in ("peer", "ap", "dc"))
    return pieces[0], ns, partition, peer, dc


