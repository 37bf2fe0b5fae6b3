"""Output Kubernetes accepts: strict OpenAPI validation and valid names.

Every document of every golden case's expected.yaml, and everything Helm 3 renders from the
examples/ charts through the post-renderer, validates in strict mode (no unknown fields) against
the Kubernetes OpenAPI schemas of 1.24 (the oldest release consul-k8s 0.49 supports), 1.30 and the
newest release that kubernetes-validate ships. Documents without a schema (custom resources, a
`v1 List` itself: its items are validated) are skipped. A document that is already invalid in
the case's input is the input's fault, not injection's, and is skipped too (the count of
documents validated is asserted, so the test cannot pass by skipping everything).

kubernetes-validate >= 1.34 no longer ships 1.24; its schemas come from kubernetes-validate
1.33.1, unpacked into .tools/kubernetes-validate-1.24 (see SCHEMAS_124).

The names injection creates are checked against the API server's own rules: container and volume
names are DNS-1123 labels (at most 63 characters), port names IANA_SVC_NAME (at most 15), env var
names Kubernetes' IsEnvVarName (`[-._a-zA-Z][-._a-zA-Z0-9]*`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]
import kubernetes_validate  # type: ignore[import-untyped]
import pytest
from referencing import Registry, Resource

from consul_inject.problems import ConsulInjectError
from consul_inject.webhooks.v0_49 import containers as c
from consul_inject.webhooks.v0_49 import mutate as inject
from consul_inject.webhooks.v0_49 import settings as settings_mod
from tests.conftest import EXAMPLES, GOLDEN, TOOLS, load_all, make_helm_env
from tests.golden.test_golden import case_inputs

SCHEMAS_124 = TOOLS / "kubernetes-validate-1.24" / "kubernetes_validate" / "kubernetes-json-schema"
NEWEST = kubernetes_validate.utils.major_minor(kubernetes_validate.utils.latest_version())
VERSIONS = ("1.24", "1.30", NEWEST)

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
IANA_SVC_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*\Z")
INJECTED_CONTAINERS = (c.COPY_BIN, c.INIT, c.ENVOY, c.CONSUL_SIDECAR)
Doc = dict[str, Any]


def schema_dir(version: str) -> Path:
    if version == "1.24":
        if not SCHEMAS_124.is_dir():
            message = (f"{SCHEMAS_124} is missing: the Makefile unpacks kubernetes-validate 1.33.1's "
                       "v1.24.0-local-strict schemas there")
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
        return SCHEMAS_124 / "v1.24.0-local-strict"
    root = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    return Path(str(root)) / f"v{version}.0-local-strict"


@cache
def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def validator(version: str, kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    """kubernetes_validate.validate's schema lookup, cached (it re-reads the schemas per call)."""
    folder = schema_dir(version)
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = folder / f"{kind.lower()}-{group_version}.json"
    if not path.exists():
        return None
    schema = _json(path)
    registry: Registry[Any] = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(_json(folder / "_definitions.json")) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def resources_of(doc: Any) -> Iterator[Doc]:
    if not isinstance(doc, dict):
        return
    if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
        yield from (item for item in doc["items"] if isinstance(item, dict))
    else:
        yield doc


def problems(res: Doc, version: str) -> list[str] | None:
    """None: no schema for this kind; else the strict-validation errors (empty when valid)."""
    kind, api_version = res.get("kind"), res.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api_version, str):
        return None
    check = validator(version, kind, api_version)
    if check is None:
        return None
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in check.iter_errors(res)]


def identity(res: Doc) -> tuple[Any, ...]:
    raw = res.get("metadata")
    meta: Doc = raw if isinstance(raw, dict) else {}
    return res.get("apiVersion"), res.get("kind"), meta.get("namespace"), meta.get("name")


def load(text: str) -> list[Doc]:
    return [r for d in load_all(text) for r in resources_of(d)]


def validate_output(output: list[Doc], given: list[Doc], version: str) -> tuple[int, list[str]]:
    """(documents validated, failures) for output documents whose input counterpart (if any)
    is itself valid."""
    input_invalid = {identity(r) for r in given if problems(r, version)}
    checked = 0
    failures: list[str] = []
    for res in output:
        if identity(res) in input_invalid:
            continue
        found = problems(res, version)
        if found is None:
            continue
        checked += 1
        failures.extend(f"{identity(res)} @ {version}: {p}" for p in found)
    return checked, failures


GOLDEN_CASES = sorted(p for p in GOLDEN.iterdir() if (p / "expected.yaml").is_file())


