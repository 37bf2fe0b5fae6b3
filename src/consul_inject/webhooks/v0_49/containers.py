"""The containers and volumes consul-k8s v0.49.8 adds to a pod, built as plain dicts.

Keys follow the order Kubernetes serialises a Container in (name, image, command, ports, env,
resources, volumeMounts, securityContext), so output reads like what the API server returns.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from consul_inject.webhooks import common
from consul_inject.webhooks.v0_49.podconfig import PodConfig
from consul_inject.webhooks.v0_49.settings import Settings

if TYPE_CHECKING:
    import jinja2

DATA_VOLUME = "consul-connect-inject-data"
DATA_PATH = "/consul/connect-inject"
ENVOY_UID = 5995
INIT_UID = 5996
SA_TOKEN_DIR = common.SA_TOKEN_DIR
COPY_BIN = "copy-consul-bin"
INIT = "consul-connect-inject-init"
ENVOY = "envoy-sidecar"
CONSUL_SIDECAR = "consul-sidecar"


def data_mount() -> dict[str, Any]:
    return {"name": DATA_VOLUME, "mountPath": DATA_PATH}


def _field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def copy_consul_bin(settings: Settings) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": COPY_BIN,
        "image": settings.image_consul,
        "command": ["/bin/sh", "-ec", f"cp /bin/consul {DATA_PATH}/consul"],
        "resources": settings.init_resources.as_k8s(),
        "volumeMounts": [data_mount()],
    }
    if not settings.openshift:
        container["securityContext"] = {
            "runAsUser": INIT_UID, "runAsGroup": INIT_UID, "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
        }
    return container


TEMPLATE = "connect-init.sh.j2"


def _environment(loader: bool) -> jinja2.Environment:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("consul_inject.webhooks.v0_49", "templates") if loader
        else None,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,
        undefined=jinja2.StrictUndefined,
    )


@lru_cache(maxsize=1)
def _script_template() -> jinja2.Template:
    """The init-script template: jinja2's Python for it, compiled ahead of time (see
    tools/compile_init_template.py) when it was compiled by the jinja2 installed, else
    compiled now. jinja2 is imported only when a pod is injected."""
    import jinja2

    from consul_inject.webhooks.v0_49 import initscript_compiled as ahead

    if jinja2.__version__ != ahead.JINJA2:
        return _environment(loader=True).get_template(TEMPLATE)
    env = _environment(loader=False)
    namespace: dict[str, Any] = {"environment": env, "__file__": ahead.__file__}
    exec(compile(ahead.SOURCE, ahead.__file__, "exec"), namespace)  # our own generated code
    return env.template_class.from_module_dict(env, namespace, env.make_globals(None))


def compiled_module_text() -> str:
    """The text of initscript_compiled.py for the template and the jinja2 installed."""
    import jinja2

    env = _environment(loader=True)
    assert env.loader is not None
    source = env.loader.get_source(env, TEMPLATE)[0]
    python = env.compile(source, TEMPLATE, raw=True)
    return ("# ruff: noqa: E501\n"
            f'"""{TEMPLATE} compiled by jinja2: see tools/compile_init_template.py."""\n\n'
            f"JINJA2 = {json.dumps(jinja2.__version__)}\nSOURCE = {json.dumps(python)}\n")


def init_script(settings: Settings, pod: PodConfig, index: int, service: str) -> str:
    multiport = pod.multiport
    return _render(tuple({
        "ca_cert": settings.consul_ca_cert,
        "api_timeout": settings.consul_api_timeout,
        "auth_method": settings.auth_method,
        "service_account": service if multiport else pod.service_account,
        "service_name": service if multiport else pod.service_name,
        "bearer_token_file": bearer_token_file(pod, service),
        "multiport": multiport,
        "consul_namespace": pod.consul_namespace,
        "mirroring": settings.mirroring,
        "partition": settings.partition,
        "suffix": f"-{service}" if multiport else "",
        "health_check": pod.health_check,
        "health_port": 21000 + index,
        "merged_metrics": pod.merged_metrics,
        "scrape_path": pod.scrape_path,
        "merged_metrics_port": pod.merged_metrics_port,
        "prometheus_tls": pod.prometheus_tls,
        "debug": settings.log_level == "debug",
        "admin_port": 19000 + index,
        "redirect_traffic": pod.tproxy and not settings.cni,
        "dns_ip": pod.consul_dns_ip,
        "exclude_inbound": pod.exclude_inbound,
        "exclude_outbound": pod.exclude_outbound,
        "exclude_cidrs": pod.exclude_cidrs,
        "exclude_uids": pod.exclude_uids,
    }.items()))


@lru_cache(maxsize=256)
def _render(context: tuple[tuple[str, Any], ...]) -> str:
    """Pods of a release mostly share one script: render each distinct one once."""
    return _script_template().render(dict(context))


def uses_own_token(pod: PodConfig, service: str) -> bool:
    """Multi-port services other than the pod's ServiceAccount log in with their own token."""
    return pod.multiport and service not in ("", pod.service_account)


