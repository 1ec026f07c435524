"""Alembic environment: the URL comes from Conveyor's settings unless the caller set one."""

from alembic import context

from shared.db import build_engine
from shared.models import Base
from shared.settings import get_settings

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().effective_database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = build_engine(_url())
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # Batch mode rebuilds a table to alter it (copy, DROP, rename); with foreign keys
            # enforced, the DROP of `job` would first run the ON DELETE actions of every
            # table that points at it (chunks and events deleted, the ledger refusing).
            # Off for the migration; the pragma only takes effect outside a transaction.
            dbapi = connection.connection.dbapi_connection
            assert dbapi is not None
            dbapi.cursor().execute("PRAGMA foreign_keys=OFF")
        # Batch mode lets ALTER TABLE work on SQLite, the embedded default.
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()  # the connection with the pragma off is not reused


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