def _version(text: str) -> tuple[int, int]:
    major, minor = re.findall(r"[0-9]+", text)[:2]
    return int(major), int(minor)


def made_for(case: Path, version: str) -> bool:
    """A case whose args name a --kube-version (native sidecars need 1.29) is output for that
    Kubernetes version and later, not for older schemas."""
    args_file = case / "args"
    args = args_file.read_text(encoding="utf-8").split() if args_file.exists() else []
    if "--kube-version" not in args:
        return True
    return _version(version) >= _version(args[args.index("--kube-version") + 1])


@pytest.mark.parametrize("version", VERSIONS)
def test_golden_outputs_validate(version: str) -> None:
    checked = 0
    failures: list[str] = []
    for case in GOLDEN_CASES:
        if not made_for(case, version):
            continue
        given = load((case / "input.yaml").read_text(encoding="utf-8"))
        n, found = validate_output(load((case / "expected.yaml").read_text(encoding="utf-8")),
                                   given, version)
        checked += n
        failures += [f"{case.name}: {f}" for f in found]
    assert not failures, "\n".join(failures[:40])
    assert checked >= 2 * sum(made_for(case, version) for case in GOLDEN_CASES), checked


def test_golden_outputs_keep_every_document() -> None:
    """Nothing lost, nothing invented: every golden output has the inputs' documents (List items
    included) in the same order, plus only the ServiceAccounts/Secrets created for multi-port pods."""
    for case in GOLDEN_CASES:
        given = [identity(r) for path in case_inputs(case)
                 for r in load(path.read_text(encoding="utf-8"))]
        output = [identity(r) for r in load((case / "expected.yaml").read_text(encoding="utf-8"))]
        created = [i for i in output if i not in given]
        assert all(i[1] in ("ServiceAccount", "Secret") for i in created), (case.name, created)
        assert [i for i in output if i in given] == given, case.name


@pytest.fixture(scope="module")
def example_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[Doc], list[Doc]]]:
    """chart -> (documents from `helm template` with the post-renderer, without it)."""
    env = make_helm_env(tmp_path_factory.mktemp("helm"))
    out: dict[str, tuple[list[Doc], list[Doc]]] = {}
    for chart in sorted(p for p in EXAMPLES.iterdir() if (p / "Chart.yaml").is_file()):
        post, plain = (load(env.render(3, chart, release=chart.name, namespace="apps", post=post))
                       for post in (True, False))
        out[chart.name] = (post, plain)
    assert len(out) >= 3, out.keys()
    return out


@pytest.mark.parametrize("version", VERSIONS)
def test_example_outputs_validate(version: str,
                                  example_outputs: dict[str, tuple[list[Doc], list[Doc]]]) -> None:
    failures: list[str] = []
    for chart, (output, given) in example_outputs.items():
        assert [identity(r) for r in output if r.get("kind") not in ("ServiceAccount", "Secret")] == [
            identity(r) for r in given if r.get("kind") not in ("ServiceAccount", "Secret")]
        checked, found = validate_output(output, given, version)
        assert checked == len([r for r in output if problems(r, version) is not None]), chart
        failures += [f"{chart}: {f}" for f in found]
    assert not failures, "\n".join(failures[:40])


def test_strict_validation_can_fail() -> None:
    """An unknown field in an injected container is caught (strict mode is on)."""
    docs = load((GOLDEN / "gold1-deployment" / "expected.yaml").read_text())
    deployment = next(d for d in docs if d.get("kind") == "Deployment")
    assert problems(deployment, NEWEST) == []
    deployment["spec"]["template"]["spec"]["containers"][-1]["sidecarMode"] = "yes"
    assert problems(deployment, NEWEST)


# ------------------------------------------------------------------ names injection creates


def pod_specs(res: Doc) -> Iterator[Doc]:
    node: Any = res
    path = {"Pod": (), "CronJob": ("spec", "jobTemplate", "spec", "template")}.get(
        str(res.get("kind")), ("spec", "template"))
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    spec = node.get("spec") if isinstance(node, dict) else None
    if isinstance(spec, dict):
        yield spec


def name_problems(spec: Doc) -> list[str]:
    found: list[str] = []
    containers = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    for container in containers:
        name = str(container.get("name"))
        if name.startswith(INJECTED_CONTAINERS) and not (DNS_LABEL.match(name) and len(name) <= 63):
            found.append(f"container name {name!r}")
        for port in container.get("ports") or []:
            pname = port.get("name")
            if pname is not None and not (IANA_SVC_NAME.match(pname) and len(pname) <= 15
                                          and re.search("[a-z]", pname) and "--" not in pname):
                found.append(f"port name {pname!r} of {name}")
        for env in container.get("env") or []:
            if not ENV_VAR_NAME.match(str(env.get("name"))):
                found.append(f"env var name {env.get('name')!r} of {name}")
    for volume in spec.get("volumes") or []:
        vname = str(volume.get("name"))
        if not (DNS_LABEL.match(vname) and len(vname) <= 63):
            found.append(f"volume name {vname!r}")
    return found


