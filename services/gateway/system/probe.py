"""The Celery client the gateway uses to ask workers about themselves (never to run tasks)."""

from functools import lru_cache

from celery import Celery

from shared.celery_app import create_celery_app


@lru_cache
def probe_app() -> Celery:
    return create_celery_app("conveyor-health")
