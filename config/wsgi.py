import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()

# Only after Django is set up: per-request connection housekeeping that does not ask
# all seventeen database aliases twice a request (see the module).
from core import db_housekeeping  # noqa: E402

db_housekeeping.install()
