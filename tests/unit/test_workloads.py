"""workloads: which kinds (from which API groups) hold a pod template and where, how messages
name a resource, the `v1 List` items, and the copy-on-write helpers injection uses."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consul_inject import workloads
from consul_inject.problems import ConsulInjectError
from consul_inject.workloads import Ref

TEMPLATE = {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web"}]}}


def resource(kind: str, api_version: str, template: Any = TEMPLATE) -> dict[str, Any]:
    """A resource of `kind` holding `template` where that kind keeps it."""
    if kind == "Pod":
        return {"apiVersion": api_version, "kind": kind, **template}
    if kind == "CronJob":
        return {"apiVersion": api_version, "kind": kind,
                "spec": {"jobTemplate": {"spec": {"template": template}}}}
    return {"apiVersion": api_version, "kind": kind, "spec": {"template": template}}


# --- api_group ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("api_version", "group"), [
    ("v1", ""), ("apps/v1", "apps"), ("batch/v1beta1", "batch"),
    ("networking.k8s.io/v1", "networking.k8s.io"), ("example.com/v1/extra", "example.com/v1"),
    ("", None), (None, None), (1, None), (["apps/v1"], None),
])
def test_api_group(api_version: object, group: str | None) -> None:
    assert workloads.api_group(api_version) == group


# --- template_path, get_template ------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "api_version", "path"), [
    ("Pod", "v1", ()),
    ("ReplicationController", "v1", ("spec", "template")),
    ("Deployment", "apps/v1", ("spec", "template")),
    ("Deployment", "extensions/v1beta1", ("spec", "template")),
    ("StatefulSet", "apps/v1", ("spec", "template")),
    ("DaemonSet", "apps/v1", ("spec", "template")),
    ("DaemonSet", "extensions/v1beta1", ("spec", "template")),
    ("ReplicaSet", "apps/v1", ("spec", "template")),
    ("Job", "batch/v1", ("spec", "template")),
    ("CronJob", "batch/v1", ("spec", "jobTemplate", "spec", "template")),
    ("CronJob", "batch/v1beta1", ("spec", "jobTemplate", "spec", "template")),
])
def test_template_path_of_every_workload_kind(kind: str, api_version: str,
                                              path: tuple[str, ...]) -> None:
    res = resource(kind, api_version)
    assert workloads.template_path(res) == path
    template = workloads.get_template(res, path)
    assert template is not None
    assert {key: template[key] for key in TEMPLATE} == TEMPLATE
    assert kind in workloads.WORKLOAD_KINDS


@pytest.mark.parametrize(("kind", "api_version"), [
    ("Deployment", "v1"),  # a kind of the core group's name space, not apps
    ("Deployment", "example.com/v1"),  # a custom resource that borrows the name
    ("Pod", "apps/v1"),
    ("StatefulSet", "extensions/v1beta1"),  # never served from extensions
    ("Job", "apps/v1"),
    ("CronJob", "apps/v1"),
    ("ConfigMap", "v1"),
    ("Service", "v1"),
    ("deployment", "apps/v1"),  # kinds are case-sensitive
    ("Deployment", ""),
])
def test_template_path_is_none_for_what_is_not_a_workload(kind: str, api_version: str) -> None:
    assert workloads.template_path(resource(kind, api_version)) is None


@pytest.mark.parametrize("res", [{}, {"kind": None}, {"kind": ["Pod"]}, {"kind": "Pod"},
                                 {"kind": "Deployment", "apiVersion": 1}])
def test_template_path_of_broken_resources(res: dict[str, Any]) -> None:
    assert workloads.template_path(res) is None


@pytest.mark.parametrize("res", [
    {"spec": None}, {"spec": "x"}, {"spec": {"template": None}}, {"spec": {"template": []}},
    {"spec": {"template": "web"}}, {},
])
def test_get_template_is_none_without_a_mapping_on_the_path(res: dict[str, Any]) -> None:
    assert workloads.get_template(res, ("spec", "template")) is None


def test_get_template_of_a_pod_is_the_pod() -> None:
    pod = resource("Pod", "v1")
    assert workloads.get_template(pod, ()) is pod


# --- with_template ---------------------------------------------------------------------------------


def test_with_template_copies_only_the_maps_on_the_path() -> None:
    res = resource("CronJob", "batch/v1")
    res["metadata"] = {"name": "nightly"}
    new_template: dict[str, Any] = {"metadata": {}, "spec": {"containers": []}}
    out = workloads.with_template(res, ("spec", "jobTemplate", "spec", "template"), new_template)
    assert out["spec"]["jobTemplate"]["spec"]["template"] is new_template
    assert res["spec"]["jobTemplate"]["spec"]["template"] == TEMPLATE  # the input is untouched
    assert out["metadata"] is res["metadata"]  # off the path: shared, not copied
    assert out is not res
    assert out["spec"] is not res["spec"]


def test_with_template_of_a_pod_is_the_template() -> None:
    new_template = {"metadata": {"name": "p"}}
    assert workloads.with_template(resource("Pod", "v1"), (), new_template) is new_template


# --- copy_tree --------------------------------------------------------------------------------------

TREES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=15,
)


def _containers(data: Any) -> list[int]:
    """The ids of every dict and list in a tree."""
    if isinstance(data, dict):
        return [id(data), *(i for v in data.values() for i in _containers(v))]
    if isinstance(data, list):
        return [id(data), *(i for v in data for i in _containers(v))]
    return []


@given(TREES)
def test_copy_tree_is_equal_and_shares_no_collection(data: Any) -> None:
    copied = workloads.copy_tree(data)
    assert copied == data
    assert not set(_containers(copied)) & set(_containers(data))


def test_copy_tree_keeps_key_order() -> None:
    data = {"b": 1, "a": [{"z": 1, "y": 2}]}
    copied = workloads.copy_tree(data)
    assert list(copied) == ["b", "a"]
    assert list(copied["a"][0]) == ["z", "y"]


# --- ref_of ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("res", "ref"), [
    ({"kind": "Deployment", "metadata": {"name": "web", "namespace": "apps"}},
     Ref("Deployment", "web", "apps")),
    ({"kind": "Deployment", "metadata": {"name": "web"}}, Ref("Deployment", "web", "default")),
    ({"kind": "Job", "metadata": {"generateName": "job-"}}, Ref("Job", "job-", "default")),
    ({"kind": "Pod", "metadata": {"name": "p", "generateName": "x-"}}, Ref("Pod", "p", "default")),
    ({"kind": "Pod", "metadata": {"name": 12}}, Ref("Pod", "12", "default")),
    ({"kind": "Pod", "metadata": "web"}, Ref("Pod", "", "default")),
    ({"kind": "Pod", "metadata": {"name": "p", "namespace": ["a", "b"]}}, Ref("Pod", "p", "")),
    ({"kind": "Pod", "metadata": {"name": "p", "namespace": ""}}, Ref("Pod", "p", "default")),
    ({"kind": 7, "metadata": {"name": "p"}}, Ref("", "p", "default")),
    ({}, Ref("", "", "default")),
])
def test_ref_of(res: dict[str, Any], ref: Ref) -> None:
    assert workloads.ref_of(res, "default") == ref


@pytest.mark.parametrize(("ref", "text"), [
    (Ref("Deployment", "web", "apps"), 'deployment "web"'),
    (Ref("CronJob", "nightly", "apps"), 'cronjob "nightly"'),
    (Ref("", "x", "apps"), 'document "x"'),
    (Ref("Pod", "", "apps"), 'pod ""'),
])
def test_ref_reads_as_messages_name_it(ref: Ref, text: str) -> None:
    assert str(ref) == text


# --- valid_namespace, service_account ------------------------------------------------------------


@pytest.mark.parametrize(("namespace", "valid"), [
    ("default", True), ("team-a", True), ("a" * 63, True), ("1abc", True),
    ("", False), ("a" * 64, False), ("Apps", False), ("a_b", False), ("a.b", False),
    ('a";reboot;"', False), ("a b", False), ("-a", False), ("a-", False), ("ns\n", False),
])
def test_valid_namespace(namespace: str, valid: bool) -> None:
    assert workloads.valid_namespace(namespace) is valid


@pytest.mark.parametrize(("spec", "account"), [
    ({"serviceAccountName": "web"}, "web"),
    ({"serviceAccount": "old"}, "old"),  # the deprecated alias
    ({"serviceAccountName": "web", "serviceAccount": "old"}, "web"),
    ({"serviceAccountName": ""}, "default"),
    ({"serviceAccountName": None}, "default"),
    ({}, "default"),
])
def test_service_account(spec: dict[str, Any], account: str) -> None:
    assert workloads.service_account(spec) == account


# --- Lists ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("res", "is_list"), [
    ({"apiVersion": "v1", "kind": "List", "items": []}, True),
    ({"apiVersion": "v1", "kind": "DeploymentList", "items": [{}]}, True),
    ({"apiVersion": "v1", "kind": "List"}, False),  # no items
    ({"apiVersion": "v1", "kind": "List", "items": None}, False),
    ({"apiVersion": "v1", "kind": "List", "items": {"a": 1}}, False),
    ({"apiVersion": "apps/v1", "kind": "DeploymentList", "items": []}, False),  # not v1 List
    ({"apiVersion": "example.com/v1", "kind": "WidgetList", "items": []}, False),
    ({"apiVersion": "v1", "kind": "Listing", "items": []}, False),
    ({"apiVersion": "v1", "kind": ["List"], "items": []}, False),
])
def test_is_list(res: dict[str, Any], is_list: bool) -> None:
    assert workloads.is_list(res) is is_list


def test_resources_of_a_list_are_it_and_its_mapping_items() -> None:
    first, second = {"kind": "Service"}, {"kind": "Deployment"}
    lst = {"apiVersion": "v1", "kind": "List", "items": [first, "junk", None, second]}
    assert list(workloads.resources(lst)) == [lst, first, second]
    assert list(workloads.list_items(lst)) == [(0, first), (1, "junk"), (2, None), (3, second)]


@pytest.mark.parametrize("doc", [None, "text", 5, ["a"], {"kind": "Pod"}])
def test_resources_of_anything_else(doc: Any) -> None:
    assert list(workloads.resources(doc)) == ([doc] if isinstance(doc, dict) else [])


def test_items_of_a_custom_list_kind_are_not_resources() -> None:
    """Only a `v1` List's items are read: a custom resource's items are its own business."""
    widgets = {"apiVersion": "example.com/v1", "kind": "WidgetList", "items": [{"kind": "Pod"}]}
    assert list(workloads.resources(widgets)) == [widgets]
    assert list(workloads.list_items(widgets)) == [(0, {"kind": "Pod"})]


# --- custom workloads (issue 12 item 5) -----------------------------------------------------------

@pytest.mark.parametrize(("kind", "api_version"), [
    ("Rollout", "argoproj.io/v1alpha1"), ("CloneSet", "apps.kruise.io/v1alpha1"),
    ("StatefulSet", "apps.kruise.io/v1beta1"), ("DaemonSet", "apps.kruise.io/v1alpha1"),
])
def test_well_known_custom_workloads_keep_their_template_at_spec_template(
        kind: str, api_version: str) -> None:
    res = {"apiVersion": api_version, "kind": kind, "spec": {"template": TEMPLATE}}
    assert workloads.template_path(res) == ("spec", "template")
    assert kind in workloads.WORKLOAD_KINDS


def test_kinds_the_settings_add() -> None:
    kinds = workloads.kinds_from([("batch.acme.example/WorkerPool", "spec.worker.podTemplate"),
                                  ("Canary", "spec.template")])
    pool = {"apiVersion": "batch.acme.example/v1", "kind": "WorkerPool"}
    assert workloads.template_path(pool, kinds) == ("spec", "worker", "podTemplate")
    assert workloads.template_path({**pool, "apiVersion": "other.example/v1"}, kinds) is None
    # A bare Kind is any API group's, never the core group's.
    assert workloads.template_path({"apiVersion": "flagger.app/v1beta1", "kind": "Canary"},
                                   kinds) == ("spec", "template")
    assert workloads.template_path({"apiVersion": "v1", "kind": "Canary"}, kinds) is None
    assert kinds.names == {"WorkerPool", "Canary"}
    # Restating a well-known kind's own path changes nothing.
    assert workloads.kinds_from([("Rollout", "spec.template")]).added == {
        (None, "Rollout"): ("spec", "template")}


@pytest.mark.parametrize(("kind", "path", "message"), [
    ("Deployment", "spec.template", "Deployment is a built-in kind (its pod template: "
     "spec.template); to add a custom resource of that name, give its API group, e.g. "
     "example.com/Deployment"),
    ("Pod", "spec", "Pod is a built-in kind (its pod template: the resource itself)"),
    ("apps/Deployment", "spec.template", '"apps/Deployment" is not a Kind or <apiGroup>/<Kind>'),
    ("Rollout", "spec.workloadRef", "argoproj.io/Rollout is injected already, its pod template "
     "at spec.template; remove this entry, or give another API group: <apiGroup>/Rollout"),
    ("rollout", "spec.template", '"rollout" is not a Kind'),
    ("WorkerPool", "spec..template", '"spec..template" is not a dotted path of field names'),
    ("WorkerPool", "spec.templates[0]", "is not a dotted path"),
])
def test_kinds_that_would_turn_injection_into_nonsense_are_refused(kind: str, path: str,
                                                                   message: str) -> None:
    with pytest.raises(ConsulInjectError) as info:
        workloads.kinds_from([(kind, path)])
    text = info.value.problems[0].text()
    assert text.startswith(f"--workload-kind {kind}={path} (values consulInject.workloadKinds): ")
    assert message in text


def test_the_flag_becomes_a_set_string_with_the_group_s_dots_escaped() -> None:
    assert workloads.workload_kind_setting("argoproj.io/Rollout=spec.template") == \
        "consulInject.workloadKinds.argoproj\\.io/Rollout=spec.template"
    for bad in ("Rollout", "Rollout=", "a,b=spec", "Rollout=spec.template,x=y", "=spec"):
        with pytest.raises(ConsulInjectError, match="expected KIND=PATH"):
            workloads.workload_kind_setting(bad)


def annotated(value: str = "true") -> dict[str, Any]:
    return {"metadata": {"annotations": {"consul.hashicorp.com/connect-inject": value}},
            "spec": {"containers": [{"name": "run", "image": "busybox"}]}}


def test_an_unknown_custom_resource_with_an_annotated_pod_template_is_named() -> None:
    job = {"apiVersion": "scheduling.acme.example/v1", "kind": "ScheduledRun",
           "spec": {"jobTemplate": {"spec": {"template": annotated()}}}}
    warning = workloads.unlisted_kind(job)
    assert warning is not None
    assert "pass --workload-kind scheduling.acme.example/ScheduledRun=spec.jobTemplate.spec." \
        "template (values consulInject.workloadKinds:" in warning
    assert workloads.unlisted_kind({**job, "spec": {"template": annotated("false")}}) is None
    assert workloads.unlisted_kind({**job, "spec": {"template": {"spec": {"containers": "x"}}}}) \
        is None
    assert workloads.unlisted_kind({"apiVersion": "v1", "kind": "PodTemplate",
                                    "spec": {"template": annotated()}}) is None


@pytest.mark.parametrize(("res", "path", "selector"), [
    ({"spec": {"selector": {"matchLabels": {"app": "web"}}}}, ("spec", "template"), {"app": "web"}),
    ({"spec": {"selector": {"app": "web"}}}, ("spec", "template"), {"app": "web"}),  # an RC's
    ({"spec": {"selector": {"matchExpressions": []}}}, ("spec", "template"), None),
    ({"spec": {"jobTemplate": {"spec": {}}}}, ("spec", "jobTemplate", "spec", "template"), None),
    ({"spec": {}}, (), None),
    ({"spec": {"selector": {"matchLabels": {"tier": 1}}}}, ("spec", "template"), None),
])
def test_pod_selector(res: dict[str, Any], path: tuple[str, ...],
                      selector: dict[str, str] | None) -> None:
    assert workloads.pod_selector(res, path) == selector
