"""consul-inject's own values (the `consulInject` section), the same under every webhook version:
which version to follow, and how the tool treats a release. One reader, so every version's
settings and every command see the same choices."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from consul_inject.values.tree import value_at

VERSION_KEY = "consulInject.consulK8sVersion"
DEFAULT_VERSION = "0.49"


def version_of(values: Mapping[str, Any]) -> str:
    """The consul-k8s version the values select (the schema allows only known ones)."""
    value = value_at(values, VERSION_KEY)
    return DEFAULT_VERSION if value is None else str(value)


def read(values: Mapping[str, Any]) -> dict[str, Any]:
    """The version-independent settings fields, from checked values."""
    kinds = value_at(values, "consulInject.workloadKinds") or {}
    return {
        "missing_service": str(value_at(values, "consulInject.missingService") or "error"),
        "create_service_account_secrets":
            bool(value_at(values, "consulInject.createServiceAccountSecrets")),
        "workload_kinds": tuple(sorted((str(k), str(v)) for k, v in kinds.items())),
        "intentions": bool(value_at(values, "consulInject.intentions.enabled")),
    }
