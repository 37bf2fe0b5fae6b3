"""Whole-stream properties of the post-renderer on random Kubernetes-like streams.

Streams are ConfigMaps, Services and Deployments with random names, comments, `# Source:` lines,
`---` variants (with comments or with flow content on the marker line), CRLF documents, `...`
end markers, blank lines and empty documents. Some Deployments opt in with
`consul.hashicorp.com/connect-inject: "true"` (each with the Service that Consul needs to
register it), so that injection happens in many examples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consul_inject import pipeline, stream, yamlcodec
from consul_inject.webhooks.v0_49 import annotations as ann
from consul_inject.webhooks.v0_49.settings import Settings
from tests.conftest import load_all, run_ok

SETTINGS = Settings()
OPTIONS = pipeline.Options()
PROFILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

# False: block style; None: leaf collections in flow style; True: the whole document in flow.
STYLES = st.sampled_from([False, None, True])
NAMES = st.from_regex(r"\A[a-z]([a-z0-9-]{0,10}[a-z0-9])?\Z")
NAMESPACES = st.sampled_from([None, "default", "apps", "team-a", "kube-system"])
# Scalars whose YAML meaning is easy to get wrong: they must survive re-serialisation as text.
TRICKY_TEXT = st.sampled_from([
    "yes", "no", "on", "off", "y", "n", "0644", "1e3", "1:30", "2020-01-01", "null", "~", "",
    "true", "0x1F", "a: b", "#x", "- a", "caf\u00e9", "multi\nline", "multi\nline\n",
    "\nleading", "tab\tinside", "trailing ", "'quote'", '"dq"', "x\n\n", "...", "---",
    "--- x\n...", "# Source: fake\n",
])
TEXT = st.one_of(
    TRICKY_TEXT,
    st.text(st.characters(max_codepoint=0xFFFF,
                          exclude_categories=["Cs", "Cc", "Co", "Cn", "Zl", "Zp"],
                          exclude_characters="\ufeff"), max_size=12),
)


@dataclass
class Doc:
    """A generated document and what the pipeline should do with it."""

    data: dict[str, Any] | None  # None: an empty document
    opted_in: bool = False

    @property
    def kind(self) -> str | None:
        return None if self.data is None else str(self.data["kind"])

    @property
    def namespace(self) -> str:
        if self.data is None:
            return ""
        return str(self.data["metadata"].get("namespace") or OPTIONS.namespace)

    def identity(self) -> tuple[Any, ...] | None:
        return identity(self.data)


class _GenDumper(yaml.SafeDumper):
    """Test-side writer (independent of the code under test) that quotes every scalar go-yaml
    would not read back as the same string: it resolves plain scalars with KubeLoader's table."""


_GenDumper.yaml_implicit_resolvers = {
    key: list(value) for key, value in yamlcodec.KubeLoader.yaml_implicit_resolvers.items()
}


def dump(data: dict[str, Any], style: bool | None) -> str:
    text: str = yaml.dump(data, Dumper=_GenDumper, default_flow_style=style, sort_keys=False,
                          width=60, allow_unicode=True)
    assert yamlcodec.load(text) == data, text  # the generator itself must be faithful
    return text


