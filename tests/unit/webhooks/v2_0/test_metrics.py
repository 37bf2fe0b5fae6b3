"""metrics: Prometheus and merging of one pod (spec 3.14), TV-100 (TV-74..77 in test_dataplane)."""

from __future__ import annotations

import pytest

from consul_inject.problems import TemplateError
from consul_inject.webhooks.v2_0.metrics import resolve_metrics
from tests.unit.webhooks.v2_0.support import ZERO, P, app, with_

SPEC = {"containers": [app(ports=[{"name": "http", "containerPort": 8080}])]}
ON = with_(ZERO, metrics=True, metrics_merging=True)


def metrics(annotations: dict[str, str], settings: object = ON) -> object:
    return resolve_metrics(settings, annotations, SPEC, {"name": "p"})  # type: ignore[arg-type]


@pytest.mark.parametrize(("annotations", "port"), [
    ({P + "service-metrics-port": "9000"}, 9000), ({P + "connect-service-port": "1234"}, 1234),
    ({}, 0), ({P + "connect-service-port": "http"}, 8080)])
def test_tv100_service_metrics_port(annotations: dict[str, str], port: int) -> None:
    """TV-100"""
    result = resolve_metrics(ON, annotations, SPEC, {"name": "p"})
    assert result.service_port == port
    assert result.merging is (port > 0)


def test_tv100_invalid_merging_flag() -> None:
    """TV-100"""
    with pytest.raises(TemplateError) as info:
        resolve_metrics(ON, {P + "enable-metrics-merging": "not-a-bool"}, SPEC, {})
    assert info.value.problems[0].key == P + "enable-metrics-merging"


def test_merging_needs_metrics() -> None:
    result = resolve_metrics(with_(ON, metrics=False), {P + "connect-service-port": "1"}, SPEC, {})
    assert (result.merging_enabled, result.merging) == (True, False)


def test_the_scrape_port_is_checked_even_with_metrics_off() -> None:
    with pytest.raises(TemplateError):
        resolve_metrics(ZERO, {P + "prometheus-scrape-port": "80"}, SPEC, {})


def test_the_merged_port_is_checked_only_when_merging_runs() -> None:
    bad = {P + "merged-metrics-port": "80"}
    assert resolve_metrics(ZERO, bad, SPEC, {}).merged_port == 20100
    with pytest.raises(TemplateError):
        resolve_metrics(ON, {**bad, P + "connect-service-port": "1"}, SPEC, {})


def test_empty_values_mean_the_defaults() -> None:
    result = resolve_metrics(ON, {P + "enable-metrics": "", P + "prometheus-scrape-path": "",
                                  P + "connect-service-port": "1"}, SPEC, {})
    assert (result.enabled, result.scrape_path, result.service_path) == (True, "/metrics",
                                                                         "/metrics")
