"""API8 security misconfiguration: Django's deployment checklist passes on the production settings."""

import secrets
import subprocess
import sys

from tests.faults.procs import ROOT, subprocess_env


def test_manage_py_check_deploy_on_production_settings_reports_no_issues():
    env = subprocess_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="cart.example.com",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
