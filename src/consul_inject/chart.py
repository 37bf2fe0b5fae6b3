"""The consul-connect-inject chart: its values.yaml (generated from the schema), packaging, and
the settings ConfigMap it renders, which the post-renderer reads back from the stream.

ConfigMap contract: kind ConfigMap, apiVersion v1, label `consul-inject.io/settings: "true"`
(and `app.kubernetes.io/name: consul-connect-inject`), data key `values.yaml` holding the
effective injection values (global, connectInject, consulInject, dns, nameOverride,
fullnameOverride), with global.name pinned to the chart's resource prefix.

The chart's control plane is consul-k8s 0.49's. With consulInject.consulK8sVersion "1.9" or
"2.0" it renders only the ConfigMap, holding only consulInject (the official chart installs the
cluster side and its values file goes to the post-renderer), so a package for those versions
takes only consulInject values.
"""

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from consul_inject import emitter, tooloptions, values
from consul_inject.problems import ConsulInjectError
from consul_inject.values import schema as schema_mod
from consul_inject.values.tree import merge

CHART_NAME = "consul-connect-inject"
SECTIONS = ("global", "connectInject", "controller", "consulInject", "dns")


class _Entry(NamedTuple):
    indent: str
    lines: list[str]
    comments: list[str]
    blank_before: bool = False


def chart_dir() -> Path:
    """The chart's folder: $CONSUL_INJECT_CHART_DIR, else the copy shipped in the package."""
    explicit = os.environ.get("CONSUL_INJECT_CHART_DIR")
    candidates = [Path(explicit)] if explicit else []
    candidates.append(Path(str(resources.files("consul_inject").joinpath("data", "chart",
                                                                       CHART_NAME))))
    for candidate in candidates:
        if (candidate / "Chart.yaml").is_file():
            return candidate
    raise ConsulInjectError(f"cannot find the {CHART_NAME} chart (looked in "
                     f"{', '.join(str(c) for c in candidates)}); set CONSUL_INJECT_CHART_DIR")


def defaults(node: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The schema's defaults as a values tree (keys without a default are left out)."""
    node = schema_mod.load() if node is None else node
    out: dict[str, Any] = {}
    for key, sub in node.get("properties", {}).items():
        if "default" in sub:
            out[key] = sub["default"]
        elif "properties" in sub:
            inner = defaults(sub)
            if inner:
                out[key] = inner
    return out


def _entries(node: Mapping[str, Any], tree: Mapping[str, Any], depth: int) -> Iterator[_Entry]:
    indent = "  " * depth
    props: Mapping[str, Any] = node.get("properties", {})
    first = True
    for key, value in tree.items():
        sub = props.get(key, {})
        comments = str(sub.get("description", "")).split("\n") if sub.get("description") else []
        blank = (bool(comments) and not first) or depth == 0
        first = False
        if isinstance(value, dict) and value and "properties" in sub and "default" not in sub:
            yield _Entry(indent, [f"{_key(key)}:"], comments, blank)
            yield from _entries(sub, value, depth + 1)
        else:
            text = emitter.emit({key: value}).rstrip("\n")
            yield _Entry(indent, text.split("\n"), comments, blank)


def _key(key: str) -> str:
    return emitter.emit({key: None}).split(":", 1)[0]


def render_values_yaml(overrides: Mapping[str, Any] | None = None) -> str:
    """values.yaml: every key of the schema with a default, a comment per key from its
    description; `overrides` (user values) replace defaults and may add open-section keys."""
    import jinja2

    tree = defaults()
    if overrides:
        tree = merge(tree, overrides)
    ordered = {k: tree[k] for k in schema_mod.load()["properties"] if k in tree}
    ordered.update({k: v for k, v in tree.items() if k not in ordered})
    source = resources.files("consul_inject").joinpath("templates/values.yaml.j2").read_text("utf-8")
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             autoescape=False, undefined=jinja2.StrictUndefined)
    entries = list(_entries(schema_mod.load(), ordered, 0))
    return env.from_string(source).render(entries=entries, sections=", ".join(SECTIONS))


def package(values_files: list[str], sets: list[str], dest: str = ".") -> Path:
    """`helm package` the chart into DEST; -f/--set values (read, merged and checked once:
    ConsulInjectError with every error) are baked into its values.yaml. Returns the .tgz path."""
    user = values.load(values_files, sets)
    _only_tool_values(user)
    source = chart_dir()
    target_dir = Path(dest)
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="consul-inject-chart-") as tmp:
        work = Path(tmp) / CHART_NAME
        shutil.copytree(source, work)
        if user:
            (work / "values.yaml").write_text(render_values_yaml(user), encoding="utf-8")
        from consul_inject import helm  # pyhelm3: only when packaging

        try:
            helm.find().run(["package", work, "-d", target_dir])
        except helm.HelmFailed as err:
            raise ConsulInjectError(f"helm package failed: {err.problems[0].message}") from None
    version = yaml.safe_load((source / "Chart.yaml").read_text(encoding="utf-8"))["version"]
    return target_dir / f"{CHART_NAME}-{version}.tgz"


def _only_tool_values(user: Mapping[str, Any]) -> None:
    """Under 1.9/2.0 the chart carries consulInject alone: its schema and control plane are
    0.49's, so Consul values baked in would be refused by Helm or never read."""
    version = tooloptions.version_of(user)
    extra = sorted(key for key in user if key != "consulInject")
    if version != tooloptions.DEFAULT_VERSION and extra:
        raise ConsulInjectError(
            f"under consul-k8s {version} the {CHART_NAME} chart carries only consulInject (the "
            f"official Consul chart installs the cluster side); give {', '.join(extra)} to the "
            "post-renderer with -f instead of packaging them")


def main(argv: list[str] | None = None) -> int:
    """`python -m consul_inject.chart values` prints the chart's values.yaml."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["values"]:
        sys.stderr.write("usage: python -m consul_inject.chart values\n")
        return 2
    sys.stdout.write(render_values_yaml())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
