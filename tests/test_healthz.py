"""`/healthz` says "ok" only when the service can work (issue 15.10): the database answers,
is at the latest migration and takes writes; otherwise 503 naming the failing check."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from smartbilling_crm.kit.db import create_db_engine, migrate

from .conftest import Backend, fresh_postgres_database
from .procesos import ServerProcess

ESPERADO_OK = {"status": "ok", "database": "ok"}


def test_healthz_is_ok_on_a_migrated_writable_database(anon: httpx.Client) -> None:
    assert anon.get("/healthz").json() == ESPERADO_OK


def test_a_database_behind_the_code_is_503_naming_the_migrations(
    db: Backend, anon: httpx.Client
) -> None:
    with db.engine.begin() as conn:
        actual = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = 'anterior'"))
    try:
        response = anon.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "outdated", "check": "migrations"}
    finally:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": actual})
    assert anon.get("/healthz").json() == ESPERADO_OK


@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from fresh_postgres_database()


def test_a_read_only_postgresql_is_503_naming_writable(pg_url: str, tmp_path: Path) -> None:
    migrate(pg_url)
    nombre = make_url(pg_url).database
    server = ServerProcess(pg_url, tmp_path / "server.log", CRM_MIGRATE_ON_START="false")
    server.start()
    admin = create_db_engine(pg_url)
    try:
        assert httpx.get(server.url + "/healthz").json() == ESPERADO_OK
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{nombre}" SET default_transaction_read_only = on'))
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": nombre},
            )  # fmt: skip
            conn.commit()
        response = httpx.get(server.url + "/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "read_only", "check": "writable"}
    finally:
        server.stop()
        admin.dispose()


def test_a_replaced_sqlite_data_folder_is_503(tmp_path: Path) -> None:
    datos = tmp_path / "datos"
    url = f"sqlite:///{datos / 'crm.db'}"
    server = ServerProcess(url, tmp_path / "server.log")
    server.start()
    try:
        with server.client() as client:
            assert (
                client.post(
                    "/api/clientes/", json={"nombre_empresa": "A S.L.", "email": "a@a.es"}
                ).status_code
                == 201
            )
            assert client.get("/healthz").json() == ESPERADO_OK
            # An operator restores an old copy of the folder over the running server's.
            shutil.move(datos, tmp_path / "datos.viejo")
            datos.mkdir()
            response = client.get("/healthz")
            assert response.status_code == 503
            assert response.json() == {
                "status": "error",
                "database": "replaced",
                "check": "writable",
            }
    finally:
        server.stop()
