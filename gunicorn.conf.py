"""gunicorn's settings for every start (the image, docker-compose, the bench and the tests
start it from the project's root, where gunicorn reads this file). Command-line options
still win."""

from core.server_errors import install

# gunicorn's own refusals (414, 431, 400 before Django) answer JSON, not an HTML page.
install()
