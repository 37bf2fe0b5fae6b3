"""Mutate one pod template as the consul-k8s 2.0/1.9 webhook mutates a pod, in its order of
operations (spec section 3.1). Pure: the template as parsed in, a new one out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from consul_inject import podmeta, workloads
from consul_inject.problems import TemplateError
from consul_inject.webhooks import common
from consul_inject.webhooks.base import Injection
from consul_inject.webhooks.v2_0 import annotations as ann
from consul_inject.webhooks.v2_0 import containers as c
from consul_inject.webhooks.v2_0 import dataplane, dns, openshift, podconfig
from consul_inject.webhooks.v2_0.openshift import IDs
from consul_inject.webhooks.v2_0.podconfig import PodConfig
from consul_inject.webhooks.v2_0.settings import Settings


def _default_annotations(settings: Settings, template: Mapping[str, Any],
                         annotations: dict[str, Any], spec: Mapping[str, Any]) -> None:
    """What defaultAnnotations writes before anything else is read."""
    first = (spec.get("containers") or [{}])[0]
    ports = [p for p in (first.get("ports") or []) if isinstance(p, dict)]
    if not settings.variant.all_service_ports:
        ports = ports[:1]
    named = [str(p.get("name") or p.get("containerPort")) for p in ports
             if p.get("name") or (isinstance(p.get("containerPort"), int) and p["containerPort"] > 0)]
    if podmeta.SERVICE_PORT not in annotations and named:
        annotations[podmeta.SERVICE_PORT] = ",".join(named)
    annotations[podmeta.ORIGINAL_POD] = common.original_pod(
        template, null_timestamp=settings.variant.null_creation_timestamp)
    annotations[ann.LEGACY_VERSION] = settings.human_version
    annotations[ann.VERSION] = settings.human_version


def _check_pod(settings: Settings, pod: PodConfig, spec: Mapping[str, Any],
               namespace_annotations: Mapping[str, str] | None) -> None:
    if settings.openshift and namespace_annotations is None:
        raise TemplateError("global.openshift.enabled", "under consul-k8s 1.9/2.0 the injected "
                            "containers' UIDs come from the Namespace's "
                            "openshift.io/sa.scc.uid-range annotation, and the input holds no "
                            "Namespace object for the pod",
                            "add the Namespace to the input (oc get namespace NAME -o yaml), "
                            "with its openshift.io/sa.scc.* annotations")
    if pod.multiport:
        words = settings.variant.multiport_words
        for what, on, key in (("transparent proxy", pod.tproxy, ann.TPROXY),
                              ("metrics", pod.metrics.enabled, ann.ENABLE_METRICS),
                              ("metrics merging", pod.metrics.merging_enabled,
                               ann.ENABLE_METRICS_MERGING)):
            if on:
                raise TemplateError(podmeta.SERVICE, f"{words} services are not compatible with "
                                    f"{what}", f'set {key}: "false" on the pod template'
                                    + (" (transparent proxy is on by default)"
                                       if what == "transparent proxy" else ""))
    common.check_host_network(spec, pod.tproxy, settings.cni)
    if pod.probes.native and settings.kube_version is not None and settings.kube_version < (1, 29):
        version = ".".join(map(str, settings.kube_version))
        raise TemplateError(ann.NATIVE_SIDECAR, f"the consul-dataplane sidecar would run as a "
                            f"native sidecar (an init container with restartPolicy: Always), which "
                            f"Kubernetes {version} does not have (1.29 and later do)",
                            f'set {ann.NATIVE_SIDECAR}: "false", or connectInject.'
                            "dataplaneAsSidecarInitContainer.defaultEnabled: false")
    if pod.dns and spec.get("dnsConfig") is not None:
        raise TemplateError("spec.dnsConfig", "DNS redirection to Consul is not supported with "
                            "an already defined DNSConfig on the pod",
                            f'remove dnsConfig, or set {ann.CONSUL_DNS}: "false" on the pod')
    _check_token(settings, pod, spec)
    if not settings.openshift:  # OpenShift picks UIDs the pod does not use
        _check_uids(settings, spec)


def _check_token(settings: Settings, pod: PodConfig, spec: Mapping[str, Any]) -> None:
    """The ACL login reads the ServiceAccount token the app containers mount. Offline the
    mount is added later by Kubernetes, unless the pod turns it off."""
    services = pod.services if pod.multiport else (pod.service_name,)
    if (settings.acls and common.app_token_mount(spec) is None
            and spec.get("automountServiceAccountToken") is False
            and not all(c.uses_own_token(pod, s) for s in services)):
        raise TemplateError("spec.automountServiceAccountToken", "is false, so there is no "
                            "ServiceAccount token for the ACL login (the webhook: unable to "
                            "find service account token volumeMount)",
                            "remove automountServiceAccountToken: false, or mount the token at "
                            f"{c.SA_TOKEN_DIR} in an app container")


def _check_uids(settings: Settings, spec: Mapping[str, Any]) -> None:
    if (spec.get("securityContext") or {}).get("runAsUser") == c.DATAPLANE_UID:
        raise TemplateError("pod securityContext", "pod's security context cannot have the same "
                            f"UID as consul-dataplane: {c.DATAPLANE_UID}",
                            "run the pod as another user")
    for container in spec.get("containers") or []:
        if (container.get("image") != settings.image_dataplane
                and (container.get("securityContext") or {}).get("runAsUser") == c.DATAPLANE_UID):
            raise TemplateError(f'container "{container.get("name")}"', "has runAsUser set to "
                                f'the same UID "{c.DATAPLANE_UID}" as consul-dataplane which is '
                                "not allowed", "run the container as another user")


def _add_volumes(settings: Settings, pod: PodConfig, spec: dict[str, Any],
                 annotations: dict[str, Any]) -> list[str]:
    """Steps 1-5: the shared volume and its mounts, access logs, user volumes, upstream env."""
    warnings: list[str] = []
    volumes = spec.get("volumes") or []
    spec["volumes"] = volumes
    volumes.append({"name": c.DATA_VOLUME, "emptyDir": {"medium": "Memory"}})
    names = [x.get("name") for x in spec.get("containers") or []]
    for name in pod.mount_volume_containers:
        if name and name not in names:
            warnings.append(f'{ann.MOUNT_VOLUME}: no container named "{name}"; ignored')
    for container in spec.get("containers") or []:
        if container.get("name") in pod.mount_volume_containers:
            container["volumeMounts"] = [*(container.get("volumeMounts") or []), c.data_mount()]
    if settings.access_logs:
        annotations[ann.ACCESS_LOG_ENABLED] = "true"
        if settings.access_logs.startswith("/"):
            annotations[ann.ACCESS_LOG_PATH] = settings.access_logs
            volumes.append({"name": c.ACCESS_LOG_VOLUME, "emptyDir": {}})
    volumes.extend(workloads.copy_tree(list(pod.user_volumes)))
    if pod.upstream_env:
        for key in ("initContainers", "containers"):
            for container in spec.get(key) or []:
                container["env"] = [*(container.get("env") or []),
                                    *workloads.copy_tree(list(pod.upstream_env))]
    return warnings


def _add_containers(settings: Settings, pod: PodConfig, spec: dict[str, Any],
                    annotations: Mapping[str, Any], *, token_secret: Callable[[str], str],
                    uids: IDs | None) -> None:
    """Step 7: an init container and a dataplane per service, placed as the webhook places
    them (native sidecar: init containers; lifecycle: first in containers; else last)."""
    inits = spec.get("initContainers") or []
    apps = spec.get("containers") or []
    spec["initContainers"], spec["containers"] = inits, apps
    app_mount = common.app_token_mount(spec)
    redirect = (c.redirect_config(settings, pod, apps, uids)
                if pod.tproxy and not settings.cni else None)
    first: list[dict[str, Any]] = []
    for i, service in enumerate(pod.services if pod.multiport else (pod.service_name,)):
        if settings.acls and c.uses_own_token(pod, service):
            spec["volumes"].append({"name": f"{service}-service-account",
                                    "secret": {"secretName": token_secret(service)}})
        mount, token_path = c.token_mount(pod, service, app_mount)
        inits.append(c.init_container(settings, pod, service, mount=mount, token_path=token_path,
                                      redirect=redirect, uids=uids))
        sidecar = dataplane.sidecar(settings, pod, i, service, token=mount, token_path=token_path,
                                    annotations=annotations, volumes=spec["volumes"], uids=uids)
        if pod.probes.native:
            inits.append(sidecar)
        elif pod.lifecycle.enabled:
            first.append(sidecar)
        else:
            apps.append(sidecar)
    apps[:0] = first


def _mark(settings: Settings, pod: PodConfig, meta: dict[str, Any], spec: dict[str, Any],
          namespace: str, *, uids: IDs | None) -> None:
    """Steps 8-16: status, DNS, Prometheus, labels, namespace, probes, CNI, dual stack."""
    annotations: dict[str, Any] = meta["annotations"]
    metrics = pod.metrics
    common.mark_injected(meta, tproxy=pod.tproxy, consul_namespace=pod.consul_namespace,
                         prometheus=(str(metrics.scrape_port), metrics.scrape_path)
                         if metrics.enabled else None)
    if pod.dns:
        spec["dnsPolicy"] = "None"
        spec["dnsConfig"] = dns.dns_config(dns.kubelet_resolv_conf(settings),
                                           settings.release_namespace, namespace,
                                           settings.dual_stack)
    if pod.tproxy and pod.overwrite_probes:
        _rewrite_probes(spec["containers"])
    if pod.tproxy and settings.cni:
        annotations[ann.REDIRECT_TRAFFIC_CONFIG] = c.redirect_config(
            settings, pod, spec["containers"], uids)
    annotations[ann.DUAL_STACK] = str(settings.dual_stack).lower()


def _rewrite_probes(containers: list[Any]) -> None:
    idx = 0
    for container in containers:
        if not isinstance(container, dict) or container.get("name") == c.DATAPLANE:
            continue
        for key, base in c.PROBES:
            probe = container.get(key)
            if isinstance(probe, dict) and isinstance(probe.get("httpGet"), dict):
                probe["httpGet"]["port"] = base + idx
        idx += 1


def sidecar_ports(settings: Settings, pod: PodConfig, count: int) -> dict[int, str]:
    """Every port the injection binds in the pod, with what listens there."""
    ports: dict[int, str] = {}
    for i in range(count):
        ports[20000 + i] = "the sidecar's inbound listener"
        ports[19000 + i] = "Envoy's admin listener"
        ports[pod.lifecycle.graceful_port + i] = "consul-dataplane's graceful port"
        if pod.probes.health_check:
            ports[21000 + i] = "the proxy health check"
    if pod.metrics.enabled:
        ports[pod.metrics.scrape_port] = "the Prometheus scrape port"
    if pod.metrics.merging:
        ports[pod.metrics.merged_port] = "the merged metrics port"
    if pod.tproxy:
        ports[15001] = "the transparent proxy's outbound listener"
    if pod.dns:
        ports[8600] = "consul-dataplane's DNS proxy"
    return ports


def inject(settings: Settings, template: Mapping[str, Any], namespace: str,
           namespace_labels: Mapping[str, str],
           token_secret: Callable[[str], str] = lambda account: account, *,
           namespace_annotations: Mapping[str, str] | None = None) -> Injection:
    """The injected copy of `template` (a pod template or a Pod's metadata and spec).
    `namespace_annotations` (the Namespace's OpenShift UID ranges) make OpenShift injectable."""
    out = workloads.copy_tree(dict(template))
    meta: dict[str, Any] = out.get("metadata") or {}
    spec: dict[str, Any] = out.get("spec") or {}
    out["metadata"], out["spec"] = meta, spec
    annotations: dict[str, Any] = meta.get("annotations") or {}
    meta["annotations"] = annotations
    _default_annotations(settings, template, annotations, spec)
    pod = podconfig.resolve(settings, meta, spec, namespace, namespace_labels)
    _check_pod(settings, pod, spec, namespace_annotations)
    uids = (openshift.ids(namespace_annotations or {}, spec,
                          (settings.image_dataplane, settings.image_consul_k8s))
            if settings.openshift else None)
    warnings = _add_volumes(settings, pod, spec, annotations)
    if pod.probes.native and settings.kube_version is None:
        warnings.append("runs consul-dataplane as a native sidecar, which needs Kubernetes 1.29 "
                        "or later; pass --kube-version to have it checked")
    _add_containers(settings, pod, spec, annotations, token_secret=token_secret, uids=uids)
    _mark(settings, pod, meta, spec, namespace, uids=uids)
    common.check_names(template.get("spec") or {}, spec)
    common.check_annotations_size((template.get("metadata") or {}).get("annotations") or {},
                                  annotations)
    services = pod.services if pod.multiport else tuple(s for s in (pod.service_name,) if s)
    return Injection(out, services, pod.upstreams,
                     sidecar_ports(settings, pod, max(1, len(services))), settings.acls, warnings)
