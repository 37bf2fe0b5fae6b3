"""openshift: UIDs and GIDs from the Namespace's ranges (spec 3.11), TV-97."""

from __future__ import annotations

import pytest

from consul_inject.problems import TemplateError
from consul_inject.webhooks.v2_0 import openshift

RANGE = openshift.UID_RANGE
APP_ON_100 = {"containers": [{"name": "app", "image": "a", "securityContext": {"runAsUser": 100}}]}


def test_tv97_an_app_already_using_an_id() -> None:
    """TV-97: 100/5 with the app on 100 leaves 101-104."""
    assert openshift.connect_init_uid({RANGE: "100/5"}, APP_ON_100) == 104
    assert openshift.dataplane_uid({RANGE: "100/5"}, APP_ON_100) == 103


@pytest.mark.parametrize(("value", "pick"), [
    ("100/1", openshift.connect_init_uid), ("100/2", openshift.dataplane_uid)])
def test_tv97_not_enough_ids(value: str, pick: object) -> None:
    """TV-97"""
    with pytest.raises(TemplateError, match="namespace does not have enough available UIDs"):
        pick({RANGE: value}, APP_ON_100)  # type: ignore[operator]


def test_the_usual_openshift_range() -> None:
    ids = openshift.ids({RANGE: "1000700000/100000"}, {}, ())
    assert (ids.dataplane_uid, ids.init_uid) == (1000799998, 1000799999)
    assert (ids.dataplane_gid, ids.init_gid) == (1000799998, 1000799999)


def test_groups_come_from_the_supplemental_groups() -> None:
    ids = openshift.ids({RANGE: "1000/10", openshift.SUPPLEMENTAL_GROUPS: "5000-10,7000/2"},
                        {}, ())
    assert (ids.dataplane_uid, ids.init_uid) == (1008, 1009)
    assert (ids.dataplane_gid, ids.init_gid) == (7000, 7001)


def test_the_pod_level_uid_and_injected_images_count_as_stated() -> None:
    spec = {"securityContext": {"runAsUser": 109},
            "containers": [{"name": "dp", "image": "dp:1", "securityContext": {"runAsUser": 108}},
                           {"name": "x", "image": "x", "securityContext": {"runAsUser": 107}}]}
    ids = openshift.ids({RANGE: "100/10"}, spec, ("dp:1",))
    assert (ids.dataplane_uid, ids.init_uid) == (106, 108)


@pytest.mark.parametrize("value", ["", "100", "a/5", "100/b", "1/2/3"])
def test_invalid_ranges(value: str) -> None:
    with pytest.raises(TemplateError, match="invalid range format"):
        openshift.connect_init_uid({RANGE: value} if value else {}, {})
