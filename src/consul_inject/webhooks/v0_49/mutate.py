"""Mutate one pod template as the consul-k8s v0.49.8 webhook mutates a pod (spec section 3.1).

Pure: takes the template as parsed, returns a new one plus warnings; never touches I/O or YAML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from consul_inject import gocompat, workloads
from consul_inject.problems import TemplateError
from consul_inject.webhooks import common
from consul_inject.webhooks.base import Injection
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49 import containers as c
from consul_inject.webhooks.v0_49 import podconfig
from consul_inject.webhooks.v0_49 import upstreams as ups
from consul_inject.webhooks.v0_49.settings import Settings

PROBES = (("livenessProbe", 20300), ("readinessProbe", 20400), ("startupProbe", 20500))


def _default_service_port(spec: Mapping[str, Any]) -> str | None:
    first = (spec.get("containers") or [{}])[0]
    ports = first.get("ports") or []
    if not ports:
        return None
    return str(ports[0].get("name") or ports[0].get("containerPort"))


def _check_envoy_uid(settings: Settings, pod: podconfig.PodConfig, spec: Mapping[str, Any]) -> None:
    if not c.envoy_security_context(settings, pod):
        return
    if (spec.get("securityContext") or {}).get("runAsUser") == c.ENVOY_UID:
        raise TemplateError("pod securityContext", f"runAsUser is {c.ENVOY_UID}, the uid Envoy "
                              "runs as; the pod cannot share it", "run the pod as another user")
    for container in spec.get("containers") or []:
        if container.get("image") == settings.image_envoy:
            continue
        if (container.get("securityContext") or {}).get("runAsUser") == c.ENVOY_UID:
            raise TemplateError(
                f'container "{container.get("name")}"',
                f"securityContext.runAsUser is {c.ENVOY_UID}, the uid Envoy runs as, which is not "
                "allowed", "run the container as another user")


def _check_multiport(pod: podconfig.PodConfig) -> None:
    fix = {"transparent proxy": f'set {ann.TPROXY}: "false" on the pod template (transparent '
                                "proxy is on by default)",
           "metrics": f'set {ann.ENABLE_METRICS}: "false"',
           "metrics merging": f'set {ann.ENABLE_METRICS_MERGING}: "false"'}
    for what, on in (("transparent proxy", pod.tproxy), ("metrics", pod.metrics),
                     ("metrics merging", pod.metrics_merging)):
        if on:
            raise TemplateError(ann.SERVICE, f"multi port services are not compatible with "
                                  f"{what}", fix[what])


def _rewrite_probes(spec: dict[str, Any]) -> list[int]:
    """Point HTTP probes at Envoy's expose listeners; returns the new ports (for CNI config)."""
    ports: list[int] = []
    for i, container in enumerate(spec.get("containers") or []):
        if container.get("name") == c.ENVOY:
            continue
        for probe_key, base in PROBES:
            probe = container.get(probe_key)
            if isinstance(probe, dict) and isinstance(probe.get("httpGet"), dict):
                probe["httpGet"]["port"] = base + i
                ports.append(base + i)
    return ports


def _redirect_config(settings: Settings, pod: podconfig.PodConfig, probe_ports: list[int]) -> str:
    inbound = [pod.scrape_port] if pod.metrics else []
    if pod.health_check:
        inbound.append("21000")
    inbound += [str(p) for p in probe_ports] + list(pod.exclude_inbound)
    return gocompat.json_compact({
        "ConsulDNSIP": pod.consul_dns_ip,
        "ProxyUserID": str(c.ENVOY_UID),
        "ProxyInboundPort": 20000,
        "ProxyOutboundPort": 15001,
        "ExcludeInboundPorts": inbound or None,
        "ExcludeOutboundPorts": list(pod.exclude_outbound) or None,
        "ExcludeOutboundCIDRs": list(pod.exclude_cidrs) or None,
        "ExcludeUIDs": [*pod.exclude_uids, str(c.INIT_UID)],
        "NetNS": "",
    })


