"""The worked example (spec section 5): the seed's static-server under the chart's defaults,
compared whole by meaning, for 2.0 and for 1.9 (images, version annotations and the
original-pod creationTimestamp differ).

Knowingly different: the webhook's original-pod is Go's JSON of the Pod struct, with
`"resources":{}` on every container; ours is the template as written (what uninject restores
from), so original-pod is compared as JSON without empty resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from consul_inject import yamlcodec
from consul_inject.webhooks.base import SettingsContext
from consul_inject.webhooks.v2_0 import mutate, uninject
from consul_inject.webhooks.v2_0.settings import V1_9, V2_0, Settings, Variant, from_values

HERE = Path(__file__).parent
ORIGINAL = "consul.hashicorp.com/original-pod"
SEED = """\
metadata:
  name: static-server
  labels:
    app: static-server
  annotations:
    'consul.hashicorp.com/connect-inject': 'true'
spec:
  containers:
  - name: static-server
    image: hashicorp/http-echo:latest
    args:
    - -text="hello world"
    - -listen=:8080
    ports:
    - containerPort: 8080
      name: http
  serviceAccountName: static-server
"""


def chart_defaults(variant: Variant) -> Settings:
    """The settings of the chart's default render with global.name=consul (section 4.2)."""
    release = variant.release
    return Settings()._replace(
        variant=variant, namespace_selector=variant.namespace_selector,
        addresses="consul-server.consul.svc", cluster_dns_ip="10.96.0.10",
        image_consul_k8s=f"hashicorp/consul-k8s-control-plane:{release}",
        image_dataplane=f"hashicorp/consul-dataplane:{release}")


def expected(variant: Variant) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / "static_server_injected.yaml").read_text())
    if variant is V2_0:
        return data
    text = json.dumps(data).replace("2.0.3", variant.release)
    data = json.loads(text)
    original = json.loads(data["metadata"]["annotations"][ORIGINAL])
    original["metadata"] = {"name": original["metadata"].pop("name"), "creationTimestamp": None,
                            **original["metadata"]}
    data["metadata"]["annotations"][ORIGINAL] = json.dumps(original)
    return data


def _without_empty_resources(pod: Any) -> Any:
    for item in pod["spec"].get("containers") or []:
        if item.get("resources") == {}:
            del item["resources"]
    return pod


def meaning(template: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(template))
    annotations = out["metadata"]["annotations"]
    annotations[ORIGINAL] = _without_empty_resources(json.loads(annotations[ORIGINAL]))
    return out


@pytest.mark.parametrize("variant", [V2_0, V1_9], ids=["2.0", "1.9"])
def test_the_worked_example(variant: Variant) -> None:
    seed = yamlcodec.load(SEED)
    result = mutate.inject(chart_defaults(variant), seed, "default", {}).template
    assert meaning(result) == meaning(expected(variant))
    assert [c["name"] for c in result["spec"]["containers"]] == ["consul-dataplane",
                                                                 "static-server"]
    original = result["metadata"]["annotations"][ORIGINAL]
    assert ('"creationTimestamp":null' in original) is (variant is V1_9)
    assert uninject.uninject(result) == seed


@pytest.mark.parametrize("variant", [V2_0, V1_9], ids=["2.0", "1.9"])
def test_the_chart_defaults_make_those_settings(variant: Variant) -> None:
    """The settings above are what the values mapping makes of the chart's defaults."""
    values = {"global": {"name": "consul"},
              "consulInject": {"clusterDNSIP": "10.96.0.10", "consulK8sVersion": variant.version}}
    made = from_values(values,
                       SettingsContext(release="consul", release_namespace="consul"), variant)
    assert made == chart_defaults(variant)
