"""webhooks.v0_49: the consul-k8s 0.49 webhook as one object; each method is its module's."""

from __future__ import annotations

from typing import Any

from consul_inject.webhooks import base
from consul_inject.webhooks.v0_49 import WEBHOOK, advice, decide, mutate, settings, uninject
from consul_inject.webhooks.v0_49 import annotations as ann

TEMPLATE: dict[str, Any] = {
    "metadata": {"labels": {"app": "web"}, "annotations": {ann.INJECT: "true"}},
    "spec": {"containers": [{"name": "web", "image": "x",
                             "ports": [{"name": "http", "containerPort": 8080}]}]},
}


def test_it_is_a_webhook() -> None:
    hook: base.Webhook[settings.Settings] = WEBHOOK
    assert (hook.version, hook.release) == ("0.49", "0.49.8")


def test_settings_map_the_values_with_the_command_line_s_facts() -> None:
    context = base.SettingsContext(release="mesh", dns_ip="10.0.0.10")
    found = WEBHOOK.settings({}, context)
    assert found == settings.from_values({}, release="mesh", dns_ip="10.0.0.10")
    assert found.consul_k8s_version == "0.49"


def test_decide_inject_uninject_and_advice_are_the_modules() -> None:
    defaults = settings.Settings()
    meta = TEMPLATE["metadata"]
    assert WEBHOOK.decide(defaults, meta, "apps", {}) == decide.decide(defaults, meta, "apps", {})
    injection = WEBHOOK.inject(defaults, TEMPLATE, "apps", namespace_labels={}, namespace_annotations=None,
                               token_secret=lambda account: account)
    assert injection == mutate.inject(defaults, TEMPLATE, "apps", {})
    assert WEBHOOK.is_injected(injection.template)
    assert not WEBHOOK.is_injected(TEMPLATE)
    assert WEBHOOK.uninject(injection.template) == uninject.uninject(injection.template) == \
        TEMPLATE
    resource = {"kind": "Job", "spec": {"template": TEMPLATE}}
    assert WEBHOOK.advice(resource, ("spec", "template"), TEMPLATE, injection.template) == \
        advice.advice(resource, ("spec", "template"), TEMPLATE, injection.template) != []


def test_the_token_secret_reaches_the_mutation() -> None:
    acls = settings.Settings(auth_method="consul-k8s-auth-method")
    multi = {"metadata": {"annotations": {ann.SERVICE: "web,admin", ann.SERVICE_PORT: "8080,9090",
                                          ann.TPROXY: "false"}},
             "spec": {"serviceAccountName": "web", "containers": [
                 {"name": "web", "ports": [{"containerPort": 8080}, {"containerPort": 9090}]}]}}
    injection = WEBHOOK.inject(acls, multi, "apps", namespace_labels={}, namespace_annotations=None,
                               token_secret=lambda account: f"{account}-token")
    assert {"name": "admin-service-account", "secret": {"secretName": "admin-token"}} in \
        injection.template["spec"]["volumes"]
