"""What start-up skips stays equal to what it stands for: the init-script template compiled
ahead of time, and the schema check that spares importing jsonschema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from consul_inject.values import quickcheck, schema
from consul_inject.webhooks.v0_49 import containers, initscript_compiled


def test_the_compiled_init_template_is_current() -> None:
    # After editing connect-init.sh.j2 (or upgrading jinja2): python tools/compile_init_template.py
    text = containers.compiled_module_text()
    written = Path(initscript_compiled.__file__).read_text(encoding="utf-8")
    assert jinja2.__version__ != initscript_compiled.JINJA2 or text == written


TREES: list[Any] = [
    {}, {"consulInject": {"consulK8sVersion": "2.0", "clusterDNSIP": "10.96.0.10"}},
    {"consulInject": {"clusterDNSIP": "10.96.0.300"}}, {"consulInject": {"nope": 1}},
    {"global": {"enableConsulNamespaces": False}, "connectInject": {"consulNamespaces": {
        "mirroringK8S": True}}},
    {"global": {"adminPartitions": {"enabled": True}}}, {"connectInject": {"default": "yes"}},
    {"connectInject": {"default": True, "envoyExtraArgs": None}}, {"global": {"imageK8S": 3}},
    {"consulInject": {"consulK8sVersion": "1.9"}}, {"consulInject": {"consulK8sVersion": 2.0}},
]


@pytest.mark.parametrize("version", schema.VERSIONS)
@pytest.mark.parametrize("tree", TREES)
def test_the_quick_check_agrees_with_jsonschema(version: str, tree: Any) -> None:
    expected = schema.validator(version).is_valid(tree)
    assert quickcheck.valid(schema.load(version), tree) in (None, expected)


def _trees() -> dict[str, Any]:
    """Every values file of tests/values/ that is YAML at all (some bad ones are not)."""
    found = {}
    for path in sorted((Path(__file__).resolve().parents[1] / "values").glob("*/*.yaml")):
        try:
            found[f"{path.parent.name}/{path.stem}"] = yaml.safe_load(path.read_text("utf-8"))
        except yaml.YAMLError:
            continue
    return found


VALUES_TREES = _trees()


@pytest.mark.parametrize("version", schema.VERSIONS)
@pytest.mark.parametrize("name", sorted(VALUES_TREES))
def test_the_quick_check_agrees_with_jsonschema_on_every_values_file(version: str,
                                                                     name: str) -> None:
    """The fast path may only ever say what jsonschema says (or step aside)."""
    tree = VALUES_TREES[name]
    expected = schema.validator(version).is_valid(tree)
    assert quickcheck.valid(schema.load(version), tree) in (None, expected)
