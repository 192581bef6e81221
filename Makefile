# Two commands: `make run` (start everything) and `make test` (the whole suite).
# Both create .venv and install on first use. With a MySQL URL in DATABASE_URL or
# CART_SHARD_URLS the MySQL driver is installed too (it needs libmariadb-dev).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
REQUIREMENTS := $(if $(findstring mysql,$(DATABASE_URL)$(CART_SHARD_URLS)),requirements.txt,requirements/base.txt)
STAMP := $(VENV)/.installed-$(subst /,-,$(REQUIREMENTS))

.PHONY: run test lint install screenshots

run: $(STAMP)
	$(VENV)/bin/python scripts/run.py

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# The README's screenshots, taken by the browser test that walks the cart page; the test
# suite takes them too, into a temporary folder, so `make test` changes no tracked file.
screenshots: $(STAMP)
	CART_SCREENSHOTS_DIR=$(CURDIR)/docs/screenshots $(VENV)/bin/python -m pytest -q -p no:randomly \
		tests/web/test_browser.py -k test_the_cart_page_at_desktop_and_phone_width

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

install: $(STAMP)

$(STAMP): $(REQUIREMENTS) requirements/base.txt requirements/mysql.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -r $(REQUIREMENTS)
	touch $@

# Benchmark on the machine's real MariaDB, Redis and RabbitMQ unless configured otherwise.
BENCH_ENV := DATABASE_URL=$${DATABASE_URL:-mysql://root@127.0.0.1:3306/cartbench_default} \
	CART_SHARD_URLS=$${CART_SHARD_URLS:-mysql://root@127.0.0.1:3306/cartbench_{shard}} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	CELERY_BROKER_URL=$${CELERY_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//}

# BENCH_ARGS go to scripts/bench.py (--help lists them), e.g. a short trial:
# make bench BENCH_ARGS="--seconds 2 --rounds 1 --prewarm-carts 0 --servers gunicorn-sync,granian"
.PHONY: bench
bench:
	$(MAKE) install DATABASE_URL=mysql
	command -v wrk >/dev/null || (echo "make bench needs wrk (apt-get install wrk)" && exit 1)
	env $(BENCH_ENV) $(VENV)/bin/python scripts/bench.py $(BENCH_ARGS)

# This service's add next to django-oscar's add-to-basket, side by side (docs/peer-benchmark.md).
# The peer is built in a temporary folder for the run and removed after it (--keep keeps it).
.PHONY: bench-peer
bench-peer:
	$(MAKE) install DATABASE_URL=mysql
	command -v wrk >/dev/null || (echo "make bench-peer needs wrk (apt-get install wrk)" && exit 1)
	env $(BENCH_ENV) $(VENV)/bin/python scripts/bench_peer.py $(BENCH_PEER_ARGS)
