"""podshape.check: the parts of a pod template injection reads or writes must have Kubernetes'
shapes; the first wrong one is refused with one problem naming the field by its full path."""

from __future__ import annotations

from typing import Any

import pytest

from consul_inject import podshape, workloads
from consul_inject.problems import TemplateError

PREFIX = "spec.template"


def template(**spec: Any) -> dict[str, Any]:
    """A valid template; `spec` items replace the spec's (None: removed)."""
    out: dict[str, Any] = {
        "metadata": {"labels": {"app": "web"}, "annotations": {"a": "1"}},
        "spec": {"containers": [{"name": "web", "image": "x", "ports": [{"containerPort": 80}],
                                 "readinessProbe": {"httpGet": {"port": 80}}}],
                 "initContainers": [{"name": "init", "image": "y"}],
                 "volumes": [{"name": "data", "emptyDir": {}}],
                 "securityContext": {"runAsUser": 1000}},
    }
    for key, value in spec.items():
        if value is None:
            del out["spec"][key]
        else:
            out["spec"][key] = value
    return out


def refusal(data: dict[str, Any], prefix: str = PREFIX) -> tuple[str, str, str]:
    with pytest.raises(TemplateError) as info:
        podshape.check(data, prefix)
    (problem,) = info.value.problems
    return problem.key, problem.message, problem.fix


def test_a_valid_template_passes() -> None:
    podshape.check(template(), PREFIX)
    podshape.check(template(initContainers=None, volumes=None, securityContext=None), PREFIX)
    podshape.check({"spec": {"containers": [{"name": "web"}]}}, PREFIX)  # no metadata at all
    podshape.check({"metadata": None, "spec": {"containers": [{"name": "web", "env": None}]}},
                   PREFIX)  # null is Kubernetes' "not set"


@pytest.mark.parametrize(("data", "key", "message"), [
    ({"metadata": "web", "spec": {"containers": [{"name": "a"}]}}, "spec.template.metadata",
     "is a string, expected a mapping"),
    ({"metadata": {"annotations": ["a"]}, "spec": {"containers": [{"name": "a"}]}},
     "spec.template.metadata.annotations", "is a list, expected a mapping"),
    ({"metadata": {"labels": "app=web"}, "spec": {"containers": [{"name": "a"}]}},
     "spec.template.metadata.labels", "is a string, expected a mapping"),
    ({"metadata": {}, "spec": ["a"]}, "spec.template.spec", "is a list, expected a mapping"),
])
def test_wrong_metadata_and_spec_shapes(data: dict[str, Any], key: str, message: str) -> None:
    assert refusal(data)[:2] == (key, message)


@pytest.mark.parametrize(("spec", "key", "message"), [
    ({"securityContext": "root"}, "spec.template.spec.securityContext",
     "is a string, expected a mapping"),
    ({"volumes": {"name": "data"}}, "spec.template.spec.volumes", "is a mapping, expected a list"),
    ({"volumes": ["data"]}, "spec.template.spec.volumes[0]", "is a string, expected a mapping"),
    ({"containers": "web"}, "spec.template.spec.containers", "is a string, expected a list"),
    ({"containers": [None]}, "spec.template.spec.containers[0]", "is empty, expected a mapping"),
    ({"containers": [{"name": "a"}, 5]}, "spec.template.spec.containers[1]",
     "is a number, expected a mapping"),
    ({"initContainers": {"name": "i"}}, "spec.template.spec.initContainers",
     "is a mapping, expected a list"),
    ({"containers": [{"image": "x"}]}, "spec.template.spec.containers[0].name",
     "is missing or not a string"),
    ({"containers": [{"name": 5}]}, "spec.template.spec.containers[0].name",
     "is missing or not a string"),
    ({"initContainers": [{"name": None}]}, "spec.template.spec.initContainers[0].name",
     "is missing or not a string"),
    ({"containers": [{"name": "a", "ports": {"containerPort": 80}}]},
     "spec.template.spec.containers[0].ports", "is a mapping, expected a list"),
    ({"containers": [{"name": "a", "env": ["A=1"]}]}, "spec.template.spec.containers[0].env[0]",
     "is a string, expected a mapping"),
    ({"containers": [{"name": "a", "volumeMounts": "data"}]},
     "spec.template.spec.containers[0].volumeMounts", "is a string, expected a list"),
    ({"containers": [{"name": "a", "securityContext": True}]},
     "spec.template.spec.containers[0].securityContext", "is a boolean, expected a mapping"),
    ({"containers": [{"name": "a", "livenessProbe": []}]},
     "spec.template.spec.containers[0].livenessProbe", "is a list, expected a mapping"),
    ({"containers": [{"name": "a", "startupProbe": {"httpGet": "/healthz"}}]},
     "spec.template.spec.containers[0].startupProbe.httpGet", "is a string, expected a mapping"),
    ({"containers": [{"name": "a", "readinessProbe": {"httpGet": 1.5}}]},
     "spec.template.spec.containers[0].readinessProbe.httpGet", "is a number, expected a mapping"),
])
def test_wrong_spec_shapes(spec: dict[str, Any], key: str, message: str) -> None:
    found = refusal(template(**spec))
    assert found[:2] == (key, message)
    assert found[2] == "fix the manifest; Kubernetes would reject it too" or \
        message.startswith(("is missing", "is empty"))


