"""The `consul-connect-inject-init` and `consul-dataplane` containers consul-k8s 2.0/1.9 adds,
built as plain dicts (spec sections 3.3-3.5, 3.9).

Keys follow the order Kubernetes serialises a Container in (name, image, command, args, ports,
env, resources, restartPolicy, volumeMounts, probes, securityContext), so the output reads like
what the API server returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject import gocompat
from consul_inject.webhooks import common
from consul_inject.webhooks.v2_0.openshift import IDs
from consul_inject.webhooks.v2_0.podconfig import PodConfig
from consul_inject.webhooks.v2_0.settings import Settings

DATA_VOLUME = "consul-connect-inject-data"
DATA_PATH = "/consul/connect-inject"
ACCESS_LOG_VOLUME = "envoy-access-logs"
DATAPLANE_UID = 5995
INIT_UID = 5996
SA_TOKEN_DIR = common.SA_TOKEN_DIR
INIT = "consul-connect-inject-init"
DATAPLANE = "consul-dataplane"
PROBES = (("livenessProbe", 20300), ("readinessProbe", 20400), ("startupProbe", 20500))
_RESTRICTED = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
               "readOnlyRootFilesystem": True, "runAsNonRoot": True,
               "seccompProfile": {"type": "RuntimeDefault"}}


def data_mount() -> dict[str, Any]:
    return {"name": DATA_VOLUME, "mountPath": DATA_PATH}


def _field(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _env(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value}


def uses_own_token(pod: PodConfig, service: str) -> bool:
    """A multi-port service other than the pod's ServiceAccount logs in with its own token."""
    return pod.multiport and service not in ("", pod.service_account)


def token_mount(pod: PodConfig, service: str,
                app_mount: Mapping[str, Any] | None) -> tuple[dict[str, Any] | None, str]:
    """(the mount to add, the token path) for the ACL login of `service`."""
    if uses_own_token(pod, service):
        path = f"/consul/serviceaccount-{service}"
        return ({"name": f"{service}-service-account", "readOnly": True, "mountPath": path},
                f"{path}/token")
    return (dict(app_mount) if app_mount is not None else None), f"{SA_TOKEN_DIR}/token"


def init_script(settings: Settings, pod: PodConfig, service: str) -> str:
    """The connect-init command line: no leading or trailing newline, every line ending in a
    backslash, as the webhook's trimmed template renders it."""
    lines = ["consul-k8s-control-plane connect-init -pod-name=${POD_NAME} "
             "-pod-namespace=${POD_NAMESPACE}",
             f"-log-level={settings.log_level}", f"-log-json={str(settings.log_json).lower()}"]
    if settings.acls:
        account = service if pod.multiport else pod.service_account
        name = service if pod.multiport else pod.service_name
        lines += [f'-service-account-name="{account}"', f'-service-name="{name}"']
    if pod.multiport:
        lines += ["-multiport=true", f"-proxy-id-file={DATA_PATH}/proxyid-{service}"]
        if not settings.acls:
            lines.append(f'-service-name="{service}"')
    return lines[0] + " \\" + "".join(f"\n  {line} \\" for line in lines[1:])


def _init_env(settings: Settings, pod: PodConfig, token_path: str,
              redirect: str | None) -> list[dict[str, Any]]:
    env = [_field("POD_NAME", "metadata.name"), _field("POD_NAMESPACE", "metadata.namespace"),
           _field("NODE_NAME", "spec.nodeName"), _env("CONSUL_ADDRESSES", settings.addresses),
           _env("CONSUL_GRPC_PORT", str(settings.grpc_port)),
           _env("CONSUL_HTTP_PORT", str(settings.http_port)),
           _env("CONSUL_API_TIMEOUT", settings.api_timeout),
           _env("CONSUL_NODE_NAME", "$(NODE_NAME)-virtual"),
           _env("CONSUL_DUAL_STACK", str(settings.dual_stack).lower())]
    if settings.tls:
        env += [_env("CONSUL_USE_TLS", "true"), _env("CONSUL_CACERT_PEM", settings.ca_pem),
                _env("CONSUL_TLS_SERVER_NAME", settings.tls_server_name)]
    if settings.acls:
        env += [_env("CONSUL_LOGIN_AUTH_METHOD", settings.auth_method),
                _env("CONSUL_LOGIN_BEARER_TOKEN_FILE", token_path),
                _env("CONSUL_LOGIN_META", "pod=$(POD_NAMESPACE)/$(POD_NAME)")]
        if settings.enable_namespaces:
            env.append(_env("CONSUL_LOGIN_NAMESPACE",
                            "default" if settings.mirroring else pod.consul_namespace))
        if settings.partition:
            env.append(_env("CONSUL_LOGIN_PARTITION", settings.partition))
    if settings.enable_namespaces:
        env.append(_env("CONSUL_NAMESPACE", pod.consul_namespace))
    if settings.partition:
        env.append(_env("CONSUL_PARTITION", settings.partition))
    if redirect is not None:
        env.append(_env("CONSUL_REDIRECT_TRAFFIC_CONFIG", redirect))
    return env


