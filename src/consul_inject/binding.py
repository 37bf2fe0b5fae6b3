"""What the consul-k8s endpoints controller will register for an injected pod, checked against
the Services, ServiceAccounts and Secrets of the whole release.

The controller's rules (which Service registers a pod, multi-port pods, ACL login names) are the
same for every webhook version; what differs (the ports the sidecar binds, whether ACL login is
on) comes with the Injection. The webhook sees one pod; these mistakes only surface later, as
pods stuck in init for two minutes. The post-renderer sees the whole release and can name them
at render time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject import podmeta as ann
from consul_inject import release, workloads
from consul_inject.problems import TemplateError
from consul_inject.release import KubeService, ReleaseIndex
from consul_inject.webhooks.base import Binding, Injection, Settings

# Labels that change with every upgrade or rollout, or that controllers add to each pod: a
# Service selecting by them stops selecting the pods, or selects only some.
_UNSTABLE_LABELS = frozenset({
    "helm.sh/chart", "chart", "heritage", "app.kubernetes.io/version", "version",
    "app.kubernetes.io/managed-by", "pod-template-hash", "controller-revision-hash",
    "rollouts-pod-template-hash", "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index", "controller-uid", "batch.kubernetes.io/controller-uid",
    "job-name", "batch.kubernetes.io/job-name", "service.istio.io/canonical-revision",
    "skaffold.dev/run-id",
})


def _stable_selector(labels: Mapping[str, Any], selector: Mapping[str, Any] | None) -> str:
    """The selector to suggest: the workload's own (it selects exactly its pods, and cannot
    change), else the pod's labels, without the ones that change or that Consul reads."""
    chosen = selector if selector and all(labels.get(k) == v for k, v in selector.items()) \
        else labels
    return ", ".join(f"{k}: {v}" for k, v in chosen.items()
                     if str(k) not in _UNSTABLE_LABELS and not str(k).startswith(ann.P))


def _suggested_ports(spec: Mapping[str, Any]) -> str:
    """A Service port per port the app's containers declare, named as they are."""
    found = [port for container in spec.get("containers") or []
             for port in container.get("ports") or [] if isinstance(port.get("containerPort"), int)]
    items = []
    for port in found:
        number, name = port["containerPort"], port.get("name")
        target = name if isinstance(name, str) else number
        # A Service with several ports needs a name on each.
        named = f"name: {name}, " if isinstance(name, str) else \
            (f"name: port-{number}, " if len(found) > 1 else "")
        protocol = port.get("protocol")
        extra = f", protocol: {protocol}" if protocol not in (None, "TCP") else ""
        items.append(f"{{{named}port: {number}, targetPort: {target}{extra}}}")
    return ", ".join(items) or "{port: 80, targetPort: <the app's port>}"


def _service_yaml(name: str, selector: str, ports: str) -> str:
    return (f"add a Service, e.g. {{apiVersion: v1, kind: Service, metadata: {{name: {name}}}, "
            f"spec: {{selector: {{{selector or 'app: <label>'}}}, ports: [{ports}]}}}}")


def _pod_ports(spec: Mapping[str, Any]) -> tuple[set[int], set[str]]:
    numbers: set[int] = set()
    names: set[str] = set()
    for container in spec.get("containers") or []:
        for port in container.get("ports") or []:
            if isinstance(port.get("containerPort"), int):
                numbers.add(port["containerPort"])
            if isinstance(port.get("name"), str):
                names.add(port["name"])
    return numbers, names


def _check_target_ports(service: KubeService, spec: Mapping[str, Any], binding: Binding) -> None:
    numbers, names = _pod_ports(spec)
    for port_number, target in service.ports:
        if (isinstance(target, int) and target not in numbers) or (
            isinstance(target, str) and target not in names
        ):
            binding.warnings.append(
                f'Service "{service.name}" port {port_number} targets "{target}", which no '
                "container of the pod exposes; Consul registers the pod but traffic to that "
                "port goes nowhere")


def _missing_service_hint(template: Mapping[str, Any], fallback: str,
                          selector: Mapping[str, Any] | None) -> str:
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    account = workloads.service_account(spec)
    name = (ann.get(meta.get("annotations") or {}, ann.SERVICE)
            or (account if account != "default" else fallback))
    return _service_yaml(name, _stable_selector(meta.get("labels") or {}, selector),
                         _suggested_ports(spec))


