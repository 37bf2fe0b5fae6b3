"""Webhook rules that consul-k8s kept unchanged from 0.49 to 2.0, in one place for every version:
the namespace selector, Namespace-label booleans, the chart's `consul.fullname`, the Consul
namespace of a pod, and the Envoy extra-args split."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Protocol

from consul_inject import gocompat, podmeta, workloads, yamlcodec
from consul_inject.problems import TemplateError
from consul_inject.values.tree import value_at
from consul_inject.webhooks.base import Decision

# The API server refuses an object whose annotations total more than this many bytes
# (ValidateAnnotationsSize: the sum of len(key) + len(value) of every annotation).
ANNOTATIONS_LIMIT = 256 * 1024


@lru_cache(maxsize=8)
def _selector(text: str) -> dict[str, Any]:
    """The parsed selector; the values check made sure it is one (consul_inject.values.selector)."""
    data = yamlcodec.load(text) if text.strip() else None
    return data if isinstance(data, dict) else {}


def selector_matches(selector_text: str, labels: Mapping[str, str]) -> bool:
    """Kubernetes LabelSelector semantics (matchLabels AND every matchExpression)."""
    selector = _selector(selector_text)
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for expr in selector.get("matchExpressions") or []:
        key = str(expr.get("key"))
        operator = expr.get("operator")
        values = [str(v) for v in expr.get("values") or []]
        present = key in labels
        if operator == "In":
            ok = present and labels[key] in values
        elif operator == "NotIn":
            ok = not present or labels[key] not in values
        elif operator == "Exists":
            ok = present
        elif operator == "DoesNotExist":
            ok = not present
        else:  # consul_inject.values refuses such values before settings are made
            raise ValueError(f"namespaceSelector operator {operator!r} was not checked")
        if not ok:
            return False
    return True


def label_bool(labels: Mapping[str, str], key: str, default: bool, namespace: str) -> bool:
    """A boolean Namespace label (transparent-proxy, consul-dns) with Go's ParseBool."""
    value = labels.get(key)
    if value is None:
        return default
    try:
        return gocompat.parse_bool(str(value))
    except ValueError:
        raise TemplateError(
            key, f'label on Namespace "{namespace}" is "{value}", not a boolean', gocompat.BOOL_FORM
        ) from None


def consul_fullname(values: Mapping[str, Any], release: str) -> str:
    """The chart's `consul.fullname` helper: fullnameOverride, else global.name, else
    `<release>-<nameOverride or consul>` (no shortening when the release contains the name)."""
    def text(path: str) -> str:
        value = value_at(values, path)
        return "" if value is None else str(value)

    name = (text("fullnameOverride") or text("global.name")
            or f"{release}-{text('nameOverride') or 'consul'}")
    return name[:63].rstrip("-")


def consul_namespace(enabled: bool, mirroring: bool, prefix: str, destination: str,
                     k8s_namespace: str) -> str:
    """The Consul namespace a pod registers in; "" without Consul namespaces."""
    if not enabled:
        return ""
    if mirroring:
        return prefix + k8s_namespace
    return destination


def envoy_extra_args(key: str, value: str) -> list[str]:
    """Split like google/shlex, then re-quote tokens with spaces as consul-k8s does."""
    try:
        tokens = gocompat.shlex_split(value)
    except ValueError as err:
        raise TemplateError(
            key, f"cannot split {value!r} into arguments: {err}",
            "expected shell-like words, for example --log-level debug",
        ) from None
    return [gocompat.quote(t) if " " in t else t for t in tokens]


def original_pod(template: Mapping[str, Any], *, null_timestamp: bool = False) -> str:
    """The `original-pod` annotation: the template as the Pod JSON the webhook received (1.9
    writes a null creationTimestamp, 0.49 and 2.0 omit it)."""
    meta = dict(template.get("metadata") or {})
    if workloads.HELM4_FILENAME in (meta.get("annotations") or {}):
        meta["annotations"] = {k: v for k, v in meta["annotations"].items()
                               if k != workloads.HELM4_FILENAME}
    if null_timestamp:
        keys = [k for k in ("name", "generateName", "namespace") if k in meta]
        meta = {**{k: meta[k] for k in keys}, "creationTimestamp": None,
                **{k: v for k, v in meta.items() if k not in keys}}
    return gocompat.json_compact({"metadata": meta, "spec": template.get("spec") or {}, "status": {}})


def check_host_network(spec: Mapping[str, Any], tproxy: bool, cni: bool) -> None:
    """Transparent proxy without CNI runs a privileged init container that rewrites the pod's
    iptables: with hostNetwork those are the node's own, for every pod and process on it."""
    if spec.get("hostNetwork") is True and tproxy and not cni:
        raise TemplateError(
            "spec.hostNetwork", "is true and transparent proxy is on, so the privileged init "
            "container would redirect the traffic of the whole node it runs on (its iptables)",
            f'set {podmeta.TPROXY}: "false" on the pod template, or {podmeta.INJECT}: "false" to leave '
            "it out of the mesh")


