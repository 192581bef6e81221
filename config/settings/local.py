"""Developer machine: the embedded default unless the environment names real services."""

from config.env import env_bool
from config.settings.base import *  # noqa: F403

DEBUG = env_bool("DJANGO_DEBUG", True)

# SQLite does not create the folder of its files.
(VAR_DIR / "db").mkdir(parents=True, exist_ok=True)
