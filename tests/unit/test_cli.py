"""The command line, run in-process: files, folders and stdin in; stdout, -o FILE and --in-place
out; JSON in and out; --reinject; uninject; the per-file report; exit codes (issue 6)."""

from __future__ import annotations

import io
import json
import re
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli_main, load_docs

WEB = """\
---
# Source: web/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}  # a comment outside the pod template
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
      annotations:
        consul.hashicorp.com/connect-inject: "true"
    spec:
      containers:
        - name: web
          image: nginx:1.25
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /healthz
              port: http
"""

CONFIG = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: "yes"
"""

# A Deployment whose upstream has no port: refused (exit 1), after valid YAML parsing.
REFUSED = WEB.replace('connect-inject: "true"', 'connect-inject: "true"\n'
                      '        consul.hashicorp.com/connect-service-upstreams: "db"')
# Invalid YAML in a kind injection reads (a ConfigMap would pass through unparsed).
BROKEN_YAML = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: [unclosed\n"

ENVOY_V124 = "envoyproxy/envoy:v1.24.0"


pytestmark = pytest.mark.usefixtures("cli_env")  # no Helm 4 mode; the log under tmp_path


def stdin(monkeypatch: pytest.MonkeyPatch, data: str | bytes) -> None:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def containers(doc: dict[str, Any]) -> list[str]:
    return [c["name"] for c in doc["spec"]["template"]["spec"]["containers"]]


def by_kind(docs: list[Any], kind: str) -> dict[str, Any]:
    found = [d for d in docs if d.get("kind") == kind]
    assert len(found) == 1, docs
    return dict(found[0])


def leftovers(folder: Path) -> list[str]:
    """Temporary files an atomic write could leave behind (`.<name>.<random>`)."""
    return sorted(p.name for p in folder.rglob(".*") if p.is_file())


# --- exit codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--help"], ["inject", "--help"], ["uninject", "--help"],
                                  ["inject", "-h"]])
def test_help_exits_0(capsysbinary: pytest.CaptureFixture[bytes], argv: list[str]) -> None:
    code, out, _ = cli_main(capsysbinary, *argv)
    assert code == 0
    assert b"usage: consul-inject" in out


def test_inject_help_lists_the_file_options(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    _, out, _ = cli_main(capsysbinary, "inject", "--help")
    for flag in (b"--in-place", b"--output-file", b"--output {yaml,json}", b"--reinject"):
        assert flag in out


@pytest.mark.parametrize("argv", [["inject", "--no-such-flag"], ["uninject", "--reinject"],
                                  ["--bogus"], ["inject", "--output", "xml"],
                                  ["inject", "--in-place", "-o", "x.yaml"]])
def test_usage_errors_exit_2(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path,
                             argv: list[str]) -> None:
    code, out, err = cli_main(capsysbinary, *argv)
    assert code == 2
    assert out == b""
    assert "usage:" in err
    assert "error:" in err


@pytest.mark.parametrize("text", [BROKEN_YAML, REFUSED, "- just\n- a list\n"])
def test_bad_input_exits_1_with_nothing_on_stdout(capsysbinary: pytest.CaptureFixture[bytes],
                                                  tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "in.yaml", text)
    code, out, err = cli_main(capsysbinary, "inject", path)
    assert code == 1
    assert out == b""
    assert err.startswith("consul-inject: error: ")
    log = tmp_path / "log" / "last-run.log"  # the autouse fixture keeps it out of the home
    assert log.read_text(encoding="utf-8") == err


def test_missing_file_exits_1(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    code, out, err = cli_main(capsysbinary, "inject", tmp_path / "nope.yaml")
    assert (code, out) == (1, b"")
    assert "nope.yaml" in err


def test_bad_values_exit_1(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    code, out, err = cli_main(capsysbinary, "inject", path, "--set",
                          "connectInject.consulNamespaces.mirroringK8S=true")
    assert (code, out) == (1, b"")
    assert "mirroringK8S" in err


def test_good_input_exits_0(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    code, out, err = cli_main(capsysbinary, "inject", path)
    assert code == 0
    assert "envoy-sidecar" in containers(by_kind(load_docs(out), "Deployment"))
    assert 'deployment "web" injected' in err


# --- stdin -------------------------------------------------------------------------------------


def test_dash_reads_stdin(capsysbinary: pytest.CaptureFixture[bytes],
                          monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    expected, _, _ = cli_main(capsysbinary, "inject", write(tmp_path / "web.yaml", WEB), "-o",
                              tmp_path / "expected.yaml")
    assert expected == 0
    stdin(monkeypatch, WEB)
    code, out, _ = cli_main(capsysbinary, "inject", "-")
    assert code == 0
    assert out == (tmp_path / "expected.yaml").read_bytes()


def test_post_renderer_reads_stdin(capsysbinary: pytest.CaptureFixture[bytes],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    stdin(monkeypatch, CONFIG + "---\n" + WEB)
    code, out, _ = cli_main(capsysbinary, "-n", "apps")
    assert code == 0
    docs = load_docs(out)
    assert [d["kind"] for d in docs] == ["ConfigMap", "Service", "Deployment"]
    assert out.startswith(CONFIG.encode())  # untouched documents stay byte for byte


def test_in_place_with_stdin_is_an_error(capsysbinary: pytest.CaptureFixture[bytes],
                                         monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stdin(monkeypatch, WEB)
    code, out, err = cli_main(capsysbinary, "inject", "--in-place", "-")
    assert (code, out) == (1, b"")
    assert "--in-place" in err
    assert "stdin" in err


def test_in_place_with_a_file_and_stdin_writes_nothing(
        capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    stdin(monkeypatch, CONFIG)
    code, _, _ = cli_main(capsysbinary, "inject", "--in-place", path, "-")
    assert code == 1
    assert path.read_text(encoding="utf-8") == WEB
    assert leftovers(tmp_path) == []


# --- several files and folders -----------------------------------------------------------------


def config(name: str) -> str:
    return CONFIG.replace("name: settings", f"name: {name}")


def test_folder_is_walked_recursively_in_sorted_order(capsysbinary: pytest.CaptureFixture[bytes],
                                                      tmp_path: Path) -> None:
    root = tmp_path / "manifests"
    write(root / "b.yaml", config("b"))
    write(root / "a" / "z.yml", config("a-z"))
    write(root / "a.json", json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": "a-json"}}, indent=2) + "\n")
    write(root / "c" / "d" / "e.yaml", config("c-d-e"))
    # Not manifests: ignored even though they would not parse.
    for ignored in ("notes.txt", "README.md", "b.yaml.orig", "values.yaml.tpl", "Makefile"):
        write(root / ignored, BROKEN_YAML)
    code, out, err = cli_main(capsysbinary, "inject", root)
    assert code == 0
    names = [d["metadata"]["name"] for d in load_docs(out)]
    assert names == ["a-z", "a-json", "b", "c-d-e"]
    headers = re.findall(r"^==> (.*)$", err, re.MULTILINE)
    assert headers == [str(root / "a" / "z.yml"), str(root / "a.json"), str(root / "b.yaml"),
                       str(root / "c" / "d" / "e.yaml")]


def test_empty_folder_is_an_error(capsysbinary: pytest.CaptureFixture[bytes],
                                  tmp_path: Path) -> None:
    write(tmp_path / "only" / "notes.txt", "hello\n")
    code, out, err = cli_main(capsysbinary, "inject", tmp_path / "only")
    assert (code, out) == (1, b"")
    assert "no .yaml, .yml or .json files" in err


def test_several_files_go_to_stdout_separated_by_dashes(
        capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    first = write(tmp_path / "1.yaml", config("one").rstrip("\n"))  # no final newline
    second = write(tmp_path / "2.yaml", config("two"))
    third = write(tmp_path / "3.yaml", "---\n" + config("three"))
    code, out, _ = cli_main(capsysbinary, "inject", first, second, third)
    assert code == 0
    assert out.decode() == (config("one") + "---\n" + config("two") + "---\n" + config("three"))
    assert [d["metadata"]["name"] for d in load_docs(out)] == ["one", "two", "three"]


def test_folder_report_has_a_header_per_file_and_a_summary(
        capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    write(tmp_path / "in" / "web.yaml", WEB)
    write(tmp_path / "in" / "settings.yaml", config("s"))
    off = WEB.replace("name: web", "name: api").replace("app: web", "app: api").replace(
        'connect-inject: "true"', 'connect-inject: "false"')
    write(tmp_path / "in" / "sub" / "api.yml", off)
    code, _, err = cli_main(capsysbinary, "inject", tmp_path / "in")
    assert code == 0
    lines = err.splitlines()
    assert [x for x in lines if x.startswith("==> ")] == [
        f"==> {tmp_path / 'in' / 'settings.yaml'}", f"==> {tmp_path / 'in' / 'sub' / 'api.yml'}",
        f"==> {tmp_path / 'in' / 'web.yaml'}"]
    assert 'deployment "web" injected' in err
    assert 'deployment "api" skipped' in err
    summary = lines[-1]
    assert summary.startswith("consul-inject: 3 files: "), summary
    assert re.fullmatch(r"consul-inject: 3 files: 1 injected, 1 skipped, 5 documents, 0 errors",
                        summary), summary


# --- -o FILE and --in-place --------------------------------------------------------------------


def test_output_file_may_name_an_input_file(capsysbinary: pytest.CaptureFixture[bytes],
                                            tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    other = write(tmp_path / "settings.yaml", CONFIG)
    expected_code, expected, _ = cli_main(capsysbinary, "inject", path, other)
    assert expected_code == 0
    code, out, _ = cli_main(capsysbinary, "inject", path, other, "-o", path)
    assert (code, out) == (0, b"")
    assert path.read_bytes() == expected
    assert other.read_text(encoding="utf-8") == CONFIG
    assert leftovers(tmp_path) == []


def test_output_file_is_not_touched_on_error(capsysbinary: pytest.CaptureFixture[bytes],
                                             tmp_path: Path) -> None:
    target = write(tmp_path / "out.yaml", "previous: content\n")
    code, _, _ = cli_main(capsysbinary, "inject", write(tmp_path / "bad.yaml", REFUSED), "-o", target)
    assert code == 1
    assert target.read_text(encoding="utf-8") == "previous: content\n"
    assert leftovers(tmp_path) == []


def test_output_file_in_a_missing_folder_is_an_input_error(
        capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    code, out, err = cli_main(capsysbinary, "inject", path, "-o", tmp_path / "no" / "such" / "o.yaml")
    assert (code, out) == (1, b"")
    assert "internal error" not in err


def test_in_place_rewrites_only_changed_files_and_keeps_their_mode(
        capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    root = tmp_path / "repo"
    web = write(root / "web.yaml", WEB)
    web.chmod(0o640)
    same = write(root / "deep" / "settings.yml", CONFIG)
    same.chmod(0o604)
    before = same.stat()
    expected_code, expected, _ = cli_main(capsysbinary, "inject", web)
    assert expected_code == 0
    code, out, err = cli_main(capsysbinary, "inject", "--in-place", root)
    assert (code, out) == (0, b"")
    assert web.read_bytes() == expected
    assert stat.S_IMODE(web.stat().st_mode) == 0o640
    after = same.stat()
    assert same.read_text(encoding="utf-8") == CONFIG
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)  # untouched
    assert stat.S_IMODE(after.st_mode) == 0o604
    assert leftovers(root) == []
    assert "consul-inject: 2 files: 1 injected" in err


@pytest.mark.parametrize("broken", [BROKEN_YAML, REFUSED.replace("# Source: ", "# ")],
                         ids=["invalid-yaml", "refused"])
def test_in_place_writes_nothing_when_any_input_has_an_error(
        capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path, broken: str) -> None:
    first = write(tmp_path / "a-web.yaml", WEB)
    second = write(tmp_path / "b-broken.yaml", broken)
    third = write(tmp_path / "c-web.yaml", WEB.replace("replicas: 2", "replicas: 3"))
    snapshot = {p: (p.read_bytes(), p.stat().st_ino) for p in (first, second, third)}
    code, out, err = cli_main(capsysbinary, "inject", "--in-place", tmp_path)
    assert (code, out) == (1, b"")
    assert "b-broken.yaml" in err
    assert "nothing written" in err
    assert {p: (p.read_bytes(), p.stat().st_ino) for p in snapshot} == snapshot
    assert leftovers(tmp_path) == []


def test_an_error_in_a_folder_run_names_the_file(capsysbinary: pytest.CaptureFixture[bytes],
                                                  tmp_path: Path) -> None:
    write(tmp_path / "prod" / "web.yaml", WEB)
    write(tmp_path / "staging" / "web.yaml", REFUSED)
    code, _, err = cli_main(capsysbinary, "inject", tmp_path)
    assert code == 1
    assert str(tmp_path / "staging" / "web.yaml") in err


def test_in_place_never_empties_a_file(capsysbinary: pytest.CaptureFixture[bytes],
                                       tmp_path: Path) -> None:
    """A file that is only comments (or empty) stays as it is; a good run never shrinks a
    file to nothing."""
    comments = write(tmp_path / "comments.yaml", "# nothing here yet\n")
    empty = write(tmp_path / "empty.yaml", "")
    web = write(tmp_path / "web.yaml", WEB)
    code, _, _ = cli_main(capsysbinary, "inject", "--in-place", comments, empty, web)
    assert code == 0
    assert comments.read_text(encoding="utf-8") == "# nothing here yet\n"
    assert empty.read_bytes() == b""
    assert len(web.read_bytes()) > len(WEB)


def test_uninject_in_place_restores_the_original_bytes(capsysbinary: pytest.CaptureFixture[bytes],
                                                       tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    assert cli_main(capsysbinary, "inject", "--in-place", path)[0] == 0
    assert path.read_text(encoding="utf-8") != WEB
    code, out, err = cli_main(capsysbinary, "uninject", "--in-place", path)
    assert (code, out) == (0, b"")
    assert path.read_text(encoding="utf-8") == WEB
    assert 'deployment "web" uninjected' in err


def test_uninject_to_stdout_restores_the_original_bytes(capsysbinary: pytest.CaptureFixture[bytes],
                                                        tmp_path: Path) -> None:
    source = write(tmp_path / "web.yaml", WEB)
    injected = tmp_path / "injected.yaml"
    assert cli_main(capsysbinary, "inject", source, "-o", injected,
                "--set", "connectInject.metrics.defaultEnabled=true")[0] == 0
    code, out, _ = cli_main(capsysbinary, "uninject", injected)
    assert code == 0
    assert out.decode("utf-8") == WEB


def test_uninject_leaves_a_file_never_injected_alone(capsysbinary: pytest.CaptureFixture[bytes],
                                                     tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    code, out, err = cli_main(capsysbinary, "uninject", path)
    assert code == 0
    assert out.decode("utf-8") == WEB
    assert 'deployment "web" skipped: not injected' in err


# --- --reinject --------------------------------------------------------------------------------


def envoy_image(docs: list[Any]) -> str:
    deployment = by_kind(docs, "Deployment")
    images = [c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]
              if c["name"] == "envoy-sidecar"]
    assert len(images) == 1
    return str(images[0])


def test_reinject_brings_an_injected_manifest_to_a_new_envoy_image(
        capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    injected = tmp_path / "injected.yaml"
    assert cli_main(capsysbinary, "inject", write(tmp_path / "web.yaml", WEB), "-o", injected)[0] == 0
    old = injected.read_bytes()
    assert envoy_image(load_docs(old)) != ENVOY_V124

    code, out, err = cli_main(capsysbinary, "inject", injected, "--set",
                          f"global.imageEnvoy={ENVOY_V124}")
    assert code == 0
    assert out == old  # without --reinject: skipped, byte for byte
    assert re.search(r'^deployment "web" skipped: already injected.*$', err, re.MULTILINE), err

    code, out, err = cli_main(capsysbinary, "inject", "--reinject", injected, "--set",
                          f"global.imageEnvoy={ENVOY_V124}")
    assert code == 0
    assert envoy_image(load_docs(out)) == ENVOY_V124
    assert 'deployment "web" injected' in err
    fresh_code, fresh, _ = cli_main(capsysbinary, "inject", tmp_path / "web.yaml", "--set",
                                f"global.imageEnvoy={ENVOY_V124}")
    assert fresh_code == 0
    assert load_docs(out) == load_docs(fresh)


def test_injecting_twice_changes_nothing(capsysbinary: pytest.CaptureFixture[bytes],
                                         tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    assert cli_main(capsysbinary, "inject", "--in-place", path)[0] == 0
    once = path.read_bytes()
    before = path.stat()
    code, _, err = cli_main(capsysbinary, "inject", "--in-place", path)
    assert code == 0
    assert path.read_bytes() == once
    assert path.stat().st_ino == before.st_ino  # unchanged: not rewritten
    assert "0 injected, 1 skipped" in err


# --- JSON --------------------------------------------------------------------------------------


def web_list() -> dict[str, Any]:
    """WEB as the v1 List `kubectl get -o json` prints."""
    return {"apiVersion": "v1", "kind": "List", "items": load_docs(WEB)}


def test_json_input_stays_json(capsysbinary: pytest.CaptureFixture[bytes],
                               tmp_path: Path) -> None:
    path = write(tmp_path / "web.json", json.dumps(web_list(), indent=4) + "\n")
    code, out, _ = cli_main(capsysbinary, "inject", path)
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "List"
    deployment = by_kind(data["items"], "Deployment")
    assert "envoy-sidecar" in containers(deployment)
    assert out.startswith(b'{\n    "apiVersion"')  # the input's indentation


def test_json_file_in_place_stays_json_and_uninjects_to_the_same_bytes(
        capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    original = json.dumps(web_list(), indent=2) + "\n"
    path = write(tmp_path / "web.json", original)
    assert cli_main(capsysbinary, "inject", "--in-place", path)[0] == 0
    assert "envoy-sidecar" in containers(by_kind(json.loads(path.read_bytes())["items"],
                                                 "Deployment"))
    assert cli_main(capsysbinary, "uninject", "--in-place", path)[0] == 0
    assert path.read_text(encoding="utf-8") == original


def test_output_json_gives_one_object_for_one_document(capsysbinary: pytest.CaptureFixture[bytes],
                                                       tmp_path: Path) -> None:
    code, out, _ = cli_main(capsysbinary, "inject", "--output", "json",
                        write(tmp_path / "settings.yaml", CONFIG))
    assert code == 0
    assert json.loads(out) == {"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": "settings"}, "data": {"mode": "yes"}}


def test_output_json_gives_a_v1_list_for_several(capsysbinary: pytest.CaptureFixture[bytes],
                                                 tmp_path: Path) -> None:
    code, out, _ = cli_main(capsysbinary, "inject", "--output", "json",
                        write(tmp_path / "web.yaml", WEB), write(tmp_path / "s.yaml", CONFIG))
    assert code == 0
    data = json.loads(out)
    assert (data["apiVersion"], data["kind"]) == ("v1", "List")
    assert [(i["kind"], i["metadata"]["name"]) for i in data["items"]] == [
        ("Service", "web"), ("Deployment", "web"), ("ConfigMap", "settings")]
    assert "envoy-sidecar" in containers(by_kind(data["items"], "Deployment"))


def test_output_json_to_a_file(capsysbinary: pytest.CaptureFixture[bytes],
                               tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    code, out, _ = cli_main(capsysbinary, "inject", write(tmp_path / "web.yaml", WEB),
                        "--output", "json", "-o", target)
    assert (code, out) == (0, b"")
    assert json.loads(target.read_bytes())["kind"] == "List"


def test_a_file_given_twice_is_read_twice(capsysbinary: pytest.CaptureFixture[bytes],
                                         tmp_path: Path) -> None:
    """A folder and a file inside it: both are processed, in the order given."""
    path = write(tmp_path / "in" / "web.yaml", WEB)
    code, out, _ = cli_main(capsysbinary, "inject", tmp_path / "in", path)
    assert code == 0
    assert [d["kind"] for d in load_docs(out)] == ["Service", "Deployment"] * 2


def test_report_none_and_json(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    path = write(tmp_path / "web.yaml", WEB)
    code, _, err = cli_main(capsysbinary, "inject", path, "--report", "none")
    assert (code, err) == (0, "")
    code, _, err = cli_main(capsysbinary, "inject", path, "--report", "json")
    assert code == 0
    report = json.loads(err)
    assert [(w["kind"], w["name"], w["outcome"]) for w in report["workloads"]] == [
        ("Deployment", "web", "injected")]
