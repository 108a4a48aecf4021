"""Alembic environment of the ledger: online migrations only, on the connection handed
over by :func:`ledger.migrations.alembic_config` (or a new engine for its URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from ledger.tables import Base


def _run(connection: Connection) -> None:
    """Run pending revisions on ``connection``, in its transaction if one is open."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
        user_module_prefix="ml.",  # autogenerate: the script template imports ledger.tables
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("the ledger migrates online only: use `sla-police ledger migrate`")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from ledger.writer import create_ledger_engine

    engine = create_ledger_engine(context.config.get_main_option("sqlalchemy.url"))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


_main()