def _single(template: Mapping[str, Any], namespace: str, index: ReleaseIndex, binding: Binding,
            workload: tuple[str, Mapping[str, Any] | None]) -> str:
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    selecting = index.selecting(namespace, labels)
    wanted = ann.get(annotations, ann.KUBERNETES_SERVICE)
    if wanted:
        chosen = [s for s in selecting if s.name == wanted]
        if not chosen:
            binding.missing.append(
                f'{ann.KUBERNETES_SERVICE} names Service "{wanted}", but no Service of that name '
                f'in namespace "{namespace}" selects the pod; point it at one that does, or fix '
                "that Service's selector")
        elif chosen[0].ignored:
            raise TemplateError(ann.KUBERNETES_SERVICE, f'names Service "{wanted}", which is '
                                  f'labelled {release.IGNORE_LABEL}, so Consul never registers the pod',
                                  "remove the label, or name another Service")
    else:
        chosen = [s for s in selecting if not s.ignored]
        if len(chosen) > 1:
            names = ", ".join(f'"{s.name}"' for s in chosen)
            raise TemplateError(
                "Services", f"{names} all select this pod, so Consul would register it once per "
                "Service and connect-init would time out",
                f'set {ann.KUBERNETES_SERVICE} on the pod template to the one to use, or label the '
                f'others {release.IGNORE_LABEL}: "true"')
        if not chosen and selecting:
            names = ", ".join(f'"{s.name}"' for s in selecting)
            which = (f"Service {names} selects this pod but is" if len(selecting) == 1
                     else f"Services {names} select this pod but all are")
            raise TemplateError(
                "Services", f"{which} labelled {release.IGNORE_LABEL}, so Consul never registers it",
                "remove the label from the one Consul should use")
        if not chosen:
            binding.missing.append(
                f'no Service in namespace "{namespace}" selects the pod (Consul needs one to '
                f"register it); {_missing_service_hint(template, *workload)}")
    if chosen:
        _check_target_ports(chosen[0], spec, binding)
    return ann.get(annotations, ann.SERVICE) or (chosen[0].name if chosen else "")


def _multi_ports(spec: Mapping[str, Any], annotations: Mapping[str, Any],
                 services: tuple[str, ...]) -> list[str]:
    ports_raw = ann.get(annotations, ann.SERVICE_PORT) or ""
    ports = ports_raw.split(",")
    form = (f'expected one port per service in the same order, e.g. {ann.SERVICE}: "web,web-admin" '
            f'with {ann.SERVICE_PORT}: "8080,9090"')
    if len(ports) != len(services):
        raise TemplateError(ann.SERVICE_PORT, f'"{ports_raw}" lists {len(ports)} port(s) for '
                              f"{len(services)} services", form)
    numbers, _ = _pod_ports(spec)
    for svc, port in zip(services, ports, strict=True):
        if not port or port != port.strip():
            raise TemplateError(ann.SERVICE_PORT, f'item "{port}" for service "{svc}" is empty '
                                  "or has spaces", form)
        try:
            value = ann.port_value(spec, port)
        except ValueError:
            value = None
        if value is None or value not in numbers:
            raise TemplateError(ann.SERVICE_PORT, f'item "{port}" for service "{svc}" is not a '
                                  "port of the pod", "expected the containerPort number or port "
                                  "name of one of the pod's containers")
    return ports


def _multi(template: Mapping[str, Any], injection: Injection, namespace: str, index: ReleaseIndex,
           *, settings: Settings, binding: Binding, selector: Mapping[str, Any] | None) -> None:
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    labels, services = meta.get("labels") or {}, injection.services
    # The ports as injected: a version may write connect-service-port itself (2.0: every port
    # of the first container).
    injected = (injection.template.get("metadata") or {}).get("annotations") or {}
    ports = _multi_ports(spec, injected, services)
    account = workloads.service_account(spec)
    if account != services[0]:
        shown = f'is "{account}"' if account != "default" else "is not set"
        raise TemplateError("spec.serviceAccountName", f"{shown}, but a multi-port pod must run "
                              f'as its first service, "{services[0]}"',
                              f"set serviceAccountName: {services[0]}")
    for svc, port in zip(services, ports, strict=True):
        service = index.by_name.get((namespace, svc))
        if service is None:
            binding.missing.append(
                f'service "{svc}" needs a Service named "{svc}" selecting the pod (a multi-port '
                "pod registers one Consul service per Service); "
                + _service_yaml(svc, _stable_selector(labels, selector),
                                f"{{port: {_port_number(spec, port)}, targetPort: {port}}}"))
        elif not service.selects(labels):
            raise TemplateError(ann.SERVICE, f'Service "{svc}" exists but its selector '
                                  f"{dict(service.selector)} does not select the pod",
                                  "make its selector match the pod template's labels")
        elif service.ignored:
            raise TemplateError(ann.SERVICE, f'Service "{svc}" is labelled {release.IGNORE_LABEL}, so '
                                  "Consul never registers it", "remove the label")
        else:
            _check_target_ports(service, spec, binding)
        _need_account(index, namespace, svc, settings, binding)
    for service in index.selecting(namespace, labels):
        if service.name not in services and not service.ignored:
            raise TemplateError(ann.SERVICE, f'Service "{service.name}" also selects this '
                                  "multi-port pod but is not one of its services (the endpoints "
                                  "controller cannot register it)",
                                  f'add it to {ann.SERVICE}, or label it {release.IGNORE_LABEL}: "true"')


