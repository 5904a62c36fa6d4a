"""Jiannuo project configuration: settings, URL routing, Celery app, API conventions.

Lives in `platform/jiannuo/` so that the `platform/` folder never becomes an importable
package shadowing Python's standard-library `platform` module.
"""
from .celery import app as celery_app

__all__ = ["celery_app"]
