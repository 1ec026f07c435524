"""Where a stored key lives on disk when the session runs on the local storage backend."""

from pathlib import Path

from shared.settings import get_settings
from shared.storage.local import LocalStore


def stored_path(key: str) -> Path:
    return LocalStore(get_settings().data_dir).path_of(key)
