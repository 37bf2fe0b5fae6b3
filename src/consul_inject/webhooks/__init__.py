"""consul-k8s webhook versions: one package each, all behind `base.Webhook`.

Adding a version: a package `v<major>_<minor>/` whose `WEBHOOK` implements `base.Webhook`, and
its entry in VERSIONS (1.9 is a variant of the 2.0 package: `v2_0.WEBHOOK_1_9`). The
pipeline, the release checks and the command line take it from here; nothing else names a
version.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from consul_inject.webhooks.base import Webhook

# version as users select it -> the package that implements it, and its attribute
VERSIONS = {"0.49": ("consul_inject.webhooks.v0_49", "WEBHOOK"),
            "1.9": ("consul_inject.webhooks.v2_0", "WEBHOOK_1_9"),
            "2.0": ("consul_inject.webhooks.v2_0", "WEBHOOK")}
DEFAULT = "0.49"
# the consul-k8s release each version follows, without importing the packages (--help, --version)
RELEASES = {"0.49": "0.49.8", "1.9": "1.9.11", "2.0": "2.0.3"}


def get(version: str = DEFAULT) -> Webhook[Any]:
    """The webhook of a version (imported on first use)."""
    try:
        package, name = VERSIONS[version]
    except KeyError:
        raise ValueError(f"unknown consul-k8s version {version!r}; expected one of "
                         + ", ".join(VERSIONS)) from None
    webhook: Webhook[Any] = getattr(import_module(package), name)
    return webhook


def injector_of(template: Mapping[str, Any]) -> Webhook[Any] | None:
    """The version whose injection a pod template carries (uninject and reinject undo the
    injection that is there, whichever version made it); None if it is not injected."""
    for version in VERSIONS:
        webhook = get(version)
        if webhook.is_injected(template):
            return webhook
    return None
