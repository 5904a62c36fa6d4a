"""The `platform/` folder must never shadow Python's standard-library `platform` module,
and the production settings must pass Django's deployment checks."""
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _python(code: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env={**os.environ, **env}, timeout=120)


def test_platform_folder_is_not_a_package():
    assert (REPO / "platform").is_dir()
    assert not (REPO / "platform" / "__init__.py").exists()


def test_stdlib_platform_wins_from_the_repo_root():
    result = _python("import platform, sys; print(platform.system()); print(platform.__file__)")
    assert result.returncode == 0, result.stderr
    system, location = result.stdout.split()
    assert system == "Linux"
    assert not location.startswith(str(REPO))


def test_django_celery_psycopg_redis_import_from_the_repo_root():
    result = _python(
        "import django, celery, psycopg, redis, platform; platform.system();"
        "import jiannuo.celery; print('ok')",
        DJANGO_SETTINGS_MODULE="jiannuo.settings.test",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("ok")


def test_production_settings_pass_check_deploy():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "jiannuo.settings.production", "DJANGO_SECRET_KEY": "x7" * 30 + "-prod-secret-for-check",
             "DJANGO_ALLOWED_HOSTS": "jiannuo.example.cn"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_a_weak_secret():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "jiannuo.settings.production", "DJANGO_SECRET_KEY": "short"},
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