def _check_token(settings: Settings, spec: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ServiceAccount token mount the ACL login needs, refusing a pod that has none."""
    token_mount = common.app_token_mount(spec)
    if settings.acls and token_mount is None and spec.get("automountServiceAccountToken") is False:
        raise TemplateError(
            "spec.automountServiceAccountToken",
            "is false, so the init container has no ServiceAccount token for the ACL login",
            "remove automountServiceAccountToken: false, or mount the token at "
            f"{c.SA_TOKEN_DIR} in an app container")
    return token_mount


def _add_volumes(spec: dict[str, Any], pod: podconfig.PodConfig) -> list[str]:
    """The shared volume, its mounts in the named app containers, the user's extra volumes and
    the upstream env vars; returns warnings."""
    warnings: list[str] = []
    volumes = spec.setdefault("volumes", []) or []
    spec["volumes"] = volumes
    volumes.append({"name": c.DATA_VOLUME, "emptyDir": {}})
    app_names = [x.get("name") for x in spec.get("containers") or []]
    for name in pod.mount_volume_containers:
        if name not in app_names:
            warnings.append(f'{ann.MOUNT_VOLUME}: no container named "{name}"; ignored')
    for container in spec.get("containers") or []:
        if container.get("name") in pod.mount_volume_containers:
            container.setdefault("volumeMounts", []).append(c.data_mount())
    volumes.extend(workloads.copy_tree(list(pod.user_volumes)))
    env = ups.env_vars(list(pod.upstreams), spec)
    if env:
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or []:
                container["env"] = [*(container.get("env") or []), *workloads.copy_tree(env)]
    return warnings


def _add_containers(settings: Settings, pod: podconfig.PodConfig, spec: dict[str, Any],
                    token_mount: dict[str, Any] | None,
                    token_secret: Callable[[str], str]) -> tuple[str, ...]:
    """copy-consul-bin, then an init container and an Envoy sidecar per service (and the
    consul-sidecar for merged metrics); returns the services."""
    init_containers = spec.get("initContainers") or []
    spec["initContainers"] = init_containers
    init_containers.append(c.copy_consul_bin(settings))
    containers = spec.get("containers") or []
    spec["containers"] = containers
    services = pod.services if pod.multiport else (pod.service_name,)
    for i, service in enumerate(services):
        if settings.acls and c.uses_own_token(pod, service):
            spec["volumes"].append({"name": f"{service}-service-account",
                                    "secret": {"secretName": token_secret(service)}})
        init_containers.append(c.connect_init(settings, pod, i, service, token_mount))
        containers.append(c.envoy_sidecar(settings, pod, i, service))
    if pod.merged_metrics:
        containers.append(c.consul_sidecar(settings, pod))
    return services


def inject(
    settings: Settings,
    template: Mapping[str, Any],
    namespace: str,
    namespace_labels: Mapping[str, str],
    token_secret: Callable[[str], str] = lambda account: account,
) -> Injection:
    """Return the injected copy of `template` (a pod template or a Pod's metadata+spec), in the
    webhook's order of mutations.

    `token_secret` names the token Secret of a ServiceAccount, for multi-port pods with ACLs.
    """
    original = common.original_pod(template)
    out = workloads.copy_tree(dict(template))
    meta: dict[str, Any] = out.setdefault("metadata", {}) or {}
    out["metadata"] = meta
    spec: dict[str, Any] = out.setdefault("spec", {}) or {}
    out["spec"] = spec
    annotations: dict[str, Any] = meta.get("annotations") or {}
    meta["annotations"] = annotations

    # defaultAnnotations runs first in the webhook: the metrics port falls back to this value.
    if ann.SERVICE_PORT not in annotations and (port := _default_service_port(spec)) is not None:
        annotations[ann.SERVICE_PORT] = port
    annotations[ann.ORIGINAL_POD] = original

    pod = podconfig.resolve(settings, meta, spec, namespace, namespace_labels)
    if pod.multiport:
        _check_multiport(pod)
    common.check_host_network(spec, pod.tproxy, settings.cni)
    _check_envoy_uid(settings, pod, spec)
    token_mount = _check_token(settings, spec)
    warnings = _add_volumes(spec, pod)
    services = _add_containers(settings, pod, spec, token_mount, token_secret)
    common.mark_injected(meta, tproxy=pod.tproxy, consul_namespace=pod.consul_namespace,
                         prometheus=(pod.scrape_port, pod.scrape_path) if pod.metrics else None)
    probe_ports = _rewrite_probes(spec) if pod.tproxy and pod.overwrite_probes else []
    if pod.tproxy and settings.cni:
        annotations[ann.REDIRECT_TRAFFIC_CONFIG] = _redirect_config(settings, pod, probe_ports)
    common.check_names(template.get("spec") or {}, spec)
    common.check_annotations_size((template.get("metadata") or {}).get("annotations") or {},
                            annotations)
    consul_services = services if pod.multiport else tuple(s for s in services if s)
    sidecar = c.sidecar_ports(pod, max(1, len(consul_services)), len(spec["containers"]))
    return Injection(out, consul_services, pod.upstreams, sidecar, settings.acls, warnings)
