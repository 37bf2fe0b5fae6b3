"""Issue 12 item 8: values the official chart accepts are never refused. Every values file under
tests/values that the chart accepts (good, seed, and warn, whose problems are only warnings) goes
through the post-renderer on a small injected Deployment and is not refused; `values.load`
hands the warnings on."""

from __future__ import annotations

from pathlib import Path

import pytest

from consul_inject import values
from tests.conftest import Cli

REPO = Path(__file__).resolve().parents[3]
VALUES = REPO / "tests" / "values"
ACCEPTED = sorted(VALUES.glob("good/*.yaml")) + sorted(VALUES.glob("seed/*.yaml")) \
    + sorted(VALUES.glob("warn/*.yaml"))
CA = REPO / "tests" / "golden" / "script-flag-order-acl-tls-partition-namespace" / "ca.pem"
STREAM = REPO / "tests" / "hostile" / "cases" / "values-set-deep-key" / "input.yaml"
# What values cannot say (the CA the cluster generates, the Consul DNS Service IP).
OFFLINE = ("-n", "apps", "--consul-ca-file", CA, "--consul-dns-ip", "10.0.0.10")


def test_the_corpus_has_accepted_files_of_every_kind() -> None:
    kinds = {path.parent.name for path in ACCEPTED}
    assert kinds == {"good", "seed", "warn"}
    assert len(ACCEPTED) >= 15


@pytest.mark.parametrize("path", ACCEPTED, ids=[f"{p.parent.name}/{p.stem}" for p in ACCEPTED])
def test_the_post_renderer_accepts_what_the_chart_accepts(path: Path, cli: Cli) -> None:
    code, out, err = cli("inject", *OFFLINE, "-f", path, STREAM)
    assert code == 0, err
    assert b"kind: Deployment" in out
    assert "injected" in err or "skipped" in err, err


def test_a_mirroring_prefix_without_mirroring_is_accepted(cli: Cli) -> None:
    """The command of the issue: the chart and the webhook accept the prefix and ignore it."""
    prefix = "connectInject.consulNamespaces.mirroringK8SPrefix=test-"
    code, _, err = cli("inject", *OFFLINE, "--set", prefix, STREAM)
    assert code == 0, err
    assert 'deployment "web" injected' in err
    (warning,) = values.load(sets=[prefix]).warnings
    assert warning.severity == "warning"
    assert "mirroringK8SPrefix is only used with mirroringK8S: true" in warning.message