@pytest.mark.parametrize(("spec", "message"), [
    ({"containers": []}, "is empty"),
    ({"containers": None}, "is missing"),  # removed from the spec
])
def test_a_pod_without_containers_is_refused(spec: dict[str, Any], message: str) -> None:
    """Kubernetes requires at least one container; injecting would make a pod that runs only
    the sidecar."""
    assert refusal(template(**spec)) == ("spec.template.spec.containers", message,
                                         "a pod needs at least one container; Kubernetes "
                                         "would reject it too")


def test_a_null_containers_value_is_empty() -> None:
    data = template()
    data["spec"]["containers"] = None
    assert refusal(data)[:2] == ("spec.template.spec.containers", "is empty")
    assert refusal({"metadata": {}})[:2] == ("spec.template.spec.containers", "is missing")


@pytest.mark.parametrize(("key", "value", "message"), [
    ("annotations", {"consul.hashicorp.com/connect-inject": True},
     "value True is a bool, not a string"),
    ("annotations", {"consul.hashicorp.com/connect-service-port": 8080},
     "value 8080 is a int, not a string"),
    ("labels", {"app": None}, "value None is a NoneType, not a string"),
])
def test_annotation_and_label_values_must_be_strings(key: str, value: dict[str, Any],
                                                     message: str) -> None:
    data = template()
    data["metadata"][key] = value
    name, found, fix = refusal(data)
    assert (name, found) == (next(iter(value)), message)
    assert fix.startswith(f"{key[:-1]} values must be quoted strings")


def test_annotation_keys_must_be_strings() -> None:
    data = template()
    data["metadata"]["annotations"] = {1: "one"}
    assert refusal(data)[:2] == ("spec.template.metadata.annotations", "has a non-string key 1")


def test_a_pod_is_named_without_a_prefix() -> None:
    """A Pod is its own template: its fields are named from the top."""
    pod = {"apiVersion": "v1", "kind": "Pod", **template(containers=[])}
    assert workloads.template_path(pod) == ()
    assert refusal(pod, "")[0] == "spec.containers"
    assert refusal({"metadata": [], "spec": {}}, "")[0] == "metadata"


def test_the_first_wrong_field_is_the_one_named() -> None:
    """metadata before spec, volumes before containers, init containers before containers."""
    data = template(volumes="x", containers=[{"name": 1}], initContainers=[{"name": 2}])
    assert refusal(data)[0] == "spec.template.spec.volumes"
    del data["spec"]["volumes"]
    assert refusal(data)[0] == "spec.template.spec.initContainers[0].name"
    data["metadata"] = "x"
    assert refusal(data)[0] == "spec.template.metadata"


@pytest.mark.parametrize(("resource", "key"), [
    ({"metadata": "web"}, "metadata"),
    ({"metadata": {"namespace": ["a", "b"]}}, "metadata.namespace"),
    ({"metadata": {"name": 7}}, "metadata.name"),
])
def test_workload_metadata_must_have_kubernetes_shapes(resource: dict[str, Any], key: str) -> None:
    with pytest.raises(TemplateError) as info:
        podshape.check_metadata(resource)
    assert info.value.problems[0].key == key


def test_plain_metadata_passes() -> None:
    podshape.check_metadata({"metadata": {"name": "web", "namespace": "apps"}})
    podshape.check_metadata({})
