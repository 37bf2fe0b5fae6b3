"""The index of a whole release: the Services, ServiceAccounts, token Secrets and Namespaces of
every input of a run, which the per-pod checks look up. Built once, before any pod is injected;
never mutated by injection (created accounts are added explicitly).
"""

from collections.abc import Mapping
from typing import Any, NamedTuple

import yaml

from consul_inject import gocompat, workloads, yamlcodec
from consul_inject.problems import ConsulInjectError

# The endpoints controller of every consul-k8s version skips Services with this label.
IGNORE_LABEL = "consul.hashicorp.com/service-ignore"
TOKEN_TYPE = "kubernetes.io/service-account-token"
SA_NAME_ANNOTATION = "kubernetes.io/service-account.name"
# The consul-connect-inject chart renders its values into a ConfigMap with this label, under
# data.values.yaml; the post-renderer takes its settings from there (under -f and --set).
SETTINGS_LABEL = "consul-inject.io/settings"
SETTINGS_KEY = "values.yaml"


class KubeService(NamedTuple):
    name: str
    namespace: str
    selector: Mapping[str, str]
    ports: tuple[tuple[Any, Any], ...]  # (port, targetPort or port): a release can hold 25,000
    ignored: bool

    def selects(self, labels: Mapping[str, Any]) -> bool:
        return bool(self.selector) and all(labels.get(k) == v for k, v in self.selector.items())


class ReleaseIndex:
    __slots__ = ("accounts", "by_name", "by_selector", "namespace_annotations",
                 "namespace_labels", "no_automount", "services", "token_secrets")

    def __init__(self) -> None:
        self.services: list[KubeService] = []
        # (namespace, label key, label value) of one selector item -> (position in `services`,
        # service), so that matching a pod costs a lookup per label, not a scan of every
        # Service in a 10,000-document release.
        self.by_selector: dict[tuple[str, str, str], list[tuple[int, KubeService]]] = {}
        self.by_name: dict[tuple[str, str], KubeService] = {}
        self.accounts: dict[tuple[str, str], list[str]] = {}  # -> secret names
        self.token_secrets: set[tuple[str, str]] = set()  # (ns, name) of token Secrets
        self.no_automount: set[tuple[str, str]] = set()  # ServiceAccounts opting out
        # Namespace name -> its labels, which the webhook would read from the API server.
        self.namespace_labels: dict[str, dict[str, str]] = {}
        # ... and its annotations (OpenShift's UID ranges).
        self.namespace_annotations: dict[str, dict[str, str]] = {}

    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__slots__)

    def add(self, res: Mapping[str, Any], default_namespace: str) -> None:
        kind, meta = res.get("kind"), res.get("metadata")
        if workloads.api_group(res.get("apiVersion")) != "" or not isinstance(meta, dict):
            return
        name, ns = meta.get("name"), meta.get("namespace") or default_namespace
        if not isinstance(name, str) or not isinstance(ns, str):
            return
        labels: dict[str, Any] = meta["labels"] if isinstance(meta.get("labels"), dict) else {}
        spec: dict[str, Any] = res["spec"] if isinstance(res.get("spec"), dict) else {}
        if kind == "Service":
            selector: dict[str, Any] = spec["selector"] if isinstance(spec.get("selector"), dict) \
                else {}
            ports = tuple((p.get("port"), p.get("targetPort", p.get("port")))
                          for p in spec.get("ports") or [] if isinstance(p, dict))
            ignored = gocompat.BOOLS.get(str(labels.get(IGNORE_LABEL, "")), False)  # isLabeledIgnore
            service = KubeService(name, ns, {str(k): str(v) for k, v in selector.items()}, ports,
                                  ignored)
            self.services.append(service)
            self.by_name.setdefault((ns, name), service)
            if service.selector:
                key, value = next(iter(service.selector.items()))
                self.by_selector.setdefault((ns, key, value), []).append(
                    (len(self.services) - 1, service))
        elif kind == "ServiceAccount":
            secrets = [s.get("name") for s in res.get("secrets") or [] if isinstance(s, dict)]
            self.accounts[(ns, name)] = [s for s in secrets if isinstance(s, str)]
            if res.get("automountServiceAccountToken") is False:
                self.no_automount.add((ns, name))
        elif kind == "Secret" and res.get("type") == TOKEN_TYPE:
            self.token_secrets.add((ns, name))
        elif kind == "Namespace":
            self.namespace_labels[name] = {str(k): str(v) for k, v in labels.items()}
            found = meta.get("annotations")
            self.namespace_annotations[name] = {str(k): str(v) for k, v in found.items()} \
                if isinstance(found, dict) else {}

    def labels_of(self, namespace: str) -> Mapping[str, str]:
        return self.namespace_labels.get(namespace, {})

    def annotations_of(self, namespace: str) -> Mapping[str, str] | None:
        """The Namespace's annotations; None when the release has no such Namespace object."""
        return self.namespace_annotations.get(namespace)

    def selecting(self, namespace: str, labels: Mapping[str, Any]) -> list[KubeService]:
        """Services of `namespace` whose selector matches `labels`, in stream order (two equal
        Services, the same one rendered twice, are two)."""
        found: dict[int, KubeService] = {}
        for key, value in labels.items():
            for position, service in self.by_selector.get((namespace, str(key), str(value)), ()):
                if service.selects(labels):
                    found[position] = service
        return [found[position] for position in sorted(found)]

    def secret_for(self, namespace: str, account: str) -> str:
        """The token Secret the webhook would mount for a multi-port service's account."""
        secrets = self.accounts.get((namespace, account)) or []
        return secrets[0] if secrets else account


