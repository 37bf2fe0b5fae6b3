"""The `consul-dataplane` sidecar (spec section 3.5): its arguments in the webhook's order, env,
mounts, probes and the locked-down security context. consul-dataplane runs Envoy itself, merges
metrics and serves Consul DNS, so this one container replaces 0.49's envoy-sidecar and
consul-sidecar."""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from consul_inject.webhooks.v2_0 import annotations as ann
from consul_inject.webhooks.v2_0.containers import (
    ACCESS_LOG_VOLUME,
    DATA_PATH,
    DATAPLANE,
    DATAPLANE_UID,
    data_mount,
)
from consul_inject.webhooks.v2_0.openshift import IDs
from consul_inject.webhooks.v2_0.podconfig import PodConfig
from consul_inject.webhooks.v2_0.settings import Settings


def _field(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def _login_args(settings: Settings, pod: PodConfig, token_path: str) -> list[str]:
    args: list[str] = []
    if settings.acls:
        args += ["-credential-type=login", f"-login-auth-method={settings.auth_method}",
                 f"-login-bearer-token-path={token_path}"]
        if settings.enable_namespaces:
            login_ns = "default" if settings.mirroring else pod.consul_namespace
            args.append(f"-login-namespace={login_ns}")
        if settings.partition:
            args.append(f"-login-partition={settings.partition}")
    if settings.enable_namespaces:
        args.append(f"-service-namespace={pod.consul_namespace}")
    if settings.partition:
        args.append(f"-service-partition={settings.partition}")
    if settings.tls:
        if settings.tls_server_name:
            args.append(f"-tls-server-name={settings.tls_server_name}")
        if settings.ca_pem:
            args.append(f"-ca-certs={DATA_PATH}/consul-ca.pem")
    else:
        args.append("-tls-disabled")
    return args


def _telemetry_args(settings: Settings, pod: PodConfig) -> list[str]:
    m = pod.metrics
    args = [f"-telemetry-prom-scrape-path={m.scrape_path}"]
    if m.merging:
        host = "[::1]" if settings.dual_stack else "127.0.0.1"
        args += [f"-telemetry-prom-merge-port={m.merged_port}",
                 f"-telemetry-prom-service-metrics-url=http://{host}:{m.service_port}"
                 f"{m.service_path}"]
        if m.tls is not None:
            args += [f"-telemetry-prom-{flag}={value}" for flag, value in zip(
                ("ca-certs-file", "ca-certs-path", "cert-file", "key-file"), m.tls, strict=True)]
    return args


def args(settings: Settings, pod: PodConfig, i: int, service: str, token_path: str) -> list[str]:
    """consul-dataplane's arguments, in the webhook's order."""
    local = "::1" if settings.dual_stack else "127.0.0.1"
    proxy_id = f"{DATA_PATH}/proxyid-{service}" if pod.multiport else f"{DATA_PATH}/proxyid"
    out = ["-addresses", settings.addresses, f"-envoy-admin-bind-address={local}",
           f"-consul-dns-bind-addr={local}", f"-xds-bind-addr={local}",
           f"-grpc-port={settings.grpc_port}", f"-proxy-service-id-path={proxy_id}",
           f"-log-level={settings.log_level}", f"-log-json={str(settings.log_json).lower()}",
           f"-envoy-concurrency={pod.concurrency}", f"-graceful-addr={local}"]
    if settings.skip_server_watch:
        out.append("-server-watch-disabled=true")
    out += _login_args(settings, pod, token_path)
    if pod.probes.health_check:
        out.append(f"-envoy-ready-bind-port={21000 + i}")
    if pod.multiport:
        out.append(f"-envoy-admin-bind-port={19000 + i}")
    lc = pod.lifecycle
    out.append(f"-graceful-port={lc.graceful_port + (i if pod.multiport else 0)}")
    if lc.enabled:
        out += (["-shutdown-drain-listeners"] if lc.drain else []) + [
            f"-shutdown-grace-period-seconds={lc.shutdown_grace}",
            f"-graceful-shutdown-path={lc.shutdown_path}",
            f"-startup-grace-period-seconds={lc.startup_grace}",
            f"-graceful-startup-path={lc.startup_path}"]
    out += _telemetry_args(settings, pod)
    if pod.dns:
        out.append("-consul-dns-bind-port=8600")
    envoy = (["--base-id", str(i)] if pod.multiport else []) + list(pod.extra_args)
    return out + (["--", *envoy] if envoy else [])


def _env(pod: PodConfig) -> list[dict[str, Any]]:
    env = [{"name": "TMPDIR", "value": DATA_PATH}, _field("NODE_NAME", "spec.nodeName"),
           {"name": "DP_SERVICE_NODE_NAME", "value": "$(NODE_NAME)-virtual"},
           _field("POD_NAME", "metadata.name"), _field("POD_NAMESPACE", "metadata.namespace"),
           _field("POD_UID", "metadata.uid"),
           {"name": "DP_CREDENTIAL_LOGIN_META", "value": "pod=$(POD_NAMESPACE)/$(POD_NAME)"},
           {"name": "DP_CREDENTIAL_LOGIN_META1", "value": "pod=$(POD_NAMESPACE)/$(POD_NAME)"},
           {"name": "DP_CREDENTIAL_LOGIN_META2", "value": "pod-uid=$(POD_UID)"},
           _field("HOST_IP", "status.hostIP")]
    if pod.probes.health_check:
        env.append(_field("DP_ENVOY_READY_BIND_ADDRESS", "status.podIP"))
    return env


def _probes(pod: PodConfig, i: int) -> dict[str, Any]:
    p = pod.probes
    handler: dict[str, Any] = ({"httpGet": {"path": "/ready", "port": 21000 + i}}
                               if p.health_check else {"tcpSocket": {"port": 20000 + i}})
    out: dict[str, Any] = {}
    if p.liveness_failure > 0:
        out["livenessProbe"] = {**handler, "periodSeconds": 1,
                                "failureThreshold": p.liveness_failure}
    out["readinessProbe"] = {**handler, "initialDelaySeconds": 1}
    if p.native:
        startup = {"exec": {"command": ["/usr/local/bin/consul-dataplane", "-check-proxy-health"]},
                   "initialDelaySeconds": p.initial_delay, "timeoutSeconds": p.timeout,
                   "periodSeconds": p.period, "failureThreshold": p.failure_threshold}
        out["startupProbe"] = {k: v for k, v in startup.items() if v != 0}
    elif p.startup_failure > 0:
        out["startupProbe"] = {**handler, "periodSeconds": 1, "failureThreshold": p.startup_failure}
    return out


def _mounts(pod: PodConfig, annotations: Mapping[str, Any], volumes: list[Any],
            token: dict[str, Any] | None, acls: bool) -> list[dict[str, Any]]:
    mounts = [data_mount()] + ([token] if acls and token is not None else [])
    path = annotations.get(ann.ACCESS_LOG_PATH)
    if (annotations.get(ann.ACCESS_LOG_ENABLED) == "true" and isinstance(path, str)
            and any(isinstance(v, dict) and v.get("name") == ACCESS_LOG_VOLUME for v in volumes)):
        mounts.append({"name": ACCESS_LOG_VOLUME, "mountPath": posixpath.dirname(path)})
    return mounts + [dict(m) for m in pod.user_volume_mounts]


def sidecar(settings: Settings, pod: PodConfig, i: int, service: str, *, token: dict[str, Any]
            | None, token_path: str, annotations: Mapping[str, Any], volumes: list[Any],
            uids: IDs | None) -> dict[str, Any]:
    ports: list[dict[str, Any]] = []
    if pod.probes.health_check:
        ports.append({"name": f"proxy-health-{i}", "containerPort": 21000 + i})
    if pod.metrics.enabled:
        ports.append({"name": "prometheus", "containerPort": pod.metrics.scrape_port,
                      "protocol": "TCP"})
    container: dict[str, Any] = {
        "name": f"{DATAPLANE}-{service}" if pod.multiport else DATAPLANE,
        "image": settings.image_dataplane,
        "args": args(settings, pod, i, service, token_path),
        **({"ports": ports} if ports else {}),
        "env": _env(pod),
        "resources": pod.sidecar_resources,
        **({"restartPolicy": "Always"} if pod.probes.native else {}),
        "volumeMounts": _mounts(pod, annotations, volumes, token, settings.acls),
        **_probes(pod, i),
        "securityContext": {"capabilities": {"drop": ["ALL"]},
                            "runAsUser": uids.dataplane_uid if uids else DATAPLANE_UID,
                            "runAsGroup": uids.dataplane_gid if uids else DATAPLANE_UID,
                            "runAsNonRoot": True,
                            "readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                            "seccompProfile": {"type": "RuntimeDefault"}},
    }
    return container
