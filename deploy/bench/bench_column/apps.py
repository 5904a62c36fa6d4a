from django.apps import AppConfig


class BenchColumnConfig(AppConfig):
    """A unit table that exists only in the migration benchmark (deploy/bench/migrations.py)."""

    name = "bench_column"
    default_auto_field = "django.db.models.BigAutoField"
