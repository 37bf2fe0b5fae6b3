"""Prometheus metrics and metrics merging of one pod (spec sections 2 and 3.14): the values
the webhook evaluates even when metrics are off are checked even then, as it does."""

from collections.abc import Mapping
from typing import Any, NamedTuple

from consul_inject import podmeta
from consul_inject.problems import TemplateError
from consul_inject.webhooks.v2_0 import annotations as ann
from consul_inject.webhooks.v2_0.reads import port
from consul_inject.webhooks.v2_0.settings import Settings


class Metrics(NamedTuple):
    enabled: bool
    merging_enabled: bool  # the enable-metrics-merging value itself (multi-port refuses it)
    merging: bool  # merging runs: metrics, merging and a service metrics port
    merged_port: int
    scrape_port: int
    scrape_path: str
    service_port: int
    service_path: str
    tls: tuple[str, str, str, str] | None  # ca file, ca path, cert, key; None: no TLS


def _service_port(a: Mapping[str, Any], spec: Mapping[str, Any],
                  meta: Mapping[str, Any]) -> int:
    if podmeta.get(a, ann.SERVICE_METRICS_PORT):
        return port(a, spec, ann.SERVICE_METRICS_PORT, "0", 1)
    raw = podmeta.get(a, podmeta.SERVICE_PORT)
    if not raw:
        return 0
    try:
        return podmeta.port_value(spec, raw)
    except ValueError:
        raise TemplateError(podmeta.SERVICE_PORT, f"{raw} is not a valid port on the pod "
                            f"{meta.get('name') or ''}".rstrip(),
                            "expected a containerPort number or the name of a container port"
                            ) from None


def _tls(a: Mapping[str, Any]) -> tuple[str, str, str, str] | None:
    values = tuple(podmeta.get(a, key) or "" for key in (
        ann.PROMETHEUS_CA_FILE, ann.PROMETHEUS_CA_PATH, ann.PROMETHEUS_CERT_FILE,
        ann.PROMETHEUS_KEY_FILE))
    if not any(values):
        return None
    if not (values[0] or values[1]):
        raise TemplateError(ann.PROMETHEUS_CA_FILE, f'must set one of "{ann.PROMETHEUS_CA_FILE}" '
                            f'or "{ann.PROMETHEUS_CA_PATH}" when providing prometheus TLS config')
    for key, value in ((ann.PROMETHEUS_CERT_FILE, values[2]), (ann.PROMETHEUS_KEY_FILE, values[3])):
        if not value:
            raise TemplateError(key, f'must set "{key}" when providing prometheus TLS config')
    return values[0], values[1], values[2], values[3]


def resolve_metrics(settings: Settings, a: Mapping[str, Any], spec: Mapping[str, Any],
                    meta: Mapping[str, Any]) -> Metrics:
    enabled = podmeta.get_bool(a, ann.ENABLE_METRICS, settings.metrics, empty_is_default=True)
    merging = podmeta.get_bool(a, ann.ENABLE_METRICS_MERGING, settings.metrics_merging,
                               empty_is_default=True)
    service_port = _service_port(a, spec, meta)
    runs = enabled and merging and service_port > 0
    merged_port = port(a, spec, ann.MERGED_METRICS_PORT, settings.merged_metrics_port, 1024) \
        if runs else int(settings.merged_metrics_port)
    scrape_port = port(a, spec, ann.PROMETHEUS_SCRAPE_PORT, settings.prometheus_scrape_port, 1024)
    return Metrics(
        enabled, merging, runs, merged_port, scrape_port,
        podmeta.get(a, ann.PROMETHEUS_SCRAPE_PATH) or settings.prometheus_scrape_path,
        service_port, podmeta.get(a, ann.SERVICE_METRICS_PATH) or "/metrics",
        _tls(a) if runs else None)
