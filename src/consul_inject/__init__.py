"""Consul Connect sidecar injection for rendered Kubernetes manifests (consul-k8s v0.49)."""

# No `from __future__ import annotations` here: it would bind the name `annotations` on the
# package and shadow the `consul_inject.annotations` module.

__version__ = "0.1.0"
CONSUL_K8S_VERSION = "0.49.8"