def _need_account(index: ReleaseIndex, namespace: str, svc: str, settings: Settings,
                  binding: Binding) -> None:
    """Kubernetes 1.24+: a multi-port service's ServiceAccount and token Secret, both named
    after it (the webhook mounts the account's first listed secret, else the Secret `svc`)."""
    has_account = (namespace, svc) in index.accounts
    has_secret = bool(index.accounts.get((namespace, svc))) or (namespace, svc) in \
        index.token_secrets
    if has_account and has_secret:
        return
    if settings.create_service_account_secrets:
        wanted = [d for d in release.account_documents(svc, namespace)
                  if (d["kind"] == "ServiceAccount" and not has_account)
                  or (d["kind"] == "Secret" and not has_secret)]
        binding.to_create.extend(wanted)
        return
    lacking = " and ".join(x for x, ok in (
        (f'a ServiceAccount "{svc}"', has_account),
        (f'a {release.TOKEN_TYPE} Secret "{svc}" annotated {release.SA_NAME_ANNOTATION}: {svc}', has_secret))
        if not ok)
    binding.missing.append(f'service "{svc}" needs {lacking} (Kubernetes 1.24+); add it to the '
                           "release, or pass --create-service-account-secrets")


def _check_acl_login(injection: Injection, name: str, template: Mapping[str, Any], namespace: str,
                     index: ReleaseIndex) -> None:
    if not injection.acl_login:
        return
    spec = template.get("spec") or {}
    account = workloads.service_account(spec)
    if account == "default":
        raise TemplateError(
            "spec.serviceAccountName", 'is not set (the pod runs as "default"); with ACLs the '
            "Consul login is refused to it (binding rule serviceaccount.name!=default)",
            "run the pod as a ServiceAccount named after its Consul service"
            + (f" ({name})" if name else ""))
    if name and name != account:
        raise TemplateError(
            "spec.serviceAccountName", f'is "{account}", but with ACLs it must equal the Consul '
            f'service name "{name}"', f"rename one of them, or set {ann.SERVICE}: {account}")
    if (namespace, account) in index.no_automount and spec.get("automountServiceAccountToken") \
            is not True:
        raise TemplateError(
            "spec.serviceAccountName", f'names ServiceAccount "{account}", which sets '
            "automountServiceAccountToken: false, so the init container has no token for the "
            "ACL login", "set automountServiceAccountToken: true on the pod template")


def _port_number(spec: Mapping[str, Any], port: str) -> int | str:
    try:
        return ann.port_value(spec, port)
    except ValueError:
        return port


def _check_container_ports(template: Mapping[str, Any], injection: Injection) -> None:
    """The pod's containers share one network namespace with Envoy: a container port the
    injection binds (20000, Envoy's inbound listener, ...) leaves one of them unable to listen."""
    spec = template.get("spec") or {}
    for key in ("containers", "initContainers"):
        for i, container in enumerate(spec.get(key) or []):
            for port in container.get("ports") or []:
                number = port.get("containerPort")
                if isinstance(number, int) and number in injection.sidecar_ports:
                    raise TemplateError(
                        f"spec.{key}[{i}].ports", f'container "{container.get("name")}" port '
                        f"{number} is a port the injected sidecar listens on "
                        f"({injection.sidecar_ports[number]}); the app or Envoy could not bind it",
                        "give the container a port the sidecar does not use")


def _check_upstream_ports(injection: Injection) -> None:
    """Local bind ports must be unique and clear of the app's and the sidecar's ports."""
    spec = injection.template.get("spec") or {}
    containers = spec.get("containers") or []
    taken: dict[int, str] = {}
    for container in containers:
        for port in container.get("ports") or []:
            if isinstance(port.get("containerPort"), int):
                taken[port["containerPort"]] = f'container "{container.get("name")}" uses'
    sidecar = injection.sidecar_ports
    seen: dict[int, str] = {}
    for up in injection.upstreams:
        item = up.raw.strip()
        if up.port in seen:
            raise TemplateError(ann.UPSTREAMS, f'items "{seen[up.port]}" and "{item}" both bind '
                                  f"local port {up.port}", "give every upstream its own port")
        seen[up.port] = item
        owner = taken.get(up.port) or (f"the sidecar uses as {sidecar[up.port]}"
                                       if up.port in sidecar else None)
        if owner:
            raise TemplateError(ann.UPSTREAMS, f'item "{item}" binds local port {up.port}, which '
                                  f"{owner}", "pick a free port for the upstream")


def bind(settings: Settings, template: Mapping[str, Any], injection: Injection, namespace: str,
         index: ReleaseIndex, *, workload: str, selector: Mapping[str, Any] | None = None
         ) -> Binding:
    """Check one injected pod (`template` as rendered, `injection` its result); `workload` is
    its name and `selector` the labels it selects its pods by, for hints."""
    binding = Binding.of()
    _check_container_ports(template, injection)
    if len(injection.services) > 1:
        _multi(template, injection, namespace, index, settings=settings, binding=binding,
               selector=selector)
        services = injection.services
    else:
        name = _single(template, namespace, index, binding, (workload, selector))
        _check_acl_login(injection, name, template, namespace, index)
        services = (name,) if name else ()
    _check_upstream_ports(injection)
    return binding._replace(consul_services=services)
