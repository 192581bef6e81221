import pytest

from core.errors import Degraded
from ops.models import DegradationSwitch
from ops.switches import feature_enabled, require_feature, switch_set, switches_state
from tests.conftest import db_all
from tests.factories import UserFactory

pytestmark = db_all


def test_features_are_on_until_switched_off():
    assert feature_enabled("recommendations") is True
    require_feature("recommendations")


def test_a_manual_or_automatic_switch_turns_a_feature_off_and_on_again():
    switch_set(name="recommendations", off=True, source="auto")
    assert feature_enabled("recommendations") is False
    with pytest.raises(Degraded) as caught:
        require_feature("recommendations")
    assert (caught.value.status, caught.value.code) == (503, "degraded")
    switch_set(name="recommendations", off=False, source="auto")
    assert feature_enabled("recommendations") is True
    assert switches_state()["recommendations"] == {"manual": False, "auto": False}


def test_unknown_switches_are_a_programming_error():
    with pytest.raises(KeyError):
        feature_enabled("coffee")


def test_staff_flip_a_switch_in_admin(client, django_capture_on_commit_callbacks):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert "recommendations" in client.get("/admin/ops/degradationswitch/").content.decode()
    switch = DegradationSwitch.objects.get(name="recommendations")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/ops/degradationswitch/{switch.pk}/change/", {"switched_off": "on", "reason": "peak"}
        )
    assert response.status_code == 302
    assert feature_enabled("recommendations") is False
    assert switches_state()["recommendations"]["manual"] is True
