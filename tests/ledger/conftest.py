"""Backends of the ledger contract suite: a SQLite file, and the real PostgreSQL server.

Every test gets fresh, empty databases from a :class:`Backend`: a new file under
``tmp_path`` for SQLite; a new, uniquely named schema (reached through ``search_path``)
on PostgreSQL, dropped when the test ends, so parallel and repeated runs never collide.
Schemas left behind by a killed run are swept once they are six hours old.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ledger import Ledger

PG_URL = os.environ.get("SLA_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA_PREFIX = "ledger_test_"
#: The policy time zone the tests book months in (deploy/config/sla-police.yaml's).
TIMEZONE = "Asia/Shanghai"
STALE_SECONDS = 6 * 3600


class Backend:
    """Hands out fresh ledger databases on one backend and removes them all at the end."""

    def __init__(self, name: str, tmp_path: Path, admin: Engine | None = None) -> None:
        self.name = name
        self._tmp_path = tmp_path
        self._admin = admin
        self._open: dict[int, tuple[Ledger, str | None]] = {}  # id(ledger) -> (it, schema)
        self._schemas: set[str] = set()

    def fresh_url(self) -> str:
        """The URL of a new, empty database (not migrated)."""
        return self._fresh()[0]

    def fresh_ledger(self) -> Ledger:
        """A migrated, empty ledger, closed (and dropped) when the test ends."""
        url, schema = self._fresh()
        ledger = Ledger(url, timezone=TIMEZONE)
        self._open[id(ledger)] = (ledger, schema)
        ledger.migrate()
        return ledger

    def discard(self, ledger: Ledger) -> None:
        """Close ``ledger`` and drop its database now (for tests that make many)."""
        _, schema = self._open.pop(id(ledger))
        ledger.close()
        if schema is not None:
            self._drop(schema)

    def close(self) -> None:
        for ledger, _ in self._open.values():
            ledger.close()
        for schema in sorted(self._schemas):
            self._drop(schema)

    def _fresh(self) -> tuple[str, str | None]:
        if self._admin is None:
            return f"sqlite:///{self._tmp_path / f'ledger-{uuid.uuid4().hex[:8]}.db'}", None
        schema = f"{SCHEMA_PREFIX}{int(time.time())}_{uuid.uuid4().hex[:12]}"
        with self._admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        self._schemas.add(schema)
        url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False), schema

    def _drop(self, schema: str) -> None:
        assert self._admin is not None
        with self._admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        self._schemas.discard(schema)


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the test PostgreSQL database; FAILS (never skips) when it is down."""
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 5})
    try:
        with engine.begin() as conn:
            _sweep_stale_schemas(conn)
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip()
    else:
        reason = None
    if reason is not None:
        pytest.fail(
            f"PostgreSQL at {PG_URL} is unreachable, so the postgresql ledger backend cannot "
            f"be tested: {reason}\nStart it (`pg_ctlcluster --skip-systemctl-redirect "
            f"$(ls /etc/postgresql) main start`), set SLA_TEST_POSTGRES_URL, or deselect "
            f"these tests with -m 'not integration'.",
            pytrace=False,
        )
    yield engine
    engine.dispose()


def _sweep_stale_schemas(conn) -> None:
    """Drop test schemas a killed run left behind (older than STALE_SECONDS)."""
    names = conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :prefix"),
                         {"prefix": f"{SCHEMA_PREFIX}%"}).scalars()
    horizon = time.time() - STALE_SECONDS
    for name in list(names):
        stamp = name.removeprefix(SCHEMA_PREFIX).split("_", 1)[0]
        if stamp.isdigit() and int(stamp) < horizon:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each ledger backend in turn; PostgreSQL is the real server on this machine."""
    admin = request.getfixturevalue("postgres_admin") if request.param == "postgresql" else None
    made = Backend(request.param, tmp_path, admin)
    yield made
    made.close()


@pytest.fixture
def ledger(backend: Backend) -> Ledger:
    """A migrated, empty ledger on the current backend."""
    return backend.fresh_ledger()
