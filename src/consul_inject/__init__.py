"""Consul Connect sidecar injection for rendered Kubernetes manifests, as a Helm post-renderer,
a command line and this Python API (see `consul_inject.api`):

- `inject_stream(data, *, values=None, namespace="default", ...) -> InjectResult`
- `validate_values(values) -> list[Problem]`
- `ConsulInjectError`: raised for bad input, with its `problems` attached.
"""

# No `from __future__ import annotations` here: it would bind the name `annotations` on the
# package, where a module of that name could be looked for.

from consul_inject.api import InjectResult, WorkloadResult, inject_stream, validate_values
from consul_inject.problems import ConsulInjectError, Problem, TemplateError

__version__ = "0.1.0"

__all__ = [
    "ConsulInjectError",
    "InjectResult",
    "Problem",
    "TemplateError",
    "WorkloadResult",
    "__version__",
    "inject_stream",
    "validate_values",
]
