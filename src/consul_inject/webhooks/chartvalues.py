"""Reads of checked Consul chart values by dotted path, the same for every chart version (the
schema fixed their types), and the mappings the 0.49 and 1.9/2.0 charts share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from consul_inject.values.tree import value_at

R = TypeVar("R")  # a version's Resources record (cpu_request, cpu_limit, memory_...)
_RESOURCES = (("requests.cpu", "cpu_request"), ("limits.cpu", "cpu_limit"),
              ("requests.memory", "memory_request"), ("limits.memory", "memory_limit"))


class Reader:
    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    def raw(self, path: str) -> Any:
        return value_at(self.values, path)

    def boolean(self, path: str, default: bool) -> bool:
        value = self.raw(path)
        return default if value is None else bool(value)

    def dash_boolean(self, path: str, inherit: bool) -> bool:
        """Keys whose "-" (or absence) means "follow another switch"."""
        return inherit if self.raw(path) == "-" else self.boolean(path, inherit)

    def string(self, path: str, default: str = "") -> str:
        value = self.raw(path)
        return default if value is None else str(value)

    def name_list(self, path: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.raw(path)
        return default if value is None else tuple(value)

    def number(self, path: str, default: int) -> int:
        """Ports and counts: a whole number (the schema allows digits in a string for some)."""
        value = self.raw(path)
        return default if value is None or value == "" else int(value)

    def quantity(self, path: str) -> str | None:
        value = self.raw(path)
        return None if value is None or value == "" else str(value)

    def resources(self, path: str, default: R) -> R:
        """`default` with the quantities set at `path` (`requests.cpu`, ...; 0 counts as set)."""
        found = {name: self.quantity(f"{path}.{sub}") for sub, name in _RESOURCES}
        given: Any = default  # a NamedTuple; TypeVar R cannot say so
        changed: R = given._replace(**{k: v for k, v in found.items() if v is not None})
        return changed


def metrics(v: Reader) -> dict[str, Any]:
    """The metrics defaults: `connectInject.metrics.*` over `global.metrics.enabled`."""
    prefix = "connectInject.metrics."
    return {
        "metrics": v.dash_boolean(prefix + "defaultEnabled",
                                  v.boolean("global.metrics.enabled", False)),
        "metrics_merging": v.boolean(prefix + "defaultEnableMerging", False),
        "merged_metrics_port": str(v.number(prefix + "defaultMergedMetricsPort", 20100)),
        "prometheus_scrape_port": str(v.number(prefix + "defaultPrometheusScrapePort", 20200)),
        "prometheus_scrape_path": v.string(prefix + "defaultPrometheusScrapePath") or "/metrics",
    }