def check_names(before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Kubernetes refuses a pod with two volumes, or two containers (init containers included),
    of one name: refuse a name that injection adds when the pod already has it."""
    for what, keys in (("volume", ("volumes",)), ("container", ("initContainers", "containers"))):
        old = Counter(x.get("name") for k in keys for x in before.get(k) or []
                      if isinstance(x, dict))
        new = Counter(x.get("name") for k in keys for x in after.get(k) or [])
        for name, count in new.items():
            if count > 1 and count > old[name]:
                raise TemplateError(f'{what} "{name}"', f"is already in the pod, and injection "
                                    f"adds a {what} of that name; Kubernetes refuses two",
                                    f"rename the pod's {what}")


def _size(key: str, value: Any) -> int:
    return len(key.encode()) + len(str(value).encode())


def check_annotations_size(before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
    """Refuse a pod the API server would refuse: annotations over 256 KiB once injected. The
    original-pod annotation copies the whole template, its annotations included, so each of them
    counts about twice: the one to shorten is the user's largest, unless the rest of the template
    is what makes the copy large. (Helm 4 removes its filename annotation before applying.)"""
    total = sum(_size(k, v) for k, v in after.items() if k != workloads.HELM4_FILENAME)
    if total <= ANNOTATIONS_LIMIT:
        return
    what = (f"the pod's annotations after injection: {total} bytes, over the "
            f"{ANNOTATIONS_LIMIT} bytes (256 KiB) Kubernetes accepts")
    own = {k: _size(k, v) for k, v in before.items()
           if k not in (podmeta.ORIGINAL_POD, workloads.HELM4_FILENAME)}
    largest = max(own, key=own.__getitem__, default="")
    copy = _size(podmeta.ORIGINAL_POD, after[podmeta.ORIGINAL_POD])
    if largest and 2 * own[largest] >= copy:
        raise TemplateError(largest, f"{what}; this one is {own[largest]} bytes, and injection "
                            f"copies it into {podmeta.ORIGINAL_POD}",
                            "shorten it; once injected, each annotation counts about twice")
    raise TemplateError(podmeta.ORIGINAL_POD, f"{what}; this one, the pod template as JSON, is "
                        f"{copy} bytes", "make the pod template smaller (long env values, "
                        "commands, args or annotations)")

class Gates(Protocol):
    """The settings the inject decision reads (each version's Settings has them)."""

    @property
    def enabled(self) -> bool: ...
    @property
    def namespace_selector(self) -> str: ...
    @property
    def consul_app_name(self) -> str: ...
    @property
    def deny_namespaces(self) -> tuple[str, ...]: ...
    @property
    def allow_namespaces(self) -> tuple[str, ...]: ...
    @property
    def require_annotation(self) -> bool: ...


def webhook_gates(settings: Gates, meta: Mapping[str, Any], namespace: str,
                  namespace_labels: Mapping[str, str]) -> Decision | None:
    """What keeps a pod from reaching the webhook at all: the injector is off, the chart's
    namespaceSelector, its objectSelector (label app is the chart's name). None: it reaches it."""
    if not settings.enabled:
        return Decision(False, "connectInject.enabled is false")
    labels = {"kubernetes.io/metadata.name": namespace, **namespace_labels}
    if not selector_matches(settings.namespace_selector, labels):
        return Decision(False, f'namespace "{namespace}" is outside connectInject.namespaceSelector')
    if (meta.get("labels") or {}).get("app") == settings.consul_app_name:
        return Decision(
            False, f'label app is "{settings.consul_app_name}" (the Consul chart\'s own pods)')
    return None


def should_inject(settings: Gates, annotations: Mapping[str, Any], namespace: str) -> Decision:
    """consul-k8s `shouldInject`, after the webhook's own selectors: kube-system/kube-public,
    deny list, allow list, already injected, the annotation, the default."""
    if namespace in ("kube-system", "kube-public"):
        return Decision(False, f'namespace "{namespace}" is never injected')
    if namespace in settings.deny_namespaces:
        return Decision(False, f'namespace "{namespace}" is in connectInject.k8sDenyNamespaces')
    if "*" not in settings.allow_namespaces and namespace not in settings.allow_namespaces:
        return Decision(False, f'namespace "{namespace}" is not in connectInject.k8sAllowNamespaces')
    status = annotations.get(podmeta.INJECT_STATUS)
    if status not in (None, ""):
        return Decision(False, f'already injected ({podmeta.INJECT_STATUS} is "{status}")')
    value = podmeta.get(annotations, podmeta.INJECT)
    if value is not None:
        if podmeta.get_bool(annotations, podmeta.INJECT, False):
            return Decision(True, f'{podmeta.INJECT} is "{value}"')
        return Decision(False, f'{podmeta.INJECT} is "{value}"')
    if settings.require_annotation:
        return Decision(False, f"no {podmeta.INJECT} annotation and connectInject.default is false")
    return Decision(True, "connectInject.default is true")


_EXCLUSIONS = {
    "port": (re.compile(r"^[0-9]{1,5}\Z"),
             'expected a comma list of port numbers such as "8080,9090" (no spaces)'),
    "uid": (re.compile(r"^[0-9]{1,10}\Z"),
            'expected a comma list of numeric user IDs such as "5996,1000"'),
}


def check_exclusions(key: str, items: tuple[str, ...], kind: str) -> tuple[str, ...]:
    """The items of a transparent-proxy exclusion annotation, each a port, an IP or CIDR, or a
    user ID: iptables rejects anything else only once the pod starts, and 0.49's init script
    would run it as shell text."""
    for item in items:
        if kind == "cidr":
            if not gocompat.is_ip_or_cidr(item):
                raise TemplateError(key, f'item "{item}" is not an IP address or CIDR',
                                    'expected a comma list such as "10.0.0.0/8,192.168.1.1"')
            continue
        pattern, form = _EXCLUSIONS[kind]
        if not pattern.match(item):
            raise TemplateError(key, f'item "{item}" is not valid', form)
        if kind == "port" and not 1 <= int(item) <= 65535:
            raise TemplateError(key, f'item "{item}" is outside 1-65535')
    return items


SA_TOKEN_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


def app_token_mount(spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """The app containers' ServiceAccount token mount; the last container's wins, as in
    consul-k8s (its ACL login copies it into the injected containers)."""
    found = None
    for container in spec.get("containers") or []:
        for mount in container.get("volumeMounts") or []:
            if isinstance(mount, dict) and mount.get("mountPath") == SA_TOKEN_DIR:
                found = mount
    return found


def json_list(annotations: Mapping[str, Any], key: str, what: str) -> tuple[dict[str, Any], ...]:
    """A JSON array of named Kubernetes objects (the user-volume annotations)."""
    value = podmeta.get(annotations, key)
    if value is None:
        return ()
    form = f'expected a JSON array of Kubernetes {what} objects, each with a "name"'
    try:
        data = json.loads(value)
    except ValueError as err:
        raise TemplateError(key, f"invalid JSON: {err}", form) from None
    if not isinstance(data, list) or not all(
            isinstance(x, dict) and isinstance(x.get("name"), str) and x["name"] for x in data):
        raise TemplateError(key, "is not a list of objects with a name", form)
    return tuple(data)


def connect_services(annotations: Mapping[str, Any], limit: int,
                     container: str) -> tuple[tuple[str, ...], str]:
    """The connect-service items (several: a multi-port pod) and the raw annotation. The names
    reach the init script's shell words, and a multi-port pod's name its containers
    (`<container>-<service>`, at most 63 characters): `limit` is what that leaves."""
    raw = podmeta.get(annotations, podmeta.SERVICE) or ""
    services = tuple(podmeta.split_list(raw))
    for svc in services:
        if not gocompat.SAFE_NAME_RE.match(svc):
            raise TemplateError(podmeta.SERVICE, f'service name "{svc}" is not valid',
                                "expected letters, digits, '-', '.' and '_' (no spaces or empty "
                                'items), and a comma list such as "web,web-admin" for several ports')
    if len(services) > 1:
        for svc in services:
            if not gocompat.is_dns_label(svc, limit):
                raise TemplateError(podmeta.SERVICE, f'service "{svc}" of a multi-port pod names '
                                    f"containers ({container}-<service>), so it must be a DNS "
                                    f"label of at most {limit} characters",
                                    "lower-case letters, digits and '-'")
    return services, raw


def mark_injected(meta: dict[str, Any], *, tproxy: bool, prometheus: tuple[str, str] | None,
                  consul_namespace: str) -> None:
    """The annotations and labels every version writes to say a pod is injected, and how:
    the status, transparent proxy, Prometheus (`(port, path)` when metrics are on), the two
    labels the endpoints controller looks for, and the Consul namespace."""
    annotations: dict[str, Any] = meta["annotations"]
    annotations[podmeta.INJECT_STATUS] = podmeta.INJECTED
    if tproxy:
        annotations[podmeta.TPROXY_STATUS] = "enabled"
    if prometheus is not None:
        annotations["prometheus.io/scrape"] = "true"
        annotations["prometheus.io/port"], annotations["prometheus.io/path"] = prometheus
    labels = meta.get("labels") or {}
    meta["labels"] = labels
    labels[podmeta.LABEL_INJECT_STATUS] = podmeta.INJECTED
    labels[podmeta.LABEL_MANAGED_BY] = podmeta.MANAGED_BY_VALUE
    if consul_namespace:
        annotations[podmeta.CONSUL_NAMESPACE] = consul_namespace