def init_security_context(settings: Settings, pod: PodConfig,
                          uids: IDs | None) -> dict[str, Any]:
    """Restricted without transparent proxy; root with NET_ADMIN to write iptables (privileged
    on OpenShift); with CNI (the plugin writes them) restricted again, as the excluded UID.
    `uids` are OpenShift's."""
    if not pod.tproxy:
        return dict(_RESTRICTED)
    if not settings.cni:
        return {"capabilities": {"add": ["NET_ADMIN"]}, "privileged": settings.openshift,
                "runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False}
    return {"capabilities": {"drop": ["ALL"]}, "privileged": False,
            "runAsUser": uids.init_uid if uids else INIT_UID,
            "runAsGroup": uids.init_gid if uids else INIT_UID, "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False, "seccompProfile": {"type": "RuntimeDefault"}}


def init_container(settings: Settings, pod: PodConfig, service: str, *,
                   mount: dict[str, Any] | None, token_path: str, redirect: str | None,
                   uids: IDs | None) -> dict[str, Any]:
    mounts = [data_mount()] + ([mount] if settings.acls and mount is not None else [])
    return {
        "name": f"{INIT}-{service}" if pod.multiport else INIT,
        "image": settings.image_consul_k8s,
        "command": ["/bin/sh", "-ec", init_script(settings, pod, service)],
        "env": _init_env(settings, pod, token_path, redirect),
        "resources": settings.init_resources.as_k8s(),
        "volumeMounts": mounts,
        "securityContext": init_security_context(settings, pod, uids),
    }


def redirect_config(settings: Settings, pod: PodConfig, containers: list[Any],
                    uids: IDs | None) -> str:
    """CONSUL_REDIRECT_TRAFFIC_CONFIG: consul's iptables.Config as JSON, Go field names, the
    excluded inbound ports in the webhook's order."""
    inbound = [str(pod.metrics.scrape_port)] if pod.metrics.enabled else []
    if pod.probes.health_check:
        inbound.append("21000")
    if pod.overwrite_probes:
        inbound += [str(p) for p in probe_ports(containers)]
    inbound += list(pod.exclude_inbound)
    return gocompat.json_compact({
        "ConsulDNSIP": ("::1" if settings.dual_stack else "127.0.0.1") if pod.dns else "",
        "ConsulDNSPort": 8600 if pod.dns else 0,
        "ProxyUserID": str(uids.dataplane_uid if uids else DATAPLANE_UID),
        "ProxyInboundPort": 20000,
        "ProxyOutboundPort": 15001,
        "ExcludeInboundPorts": inbound or None,
        "ExcludeOutboundPorts": list(pod.exclude_outbound) or None,
        "ExcludeOutboundCIDRs": list(pod.exclude_cidrs) or None,
        "ExcludeUIDs": [str(uids.init_uid if uids else INIT_UID), *pod.exclude_uids],
        "NetNS": "",
        "IptablesProvider": None,
    })


def probe_ports(containers: list[Any]) -> list[int]:
    """The expose-listener ports of the HTTP probes, counting only containers that are not the
    `consul-dataplane` sidecar (2.0's index rule; 0.49 counted the sidecar too)."""
    ports: list[int] = []
    idx = 0
    for container in containers:
        if not isinstance(container, dict) or container.get("name") == DATAPLANE:
            continue
        for key, base in PROBES:
            probe = container.get(key)
            if isinstance(probe, dict) and isinstance(probe.get("httpGet"), dict):
                ports.append(base + idx)
        idx += 1
    return ports
