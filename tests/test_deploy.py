"""The production profile passes Django's deployment checklist with no warnings."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_production_profile_passes_check_deploy():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "COVENANT_TESTING"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        DJANGO_ALLOWED_HOSTS="covenant.example.com",
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
    assert "no issues" in result.stdout


def _manage(*args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "COVENANT_TESTING"))}
    env.update(env_vars)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_a_deployment_that_forgets_debug_runs_without_it_and_refuses_the_development_key():
    """Nothing set at all: debug stays off, so there is no published key to fall back on."""
    result = _manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    result = _manage(
        "shell", "-c", "from django.conf import settings; print(settings.DEBUG)", DJANGO_SECRET_KEY="k" * 60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False"


def test_production_limits_default_to_the_documented_values():
    code = (
        "from django.conf import settings as s; r = s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES'];"
        "print(r['anon'], r['user'], s.COVENANT_PASSWORD_RESET_PER_EMAIL, s.COVENANT_PASSWORD_RESET_PER_IP,"
        " s.COVENANT_TRUSTED_PROXIES)"
    )
    result = _manage("shell", "-c", code, DJANGO_SECRET_KEY="k" * 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "60/minute 1200/minute 3 10 0"


def test_debug_is_on_only_when_asked_for():
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", DJANGO_DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "True"


def test_make_run_and_bin_run_ask_for_debug():
    assert "export DJANGO_DEBUG=1" in (ROOT / "bin" / "run").read_text()
    result = subprocess.run(
        ["make", "-n", "-p", "run"], cwd=ROOT, capture_output=True, text=True, timeout=60, env=dict(os.environ)
    )
    assert "run: DJANGO_DEBUG = 1" in result.stdout or "run: export DJANGO_DEBUG" in result.stdout
