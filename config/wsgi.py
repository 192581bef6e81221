import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Chunked request bodies read and held to the body limit before Django sees them
# (core/request_body.py).
from core.request_body import ChunkedBodyWSGI

application = ChunkedBodyWSGI(get_wsgi_application())

# Only after Django is set up: per-request connection housekeeping that does not ask
# all seventeen database aliases twice a request (see the module).
from core import db_housekeeping  # noqa: E402

db_housekeeping.install()
