"""consul-k8s webhook versions: one package each, all behind `base.Webhook`.

Adding a version: a package `v<major>_<minor>/` whose `WEBHOOK` implements `base.Webhook`, and
its entry in VERSIONS. The pipeline, the release checks and the command line take it from
here; nothing else names a version.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from consul_inject.webhooks.base import Webhook

# version as users select it -> the package that implements it
VERSIONS = {"0.49": "consul_inject.webhooks.v0_49"}
DEFAULT = "0.49"


def get(version: str = DEFAULT) -> Webhook[Any]:
    """The webhook of a version (imported on first use)."""
    try:
        package = VERSIONS[version]
    except KeyError:
        raise ValueError(f"unknown consul-k8s version {version!r}; expected one of "
                         + ", ".join(VERSIONS)) from None
    webhook: Webhook[Any] = import_module(package).WEBHOOK
    return webhook
