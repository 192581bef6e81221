"""Developer machine: the embedded default unless the environment names real services."""

from config.env import env_bool
from config.settings.base import *  # noqa: F403

# Off, as in production: `make run` shows the shop's own 404 and 500 pages, not Django's
# debug pages (which list every URL); DJANGO_DEBUG=1 brings those back for development.
DEBUG = env_bool("DJANGO_DEBUG", False)

# SQLite does not create the folder of its files.
(VAR_DIR / "db").mkdir(parents=True, exist_ok=True)
