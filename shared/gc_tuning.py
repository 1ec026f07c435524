"""Keeping Python's full garbage collections short in long-running processes.

A service holds a couple of hundred thousand objects from its start (modules, FastAPI's
routes and models, SQLAlchemy's mappers, Celery's app) that live until it exits; every
full collection walked all of them again. Measured on the bench stack (gc callbacks in
the gateway, the job service and a PDF worker, 12 pairs of 300-page jobs): full
collections took 73-160 ms, one every few seconds in a busy worker, and a request or a
chunk that met one waited that long.
"""

import gc


def freeze_startup_objects() -> None:
    """Move every object alive now into the permanent generation, which collections skip:
    call it once startup is done. Objects made later are collected as before."""
    gc.collect()  # what startup left as garbage is freed, not frozen
    gc.freeze()
