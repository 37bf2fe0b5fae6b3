"""Check that the parts of a pod template injection reads or writes have Kubernetes' shapes.

Kubernetes would reject these documents anyway; checking first turns what would be a crash or a
half-built pod into one line naming the field.
"""

from __future__ import annotations

from typing import Any

from consul_inject.problems import TemplateError

_CONTAINER_LISTS = ("ports", "env", "volumeMounts")
_CONTAINER_MAPS = ("securityContext", "livenessProbe", "readinessProbe", "startupProbe")


def _expect(value: Any, kind: type, path: str) -> None:
    if value is not None and not isinstance(value, kind):
        expected = "a mapping" if kind is dict else "a list"
        raise TemplateError(path, f"is {_describe(value)}, expected {expected}",
                              "fix the manifest; Kubernetes would reject it too")


def _describe(value: Any) -> str:
    return {str: "a string", list: "a list", dict: "a mapping", bool: "a boolean",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _items(value: Any, path: str) -> list[Any]:
    _expect(value, list, path)
    items = value or []
    for i, item in enumerate(items):
        _expect(item, dict, f"{path}[{i}]")
        if item is None:
            raise TemplateError(f"{path}[{i}]", "is empty, expected a mapping")
    return list(items)


def check(template: dict[str, Any], prefix: str) -> None:
    """Raise TemplateError naming `<prefix>.<field>` for the first field of the wrong shape."""
    at = f"{prefix}." if prefix else ""
    meta = template.get("metadata")
    _expect(meta, dict, f"{at}metadata")
    for key in ("annotations", "labels"):
        value = (meta or {}).get(key)
        _expect(value, dict, f"{at}metadata.{key}")
        for name, item in (value or {}).items():
            if not isinstance(name, str):
                raise TemplateError(f"{at}metadata.{key}", f"has a non-string key {name!r}")
            if not isinstance(item, str):
                # Kubernetes keeps annotations and labels as map[string]string.
                raise TemplateError(
                    name, f"value {item!r} is a {type(item).__name__}, not a string",
                    f"{key[:-1]} values must be quoted strings, for example \"true\" or \"8080\"")
    spec = template.get("spec")
    _expect(spec, dict, f"{at}spec")
    spec = spec or {}
    _expect(spec.get("securityContext"), dict, f"{at}spec.securityContext")
    _items(spec.get("volumes"), f"{at}spec.volumes")
    if not _items(spec.get("containers"), f"{at}spec.containers"):
        # Kubernetes refuses a pod template without containers (`Required value`); injection
        # would add the sidecar and make a pod that runs nothing but the proxy.
        raise TemplateError(f"{at}spec.containers",
                            "is empty" if "containers" in spec else "is missing",
                            "a pod needs at least one container; Kubernetes would reject it too")
    for list_key in ("initContainers", "containers"):
        for i, container in enumerate(_items(spec.get(list_key), f"{at}spec.{list_key}")):
            where = f"{at}spec.{list_key}[{i}]"
            if not isinstance(container.get("name"), str):
                raise TemplateError(f"{where}.name", "is missing or not a string")
            for key in _CONTAINER_LISTS:
                _items(container.get(key), f"{where}.{key}")
            for key in _CONTAINER_MAPS:
                _expect(container.get(key), dict, f"{where}.{key}")
            for key in ("livenessProbe", "readinessProbe", "startupProbe"):
                _expect((container.get(key) or {}).get("httpGet"), dict,
                        f"{where}.{key}.httpGet")


def check_metadata(resource: dict[str, Any]) -> None:
    """A workload's own metadata: a mapping whose name and namespace are strings (they name the
    workload in messages and reach Consul and the init script)."""
    meta = resource.get("metadata")
    _expect(meta, dict, "metadata")
    for key in ("name", "generateName", "namespace"):
        value = (meta or {}).get(key)
        if value is not None and not isinstance(value, str):
            raise TemplateError(f"metadata.{key}", f"is {_describe(value)}, expected a string",
                                "fix the manifest; Kubernetes would reject it too")
