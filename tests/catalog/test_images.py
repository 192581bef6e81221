"""What an item's image may be, and the URL the pages and the API give for it."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from catalog.images import image_url, validate_image


@pytest.mark.parametrize(
    "image",
    ["", "catalog/shoes/olive.svg", "p.PNG", "a/b-c/d_e.v2.webp", "https://cdn.example.com/i/1.jpg?w=640&h=480"],
)
def test_static_paths_and_https_urls_are_images(image):
    validate_image(image)


@pytest.mark.parametrize(
    "image",
    ["http://cdn.example.com/1.jpg", "//cdn.example.com/1.jpg", "/abs.svg", "../up.svg", "a/../b.svg", "a.svg/"],
)
def test_other_forms_are_refused_with_the_forms_allowed(image):
    with pytest.raises(ValidationError, match="static file path such as catalog/shoes/olive.svg"):
        validate_image(image)


def test_a_static_image_is_served_from_the_static_url_and_a_remote_one_as_it_is():
    assert image_url("catalog/shoes/olive.svg") == "/static/catalog/shoes/olive.svg"
    assert image_url("https://cdn.example.com/1.jpg") == "https://cdn.example.com/1.jpg"
    assert image_url("") == ""


def test_a_static_image_the_production_storage_does_not_know_gives_no_url():
    # Under hashed names, a file that was never collected has no URL: the pages then show
    # their placeholder instead of failing.
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        assert image_url("catalog/shoes/not-collected.svg") == ""
        assert image_url("https://cdn.example.com/1.jpg") == "https://cdn.example.com/1.jpg"
