"""Parse `consul.hashicorp.com/connect-service-upstreams` (spec sections 3.6 and 4.4).

consul-k8s panics on an item without a port and silently drops items whose port does not
resolve; here each malformed item gets its own error naming the item and the accepted forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from consul_inject.problems import TemplateError
from consul_inject.webhooks.base import Upstream
from consul_inject.webhooks.v0_49 import annotations as ann

FORMS = (
    "expected NAME[.NAMESPACE[.PARTITION]]:PORT[:DATACENTER], prepared_query:NAME:PORT or "
    "NAME.svc[.NS.ns][.X.peer|.X.ap|.X.dc]:PORT"
)
_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?\Z")
_LABEL_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?\Z")  # namespace, partition


def _fail(item: str, problem: str, accepted: str = FORMS) -> TemplateError:
    return TemplateError(ann.UPSTREAMS, f'item "{item}" {problem}', accepted)


def _port(spec: Mapping[str, Any], item: str, text: str) -> int:
    try:
        port = ann.port_value(spec, text)
    except ValueError:
        raise _fail(item, f'has port "{text}", which is neither a number nor a named container '
                    "port of the pod") from None
    if not 1 <= port <= 65535:
        raise _fail(item, f"has port {port}, outside 1-65535")
    return port


def _labeled(item: str, head: str, namespaces_or_partitions: bool) -> tuple[str, str, str, str, str]:
    """`name.svc[.ns.ns][.x.peer|.x.ap|.x.dc]` with consul-k8s's piece-count rules."""
    pieces = [p.strip() for p in head.split(".")]
    ns = partition = peer = dc = ""
    tail: list[str] = []
    labels: tuple[str, ...]
    if namespaces_or_partitions:
        if len(pieces) not in (2, 4, 6) or (len(pieces) >= 4 and pieces[3] != "ns"):
            raise _fail(item, "is structured incorrectly",
                        "expected NAME.svc[.NS.ns[.X.peer|.X.ap|.X.dc]]:PORT")
        if len(pieces) >= 4:
            ns = pieces[2]
        tail = pieces[4:]
        labels = ("peer", "ap", "dc")
    else:
        if len(pieces) not in (2, 4):
            raise _fail(item, "is structured incorrectly",
                        "expected NAME.svc[.X.peer|.X.dc]:PORT (.ns and .ap need Consul namespaces "
                        "or partitions)")
        tail = pieces[2:]
        labels = ("peer", "dc")
    if tail:
        value, label = tail
        if label not in labels:
            raise _fail(item, f'has unknown label ".{label}" (allowed here: '
                        + ", ".join("." + x for x in labels) + ")")
        peer, partition, dc = (value if label == x else "" for x in ("peer", "ap", "dc"))
    for part in (pieces[0], ns, partition, peer, dc):
        if (part and not _NAME_RE.match(part)) or (part is pieces[0] and not part):
            raise _fail(item, f'has an invalid name part "{part}"')
    return pieces[0], ns, partition, peer, dc


def parse(
    value: str, spec: Mapping[str, Any], *, namespaces: bool, partitions: bool
) -> list[Upstream]:
    """Every item, or an TemplateError.of naming each malformed one."""
    out: list[Upstream] = []
    errors: list[TemplateError] = []
    for item in value.split(","):
        try:
            out.append(_parse_item(item, spec, namespaces=namespaces, partitions=partitions))
        except TemplateError as err:
            errors.append(err)
    if errors:
        raise errors[0] if len(errors) == 1 else TemplateError.of(errors)
    return out


def _parse_item(
    item: str, spec: Mapping[str, Any], *, namespaces: bool, partitions: bool
) -> Upstream:
    parts = item.split(":", 2)
    if len(parts) < 2:
        if not item.strip():
            raise _fail(item, "is empty (a stray comma?)")
        raise _fail(item, "has no port")
    head = parts[0].strip()
    env_name = head.replace("-", "_").upper()
    if head == "prepared_query":
        if len(parts) < 3 or not _NAME_RE.match(parts[1].strip()):
            raise _fail(item, "is not prepared_query:NAME:PORT")
        port = _port(spec, item, parts[2].strip())
        return Upstream(item, "prepared_query", parts[1].strip(), "", "", "", "", port)
    port = _port(spec, item, parts[1].strip())
    dc = parts[2].strip() if len(parts) == 3 else ""
    pieces = head.split(".")
    if len(pieces) > 1 and pieces[1] == "svc":
        if dc:
            raise _fail(item, "mixes the labeled form with a :DATACENTER suffix")
        name, ns, partition, peer, dc = _labeled(item, head, namespaces or partitions)
    elif namespaces or partitions:
        split = [*head.split(".", 2), "", ""]
        name, ns, partition, peer = split[0], split[1], split[2], ""
        for part in (ns, partition):
            if part and not _LABEL_RE.match(part):
                raise _fail(item, f'has an invalid name part "{part}"')
    else:
        name, ns, partition, peer = head, "", "", ""
    if not _NAME_RE.match(name):
        raise _fail(item, f'has an invalid service name "{name}"')
    if dc and not _NAME_RE.match(dc):
        raise _fail(item, f'has an invalid datacenter "{dc}"')
    return Upstream(item, "service", name, ns, partition, peer, dc, port, env_name)


def env_vars(upstreams: list[Upstream], spec: Mapping[str, Any]) -> list[dict[str, str]]:
    """The `<NAME>_CONNECT_SERVICE_HOST/_PORT` pairs, in annotation order (spec 3.6)."""
    env: list[dict[str, str]] = []
    for up in upstreams:
        if up.kind == "prepared_query":
            # The webhook reads parts[1] (the query name) as the port: a var only appears when
            # the name is a number or a container port happens to carry that name.
            try:
                port = ann.port_value(spec, up.name)
            except ValueError:
                continue
            if port <= 0:
                continue
            prefix = "PREPARED_QUERY"
        else:
            port, prefix = up.port, up.env_name
        env.append({"name": f"{prefix}_CONNECT_SERVICE_HOST", "value": "127.0.0.1"})
        env.append({"name": f"{prefix}_CONNECT_SERVICE_PORT", "value": str(port)})
    return env