def bearer_token_file(pod: PodConfig, service: str) -> str:
    if uses_own_token(pod, service):
        return f"/consul/serviceaccount-{service}/token"
    return f"{SA_TOKEN_DIR}/token"


def connect_init(
    settings: Settings,
    pod: PodConfig,
    index: int,
    service: str,
    token_mount: dict[str, Any] | None,
) -> dict[str, Any]:
    mounts = [data_mount()]
    if settings.acls:
        if uses_own_token(pod, service):
            mounts.append({"name": f"{service}-service-account", "readOnly": True,
                           "mountPath": f"/consul/serviceaccount-{service}"})
        elif token_mount is not None:
            mounts.append(dict(token_mount))
    container: dict[str, Any] = {
        "name": f"{INIT}-{service}" if pod.multiport else INIT,
        "image": settings.image_consul_k8s,
        "command": ["/bin/sh", "-ec", init_script(settings, pod, index, service)],
        "env": [
            _field_env("HOST_IP", "status.hostIP"),
            _field_env("POD_IP", "status.podIP"),
            _field_env("POD_NAME", "metadata.name"),
            _field_env("POD_NAMESPACE", "metadata.namespace"),
        ],
        "resources": settings.init_resources.as_k8s(),
        "volumeMounts": mounts,
    }
    if pod.tproxy and not settings.cni:
        container["securityContext"] = {
            "capabilities": {"add": ["NET_ADMIN"]}, "privileged": True,
            "runAsUser": 0, "runAsGroup": 0, "runAsNonRoot": False,
        }
    elif pod.tproxy:
        container["securityContext"] = {
            "capabilities": {"drop": ["ALL"]}, "privileged": False,
            "runAsUser": INIT_UID, "runAsGroup": INIT_UID, "runAsNonRoot": True,
        }
    return container


def envoy_sidecar(settings: Settings, pod: PodConfig, index: int, service: str) -> dict[str, Any]:
    suffix = f"-{service}" if pod.multiport else ""
    command = ["envoy", "--config-path", f"{DATA_PATH}/envoy-bootstrap{suffix}.yaml"]
    if pod.multiport:
        command += ["--base-id", str(index)]
    command += ["--concurrency", pod.concurrency, *pod.extra_args]
    container: dict[str, Any] = {
        "name": f"{ENVOY}{suffix}",
        "image": settings.image_envoy,
        "command": command,
    }
    if pod.health_check:
        container["ports"] = [{"name": f"proxy-health-{index}", "containerPort": 21000 + index}]
    container["env"] = [_field_env("HOST_IP", "status.hostIP")]
    container["resources"] = pod.sidecar_resources
    container["volumeMounts"] = [data_mount(), *pod.user_volume_mounts]
    if envoy_security_context(settings, pod):
        container["securityContext"] = {
            "runAsUser": ENVOY_UID, "runAsGroup": ENVOY_UID, "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
        }
    return container


def envoy_security_context(settings: Settings, pod: PodConfig) -> bool:
    return not (settings.openshift and not pod.tproxy)


def consul_sidecar(settings: Settings, pod: PodConfig) -> dict[str, Any]:
    return {
        "name": CONSUL_SIDECAR,
        "image": settings.image_consul_k8s,
        "command": [
            "consul-k8s-control-plane", "consul-sidecar",
            "-enable-service-registration=false",
            "-enable-metrics-merging=true",
            f"-merged-metrics-port={pod.merged_metrics_port}",
            f"-service-metrics-port={pod.service_metrics_port}",
            f"-service-metrics-path={pod.service_metrics_path}",
            f"-log-level={settings.log_level}",
            f"-log-json={'true' if settings.log_json else 'false'}",
        ],
        "resources": pod.consul_sidecar_resources,
        "volumeMounts": [data_mount()],
    }


def sidecar_ports(pod: PodConfig, services: int, containers: int) -> dict[int, str]:
    """Ports Envoy and its helpers listen on in this pod, with this many services and containers
    (counting the injected ones): no container or upstream may bind them."""
    ports: dict[int, str] = {}
    if pod.tproxy:
        ports[15001] = "the transparent proxy's outbound listener"
    if pod.merged_metrics:
        ports[int(pod.merged_metrics_port)] = "the merged metrics server"
    if pod.metrics:
        ports[int(pod.scrape_port)] = "the Prometheus scrape listener"
    for i in range(services):
        ports[19000 + i] = f"Envoy admin port {19000 + i}"
        ports[20000 + i] = f"Envoy public listener {20000 + i}"
        if pod.health_check:
            ports[21000 + i] = f"Envoy health-check listener {21000 + i}"
    for i in range(containers if pod.tproxy and pod.overwrite_probes else 0):
        for base in (20300, 20400, 20500):
            ports[base + i] = f"Envoy probe listener {base + i}"
    return ports