def metadata(name: str, namespace: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if namespace is not None:
        out["namespace"] = namespace
    return out


@st.composite
def config_maps(draw: st.DrawFn) -> Doc:
    data = draw(st.dictionaries(NAMES, TEXT, max_size=4))
    return Doc({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": metadata(draw(NAMES), draw(NAMESPACES)), "data": data})


def service(name: str, namespace: str | None, selector: dict[str, str], port: int) -> Doc:
    return Doc({"apiVersion": "v1", "kind": "Service", "metadata": metadata(name, namespace),
                "spec": {"selector": selector, "ports": [{"port": port, "targetPort": port}]}})


@st.composite
def services(draw: st.DrawFn) -> Doc:
    # Selects `svc: <name>`, a label no generated pod carries.
    name = draw(NAMES)
    return service(name, draw(NAMESPACES), {"svc": name}, draw(st.integers(1, 65535)))


@st.composite
def deployments(draw: st.DrawFn, opt_in: bool) -> Doc:
    name, namespace = draw(NAMES), draw(NAMESPACES)
    annotations: dict[str, Any] = {}
    inject = draw(st.sampled_from(["true", "1", "True"]) if opt_in
                  else st.sampled_from([None, "false", "0", "F"]))
    if inject is not None:
        annotations[ann.INJECT] = inject
    if opt_in and draw(st.booleans()):
        annotations[ann.UPSTREAMS] = draw(st.sampled_from(["db:5432", "api:9090:dc2",
                                                           "cache:6379,db:5432"]))
    annotations.update(draw(st.dictionaries(st.sampled_from(["note", "example.com/x"]), TEXT,
                                            max_size=2)))
    container: dict[str, Any] = {"name": name, "image": f"example/{name}:1"}
    if draw(st.booleans()):
        # Clear of the upstream ports above and the sidecar's (a collision is refused).
        port = draw(st.integers(1, 65535).filter(
            lambda p: p not in (5432, 9090, 6379) and not 15000 <= p < 22000))
        container["ports"] = [{"name": "http", "containerPort": port}]
        if draw(st.booleans()):
            container["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": "http"}}
    if draw(st.booleans()):
        container["env"] = [{"name": "GREETING", "value": draw(TEXT)}]
    template: dict[str, Any] = {"metadata": {"labels": {"app": name}},
                                "spec": {"containers": [container]}}
    if annotations:
        template["metadata"]["annotations"] = annotations
    meta = metadata(name, namespace)
    outer = draw(st.dictionaries(st.sampled_from(["note", "example.com/y"]), TEXT, max_size=2))
    if outer:
        meta["annotations"] = outer
    spec = {"replicas": draw(st.integers(0, 3)), "selector": {"matchLabels": {"app": name}},
            "template": template}
    body: dict[str, Any] = {"apiVersion": "apps/v1", "kind": "Deployment"}
    # Sometimes metadata comes last, so that a user's scalar ends the re-serialised document.
    if draw(st.booleans()):
        body.update(spec=spec, metadata=meta)
    else:
        body.update(metadata=meta, spec=spec)
    return Doc(body, opted_in=opt_in)


def documents(allow_opt_in: bool) -> st.SearchStrategy[Doc]:
    options = [config_maps(), services(), deployments(opt_in=False), st.just(Doc(None))]
    if allow_opt_in:
        options.append(deployments(opt_in=True))
    return st.one_of(*options)


def _make_pod_labels_unique(docs: list[Doc]) -> list[Doc]:
    """Give every Deployment its own pod label, and each opted-in one the Service selecting it."""
    out: list[Doc] = []
    for i, doc in enumerate(docs):
        out.append(doc)
        if doc.data is None or doc.kind != "Deployment":
            continue
        label = f"{doc.data['metadata']['name']}-{i}"
        doc.data["spec"]["selector"]["matchLabels"]["app"] = label
        doc.data["spec"]["template"]["metadata"]["labels"]["app"] = label
        if doc.opted_in:
            out.append(service(label, doc.data["metadata"].get("namespace"), {"app": label}, 80))
    return out


@st.composite
def streams(draw: st.DrawFn, allow_opt_in: bool = True) -> tuple[str, list[Doc]]:
    docs = _make_pod_labels_unique(draw(st.lists(documents(allow_opt_in), max_size=5)))
    parts: list[str] = []
    if draw(st.booleans()):
        parts.append("\ufeff")
    for i, doc in enumerate(docs):
        body = "" if doc.data is None else dump(doc.data, draw(STYLES))
        if doc.data is None and draw(st.booleans()):
            body = "# nothing here\n"
        piece = ""
        if draw(st.booleans()):
            piece += "# a leading comment\n"
        first_implicit = i == 0 and doc.data is not None and draw(st.booleans())
        if body.startswith("{") and not first_implicit and draw(st.booleans()):
            piece += "--- " + body  # content on the marker line: `--- {apiVersion: ...}`
        else:
            if not first_implicit:
                piece += draw(st.sampled_from(["---\n", "--- # separator\n", "---  \n"]))
            if draw(st.booleans()):
                piece += f"# Source: chart/templates/t{i}.yaml\n"
            piece += body
        if draw(st.booleans()):
            piece += "# a trailing comment\n"
        if draw(st.booleans()):
            piece += "...\n"
        piece += "\n" * draw(st.integers(0, 2))
        if draw(st.booleans()):
            piece = piece.replace("\n", "\r\n")
        parts.append(piece)
    text = "".join(parts)
    if text.endswith("\n") and draw(st.booleans()):
        text = text[:-1]  # no final newline
    return text, docs


def identity(data: Any) -> tuple[Any, ...] | None:
    if data is None:
        return None
    meta = data.get("metadata") or {}
    return data.get("apiVersion"), data.get("kind"), meta.get("name"), meta.get("namespace")


def run(text: str) -> pipeline.Result:
    return run_ok(text, SETTINGS)


def injected(doc: Doc) -> bool:
    return doc.opted_in and doc.namespace != "kube-system"


# --- properties -----------------------------------------------------------------------------


@PROFILE
@given(streams(allow_opt_in=False))
def test_nothing_opted_in_means_byte_identical_output(case: tuple[str, list[Doc]]) -> None:
    text, _ = case
    result = run(text)
    assert result.output == text
    assert result.report.count("injected") == 0


@PROFILE
@given(streams())
def test_documents_keep_identity_and_order(case: tuple[str, list[Doc]]) -> None:
    text, docs = case
    result = run(text)
    before, after = load_all(text), load_all(result.output)
    assert before == [d.data for d in docs]
    assert [identity(d) for d in after] == [d.identity() for d in docs]
    for old, new in zip(before, after, strict=True):
        if old is None or old.get("kind") != "Deployment":
            assert new == old  # only pod templates change
            continue
        assert {k: v for k, v in new.items() if k != "spec"} == \
            {k: v for k, v in old.items() if k != "spec"}
        assert {k: v for k, v in new["spec"].items() if k != "template"} == \
            {k: v for k, v in old["spec"].items() if k != "template"}
        old_meta = old["spec"]["template"]["metadata"]
        new_meta = new["spec"]["template"]["metadata"]
        # The user's own annotations and labels survive with their values.
        for key in ("annotations", "labels"):
            for name, value in (old_meta.get(key) or {}).items():
                assert new_meta[key][name] == value
        old_app = old["spec"]["template"]["spec"]["containers"][0]
        new_app = new["spec"]["template"]["spec"]["containers"][0]
        assert new_app["name"] == old_app["name"]
        assert new_app["image"] == old_app["image"]
        assert new_app.get("ports") == old_app.get("ports")


@PROFILE
@given(streams())
def test_opted_in_deployments_are_injected(case: tuple[str, list[Doc]]) -> None:
    text, docs = case
    result = run(text)
    for doc, data in zip(docs, load_all(result.output), strict=True):
        if doc.kind != "Deployment":
            continue
        template = data["spec"]["template"]
        names = [c["name"] for c in template["spec"]["containers"]]
        assert ("envoy-sidecar" in names) is injected(doc)
        init_names = [c["name"] for c in template["spec"].get("initContainers") or []]
        assert init_names == (["copy-consul-bin", "consul-connect-inject-init"]
                              if injected(doc) else [])
        status = (template["metadata"].get("annotations") or {}).get(ann.INJECT_STATUS)
        assert status == ("injected" if injected(doc) else None)
    assert result.report.count("injected") == sum(1 for d in docs if injected(d))


@PROFILE
@given(streams())
def test_pipeline_is_idempotent(case: tuple[str, list[Doc]]) -> None:
    text, _ = case
    once = run(text).output
    twice = run(once)
    assert twice.output == once
    assert twice.report.count("injected") == 0


@PROFILE
@given(streams())
def test_untouched_documents_are_byte_identical(case: tuple[str, list[Doc]]) -> None:
    text, docs = case
    result = run(text)
    _, before = stream.split(text)
    _, after = stream.split(result.output)
    assert len(before) == len(after)
    rewritten = 0
    for old, new in zip(before, after, strict=True):
        assert new.template() == old.template()
        if new.text == old.text:
            continue
        rewritten += 1
        # A rewritten (injected) document keeps its line endings: edits add no bare LF to CRLF text.
        assert new.crlf == old.crlf
        if old.crlf:
            bare = new.text.count("\n") - new.text.count("\r\n")
            assert bare == old.text.count("\n") - old.text.count("\r\n")
    assert rewritten == sum(1 for d in docs if injected(d))


@PROFILE
@given(streams())
def test_split_agrees_with_yaml_on_document_count(case: tuple[str, list[Doc]]) -> None:
    text, docs = case
    _, segments = stream.split(text)
    assert sum(s.is_document for s in segments) == len(load_all(text)) == len(docs)
    output = run(text).output
    _, segments = stream.split(output)
    assert sum(s.is_document for s in segments) == len(load_all(output)) == len(docs)


@PROFILE
@given(streams())
def test_split_keeps_text(case: tuple[str, list[Doc]]) -> None:
    text, _ = case
    bom, segments = stream.split(text)
    assert stream.join(bom, [s.text for s in segments]) == text


def test_empty_input_gives_empty_output() -> None:
    result = run_ok(b"", SETTINGS)
    assert result.output == ""
    assert result.report.documents == 0


@PROFILE
@given(st.lists(st.sampled_from(["\n", "# c\n", "   \n", "\r\n", "#\n"]), max_size=6))
def test_comment_and_blank_only_input_passes_through(lines: list[str]) -> None:
    text = "".join(lines)
    result = run_ok(text, SETTINGS)
    assert result.output == text
    assert result.report.documents == 0
