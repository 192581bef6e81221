"""docker-compose.yml describes a stack that can start: checked without Docker.

Every service the settings need is defined, every app service is wired through the
variables the README documents, every host name in a URL is a service, the shard map
names databases that the init SQL of the right server creates, long-running services
have health checks, and dependencies exist.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from core.sharding import SHARD_ALIASES, expand_shard_urls

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("migrate", "web", "events", "worker", "beat")
ONE_SHOT = ("migrate", "redis-cluster-init")
CLUSTER_NODES = ("redis-cluster-1", "redis-cluster-2", "redis-cluster-3")
REQUIRED_ENV = ("DATABASE_URL", "CART_SHARD_URLS", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SECRET_KEY")


def _value(raw: str) -> str:
    """``${NAME:-default}`` as compose resolves it with NAME unset; other text as is."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(raw))


def _env(service: str) -> dict[str, str]:
    return {name: _value(value) for name, value in SERVICES[service]["environment"].items()}


def _readme_variables() -> set[str]:
    names = set()
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("| `"):
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1]))
    return names


def _init_databases(service: str) -> set[str]:
    """Databases created by the init SQL files mounted into a MySQL service."""
    names = set()
    for volume in SERVICES[service].get("volumes", []):
        source, _, target = volume.partition(":")
        if target.startswith("/docker-entrypoint-initdb.d/"):
            sql = (ROOT / source).read_text()
            names |= set(re.findall(r"CREATE DATABASE IF NOT EXISTS `?(\w+)`?", sql, re.IGNORECASE))
    return names


def test_every_service_the_settings_need_is_defined():
    assert {"mysql-a", "mysql-b", "redis", "rabbitmq", *APP_SERVICES} <= set(SERVICES)
    assert SERVICES["mysql-a"]["image"] == SERVICES["mysql-b"]["image"] == "mysql:8.4"


def test_the_redis_cluster_is_a_profile_of_three_masters():
    for node in CLUSTER_NODES:
        assert SERVICES[node]["profiles"] == ["redis-cluster"]
        assert "--cluster-enabled" in SERVICES[node]["command"]
    init = SERVICES["redis-cluster-init"]
    assert init["profiles"] == ["redis-cluster"]
    script = " ".join(init["command"])
    assert "--cluster create" in script and "--cluster-replicas 0" in script and "--cluster-yes" in script
    assert all(node in script for node in CLUSTER_NODES)
    # The single Redis is the default: no profile.
    assert "profiles" not in SERVICES["redis"]
    # The documented cluster URL names a node of the profile.
    header = (ROOT / "docker-compose.yml").read_text()
    cluster_url = re.search(r"REDIS_URL=(redis\+cluster://\S+)", header).group(1)
    assert urlsplit(cluster_url).hostname in CLUSTER_NODES


@pytest.mark.parametrize("service", APP_SERVICES)
def test_app_services_get_every_variable_and_the_readme_documents_them(service):
    env = _env(service)
    assert set(REQUIRED_ENV) <= set(env)
    undocumented = set(env) - _readme_variables()
    assert not undocumented, f"{service} uses variables the README does not document: {undocumented}"
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production"


def test_app_services_share_one_environment():
    first = _env(APP_SERVICES[0])
    assert all(_env(service) == first for service in APP_SERVICES)


@pytest.mark.parametrize("variable", ["DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"])
def test_hosts_in_urls_are_services(variable):
    assert urlsplit(_env("web")[variable]).hostname in SERVICES


def test_the_shard_map_names_sixteen_databases_each_created_on_its_server():
    env = _env("web")
    shards = expand_shard_urls(env["CART_SHARD_URLS"].split(","))
    assert len(set(shards.values())) == len(SHARD_ALIASES) == 16
    hosts = set()
    for alias, url in shards.items():
        parts = urlsplit(url)
        hosts.add(parts.hostname)
        assert parts.hostname in SERVICES, alias
        assert parts.path.lstrip("/") in _init_databases(parts.hostname), f"{alias}: {url}"
    assert hosts == {"mysql-a", "mysql-b"}
    default = urlsplit(env["DATABASE_URL"])
    assert default.path.lstrip("/") in _init_databases(default.hostname)
    # The app's user is the one the MySQL image creates.
    for url in [env["DATABASE_URL"], *shards.values()]:
        parts = urlsplit(url)
        mysql_env = SERVICES[parts.hostname]["environment"]
        assert (parts.username, parts.password) == (mysql_env["MYSQL_USER"], mysql_env["MYSQL_PASSWORD"])


def test_long_running_services_have_health_checks():
    for name, service in SERVICES.items():
        if name in ONE_SHOT:
            assert service.get("restart") == "no", name
        else:
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_dependencies_exist_and_apps_wait_for_migrations():
    for name, service in SERVICES.items():
        for target in service.get("depends_on", {}):
            assert target in SERVICES, f"{name} depends on unknown {target}"
    for name in APP_SERVICES:
        needs = SERVICES[name]["depends_on"]
        assert {"mysql-a", "mysql-b", "redis", "rabbitmq"} <= set(needs)
        # Only present with the cluster profile, so it must not be required.
        assert needs["redis-cluster-init"]["required"] is False
        if name != "migrate":
            assert needs["migrate"]["condition"] == "service_completed_successfully"


def test_servers_are_the_ones_the_docs_name():
    assert SERVICES["web"]["command"][:4] == ["granian", "--interface", "wsgi", "config.wsgi:application"]
    assert SERVICES["events"]["command"][:2] == ["uvicorn", "config.asgi:application"]
    assert SERVICES["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert SERVICES["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    requirements = (ROOT / "requirements" / "base.txt").read_text()
    assert all(f"\n{package}" in requirements for package in ("granian==", "gunicorn==", "uvicorn==", "celery["))


def test_the_dockerfile_copies_files_that_exist():
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and not line.startswith("COPY . "):
            *sources, _ = line.split()[1:]
            assert all((ROOT / source).exists() for source in sources), line


def test_every_redis_of_the_compose_file_runs_with_the_settings_that_keep_carts_compact():
    from cart.engine.encoding import SHIPPED

    for name in ("redis", *CLUSTER_NODES):
        command = [str(part) for part in SERVICES[name]["command"]]
        for setting, value in SHIPPED.items():
            assert command[command.index(f"--{setting}") + 1] == str(value), name