def injected_specs(docs: list[Doc]) -> Iterator[Doc]:
    for res in docs:
        for spec in pod_specs(res):
            if any(str(x.get("name")).startswith(c.ENVOY) for x in spec.get("containers") or []):
                yield spec


def test_golden_and_example_names_are_valid(
        example_outputs: dict[str, tuple[list[Doc], list[Doc]]]) -> None:
    specs = [s for case in GOLDEN_CASES
             for s in injected_specs(load((case / "expected.yaml").read_text()))]
    specs += [s for output, _ in example_outputs.values() for s in injected_specs(output)]
    assert len(specs) >= 100, len(specs)  # 103 golden and 4 example pods as of this writing
    failures = [p for spec in specs for p in name_problems(spec)]
    assert not failures, failures[:20]


def _multiport(count: int, health: bool, upstreams: str = "") -> Doc:
    names = [f"svc{i}" for i in range(count)]
    annotations = {"consul.hashicorp.com/connect-inject": "true",
                   "consul.hashicorp.com/connect-service": ",".join(names),
                   "consul.hashicorp.com/connect-service-port": ",".join(
                       str(8000 + i) for i in range(count)),
                   "consul.hashicorp.com/transparent-proxy": "false"}
    if health:
        annotations["consul.hashicorp.com/use-proxy-health-check"] = "true"
    if upstreams:
        annotations["consul.hashicorp.com/connect-service-upstreams"] = upstreams
    template = {"metadata": {"annotations": annotations},
                "spec": {"serviceAccountName": names[0], "containers": [
                    {"name": "app", "image": "x",
                     "ports": [{"containerPort": 8000 + i} for i in range(count)]}]}}
    return dict(inject.inject(settings_mod.Settings(), template, "apps", {}).template["spec"])


def test_multiport_names_at_the_length_limits() -> None:
    """36-character service names (the longest accepted), ten services, health checks, and
    upstream names with dots and underscores: every created name is valid."""
    long_name = "a" * 36
    template = {"metadata": {"annotations": {
        "consul.hashicorp.com/connect-inject": "true",
        "consul.hashicorp.com/connect-service": f"{long_name},b",
        "consul.hashicorp.com/connect-service-port": "8080,9090",
        "consul.hashicorp.com/transparent-proxy": "false",
        "consul.hashicorp.com/connect-service-upstreams": "db.tier_1:1234,prepared_query:q:2345"}},
        "spec": {"serviceAccountName": long_name, "containers": [
            {"name": "app", "image": "x", "ports": [{"containerPort": 8080}, {"containerPort": 9090}]}]}}
    spec = inject.inject(settings_mod.Settings(), template, "apps", {}).template["spec"]
    assert name_problems(spec) == []
    assert name_problems(_multiport(10, health=True, upstreams="web-api:1234,db_1:1235")) == []
    assert name_problems({"containers": [{"name": "envoy-sidecar", "ports": [
        {"name": "proxy-health-1000"}], "env": [{"name": "1BAD"}]}]}) == [
        "port name 'proxy-health-1000' of envoy-sidecar", "env var name '1BAD' of envoy-sidecar"]


def test_multiport_health_port_names_up_to_100_services() -> None:
    """proxy-health-99 is the last port name within 15 characters: 100 services inject with valid
    names, and without the health check there is no such port at all."""
    spec = _multiport(100, health=True)
    assert name_problems(spec) == []
    ports = [p["name"] for x in spec["containers"] for p in x.get("ports") or [] if "name" in p]
    assert "proxy-health-99" in ports
    assert name_problems(_multiport(101, health=False)) == []


def test_multiport_health_beyond_100_services_is_refused() -> None:
    """The 101st service would need port name proxy-health-100 (16 characters): refused, naming
    the annotation, instead of a pod Kubernetes rejects."""
    with pytest.raises(ConsulInjectError) as caught:
        _multiport(101, health=True)
    (problem,) = caught.value.problems
    assert problem.key == "consul.hashicorp.com/use-proxy-health-check"
    assert problem.message.startswith("101 services would need port names from proxy-health-100 on")
    assert problem.fix == "at most 100 services with the proxy health check"