def account_documents(name: str, namespace: str) -> list[dict[str, Any]]:
    """The ServiceAccount and token Secret a multi-port service needs (Kubernetes 1.24+)."""
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": dict(meta)},
        {"apiVersion": "v1", "kind": "Secret",
         "metadata": {**meta, "annotations": {SA_NAME_ANNOTATION: name}}, "type": TOKEN_TYPE},
    ]


def settings_values(resources_: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The values in the chart's settings ConfigMap found among the stream's resources, or None.
    Several such ConfigMaps must agree; a bad one is a ConsulInjectError naming it."""
    found: list[tuple[str, dict[str, Any]]] = []
    for res in resources_:
        if not (isinstance(res, dict) and res.get("kind") == "ConfigMap"
                and res.get("apiVersion") == "v1"):
            continue
        meta: dict[str, Any] = res["metadata"] if isinstance(res.get("metadata"), dict) else {}
        labels: dict[str, Any] = meta["labels"] if isinstance(meta.get("labels"), dict) else {}
        if str(labels.get(SETTINGS_LABEL)) != "true":
            continue
        name = f'configmap "{meta.get("name")}"'
        data: dict[str, Any] = res["data"] if isinstance(res.get("data"), dict) else {}
        text = data.get(SETTINGS_KEY)
        if not isinstance(text, str):
            raise ConsulInjectError(f'{name}: has label {SETTINGS_LABEL}: "true" but no '
                                    f"data.{SETTINGS_KEY}")
        try:
            tree = yamlcodec.load(text)
        except yaml.YAMLError as err:
            raise ConsulInjectError(f"{name}: data.{SETTINGS_KEY} is not valid YAML: "
                                    f"{err}") from None
        if tree is None:
            tree = {}
        if not isinstance(tree, dict):
            raise ConsulInjectError(f"{name}: data.{SETTINGS_KEY} must be a map of values")
        found.append((name, tree))
    if not found:
        return None
    first_name, first = found[0]
    for name, tree in found[1:]:
        if tree != first:
            raise ConsulInjectError(f"{first_name} and {name} hold different consul-inject "
                                    "settings; render one consul-connect-inject chart per release")
    return first
