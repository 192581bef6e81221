"""Product images: what an item's ``image`` may name, and the URL a page or client loads.

An image is either a static file of this app, named by its path relative to the static
root (``catalog/shoes/olive.svg``, served under hashed names in production), or an
``https://`` URL of another host (allowed by ``CATALOG_IMAGE_HOSTS`` in the
Content-Security-Policy). Nothing else: no ``http:``, no ``data:``, no path that climbs
out of the static root.
"""

import re

from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

MAX_IMAGE_LENGTH = 500
IMAGE_EXTENSIONS = ("svg", "png", "jpg", "jpeg", "webp", "avif", "gif")

# Segments of letters, digits, "_", "-" and inner dots; no "..", no leading "/" or "\".
_STATIC_PATH = re.compile(
    r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*(?:/[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)*\.(?:"
    + "|".join(IMAGE_EXTENSIONS)
    + r")",
    re.IGNORECASE,
)
_HTTPS_URL = URLValidator(schemes=["https"])
_IMAGE_HELP = "Must be a static file path such as catalog/shoes/olive.svg, or an https:// URL."


def validate_image(value: str) -> None:
    """Accept "" (no image), a relative static path of an image file, or an https URL.

    Raises ``ValidationError`` saying which forms are allowed.
    """
    if not value:
        return
    if len(value) > MAX_IMAGE_LENGTH:
        raise ValidationError(f"At most {MAX_IMAGE_LENGTH} characters.", code="max_length")
    if value.startswith("https://"):
        try:
            _HTTPS_URL(value)
        except ValidationError:
            raise ValidationError(f"Not a valid https:// URL. {_IMAGE_HELP}", code="invalid") from None
        return
    if not _STATIC_PATH.fullmatch(value):
        raise ValidationError(_IMAGE_HELP, code="invalid")


def image_url(image: str) -> str:
    """Return the URL to load ``image`` from, or "" when there is none to show.

    A static path goes through the static files storage (hashed in production); one the
    storage does not know (a typo, a file not collected) gives "" rather than an error,
    and the page shows its placeholder.
    """
    if not image:
        return ""
    if image.startswith("https://"):
        return image
    try:
        return staticfiles_storage.url(image)
    except ValueError:  # the manifest has no such file
        return ""
