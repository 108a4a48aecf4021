"""Alembic migrations of the ledger schema, run by :meth:`ledger.writer.Ledger.migrate`.

There is no ``alembic.ini``: :func:`alembic_config` builds the configuration in code, so
the migrations work from an installed wheel and nobody has to call ``alembic`` by hand.
To author a new revision from a checkout (after changing :mod:`ledger.tables`)::

    .venv/bin/python -c "from alembic import command; \\
        from ledger.migrations import alembic_config; \\
        command.revision(alembic_config('sqlite:///var/sla-police.db'), 'what changed', \\
                         autogenerate=True, rev_id='0002')"

then review the generated file in ``versions/`` (autogenerate is a draft, not a truth).
"""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy.engine import Connection

__all__ = ["MIGRATIONS_DIR", "alembic_config"]

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None, *, connection: Connection | None = None) -> Config:
    """An alembic :class:`Config` for the ledger: on ``connection`` if given (migrations
    then run inside the caller's transaction), else on a new engine for ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")  # paths may contain spaces
    if url is not None:
        # alembic's ini interpolation treats '%' specially; URLs may contain it (escapes)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config
