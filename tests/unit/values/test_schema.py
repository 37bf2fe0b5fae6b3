"""The values schema: one source (the package's data/values.schema.json) and the chart's copy
that Helm enforces, draft-07, the official chart's
keys and defaults, and its validator: jsonschema's Draft7Validator extended with our annotations
(x-closed, x-rule, ECMA-262 `$`), which agrees with the plain Draft7Validator elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped,unused-ignore]
import pytest
import yaml

from consul_inject import commands
from consul_inject.values import schema as schema_mod
from consul_inject.values.tree import prune as _prune
from tests.conftest import OFFICIAL_VALUES, needs_shared

REPO = Path(__file__).resolve().parents[3]
SOURCE = REPO / "src" / "consul_inject" / "data" / "values.schema.json"
COPIES = (REPO / "src" / "consul_inject" / "data" / "chart" / "consul-connect-inject"
          / "values.schema.json",)
OFFICIAL = OFFICIAL_VALUES
SECTIONS = ("global", "connectInject", "controller")
# Where consul-inject's default differs from the official chart's, on purpose.
OUR_DEFAULTS: dict[tuple[str, ...], Any] = {("connectInject", "enabled"): True}
SAMPLES: tuple[Any, ...] = (True, False, 0, 1, -1, 70000, 2.5, "", "x", "-", "100m", "5s", "Fail",
                            "*", "info", [], ["*"], ["Bad_NS"], [1], {}, {"a": "b"}, {"name": "x"})


def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SOURCE.read_text(encoding="utf-8"))
    return data


def _closed(node: Any) -> Any:
    """The schema as consul-inject evaluates it: `x-closed` sections refuse unknown keys."""
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        if out.get("x-closed") is True:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


@pytest.mark.parametrize("copy", COPIES, ids=["chart"])
def test_copies_are_equal(copy: Path) -> None:
    assert copy.read_bytes() == SOURCE.read_bytes(), f"copy {SOURCE} to {copy}"


def test_package_loads_the_same_schema() -> None:
    assert schema_mod.load() == _schema()


def test_is_valid_draft07() -> None:
    schema = _schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(schema)


def test_sections_closed_top_level_open() -> None:
    schema = _schema()
    assert schema["additionalProperties"] is True
    for section in (*SECTIONS, "consulInject"):
        node = schema["properties"][section]
        # global stays open for Helm (a parent chart's globals reach this chart as a subchart)
        # and is closed for consul-inject through x-closed.
        if section == "global":
            assert node["additionalProperties"] is True
            assert node["x-closed"] is True
        else:
            assert node["additionalProperties"] is False


def _leaves(tree: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(tree, dict) and tree:
        for key, value in tree.items():
            yield from _leaves(value, (*path, key))
    else:
        yield path, tree


def _node(path: tuple[str, ...]) -> dict[str, Any] | None:
    """The schema node of a key; inside a map whose default is given whole (resources), the node
    holding that default."""
    node: dict[str, Any] = _schema()
    holder: dict[str, Any] | None = None
    for part in path:
        props = node.get("properties", {})
        if part not in props:
            return holder
        node = props[part]
        if "default" in node:
            holder = node
    return node


def test_every_official_key_is_known_with_its_default() -> None:
    needs_shared(OFFICIAL)
    official = yaml.safe_load(OFFICIAL.read_text(encoding="utf-8"))
    missing, wrong = [], []
    for section in SECTIONS:
        for path, value in _leaves(official[section], (section,)):
            node = _node(path)
            if node is None:
                missing.append(".".join(path))
                continue
            if "default" not in node or isinstance(node["default"], dict):
                continue  # a leaf inside a map default (resources), compared below
            if node["default"] != OUR_DEFAULTS.get(path, value):
                wrong.append((".".join(path), node["default"], value))
    assert missing == []
    assert wrong == []


def test_map_defaults_match_the_official_file() -> None:
    needs_shared(OFFICIAL)
    official = yaml.safe_load(OFFICIAL.read_text(encoding="utf-8"))
    for path in (("connectInject", "resources"), ("controller", "resources"),
                 ("global", "acls", "resources"), ("connectInject", "cni", "securityContext")):
        node = _node(path)
        value: Any = official
        for part in path:
            value = value[part]
        assert node is not None
        assert node["default"] == value


def test_official_values_validate_with_both_validators() -> None:
    needs_shared(OFFICIAL)
    official = yaml.safe_load(OFFICIAL.read_text(encoding="utf-8"))
    assert list(schema_mod.iter_errors(_prune(official))) == []
    assert list(jsonschema.Draft7Validator(_schema()).iter_errors(official)) == []


def _corpus() -> list[Path]:
    values = REPO / "tests" / "values"
    return sorted(values.glob("*/*.yaml"))


def test_our_validator_agrees_with_plain_draft7_on_the_corpus() -> None:
    validator = jsonschema.Draft7Validator(_closed(_schema()))
    checked = 0
    for path in _corpus():
        try:
            data = _prune(yaml.safe_load(path.read_text(encoding="utf-8")))
        except yaml.YAMLError:
            continue
        assert schema_mod.valid(_schema(), data) == validator.is_valid(data), path.name
        checked += 1
    assert checked >= 40


def _paths(node: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, sub in node.get("properties", {}).items():
        yield (*path, key)
        yield from _paths(sub, (*path, key))


def _at(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    tree: Any = value
    for part in reversed(path):
        tree = {part: tree}
    result: dict[str, Any] = tree
    return result


def test_our_validator_agrees_with_plain_draft7_on_every_key() -> None:
    """Every key of the schema, set to values of every type, alone or with the switches its
    rules read: our extensions change no verdict beyond x-closed (read as additionalProperties
    false) and `$` (SAMPLES hold no final newline)."""
    schema = _schema()
    validator = jsonschema.Draft7Validator(_closed(schema))
    extra: tuple[dict[str, Any], ...] = ({}, {"global": {"enableConsulNamespaces": True}})
    disagreements = []
    for path in _paths(schema):
        for sample in SAMPLES:
            for context in extra:
                instance = _merge(context, _at(path, sample))
                if schema_mod.valid(schema, instance) != validator.is_valid(instance):
                    disagreements.append((".".join(path), sample, context))
    assert disagreements == []


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(("schema", "instance", "ok"), [
    ({"enum": [True]}, 1, False),
    ({"enum": [1]}, True, False),
    ({"enum": [1]}, 1.0, True),
    ({"const": False}, 0, False),
    ({"type": "integer"}, 2.0, True),
    ({"type": "integer"}, True, False),
    ({"type": "number"}, False, False),
    ({"pattern": "^[0-9]+s$"}, "5s", True),
    ({"minimum": 1}, True, True),
    ({"not": {"enum": ["root"]}}, "root", False),
    ({"if": {"const": 1}, "then": {"type": "string"}}, 1, False),
    ({"if": {"const": 1}, "then": {"type": "string"}}, 2, True),
    ({"anyOf": [{"type": "string"}, {"type": "boolean"}]}, 3, False),
    ({"propertyNames": {"pattern": "^a"}}, {"b": 1}, False),
    ({"required": ["name"]}, {}, False),
    ({"additionalProperties": {"type": "string"}}, {"a": 1}, False),
])
def test_keywords(schema: dict[str, Any], instance: Any, ok: bool) -> None:
    assert schema_mod.valid(schema, instance) is ok
    assert jsonschema.Draft7Validator(_closed(schema)).is_valid(instance) is ok


def test_dollar_matches_only_at_the_end() -> None:
    """As in ECMA-262 and Go's RE2 (Helm); Python's re (and so the plain jsonschema package)
    would also match before a final newline."""
    assert not schema_mod.valid({"pattern": "^[0-9]+s$"}, "5s\n")
    assert schema_mod.valid({"pattern": "^[0-9]+s$"}, "5s")
    assert schema_mod.valid({"pattern": "a\\$"}, "a$")
    assert jsonschema.Draft7Validator({"pattern": "^[0-9]+s$"}).is_valid("5s\n")
    assert not schema_mod.valid(_schema(), {"global": {"consulAPITimeout": "5s\n"}})


def test_rules_name_a_known_key_and_a_message() -> None:
    schema = _schema()
    rules = schema["allOf"]
    assert len(rules) >= 4  # only the chart's fail rules: what it accepts is a warning in rules.py
    for rule in rules:
        assert rule["x-message"]
        assert _node(tuple(rule["x-path"].split("."))) is not None, rule["x-rule"]


def test_a_failing_rule_is_one_error() -> None:
    instance = {"connectInject": {"consulNamespaces": {"mirroringK8S": True}}}
    (error,) = schema_mod.iter_errors(instance)
    assert isinstance(error, jsonschema.ValidationError)
    assert (error.validator, error.schema["x-rule"]) == ("x-rule", "mirroring-needs-namespaces")
    assert tuple(error.path) == ("connectInject", "consulNamespaces", "mirroringK8S")
    assert error.message == error.schema["x-message"]


def test_unknown_keys_are_one_error_each_at_their_path() -> None:
    errors = list(schema_mod.iter_errors({"controller": {"a": 1, "b": 2},
                                          "global": {"c": 3}}))
    assert sorted(tuple(e.path) for e in errors) == [("controller", "a"), ("controller", "b"),
                                                     ("global", "c")]
    assert {e.validator for e in errors} == {"additionalProperties"}


def test_global_is_closed_for_us_and_open_for_helm() -> None:
    instance = {"global": {"someParentChartGlobal": True}}
    assert not schema_mod.valid(_schema(), instance)
    assert jsonschema.Draft7Validator(_schema()).is_valid(instance)


def test_a_failed_type_is_the_only_error_of_its_node() -> None:
    (error,) = schema_mod.iter_errors({"global": {"logLevel": 5}})
    assert error.validator == "type"
    plain = jsonschema.Draft7Validator(_schema()).iter_errors({"global": {"logLevel": 5}})
    assert {e.validator for e in plain} == {"type", "enum"}


def test_missing_keys_are_reported_at_their_path() -> None:
    (error,) = schema_mod.iter_errors({"global": {"imagePullSecrets": [{}]}})
    assert (error.validator, tuple(error.path)) == ("required", ("global", "imagePullSecrets", 0, "name"))


def test_cmd_schema_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert commands.cmd_schema() == 0
    assert json.loads(capsys.readouterr().out) == _schema()
